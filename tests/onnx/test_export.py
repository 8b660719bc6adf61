"""gradwork.onnx.export (gradwork/onnx/): every zoo feed-forward model (at small widths or
inputs where the full one is slow) and LSTM/GRU/RNN exported, checked by onnx.checker, run in
onnxruntime, outputs equal to gradwork's within 1e-5; unmapped layers refused by name."""
import numpy as np
import pytest

import gradwork as gw
import gradwork.nn as nn
from gradwork import models
from gradwork.models import densenet, inception_resnet, resnet, vgg
from tests.models.zoo_helpers import zero_init

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")


def randomize(model, seed=0):
    """Random weights and BatchNorm statistics (cheap for the small models here)."""
    rng = np.random.default_rng(seed)
    for name, p in model.named_parameters():
        if p.ndim > 1:
            p.data[...] = rng.standard_normal(p.shape) / np.sqrt(p[0].numel())
        elif name.endswith("weight"):
            p.data[...] = rng.uniform(0.5, 1.5, p.shape)
        else:
            p.data[...] = rng.normal(0, 0.1, p.shape)
    for name, b in model.named_buffers():
        if name.endswith("running_mean"):
            b.data[...] = rng.normal(0, 0.1, b.shape)
        elif name.endswith("running_var"):
            b.data[...] = rng.uniform(0.5, 1.5, b.shape)
    return model.eval()


def run_both(model, inputs, path, **kwargs):
    """Export, check, run in onnxruntime; return (gradwork outputs, onnxruntime outputs)."""
    inputs = inputs if isinstance(inputs, tuple) else (inputs,)
    model.eval()
    with gw.no_grad():
        want = model(*inputs)
    proto = gw.onnx.export(model, inputs, str(path), **kwargs)
    onnx.checker.check_model(onnx.load(str(path)))
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    names = [i.name for i in sess.get_inputs()]
    got = sess.run(None, {n: x.numpy() for n, x in zip(names, inputs)})
    flat = []

    def walk(o):
        if isinstance(o, (tuple, list)):
            for v in o:
                walk(v)
        else:
            flat.append(o.numpy())
    walk(want)
    assert len(got) == len(flat) == len(proto.graph.output)
    return flat, got


def assert_export_matches(model, inputs, path, atol=1e-5, rtol=1e-5, **kwargs):
    want, got = run_both(model, inputs, path, **kwargs)
    for w, o in zip(want, got):
        assert o.shape == w.shape
        np.testing.assert_allclose(o, w, atol=atol, rtol=rtol)


def _shell(cls, **attrs):
    """An instance of a zoo class with its forward() but smaller parts (VGG's classifier alone
    holds 102 M weights, slow to build for a test)."""
    m = cls.__new__(cls)
    nn.Module.__init__(m)
    for k, v in attrs.items():
        setattr(m, k, v)
    return m


def _small_vgg():
    return _shell(vgg.VGG, in_channels=3, avgpool=nn.AdaptiveAvgPool2d((7, 7)),
                  features=vgg.make_layers([8, "M", 16, "M", 16, 16, "M", 16, "M", 16, "M"],
                                           True),
                  classifier=nn.Sequential(nn.Linear(16 * 7 * 7, 32), nn.ReLU(True),
                                           nn.Dropout(), nn.Linear(32, 10)))


def _lrn_features():
    with zero_init():
        return models.get_model("alexnet_paper").features


def _short_inception_resnet():
    """The whole Inception-ResNet-v2 forward with one block per repeat (not 10/20/9)."""
    with zero_init():
        m = inception_resnet.InceptionResNetV2(num_classes=10)
    m.repeat = nn.Sequential(inception_resnet.Block35(scale=0.17))
    m.repeat_1 = nn.Sequential(inception_resnet.Block17(scale=0.10))
    m.repeat_2 = nn.Sequential(inception_resnet.Block8(scale=0.20))
    return m


def _small_alexnet():
    with zero_init():
        m = models.get_model("alexnet", num_classes=10)
    m.classifier = nn.Sequential(nn.Dropout(), nn.Linear(256 * 6 * 6, 16), nn.ReLU(True),
                                 nn.Linear(16, 10))
    return m


ZOO = {
    "lenet5": (lambda: models.get_model("lenet5"), (2, 1, 32, 32)),
    "lenet5_28": (lambda: models.get_model("lenet5_28"), (2, 1, 28, 28)),
    "alexnet (small classifier)": (_small_alexnet, (1, 3, 63, 63)),
    "alexnet_paper features (LRN)": (_lrn_features, (1, 3, 67, 67)),
    "vgg11_bn (small widths)": (_small_vgg, (2, 3, 32, 32)),
    "googlenet": (lambda: models.get_model("googlenet", num_classes=10, aux_logits=False),
                  (1, 3, 32, 32)),
    "resnet (basic, small)": (lambda: resnet.ResNet(resnet.BasicBlock, [1, 1, 1, 1],
                                                    num_classes=10), (1, 3, 32, 32)),
    "resnext (bottleneck, groups)": (lambda: resnet.ResNet(resnet.Bottleneck, [1, 1, 1, 1],
                                                           num_classes=10, groups=4,
                                                           width_per_group=4), (1, 3, 32, 32)),
    "resnet8 (CIFAR, shortcut A)": (lambda: models.get_model("resnet8"), (2, 3, 16, 16)),
    "resnet8 (CIFAR, shortcut B)": (lambda: models.get_model("resnet8", shortcut="B"),
                                    (2, 3, 16, 16)),
    "densenet (small)": (lambda: densenet.DenseNet(8, (2, 2), 16, num_classes=10),
                         (1, 3, 32, 32)),
    "densenet_bc (depth 16)": (lambda: densenet.DenseNetCIFAR(depth=16), (2, 3, 16, 16)),
    "inception_resnet_v2 (one block per repeat)": (_short_inception_resnet, (1, 3, 75, 75)),
    "segnet (small widths, MaxUnpool)": (lambda: models.get_model(
        "segnet", num_classes=3, widths=(4, 4, 8, 8, 8)), (2, 3, 32, 32)),
    "dcgan_generator": (lambda: models.get_model("dcgan_generator", nz=8, ngf=4,
                                                 image_size=32), (2, 8, 1, 1)),
    "dcgan_discriminator": (lambda: models.get_model("dcgan_discriminator", ndf=4,
                                                     image_size=32), (2, 3, 32, 32)),
}


@pytest.mark.parametrize("name", list(ZOO))
def test_zoo_model_matches_onnxruntime(name, tmp_path):
    make, shape = ZOO[name]
    model = randomize(make())
    x = gw.tensor(np.random.default_rng(1).standard_normal(shape).astype(np.float32))
    assert_export_matches(model, x, tmp_path / "model.onnx")


@pytest.mark.parametrize("cls", ["LSTM", "GRU", "RNN"])
@pytest.mark.parametrize("layers,bidirectional,batch_first", [(1, False, False),
                                                              (2, True, True), (2, False, False)])
def test_recurrent_layers_match_onnxruntime(cls, layers, bidirectional, batch_first, tmp_path):
    model = getattr(nn, cls)(5, 6, num_layers=layers, bidirectional=bidirectional,
                             batch_first=batch_first)
    rng = np.random.default_rng(0)
    x = gw.tensor(rng.standard_normal((3, 4, 5)).astype(np.float32))
    assert_export_matches(model, x, tmp_path / "rnn.onnx")
    D = 2 if bidirectional else 1
    h0 = gw.tensor(rng.standard_normal((layers * D, 3 if batch_first else 4, 6)).astype(
        np.float32))
    hx = (h0, gw.tensor(rng.standard_normal(h0.shape).astype(np.float32))) if cls == "LSTM" \
        else h0

    class WithState(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = model

        def forward(self, x, *states):
            return self.rnn(x, states if cls == "LSTM" else states[0])
    inputs = (x,) + (hx if cls == "LSTM" else (hx,))
    assert_export_matches(WithState(), inputs, tmp_path / "rnn_state.onnx")


def test_gate_order_is_converted(tmp_path):
    """ONNX's LSTM op has the gates in the order i, o, f, c: the weights in the file are
    PyTorch's i, f, g, o blocks rearranged."""
    model = nn.LSTM(2, 3)
    gw.onnx.export(model, gw.zeros(1, 1, 2), str(tmp_path / "lstm.onnx"))
    proto = onnx.load(str(tmp_path / "lstm.onnx"))
    W = [onnx.numpy_helper.to_array(t) for t in proto.graph.initializer
         if t.name.startswith("LSTM_W")][0][0]
    i, f, g, o = np.split(model.weight_ih_l0.data, 4)
    np.testing.assert_array_equal(W, np.concatenate([i, o, f, g]))


def test_activations_norms_and_transformer(tmp_path):
    layers = nn.Sequential(nn.Linear(6, 8), nn.GELU(), nn.Linear(8, 8), nn.GELU("tanh"),
                           nn.SiLU(), nn.Mish(), nn.Hardswish(), nn.SELU(), nn.ELU(0.5),
                           nn.LeakyReLU(0.2), nn.Softplus(beta=2.0), nn.PReLU(),
                           nn.LayerNorm(8), nn.Tanh(), nn.Linear(8, 4), nn.Sigmoid(),
                           nn.LogSoftmax(dim=1))
    x = gw.tensor(np.random.default_rng(2).standard_normal((3, 6)).astype(np.float32) * 3)
    assert_export_matches(randomize(layers), x, tmp_path / "act.onnx")
    conv = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.PReLU(4), nn.AvgPool2d(
        3, 2, padding=1, ceil_mode=True, count_include_pad=False), nn.AdaptiveAvgPool2d((3, 2)),
        nn.Softmax(dim=1))
    x = gw.tensor(np.random.default_rng(3).standard_normal((2, 3, 9, 10)).astype(np.float32))
    assert_export_matches(randomize(conv), x, tmp_path / "conv.onnx")
    enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0,
                                                           batch_first=True), 2)
    x = gw.tensor(np.random.default_rng(4).standard_normal((2, 5, 8)).astype(np.float32))
    assert_export_matches(randomize(enc), x, tmp_path / "enc.onnx", atol=2e-5)


def test_dynamic_batch_axis(tmp_path):
    model = randomize(models.get_model("lenet5"))
    path = tmp_path / "lenet.onnx"
    gw.onnx.export(model, gw.randn(2, 1, 32, 32), str(path), input_names=["image"],
                   output_names=["logits"], dynamic_axes={"image": {0: "batch"},
                                                          "logits": {0: "batch"}})
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    x = np.random.default_rng(0).standard_normal((5, 1, 32, 32)).astype(np.float32)
    (got,) = sess.run(["logits"], {"image": x})
    with gw.no_grad():
        np.testing.assert_allclose(got, model(gw.tensor(x)).numpy(), atol=1e-5, rtol=1e-5)
    assert sess.get_inputs()[0].shape[0] == "batch"


def test_unmapped_layers_are_refused_by_name(tmp_path):
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.GroupNorm(2, 4))
    with pytest.raises(gw.onnx.UnsupportedOperatorError,
                       match=r"layer '1' \(GroupNorm\) uses the op GroupNorm"):
        gw.onnx.export(model, gw.randn(1, 3, 8, 8), str(tmp_path / "x.onnx"))
    with pytest.raises(gw.onnx.UnsupportedOperatorError,
                       match=r"layer '0' \(LSTM\): LSTM with peephole has no ONNX mapping"):
        gw.onnx.export(nn.Sequential(nn.LSTM(3, 4, peephole=True)), gw.randn(2, 1, 3),
                       str(tmp_path / "x.onnx"))
    assert not (tmp_path / "x.onnx").exists()                 # nothing half-written


def test_export_keeps_training_mode_and_refuses_bad_arguments(tmp_path):
    model = models.get_model("lenet5")
    gw.onnx.export(model, gw.randn(1, 1, 32, 32), str(tmp_path / "a.onnx"))
    assert model.training
    with pytest.raises(ValueError, match="opset_version must be an int >= 17, got 11"):
        gw.onnx.export(model, gw.randn(1, 1, 32, 32), str(tmp_path / "a.onnx"),
                       opset_version=11)
