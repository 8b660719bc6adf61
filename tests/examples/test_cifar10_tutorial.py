"""examples/cifar10_tutorial.py — PyTorch's "Training a Classifier" tutorial with only the
imports changed — runs to the end on the bundled digits (a few steps: TUTORIAL_STEPS)."""
import pathlib
import runpy

SCRIPT = pathlib.Path(__file__).resolve().parents[2] / "examples" / "cifar10_tutorial.py"


def test_tutorial_runs_unchanged(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TUTORIAL_STEPS", "5")
    runpy.run_path(str(SCRIPT), run_name="__main__")
    out = capsys.readouterr().out
    assert "Finished Training" in out
    assert "Accuracy of the network on the 20 test images:" in out
    assert out.count("Accuracy for class:") >= 1
    assert (tmp_path / "cifar_net.pth").stat().st_size > 0      # torch.save wrote the weights
