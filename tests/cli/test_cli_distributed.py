"""`mpiexec -n K gradwork train` (gradwork/cli/main.py and the trainer's data_parallel path):
rank 0 alone writes, a K-rank checkpoint resumes on K' ranks, and a rank that dies, hangs or
fails makes every rank exit non-zero within the timeout, the last checkpoint intact."""
import contextlib
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

from gradwork.cli.main import main
from gradwork.serialization import load
from gradwork.train import load_checkpoint

from ..distributed import mpi

SMALL = ["--limit-train", "128", "--limit-test", "32", "--batch-size", "32", "--no-progress",
         "--val-split", "0", "--no-augment", "--schedule", "none"]


def _weights(path):
    return {k: v for k, v in load(path, as_arrays=True).items() if k.startswith("model.")}


def test_two_ranks_train_then_one_rank_resumes_as_one_process_would(tmp_path):
    args = ["train", "--model-from", "tests.cli.tiny_models:plain_mlp", "--out", str(tmp_path),
            *SMALL]
    proc = mpi.run(2, "-m", "gradwork", *args, "--name", "dp", "--epochs", "1",
                   "--checkpoint-steps", "3", timeout=120)
    assert proc.stdout.count("test accuracy:") == 2 and proc.stdout.count("epoch 1:") == 1
    assert proc.stderr.count("run folder:") == 1                  # rank 0 alone prints ...
    assert len([f for f in os.listdir(tmp_path / "dp") if f.startswith("events.")]) == 1
    assert load_checkpoint(tmp_path / "dp" / "last")[1]["step"] == 4      # 128 / 32

    # ... and the checkpoint holds the global state: one process continues it
    assert main([*args, "--name", "dp", "--resume", "--epochs", "2"]) == 0
    assert main([*args, "--name", "one", "--epochs", "2"]) == 0
    a, b = _weights(tmp_path / "dp" / "last.safetensors"), \
        _weights(tmp_path / "one" / "last.safetensors")
    assert a.keys() == b.keys() and len(a) == 4
    for k in a:     # float32, the reduction order of 2 ranks' means vs 1 (test_exactness.py)
        np.testing.assert_allclose(a[k], b[k], rtol=1e-5, atol=1e-6, err_msg=k)
    # the logged training metrics are the whole epoch's, summed over the ranks
    two, one = (load_checkpoint(tmp_path / n / "last")[1]["history"][0] for n in ("dp", "one"))
    assert two["train_acc1"] == one["train_acc1"]
    assert two["train_loss"] == pytest.approx(one["train_loss"], rel=1e-5)


def test_sync_batchnorm_makes_two_ranks_train_as_one_process_on_the_global_batch(tmp_path,
                                                                               capsys):
    args = ["train", "--model-from", "tests.cli.tiny_models:bn_mlp", "--out", str(tmp_path),
            *SMALL, "--epochs", "1"]
    assert main([*args, "--name", "one", "--sync-batchnorm"]) == 0
    assert "--sync-batchnorm: a single process" in capsys.readouterr().err   # the note
    mpi.run(2, "-m", "gradwork", *args, "--name", "sync", "--sync-batchnorm", timeout=120)
    mpi.run(2, "-m", "gradwork", *args, "--name", "per-rank", timeout=120)
    one, sync, per_rank = (_weights(tmp_path / n / "last.safetensors")
                           for n in ("one", "sync", "per-rank"))
    assert one.keys() == sync.keys() and any("running_var" in k for k in one)
    for k in one:       # the tolerance of test_exactness.py: float32 reduction order
        np.testing.assert_allclose(sync[k], one[k], rtol=1e-5, atol=1e-6, err_msg=k)
    # the control: BatchNorm per rank (the default) normalises with half batches
    assert not all(np.allclose(per_rank[k], one[k], rtol=1e-5, atol=1e-6) for k in one)
    # a run setting: recorded, and a resume must match it
    config = json.loads((tmp_path / "sync" / "config.json").read_text())
    assert config["sync_batchnorm"] is True
    assert main([*args, "--name", "sync", "--resume", "--epochs", "2",
                 "--no-sync-batchnorm"]) == 2
    assert "refusing --sync-batchnorm False (the run has True)" in capsys.readouterr().err


def _rank_pids(marker):
    """The pids of the python ranks whose command line holds `marker`."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmd = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if marker.encode() in cmd and b"gradwork" in cmd and b"-n" not in cmd:
                pids.append(int(entry.name))
    return pids


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGSTOP], ids=["killed", "hung"])
def test_a_rank_that_dies_or_hangs_stops_every_rank_within_the_timeout(tmp_path, how):
    out, timeout = tmp_path / "runs", 2
    cmd = mpi.command(2, "-m", "gradwork", "train", "--model-from",
                      "tests.cli.tiny_models:slow_plain_mlp", "--name", "r", "--out", str(out),
                      *SMALL, "--epochs", "50", "--checkpoint-steps", "1",
                      "--dist-timeout", str(timeout))
    proc = subprocess.Popen(cmd, cwd=mpi.ROOT, env=mpi.environment(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    checkpoint = out / "r" / "last.safetensors"
    deadline = time.monotonic() + 60
    while not checkpoint.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    pids = _rank_pids(str(out))
    assert len(pids) == 2 and proc.poll() is None, proc.communicate()
    os.kill(max(pids), how)
    try:
        _, err = proc.communicate(timeout=timeout + 30)
    finally:
        proc.kill()
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    assert proc.returncode != 0
    if how == signal.SIGSTOP:       # the watchdog: no MPI library notices a stopped process
        assert f"did not complete within {timeout} s" in err and "aborting all ranks" in err
    time.sleep(0.2)
    assert not [p for p in pids if Path(f"/proc/{p}").exists() and
                (Path(f"/proc/{p}/stat").read_text().split()[2] != "Z")]
    info = load_checkpoint(checkpoint)[1]                           # intact and loadable
    assert info["step"] >= 1


def test_an_error_on_one_rank_stops_every_rank_at_once(tmp_path):
    # Without abort_all_on_error, rank 0 would wait for the 60 s watchdog: the test's 30 s
    # timeout would fail it.
    proc = subprocess.run(mpi.command(2, "-m", "gradwork", "train", "--model-from",
                                      "tests.cli.tiny_models:failing_on_rank_1", "--name", "f",
                                      "--out", str(tmp_path), *SMALL, "--epochs", "1",
                                      "--dist-timeout", "60"),
                          cwd=mpi.ROOT, env=mpi.environment(), capture_output=True, text=True,
                          timeout=30)
    assert proc.returncode != 0
    assert "rank 1 of 2: RuntimeError: rank 1 fails on purpose; aborting all ranks" in proc.stderr
