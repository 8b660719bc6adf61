"""`gradwork train char_lm` on the bundled text or any UTF-8 file, `--resume`, and
`gradwork sample` (issue 17, item 7)."""
import json
import os

import pytest

from gradwork.cli.main import main
from gradwork.train import load_checkpoint

QUICK = ["--epochs", "1", "--batch-size", "128", "--bptt", "32", "--no-progress",
         "--model-args", "hidden_size=16", "embedding_dim=8"]


def _train(tmp_path, name, *extra):
    return main(["train", "char_lm", "--name", name, "--out", str(tmp_path), *QUICK, *extra])


def test_train_on_the_bundled_text_then_resume_then_sample(tmp_path, capsys):
    assert _train(tmp_path, "lm") == 0
    out = capsys.readouterr()
    assert "validation perplexity:" in out.out and "perplexity: train" in out.out
    run = tmp_path / "lm"
    assert {"config.json", "metrics.csv", "last.safetensors", "best.safetensors",
            "vocabulary.json", "perplexity.json", "curves.png"} <= set(os.listdir(run))
    config = json.loads((run / "config.json").read_text())
    assert config["recipe"] == "char_lm" and config["optimizer"] == "adam"   # the task's recipe
    assert config["data"] == "text" and config["model_args"]["hidden_size"] == 16
    result = json.loads((run / "perplexity.json").read_text())
    assert 1 < result["final"]["perplexity"] < 80        # below uniform over ~80 characters
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    events = EventAccumulator(str(run))
    events.Reload()
    assert {"train/perplexity", "val/perplexity", "val/loss"} <= set(events.Tags()["scalars"])

    assert main(["train", "--name", "lm", "--out", str(tmp_path), "--resume", "--epochs", "2",
                 "--no-progress"]) == 0
    _, info = load_checkpoint(run)
    assert info["epoch"] == 2 and len(info["history"]) == 2
    capsys.readouterr()

    args = ["sample", str(run), "--prompt", "The ", "--length", "60", "--temperature", "0.8",
            "--seed", "3"]
    assert main(args) == 0
    first = capsys.readouterr().out
    assert main(args) == 0
    assert capsys.readouterr().out == first                          # seeded
    assert first.startswith("The ") and len(first) == len("The ") + 60 + 1    # + print's \n
    assert main(["sample", str(run), "--prompt", "€", "--length", "5"]) == 2
    assert "--prompt has characters the run's text never had: '€'" in capsys.readouterr().err


def test_any_utf8_file_trains_and_bad_files_are_refused_without_a_run_folder(tmp_path, capsys):
    text = tmp_path / "poem.txt"
    text.write_text("Ünïcödé lines, over and over.\n" * 120, encoding="utf-8")
    assert _train(tmp_path, "mine", "--data-dir", str(text), "--batch-size", "8") == 0
    vocabulary = json.loads((tmp_path / "mine" / "vocabulary.json").read_text())
    assert "Ü" in vocabulary and len(vocabulary) == len(set("Ünïcödé lines, over and over.\n"))
    capsys.readouterr()
    for name, content, words in [
            ("empty.txt", b"", "the file is empty"),
            ("binary.bin", bytes(range(256)), "not a text file (a NUL byte at offset 0"),
            ("latin1.txt", "façade\n".encode("latin-1"), "not UTF-8"),
            ("short.txt", b"too short", "too short for one window")]:
        path = tmp_path / name
        path.write_bytes(content)
        assert _train(tmp_path, "bad", "--data-dir", str(path)) == 2
        assert words in capsys.readouterr().err
        assert not (tmp_path / "bad").exists()


@pytest.mark.parametrize("extra, words", [
    (["--data", "cifar10"], "trains on a text file"),
    (["--model-args", "no_such=1"], "no_such"),
])
def test_options_that_do_not_fit_a_language_model_are_refused(tmp_path, capsys, extra, words):
    assert _train(tmp_path, "x", *extra) == 2
    assert words in capsys.readouterr().err
