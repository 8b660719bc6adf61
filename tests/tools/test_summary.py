"""summary(): per-layer shapes, parameters, multiply-adds, memory, totals."""
import pytest

import gradwork as gw
from gradwork import nn
from gradwork.tools.summary import summary


def test_mlp_summary_counts():
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
    s = summary(model, (1, 28, 28), batch_size=2)
    assert [r.type for r in s.rows] == ["Flatten", "Linear", "ReLU", "Linear"]
    assert [r.output_shape for r in s.rows] == [(2, 784), (2, 256), (2, 256), (2, 10)]
    assert [r.params for r in s.rows] == [0, 784 * 256 + 256, 0, 2570]
    assert s.total_params == s.trainable_params == 203_530
    assert s.total_macs == 2 * (784 * 256 + 256 * 10)          # batch of 2
    assert s.rows[1].memory_bytes == 2 * 256 * 4
    assert s.activation_bytes == 4 * 2 * (784 + 784 + 256 + 256 + 10)
    text = str(s)
    assert "1 (Linear)" in text and "Total params: 203,530" in text


def test_shared_parameters_are_counted_once_and_modes_restored():
    layer = nn.Linear(4, 4)
    model = nn.Sequential(layer, nn.ReLU(), layer)
    model.train()
    s = summary(model, (4,))
    assert [r.params for r in s.rows] == [20, 0, 0] and s.total_params == 20
    assert model.training


def test_conv_macs_and_lenet5():
    conv = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1, groups=1))
    assert summary(conv, (3, 16, 16)).total_macs == 8 * 16 * 16 * 3 * 3 * 3
    from gradwork import models
    s = summary(models.get_model("lenet5"), (1, 32, 32))
    assert s.total_params == 61_706
    assert s.total_macs == 416_520                          # WORKLOADS.md, W1 per sample


def test_bad_arguments():
    with pytest.raises(ValueError, match="input_size"):
        summary(nn.Linear(2, 2), (0, 2))
    with pytest.raises(TypeError, match="Module"):
        summary(gw.zeros(2), (2,))


def test_vgg16_reproduces_deck_002_table():
    """Deck 002's VGG-16 rows: 138 M parameters; conv/pool/FC outputs 3.2M, 3.2M, 800K, …,
    1000 values (ReLU in place), 30.94 GFLOP forward (WORKLOADS.md's W4)."""
    from gradwork import models
    s = summary(models.get_model("vgg16"), (3, 224, 224))
    assert s.total_params == 138_357_544
    assert 2 * s.total_macs == 30_940_528_640
    stored = [r for r in s.rows if not r.in_place and r.type != "AdaptiveAvgPool2d"]
    values = [r.memory_bytes // 4 for r in stored]
    deck = ([224 * 224 * 64] * 2 + [112 * 112 * 64] + [112 * 112 * 128] * 2 + [56 * 56 * 128]
            + [56 * 56 * 256] * 3 + [28 * 28 * 256] + [28 * 28 * 512] * 3 + [14 * 14 * 512]
            + [14 * 14 * 512] * 3 + [7 * 7 * 512] + [4096, 4096, 1000])
    assert values == deck
    assert s.input_bytes // 4 == 224 * 224 * 3


def test_binary_layers_show_one_bit_and_their_packed_bytes():
    """A binary layer stores ⌈n/64⌉ words per channel + a float32 α (+ bias); a real one 32
    bits per parameter (issue 18)."""
    model = nn.Sequential(nn.XNORConv2d(3, 4, 3, bias=False), nn.Flatten(),
                          nn.BinaryLinear(4 * 4 * 4, 5), nn.Linear(5, 2))
    s = summary(model, (3, 6, 6))
    rows = {r.type: r for r in s.rows}
    assert (rows["XNORConv2d"].weight_bits, rows["XNORConv2d"].stored_bytes) == (1, 4 * 8 + 16)
    assert (rows["BinaryLinear"].weight_bits, rows["BinaryLinear"].stored_bytes) == \
        (1, 5 * 8 + 20 + 20)
    assert (rows["Linear"].weight_bits, rows["Linear"].stored_bytes) == (32, 12 * 4)
    assert s.stored_bytes == 48 + 80 + 48
    assert " 1 " in str(s).splitlines()[3]
