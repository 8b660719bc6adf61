"""nn/binary_packed.py: packed (1-bit) models compute what the trained model computes, the
file round-trips, it is ≥ 31× smaller for large binary layers, and bad input is named."""
import os

import numpy as np
import pytest

import gradwork as gw
from gradwork import nn
from gradwork.models import get_model
from gradwork.nn.binary_packed import (
    PackedBinaryConv2d,
    PackedBinaryLinear,
    export_packed,
    load_packed,
    pack_model,
)
from gradwork.serialization import load, save


def _trained_like(name):
    model = get_model(name)
    model.train()
    model(gw.randn(4, 1, 32, 32))                    # running statistics move
    return model.eval()


@pytest.mark.parametrize("name", ["xnor_lenet5", "bwn_lenet5"])
def test_packed_model_and_file_compute_what_the_model_computes(name, tmp_path):
    model, x = _trained_like(name), gw.randn(3, 1, 32, 32)
    y = model(x).detach().numpy()
    np.testing.assert_allclose(pack_model(model)(x).detach().numpy(), y, atol=1e-5)
    path = tmp_path / "net.safetensors"
    export_packed(model, path)
    loaded = load_packed(get_model(name), path)
    np.testing.assert_allclose(loaded(x).detach().numpy(), y, atol=1e-5)


def test_xnor_layer_with_scale_and_padding_matches_the_layer():
    layer = nn.XNORConv2d(70, 5, 3, stride=2, padding=1, scale_input=True).eval()
    x = gw.randn(2, 70, 7, 6)
    packed = PackedBinaryConv2d.from_module(layer)
    np.testing.assert_allclose(packed(x).detach().numpy(), layer(x).detach().numpy(), rtol=1e-5,
                               atol=1e-5)
    lin = nn.XNORLinear(70, 4, scale_input=True)
    v = gw.randn(3, 70)
    np.testing.assert_allclose(PackedBinaryLinear.from_module(lin)(v).detach().numpy(),
                               lin(v).detach().numpy(), rtol=1e-5, atol=1e-5)


def test_file_is_at_least_31x_smaller_for_a_large_binary_layer(tmp_path):
    model = nn.Sequential(nn.XNORConv2d(512, 512, 3, padding=1, bias=False))
    save(model.state_dict(), tmp_path / "float.safetensors")
    export_packed(model, tmp_path / "packed.safetensors")
    ratio = os.path.getsize(tmp_path / "float.safetensors") / \
        os.path.getsize(tmp_path / "packed.safetensors")
    assert ratio >= 31, ratio


def test_wrong_word_count_in_the_file_is_named(tmp_path):
    path = tmp_path / "net.safetensors"
    export_packed(_trained_like("xnor_lenet5"), path)
    arrays = load(path, as_arrays=True)
    arrays["features.3.conv.weight_bits"] = arrays["features.3.conv.weight_bits"][:, :1].copy()
    from gradwork.serialization import load_metadata
    save(arrays, path, metadata=load_metadata(path))
    with pytest.raises(ValueError, match=r"features\.3\.conv\.weight_bits must be uint64 of "
                       r"shape \(16, 3\).*got uint64 \(16, 1\)"):
        load_packed(get_model("xnor_lenet5"), path)


def test_non_binary_weights_and_real_layers_are_refused():
    with pytest.raises(ValueError, match=r"must be binary.*output channel 0"):
        PackedBinaryConv2d.from_weights(np.random.default_rng(0).standard_normal((2, 3, 3, 3)))
    with pytest.raises(ValueError, match="must be a BinaryConv2d or XNORConv2d, got Conv2d"):
        PackedBinaryConv2d.from_module(nn.Conv2d(3, 2, 3))
    binary = np.where(np.arange(54).reshape(2, 3, 3, 3) % 2, 0.5, -0.5)
    PackedBinaryConv2d.from_weights(binary)                  # ±α: accepted


def test_channel_mismatch_is_named():
    packed = PackedBinaryConv2d.from_module(nn.XNORConv2d(6, 4, 3))
    with pytest.raises(ValueError, match=r"input must have shape \(N, 6, H, W\).*got \(1, 5, "):
        packed(gw.randn(1, 5, 8, 8))
    lin = PackedBinaryLinear.from_module(nn.XNORLinear(6, 4))
    with pytest.raises(ValueError, match=r"6 features.*got shape \(2, 7\)"):
        lin(gw.randn(2, 7))


def test_unpacked_signs_equal_the_binarised_weights():
    layer = nn.BinaryConv2d(5, 3, (2, 3), groups=1)
    packed = PackedBinaryConv2d.from_module(layer)
    w = layer.weight.detach().numpy()
    alpha = np.abs(w).mean(axis=(1, 2, 3), keepdims=True)
    np.testing.assert_allclose(packed.signs_weight(), np.where(w >= 0, 1, -1) * alpha, rtol=1e-6)
