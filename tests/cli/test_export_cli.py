"""`gradwork export MODEL --checkpoint ... --onnx out.onnx` (gradwork/cli/main.py's export
subcommand): the file loads in onnxruntime and gives the checkpoint's outputs."""
import numpy as np
import pytest

import gradwork as gw
from gradwork.cli.main import main
from gradwork.models import get_model

ort = pytest.importorskip("onnxruntime")


def test_export_from_a_state_dict_checkpoint(tmp_path, capsys):
    model = get_model("lenet5")
    gw.save(model.state_dict(), tmp_path / "w.safetensors")
    out = tmp_path / "lenet5.onnx"
    assert main(["export", "lenet5", "--checkpoint", str(tmp_path / "w.safetensors"),
                 "--onnx", str(out), "--dynamic-batch"]) == 0
    assert "lenet5.onnx: lenet5, input (1, 32, 32), opset 17" in capsys.readouterr().out
    x = np.random.default_rng(0).standard_normal((3, 1, 32, 32)).astype(np.float32)
    (got,) = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"]).run(
        None, {"input": x})
    model.eval()
    with gw.no_grad():
        np.testing.assert_allclose(got, model(gw.tensor(x)).numpy(), atol=1e-5, rtol=1e-5)


def test_export_takes_the_registry_input_size_or_needs_one(tmp_path, capsys):
    assert main(["export", "resnet20", "--onnx", str(tmp_path / "r.onnx")]) == 0
    assert "input (3, 32, 32)" in capsys.readouterr().out       # the zoo's declared size
    assert main(["export", "--model-from", "tests.cli.tiny_models:mlp",
                 "--onnx", str(tmp_path / "m.onnx")]) == 2
    assert "needs --input-size" in capsys.readouterr().err
    assert main(["export", "resnet20", "--onnx", str(tmp_path / "r.onnx"),
                 "--input-size", "3", "8", "8"]) == 0
    assert (tmp_path / "r.onnx").exists()


def test_export_without_the_onnx_extra_is_one_line(tmp_path, capsys, monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "onnx", None)           # as if it were not installed
    assert main(["export", "lenet5", "--onnx", str(tmp_path / "l.onnx")]) == 2
    err = capsys.readouterr().err
    assert "needs the onnx package: pip install 'gradwork[onnx]'" in err
    assert "Traceback" not in err and not (tmp_path / "l.onnx").exists()
