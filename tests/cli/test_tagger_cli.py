"""`gradwork train bilstm_tagger`: the framewise tagger on its generated task, end to end
(issue 17, item 6)."""
import json
import os

from gradwork.cli.main import main
from gradwork.train import load_checkpoint


def test_train_writes_a_normal_run_folder_and_the_left_to_right_variant_runs(tmp_path, capsys):
    quick = ["--out", str(tmp_path), "--epochs", "1", "--limit-train", "320", "--limit-test",
             "100", "--no-progress"]
    assert main(["train", "bilstm_tagger", "--name", "bi", *quick,
                 "--model-args", "hidden_size=8"]) == 0
    assert "test accuracy:" in capsys.readouterr().out
    run = tmp_path / "bi"
    assert {"config.json", "metrics.csv", "last.safetensors", "best.safetensors", "test.json",
            "curves.png"} <= set(os.listdir(run))
    config = json.loads((run / "config.json").read_text())
    assert config["data"] == "context-tagging" and config["recipe"] == "tagger"
    test = json.loads((run / "test.json").read_text())
    assert 0.25 < test["final"]["acc1"] <= 1
    assert main(["train", "bilstm_tagger", "--name", "uni", *quick,
                 "--model-args", "hidden_size=8", "bidirectional=false"]) == 0
    arrays, _ = load_checkpoint(tmp_path / "uni")
    assert not any(k.endswith("_reverse") for k in arrays)            # one direction only
    assert main(["train", "bilstm_tagger", "--name", "x", *quick, "--data", "cifar10"]) == 2
    assert "context-tagging task" in capsys.readouterr().err
    assert main(["sample", str(run)]) == 2
    assert "not a language model's checkpoint (model 'bilstm_tagger')" in capsys.readouterr().err
    assert main(["eval", str(run)]) == 2
    assert "not a classifier (task 'tagging')" in capsys.readouterr().err
