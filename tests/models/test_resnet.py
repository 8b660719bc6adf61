import numpy as np
import pytest

import gradwork as gw
from gradwork.models import get_model

from . import torchvision_reference as tv
from .zoo_helpers import (
    assert_grads_match_torch,
    assert_matches_torch,
    assert_round_trip,
    count_macs,
    count_params,
    key_shapes,
    needs_layers,
    torch_meta,
    torch_random,
    training_step_lowers_loss,
    zero_init,
)

pytestmark = needs_layers("Conv2d", "MaxPool2d", "AdaptiveAvgPool2d", "BatchNorm2d")

# torchvision's published parameter counts and GFLOPS (multiply-adds of conv + fc at 224×224)
PUBLISHED = {"resnet18": (11_689_512, 1.81), "resnet34": (21_797_672, 3.66),
             "resnet50": (25_557_032, 4.09), "resnet101": (44_549_160, 7.80),
             "resnet152": (60_192_808, 11.51)}
# He et al. Table 1 FLOPs (deck 000 Figure 2); for the bottleneck nets the paper strides the
# first 1×1 conv, torchvision (and gradwork) the 3×3 conv, which costs 0.2–0.3 G more
PAPER_GFLOPS = {"resnet18": 1.8, "resnet34": 3.6, "resnet50": 3.8, "resnet101": 7.6,
                "resnet152": 11.3}


def macs_at_224(model):
    """Every spatial size of a ResNet at 224×224 is exactly 7× its size at 32×32
    (32 → 16 → 8 → 4 → 2 → 1 against 224 → 112 → 56 → 28 → 14 → 7), so conv multiply-adds
    scale by 49 and the fc's do not: a cheap forward at 32×32 gives the exact 224×224 count."""
    conv, linear = count_macs(model, gw.zeros(1, 3, 32, 32))
    return 49 * conv + linear


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_parameters_keys_and_multiply_adds(name, fast_init):
    model = get_model(name)
    params, gflops = PUBLISHED[name]
    assert count_params(model) == params
    assert key_shapes(model.state_dict()) == key_shapes(torch_meta(tv.builder(name)).state_dict())
    macs = macs_at_224(model)
    assert macs / 1e9 == pytest.approx(gflops, abs=0.006)
    assert macs / 1e9 == pytest.approx(PAPER_GFLOPS[name], rel=0.09)


def test_the_224_scaling_argument_holds(fast_init):
    model = get_model("resnet18")
    conv32, _ = count_macs(model, gw.zeros(1, 3, 32, 32))
    conv64, _ = count_macs(model, gw.zeros(1, 3, 64, 64))
    assert conv64 == 4 * conv32


@pytest.mark.parametrize("name", ["resnet18", "resnet50"])
def test_matches_torchvision(name, tmp_path):
    with zero_init():
        model = get_model(name, num_classes=10)
    x = np.random.default_rng(0).standard_normal((4, 3, 64, 64)).astype(np.float32)
    ref = torch_random(tv.builder(name, num_classes=10))
    assert_matches_torch(model, ref, x, tmp_path)
    if name == "resnet18":
        assert_grads_match_torch(model, ref, x, np.array([1, 4, 7, 9]))


@pytest.mark.parametrize("depth", [18, 34, 50, 101, 152])
def test_plain_nets_drop_only_the_shortcuts(depth, fast_init):
    resnet = get_model(f"resnet{depth}").state_dict()
    plain = get_model(f"plain{depth}").state_dict()
    assert [k for k in resnet if "downsample" not in k] == list(plain)
    if depth in (18, 50):
        with gw.no_grad():
            model = get_model(f"plain{depth}", num_classes=3).eval()
            assert model(gw.zeros(1, 3, 32, 32)).shape == (1, 3)


def test_plain_block_has_no_identity_path(fast_init):
    # with zero weights F(x) = 0: a residual block returns ReLU(0 + x) = x, a plain block 0
    x = gw.randn(1, 64, 4, 4).relu()
    plain, residual = get_model("plain18").layer1[0], get_model("resnet18").layer1[0]
    for p in list(plain.parameters()) + list(residual.parameters()):
        p.data[...] = 0
    with gw.no_grad():
        np.testing.assert_array_equal(plain.eval()(x).numpy(), 0)
        np.testing.assert_array_equal(residual.eval()(x).numpy(), x.numpy())


def test_zero_init_residual(fast_init):
    for flag, value in ((True, 0), (False, 1)):
        model = get_model("resnet50", zero_init_residual=flag)
        blocks = [b for layer in (model.layer1, model.layer2, model.layer3, model.layer4)
                  for b in layer]
        assert all(np.all(b.bn3.weight.detach().numpy() == value) for b in blocks)
        assert all(np.all(b.bn2.weight.detach().numpy() == 1) for b in blocks)


def test_resnet18_trains_round_trips_and_checks_input(tmp_path):
    model = get_model("resnet18", num_classes=4)
    x, y = gw.randn(4, 3, 32, 32), gw.tensor(np.arange(4))
    training_step_lowers_loss(model, x, y, lr=0.005)
    assert_round_trip(model, lambda: get_model("resnet18", num_classes=4), x, tmp_path)
    with pytest.raises(ValueError, match=r"ResNet: expected input of shape \(N, 3, H, W\), "
                                         r"got \(2, 1, 32, 32\)"):
        model(gw.randn(2, 1, 32, 32))
    assert get_model("resnet18", in_channels=1).eval()(gw.randn(1, 1, 28, 28)).shape == (1, 1000)


def test_stride_in_1x1_is_the_papers_v1_bottleneck():
    """He et al.'s Table 1 strides the bottleneck's first 1×1 (v1); torchvision the 3×3
    (v1.5). Same parameters, same output shape, fewer multiply-adds for v1."""
    from gradwork.models import resnet18, resnet50
    from gradwork.tools.summary import summary
    v1, v15 = resnet50(stride_in_1x1=True), resnet50()
    first = v1.layer2[0]
    assert first.conv1.stride == (2, 2) and first.conv2.stride == (1, 1)
    assert v15.layer2[0].conv1.stride == (1, 1) and v15.layer2[0].conv2.stride == (2, 2)
    assert v1.layer1[0].conv1.stride == (1, 1)            # stage 1 does not downsample
    s1, s15 = summary(v1, (3, 64, 64)), summary(v15, (3, 64, 64))
    assert s1.total_params == s15.total_params == 25_557_032
    assert s1.rows[-1].output_shape == s15.rows[-1].output_shape
    assert s1.total_macs < s15.total_macs
    with pytest.raises(ValueError, match="stride_in_1x1"):
        resnet18(stride_in_1x1=True)
