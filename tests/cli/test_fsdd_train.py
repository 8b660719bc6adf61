"""`gradwork train <digit model> --data fsdd`: the run folder, curves and confusion matrix, on
the twelve FSDD recordings shipped in tests/data/fsdd_recordings (CC BY-SA 4.0)."""
import os

from gradwork.cli.main import main

ROOT = os.path.join(os.path.dirname(__file__), "..", "data", "fsdd_recordings")


def test_train_and_eval_on_fsdd(tmp_path, capsys):
    args = ["train", "digit_gru", "--data", "fsdd", "--data-dir", ROOT, "--epochs", "1",
            "--batch-size", "3", "--optimizer", "adam", "--lr", "0.003", "--out",
            str(tmp_path), "--name", "digits", "--no-progress"]
    assert main(args) == 0
    run = tmp_path / "digits"
    for name in ("config.json", "metrics.csv", "curves.png", "best.safetensors"):
        assert (run / name).exists(), name
    assert main(["eval", str(run)]) == 0
    out = capsys.readouterr().out
    assert "digit_gru on fsdd (6 test samples)" in out
    assert (run / "confusion_matrix.png").exists()
