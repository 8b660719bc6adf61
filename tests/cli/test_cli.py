"""The `gradwork` command: train/resume/eval/models/summary/plot, its errors, and a run killed
with SIGKILL and resumed ending bit-identical to an uninterrupted one."""
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from gradwork.cli.main import main
from gradwork.serialization import load
from gradwork.train import load_checkpoint

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MLP = "tests.cli.tiny_models:mlp"
SMALL = ["--limit-train", "256", "--limit-test", "100", "--batch-size", "32", "--no-progress"]


def _train(tmp_path, name, *extra, model=None):
    how = ["--model-from", MLP] if model is None else [model]
    return main(["train", *how, "--name", name, "--out", str(tmp_path), *SMALL, *extra])


def _model_weights(path):
    return {k: v for k, v in load(path, as_arrays=True).items() if k.startswith("model.")}


def test_train_writes_the_run_folder_and_resumes(tmp_path, capsys):
    assert _train(tmp_path, "r", "--epochs", "1", "--lr", "0.05", "--schedule", "cosine") == 0
    run = tmp_path / "r"
    assert {"config.json", "metrics.csv", "last.safetensors", "last.json", "best.safetensors",
            "best.json", "curves.png"} <= set(os.listdir(run))
    config = json.loads((run / "config.json").read_text())
    assert config["model"] == MLP and config["lr"] == 0.05 and config["limit_train"] == 256
    assert "test accuracy:" in capsys.readouterr().out

    assert _train(tmp_path, "r", "--epochs", "1") == 2          # never overwrite a run
    assert "already holds a trained run" in capsys.readouterr().err

    assert _train(tmp_path, "r", "--epochs", "2", "--lr", "9", "--resume") == 2
    assert "refusing --lr 9.0 (the run has 0.05)" in capsys.readouterr().err
    assert _train(tmp_path, "r", "--epochs", "2", "--resume") == 0
    assert "extending" in capsys.readouterr().err
    _, info = load_checkpoint(run)
    assert info["epoch"] == 2 and info["step"] == 16    # 230 of 256 train (26 validate)
    assert [row["epoch"] for row in info["history"]] == [1, 2]
    assert info["config"]["lr"] == 0.05


def test_eval_prints_accuracy_per_class_and_writes_a_confusion_matrix(tmp_path, capsys):
    _train(tmp_path, "e", "--epochs", "1")
    capsys.readouterr()
    assert main(["eval", str(tmp_path / "e" / "best.safetensors"), "--limit-test", "50",
                 "--model-from", MLP]) == 0
    out = capsys.readouterr().out
    assert "accuracy:" in out and out.count("(5 samples)") == 10
    assert (tmp_path / "e" / "confusion_matrix.png").read_bytes()[:4] == b"\x89PNG"


def test_plot_overlays_runs(tmp_path, capsys):
    _train(tmp_path, "a", "--epochs", "1")
    _train(tmp_path, "b", "--epochs", "1", "--optimizer", "adam", "--lr", "0.001")
    out = tmp_path / "ab.png"
    assert main(["plot", str(tmp_path / "a"), str(tmp_path / "b"), "--output", str(out)]) == 0
    assert out.read_bytes()[:4] == b"\x89PNG"


def test_models_and_summary(capsys):
    assert main(["models"]) == 0
    assert "lenet5" in capsys.readouterr().out.split()
    assert main(["summary", "--model-from", MLP, "--input-size", "1", "28", "28",
                 "--num-classes", "10"]) == 0
    out = capsys.readouterr().out
    assert "Total params: 25,514" in out and "Total mult-adds (conv/linear): 25,408" in out


def test_errors_say_what_is_valid(tmp_path, capsys):
    assert _train(tmp_path, "x", "--epochs", "1", model="no_such_net") == 2
    assert "valid names are:" in capsys.readouterr().err
    assert _train(tmp_path, "x", "--epochs", "1", "--data", "cifar10") == 2
    assert "needs --data-dir" in capsys.readouterr().err
    assert _train(tmp_path, "x", "--data-dir", str(tmp_path / "nowhere")) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["train", "--model-from", MLP, "--resume", "--out", str(tmp_path)]) == 2
    assert "--resume needs --name" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["train", "--model-from", MLP, "--data", "imagenet"])
    assert "invalid choice" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["summary", "lenet5", "--input-size", "0", "28"])
    err = capsys.readouterr().err
    assert "argument --input-size: must be a positive integer, got '0'" in err
    assert "_positive_int" not in err and "invalid" not in err


def test_sigkill_and_resume_end_bit_identical(tmp_path):
    """Kill `python -m gradwork train` once its first checkpoint exists, resume it, and
    compare its final weights with an uninterrupted run's."""
    args = ["--model-from", "tests.cli.tiny_models:slow_mlp", "--epochs", "4", "--out", str(tmp_path), *SMALL,
            "--limit-train", "192", "--augment"]
    env = {**os.environ, "PYTHONPATH": ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen([sys.executable, "-m", "gradwork", "train", *args, "--name",
                             "killed"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    checkpoint = tmp_path / "killed" / "last.safetensors"
    deadline = time.monotonic() + 60
    while not checkpoint.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    killed_at = load_checkpoint(checkpoint)[1]["epoch"]
    assert 1 <= killed_at < 4, "the run must be killed before its end"

    resumed = subprocess.run([sys.executable, "-m", "gradwork", "train", *args, "--name",
                              "killed", "--resume"], cwd=ROOT, env=env, capture_output=True,
                             text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    assert main(["train", *args, "--name", "whole"]) == 0          # uninterrupted, in-process
    a, b = _model_weights(checkpoint), _model_weights(tmp_path / "whole" / "last.safetensors")
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)
    assert load_checkpoint(checkpoint)[1]["step"] == 4 * 6      # 173 of 192 train: 6 batches


_KILL_AFTER_FIRST_CHECKPOINT = """
import os, signal, sys
from gradwork.cli.main import main
from gradwork.train.trainer import Trainer
write = Trainer._checkpoint
def write_then_die(self, acc):
    write(self, acc)
    os.kill(os.getpid(), signal.SIGKILL)        # killed right after epoch 1's checkpoint
Trainer._checkpoint = write_then_die
main(sys.argv[1:])
"""


def test_lenet5_killed_after_epoch_1_resumes_bit_exact_with_two_threads(tmp_path):
    """Issue 12, item 1: with 2 threads, a validation pass big enough to start the thread
    pool (here 154 samples) used to leave every later GEMM of the main thread on one OpenBLAS
    thread, while the resumed process started with two: other roundings in every parameter.
    Now a GEMM's thread count never depends on what ran before; parameters and optimizer
    state match byte for byte."""
    env = {**os.environ, "PYTHONPATH": ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""),
           "OPENBLAS_NUM_THREADS": "2", "OMP_NUM_THREADS": "2"}
    args = ["lenet5", "--epochs", "2", "--out", str(tmp_path), "--limit-train", "512",
            "--val-split", "0.3", "--limit-test", "16", "--no-progress"]

    def gradwork(*extra, code=None):
        cmd = [sys.executable, "-c", code, "train"] if code else \
            [sys.executable, "-m", "gradwork", "train"]
        return subprocess.run([*cmd, *extra], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=300)
    assert gradwork(*args, "--name", "whole").returncode == 0
    killed = gradwork(*args, "--name", "killed", code=_KILL_AFTER_FIRST_CHECKPOINT)
    assert killed.returncode == -signal.SIGKILL
    assert load_checkpoint(tmp_path / "killed")[1]["epoch"] == 1
    resumed = gradwork("--name", "killed", "--out", str(tmp_path), "--resume", "--no-progress")
    assert resumed.returncode == 0, resumed.stderr
    a = load(tmp_path / "whole" / "last.safetensors", as_arrays=True)
    b = load(tmp_path / "killed" / "last.safetensors", as_arrays=True)
    assert a.keys() == b.keys() and any(k.startswith("optimizer.") for k in a)
    for k in a:
        assert a[k].tobytes() == b[k].tobytes(), k
    assert load_checkpoint(tmp_path / "killed")[1]["epoch"] == 2
