"""`gradwork train` under faults: SIGTERM/SIGINT stop cleanly with 143/130 and a resume
command, a full disk exits 74 in one line, a NaN exits non-zero without a NaN checkpoint, a
corrupt checkpoint is refused, and a run that dies after a mid-epoch checkpoint resumes to the
same bits as one that never stopped (one BLAS thread)."""
import errno
import os
import subprocess
import sys

import numpy as np
import pytest

from gradwork import threads
from gradwork.cli.main import main
from gradwork.serialization import load
from gradwork.train import load_checkpoint

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MLP = "tests.cli.tiny_models:mlp"
SMALL = ["--limit-train", "192", "--limit-test", "50", "--batch-size", "32", "--no-progress"]


def _train(tmp_path, name, *extra, model=MLP):
    return main(["train", "--model-from", model, "--name", name, "--out", str(tmp_path), *SMALL,
                 *extra])


def _model_weights(path):
    return {k: v for k, v in load(path, as_arrays=True).items() if k.startswith("model.")}


def test_sigterm_and_sigint_stop_with_a_checkpoint_and_the_conventional_code(tmp_path, capsys):
    for model, code in (("sigterm_mlp", 143), ("sigint_mlp", 130)):
        assert _train(tmp_path, model, "--epochs", "2",
                      model=f"tests.cli.tiny_models:{model}") == code
        err = capsys.readouterr().err
        assert "Continue with: gradwork train" in err and f"--name {model}" in err
        assert "--resume" in err
        info = load_checkpoint(tmp_path / model)[1]
        assert info["step"] == 3 and info["epoch"] == 0 and info["rng"]["loader"]["batch"] == 3


def test_disk_full_exits_74_in_one_line_and_keeps_the_checkpoint(tmp_path, capsys, monkeypatch):
    assert _train(tmp_path, "full", "--epochs", "1") == 0
    run = tmp_path / "full"
    before = (run / "last.safetensors").read_bytes()
    capsys.readouterr()

    real_fsync = os.fsync

    def no_space(fd):                      # a checkpoint (not the small files) finds no room
        if os.fstat(fd).st_size > 4096:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_fsync(fd)
    monkeypatch.setattr(os, "fsync", no_space)
    assert _train(tmp_path, "full", "--epochs", "2", "--resume") == 74
    monkeypatch.undo()
    err = capsys.readouterr().err.strip()
    lines = err.splitlines()             # the extension note, the run folder, the error
    assert len(lines) <= 3 and "Traceback" not in err and lines[-1].startswith("gradwork train:")
    assert "disk full while writing" in err and "previous checkpoint is intact" in err
    assert (run / "last.safetensors").read_bytes() == before
    assert not [f for f in os.listdir(run) if f.startswith(".tmp-")]


def test_corrupt_checkpoint_is_refused_on_resume(tmp_path, capsys):
    assert _train(tmp_path, "c", "--epochs", "1") == 0
    path = tmp_path / "c" / "last.safetensors"
    raw = bytearray(path.read_bytes())
    raw[-5] ^= 0x10                                      # one bit of one weight
    path.write_bytes(bytes(raw))
    capsys.readouterr()
    assert _train(tmp_path, "c", "--epochs", "2", "--resume") == 2
    err = capsys.readouterr().err
    assert "last.safetensors is corrupt" in err and "fall back to the previous checkpoint" in err
    assert "Traceback" not in err


def test_bad_output_folder_is_refused_before_training(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert main(["train", "--model-from", MLP, "--name", "x", "--out", str(blocker), *SMALL,
                 "--epochs", "1"]) == 2
    err = capsys.readouterr().err
    assert "cannot create the run folder" in err and "Traceback" not in err
    assert blocker.read_text() == "not a folder"


def test_killed_after_a_mid_epoch_checkpoint_resumes_bit_identical(tmp_path):
    """A process dies right after its 4th checkpoint write (writes: step 4 mid-epoch; last
    and best at the end of epoch 1; step 8 mid-epoch 2); the run is resumed and compared with
    one that never stopped. One BLAS thread in both processes (several threads: another
    test's)."""
    args = ["--model-from", MLP, "--epochs", "2", "--out", str(tmp_path), *SMALL, "--augment",
            "--checkpoint-steps", "4"]
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
           "PYTHONPATH": ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")}
    crashed = subprocess.run([sys.executable, "-m", "tests.cli.crash", "4", "train", *args,
                              "--name", "killed"], cwd=ROOT, env=env, capture_output=True,
                             text=True, timeout=120, check=False)
    assert crashed.returncode == 137, crashed.stderr
    checkpoint = tmp_path / "killed" / "last.safetensors"
    info = load_checkpoint(checkpoint)[1]
    assert (info["epoch"], info["step"], info["rng"]["loader"]["batch"]) == (1, 8, 2)

    previous = threads.get_num_threads()
    threads.set_num_threads(1)
    try:                                                  # resumed, and uninterrupted
        assert main(["train", *args, "--name", "killed", "--resume"]) == 0
        assert main(["train", *args, "--name", "whole"]) == 0
    finally:
        threads.set_num_threads(previous)
    a, b = _model_weights(checkpoint), _model_weights(tmp_path / "whole" / "last.safetensors")
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)
    assert load_checkpoint(checkpoint)[1]["step"] == 12


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the overflow that makes the NaN
def test_a_diverging_run_exits_non_zero_without_a_nan_checkpoint(tmp_path, capsys):
    assert _train(tmp_path, "nan", "--epochs", "1", "--lr", "1e30", "--schedule", "none") == 2
    err = capsys.readouterr().err
    assert "at epoch 1, step" in err and "Traceback" not in err
    assert not (tmp_path / "nan" / "last.safetensors").exists()
