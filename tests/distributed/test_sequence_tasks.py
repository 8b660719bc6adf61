"""`mpiexec -n K gradwork train char_lm | bilstm_tagger` train data-parallel
(gradwork/train/language_model.py, tagging.py): K ranks = one process on the global batch,
rank 0 alone writes the run folder, and a language model stopped mid-epoch on 2 ranks (the
carried state of every stream in its checkpoint) resumes on one process.

Tolerance: test_exactness.py's float32 reduction order, |a − b| ≤ 1e-6 + 1e-5·|b|.
"""
import os

import numpy as np
import pytest

from gradwork.cli.main import main
from gradwork.train import load_checkpoint

from . import mpi
from .workers import sequence_tasks

RTOL, ATOL = 1e-5, 1e-6
COMMON = ["--epochs", "1", "--no-progress"]
CHAR_LM = ["train", "char_lm", "--batch-size", str(sequence_tasks.GLOBAL_BATCH), "--bptt",
           str(sequence_tasks.BPTT), "--model-args", "embedding_dim=8",
           f"hidden_size={sequence_tasks.HIDDEN}", "--val-split", "0.1", *COMMON]
TAGGER = ["train", "bilstm_tagger", "--limit-train", "64", "--limit-test", "16",
          "--batch-size", "16", "--val-split", "0", "--model-args", "hidden_size=8", *COMMON]


@pytest.fixture(scope="module")
def text_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("text") / "tiny.txt"
    path.write_text(sequence_tasks.TEXT)
    return path


def _checkpoint(folder, prefix="model."):
    arrays, info = load_checkpoint(folder / "last")
    return {k: v for k, v in arrays.items() if k.startswith(prefix)}, info


def _assert_close(got, want):
    assert got.keys() == want.keys() and got
    for k in want:
        np.testing.assert_allclose(got[k], want[k], rtol=RTOL, atol=ATOL, err_msg=k)


def _two_ranks_then_one_process(args, out):
    """Run `args` under mpiexec -n 2 (run "dp") and in this process (run "one"); check that
    rank 0 alone wrote and printed; return both runs' last checkpoints."""
    proc = mpi.run(2, "-m", "gradwork", *args, "--out", out, "--name", "dp", timeout=120,
                   GRADWORK_DIST_TIMEOUT=60)
    assert proc.stderr.count("run folder:") == 1 and proc.stdout.count("epoch 1:") == 1, \
        (proc.stdout, proc.stderr)
    assert len([f for f in os.listdir(out / "dp") if f.startswith("events.")]) == 1
    assert main([*args, "--out", str(out), "--name", "one"]) == 0
    return _checkpoint(out / "dp"), _checkpoint(out / "one")


def test_char_lm_on_two_ranks_is_one_process_on_the_global_windows(text_file, tmp_path):
    (dp, dp_info), (one, one_info) = _two_ranks_then_one_process(
        [*CHAR_LM, "--data-dir", str(text_file)], tmp_path)
    _assert_close(dp, one)
    # the logged training loss is the whole epoch's (both ranks' streams)
    assert dp_info["history"][0]["train_loss"] == \
        pytest.approx(one_info["history"][0]["train_loss"], rel=1e-5)


def test_bilstm_tagger_on_two_ranks_is_one_process_on_the_global_batch(tmp_path):
    # Sequences of 8..20 real frames: the ranks' shares hold different numbers of frames, and
    # the loss is the mean over the global batch's frames, not the mean of the ranks' means.
    (dp, dp_info), (one, one_info) = _two_ranks_then_one_process(TAGGER, tmp_path)
    _assert_close(dp, one)
    for key in ("train_loss", "train_acc1"):
        assert dp_info["history"][0][key] == \
            pytest.approx(one_info["history"][0][key], rel=1e-5), key


def test_char_lm_stopped_mid_epoch_on_two_ranks_resumes_on_one_process(text_file, tmp_path):
    # The worker also writes `last` every 2 steps before the stop: both ways of writing
    # mid-epoch (on rank 0's schedule, and when a signal stops the ranks) gather every rank's
    # state; a rank that missed the gather would leave rank 0 waiting (the watchdog's 60 s).
    stop = 5                                                    # of 16 windows an epoch
    mpi.run(2, mpi.WORKERS / "sequence_tasks.py", text_file, tmp_path, "dp", stop,
            timeout=120, GRADWORK_DIST_TIMEOUT=60)
    one = sequence_tasks.train(sequence_tasks.char_lm_config(text_file, tmp_path, "one"), stop)
    assert one.stopped and one.step == stop
    # the checkpoint holds the global state: the carried (h, c) of all 4 streams, in order
    (dp, info), (want, _) = _checkpoint(tmp_path / "dp", ""), _checkpoint(tmp_path / "one", "")
    assert info["step"] == stop and info["rng"]["loader"]["batch"] == stop
    shape = (1, sequence_tasks.GLOBAL_BATCH, sequence_tasks.HIDDEN)
    assert dp["extra.hidden.0"].shape == dp["extra.hidden.1"].shape == shape
    _assert_close(dp, want)

    # one process continues the 2-rank run and ends as one process throughout would
    assert main(["train", "--out", str(tmp_path), "--name", "dp", "--resume",
                 "--no-progress"]) == 0
    sequence_tasks.train(sequence_tasks.char_lm_config(text_file, tmp_path, "full"))
    _assert_close(_checkpoint(tmp_path / "dp")[0], _checkpoint(tmp_path / "full")[0])
