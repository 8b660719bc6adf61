"""`gradwork train --device cuda` (gradwork/cli/main.py, train/build.py prepare_model, the
trainer's batches and host-side metrics and checkpoints), in-process on the fake CuPy of
tests/fake_cupy: the same weights as on the CPU, every parameter on the device while it
trains; and without a GPU backend, a clear refusal before any run folder exists."""
import json

import numpy as np
import pytest

from gradwork.cli.main import main
from gradwork.serialization import load
from gradwork.train import load_checkpoint
from gradwork.train.trainer import Trainer
from tests import fake_cupy

SMALL = ["--limit-train", "64", "--limit-test", "32", "--batch-size", "16", "--no-progress",
         "--val-split", "0.25", "--no-augment", "--schedule", "none", "--epochs", "1"]


def _train(tmp_path, name, *extra, model="tests.cli.tiny_models:mlp"):
    return main(["train", "--model-from", model, "--name", name, "--out", str(tmp_path),
                 *SMALL, *extra])


def _weights(path):
    return {k: v for k, v in load(path, as_arrays=True).items() if k.startswith("model.")}


def _watch_device(monkeypatch, cupy, cls=Trainer):
    """Each training or evaluation forward of a `cls` asserts that every parameter, buffer and
    the batch are device arrays; returns the list of forwards seen (their training flags)."""
    seen, forward = [], cls._forward

    def checked(self, x, y):
        arrays = [t._data for t in [*self.model.parameters(), *self.model.buffers(), x, y]]
        assert all(isinstance(a, cupy.ndarray) for a in arrays), \
            [type(a).__name__ for a in arrays]
        seen.append(self.model.training)
        return forward(self, x, y)
    monkeypatch.setattr(cls, "_forward", checked)
    return seen


def test_cuda_trains_the_same_weights_as_cpu_with_every_parameter_on_the_device(
        tmp_path, monkeypatch, capsys):
    assert _train(tmp_path, "cpu") == 0
    cupy = fake_cupy.install(monkeypatch)
    seen = _watch_device(monkeypatch, cupy)
    assert _train(tmp_path, "gpu", "--device", "cuda") == 0
    assert True in seen and False in seen            # training and evaluation ran on it
    assert cupy.calls["h2d"] > 0 and cupy.calls["d2h"] > 0    # batches in, metrics out
    a, b = (_weights(tmp_path / n / "last.safetensors") for n in ("cpu", "gpu"))
    assert a.keys() == b.keys() and len(a) == 9      # 2 linear (4) + BN (weight, bias, 3 buffers)
    for k in a:                                      # host arrays in the checkpoint
        assert type(b[k]) is np.ndarray
        np.testing.assert_allclose(b[k], a[k], rtol=1e-6, atol=1e-7, err_msg=k)
    cpu, gpu = (load_checkpoint(tmp_path / n / "last")[1] for n in ("cpu", "gpu"))
    assert gpu["history"][0]["val_acc1"] == cpu["history"][0]["val_acc1"]
    assert gpu["config"]["device"] == "cuda"

    # --device is not a setting a resume must match: the GPU run resumes on the CPU
    monkeypatch.undo()
    assert _train(tmp_path, "gpu", "--epochs", "2", "--resume") == 0
    assert load_checkpoint(tmp_path / "gpu" / "last")[1]["epoch"] == 2
    capsys.readouterr()


def test_cuda_also_trains_a_tagger(tmp_path, monkeypatch):
    from gradwork.train.tagging import TaggingTrainer
    cupy = fake_cupy.install(monkeypatch)
    seen = _watch_device(monkeypatch, cupy, TaggingTrainer)
    assert main(["train", "bilstm_tagger", "--name", "t", "--out", str(tmp_path),
                 "--limit-train", "32", "--limit-test", "16", "--batch-size", "16",
                 "--epochs", "1", "--no-progress", "--device", "cuda"]) == 0
    assert True in seen and False in seen
    assert json.loads((tmp_path / "t" / "test.json").read_text())["final"]


def test_cuda_also_trains_a_language_model_and_resumes_on_it(tmp_path, monkeypatch):
    from gradwork.train.language_model import LanguageModelTrainer
    text = tmp_path / "book.txt"
    text.write_text("the cat sat on the mat; the dog sat on the log.\n" * 20)
    cupy = fake_cupy.install(monkeypatch)
    seen = _watch_device(monkeypatch, cupy, LanguageModelTrainer)
    args = ["train", "char_lm", "--name", "lm", "--out", str(tmp_path), "--data-dir",
            str(text), "--batch-size", "4", "--bptt", "8", "--no-progress", "--device", "cuda",
            "--model-args", "hidden_size=8"]
    assert main([*args, "--epochs", "1"]) == 0
    assert True in seen and False in seen
    assert json.loads((tmp_path / "lm" / "perplexity.json").read_text())["final"]
    assert main([*args, "--epochs", "2", "--resume"]) == 0


@pytest.mark.parametrize("device", ["cuda", "cuda:0"])
def test_cuda_without_a_gpu_backend_is_refused_before_any_run_folder(tmp_path, capsys,
                                                                      device):
    from gradwork import cuda
    if cuda.is_available():
        pytest.skip("this machine has a GPU backend")
    assert _train(tmp_path, "no", "--device", device) == 2
    err = capsys.readouterr().err
    assert f"--device {device}: no GPU backend" in err and "CuPy" in err
    assert not (tmp_path / "no").exists()


@pytest.mark.parametrize("device, message", [
    ("mps", "--device: must be cpu, cuda or cuda:N, got 'mps'"),
    ("cuda:1", "--device: cuda:1: gradwork trains on CuPy's current GPU; choose it with "
               "CUDA_VISIBLE_DEVICES=1 and --device cuda")])
def test_a_device_gradwork_cannot_train_on_is_refused_by_name(tmp_path, capsys, device,
                                                               message):
    with pytest.raises(SystemExit) as e:
        _train(tmp_path, "bad", "--device", device)
    assert e.value.code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "bad").exists()


def test_a_checkpoint_of_a_model_on_the_gpu_is_written_from_host_arrays(monkeypatch):
    # (before the fix the fake's device arrays reached safetensors; real CuPy refuses the
    # implicit host conversion np.require made)
    import safetensors.numpy

    import gradwork as gw
    from gradwork.train import checkpoint as ckpt
    cupy = fake_cupy.install(monkeypatch)
    model = gw.nn.Linear(3, 2).to("cuda")
    optimizer = gw.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model(gw.ones(4, 3, device="cuda")).sum().backward()
    optimizer.step()
    written, save = {}, safetensors.numpy.save

    def spy(arrays, metadata=None):
        written.update(arrays)
        return save(arrays, metadata=metadata)
    monkeypatch.setattr(safetensors.numpy, "save", spy)
    ckpt.encode(model, optimizer, epoch=0, step=1)
    assert {"model.weight", "model.bias", "optimizer.state.0.momentum_buffer"} <= set(written)
    assert all(type(a) is np.ndarray for a in written.values()), \
        {k: type(a) for k, a in written.items()}
    assert isinstance(model.weight._data, cupy.ndarray)              # the model stays there
