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
    assert "Total params: 25,514" in out and "Total multiply-adds (conv/linear): 25,408" in out


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
    args = ["--model-from", "tests.cli.tiny_models:slow_mlp", "--epochs", "4", "--out",
            str(tmp_path), *SMALL, "--limit-train", "192", "--augment"]
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


# ------------------------------------------------------------------ issue 12 and 13's runs
def test_resume_keeps_the_saved_settings_and_never_rewrites_config_json(tmp_path, capsys):
    """Issue 12, item 2: the resume command without --epochs used to extend the run to the
    default 20 epochs and rewrite config.json."""
    assert _train(tmp_path, "r", "--epochs", "1", "--schedule", "cosine") == 0
    assert "after 1 epoch\n" in capsys.readouterr().out                 # not "1 epochs"
    config = (tmp_path / "r" / "config.json").read_bytes()
    assert _train(tmp_path, "r", "--resume") == 0
    assert load_checkpoint(tmp_path / "r")[1]["epoch"] == 1            # nothing to do
    assert _train(tmp_path, "r", "--resume", "--batch-size", "8") == 2
    assert "refusing --batch-size 8 (the run has 32)" in capsys.readouterr().err
    assert _train(tmp_path, "r", "--resume", "--epochs", "2") == 0     # an explicit extension
    assert load_checkpoint(tmp_path / "r")[1]["epoch"] == 2
    change = json.loads((tmp_path / "r" / "changes.jsonl").read_text())
    assert (change["field"], change["from"], change["to"]) == ("epochs", 1, 2)
    assert (tmp_path / "r" / "config.json").read_bytes() == config


def test_resuming_a_copied_run_folder_trains_the_copy(tmp_path):
    """Issue 13, item 2: the saved out/name of the original run are not trusted."""
    import shutil
    assert _train(tmp_path / "a", "r", "--epochs", "1") == 0
    shutil.copytree(tmp_path / "a", tmp_path / "b")
    assert _train(tmp_path / "b", "r", "--epochs", "2", "--resume") == 0
    assert load_checkpoint(tmp_path / "b" / "r")[1]["epoch"] == 2
    assert load_checkpoint(tmp_path / "a" / "r")[1]["epoch"] == 1


def test_a_run_folder_never_runs_code(tmp_path, capsys):
    """Issue 13, item 1: a model named by a run folder is never imported; only --model-from
    on the command line runs a user's code."""
    marker = tmp_path / "ran"
    code = tmp_path / "my_nets.py"
    code.write_text(f"open({str(marker)!r}, 'a').write('x')\n"
                    "from tests.cli.tiny_models import mlp\n")
    argv = ["--name", "u", "--out", str(tmp_path), *SMALL, "--epochs", "1"]
    assert main(["train", "--model-from", f"{code}:mlp", *argv]) == 0
    marker.unlink()
    capsys.readouterr()
    assert main(["eval", str(tmp_path / "u")]) == 2
    assert f"pass --model-from {code}:mlp" in capsys.readouterr().err
    assert main(["train", "--name", "u", "--out", str(tmp_path), "--resume"]) == 2
    assert "never runs code because a run folder names it" in capsys.readouterr().err
    assert not marker.exists()
    assert main(["train", "tests.cli.tiny_models:mlp", "--name", "u2", "--out", str(tmp_path)]) == 2
    assert "--model-from tests.cli.tiny_models:mlp" in capsys.readouterr().err
    assert main(["eval", str(tmp_path / "u"), "--model-from", f"{code}:mlp"]) == 0
    assert marker.exists()                                  # named on the command line: runs


def test_a_second_run_on_a_locked_folder_is_refused(tmp_path, capsys):
    """Issue 13, item 3: two `gradwork train --name X` at once must not clobber each other."""
    from gradwork.train.runlock import RunLock
    (tmp_path / "busy").mkdir()
    with RunLock(tmp_path / "busy"):
        assert _train(tmp_path, "busy", "--epochs", "1") == 2
    err = capsys.readouterr().err
    assert f"lock is held by process {os.getpid()}" in err
    assert not (tmp_path / "busy" / "config.json").exists()


@pytest.mark.parametrize("model, words", [
    ("dcgan_generator", "is a gan model"), ("seq2seq_attention", "is a seq2seq model"),
    ("show_and_tell", "is a captioning model"),
    ("vgg11", "built for 3×224×224 inputs; pad the images with --pad 98")])
def test_models_train_cannot_take_are_refused_before_a_run_folder_exists(tmp_path, capsys,
                                                                          model, words):
    """Issue 12, item 5: a clear refusal, no traceback, no empty run folder."""
    assert _train(tmp_path, "x", "--epochs", "1", model=model) == 2
    assert words in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_googlenet_trains_with_its_auxiliary_losses(tmp_path, capsys):
    """Issue 12, item 5: googlenet's training outputs (main + two auxiliary heads) used to
    crash the trainer."""
    assert main(["train", "googlenet", "--name", "g", "--out", str(tmp_path), "--epochs", "1",
                 "--limit-train", "16", "--limit-test", "8", "--batch-size", "8",
                 "--val-split", "0", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "test accuracy:" in out and "validation numbers (and the best model) were chosen on " \
        "this test set" in out


def test_train_reports_test_accuracy_of_final_and_best_models(tmp_path, capsys):
    """Issue 12, item 3: validation is held out of the training set; the test set is used once
    per run, for the final and the best model."""
    assert _train(tmp_path, "v", "--epochs", "1") == 0
    out = capsys.readouterr().out
    assert "final model after 1 epoch" in out and "best model on validation (epoch 1)" in out
    results = json.loads((tmp_path / "v" / "test.json").read_text())
    assert set(results) == {"final", "best", "validation"}
    assert results["validation"] == "0.1 of the training set"


def test_summary_needs_no_input_size_and_refuses_what_cannot_fit(capsys):
    """Issue 12, item 7: each zoo model's natural input comes from the registry (token and
    captioning models included); an input that cannot fit is refused before anything is
    allocated, with the estimate."""
    assert main(["summary", "seq2seq_attention"]) == 0
    assert "seq2seq_attention, input (16,)" in capsys.readouterr().out
    assert main(["summary", "dcgan_generator"]) == 0
    assert main(["summary", "alexnet_paper"]) == 0
    assert "input (3, 227, 227)" in capsys.readouterr().out
    assert main(["summary", "vgg16", "--input-size", "3", "100000", "100000"]) == 2
    assert "GiB for its forward pass (estimate)" in capsys.readouterr().err


def test_plot_writes_into_the_run_folder_and_skips_folders_without_metrics(tmp_path, capsys,
                                                                           monkeypatch):
    """Issue 12, item 12: never into the current folder unasked; no crash on a folder without
    metrics.csv."""
    _train(tmp_path, "a", "--epochs", "1")
    (tmp_path / "empty").mkdir()
    (tmp_path / "cwd").mkdir()
    monkeypatch.chdir(tmp_path / "cwd")
    capsys.readouterr()
    assert main(["plot", str(tmp_path / "a"), str(tmp_path / "empty")]) == 0
    assert "skipping" in capsys.readouterr().err
    assert (tmp_path / "a" / "curves-compared.png").read_bytes()[:4] == b"\x89PNG"
    assert os.listdir(tmp_path / "cwd") == []
    assert main(["plot", str(tmp_path / "empty")]) == 2


def test_train_options_default_to_train_config(capsys):
    """Issue 14, item 5: the CLI reads its defaults from TrainConfig (they cannot drift)."""
    from gradwork.cli.main import _new_config, build_parser
    from gradwork.train.config import TrainConfig
    args = build_parser().parse_args(["train", "lenet5", "--name", "n"])
    assert _new_config(args) == TrainConfig("lenet5", name="n", progress=True)
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "learning rate (default: 0.05)" in help_text and "(default: 20)" in help_text


def test_the_printed_resume_command_resumes_the_run_that_was_started(tmp_path, capsys,
                                                                      monkeypatch):
    """Issue 12, item 2: the command printed on Ctrl-C dropped --epochs, so it extended the
    run to the default 20 epochs."""
    import shlex

    from gradwork.train.trainer import Trainer
    write = Trainer._checkpoint

    def write_then_stop(self, acc):               # as if Ctrl-C came during epoch 1
        write(self, acc)
        self._stop_requested = True
    monkeypatch.setattr(Trainer, "_checkpoint", write_then_stop)
    assert _train(tmp_path, "s", "--epochs", "3") == 130
    command = capsys.readouterr().err.split("Continue with: ")[1].strip()
    monkeypatch.setattr(Trainer, "_checkpoint", write)
    assert main(shlex.split(command)[1:] + ["--no-progress"]) == 0
    assert load_checkpoint(tmp_path / "s")[1]["epoch"] == 3
