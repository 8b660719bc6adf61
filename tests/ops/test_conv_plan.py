"""ops/conv_plan.py: the plan names each direction's algorithm and the thread split once from
the geometry (the paths themselves are compared with PyTorch in test_conv.py)."""
import pytest

from gradwork.ops import conv_plan


@pytest.mark.parametrize("x_shape,w_shape,stride,pads,expect", [
    ((2, 4, 6, 6), (8, 4, 1, 1), (1, 1), ((0, 0), (0, 0)), ("pointwise", "gather")),
    ((2, 4, 6, 6), (8, 4, 3, 3), (1, 1), ((1, 1), (1, 1)), ("im2col", "gather")),
    ((2, 4, 6, 6), (8, 4, 3, 3), (2, 2), ((1, 1), (1, 1)), ("im2col", "col2im")),
    ((2, 2, 6, 6), (64, 2, 3, 3), (1, 1), ((1, 1), (1, 1)), ("im2col", "col2im")),   # K ≫ C
])
def test_plan_names_the_algorithm(x_shape, w_shape, stride, pads, expect):
    """The plan decides each direction's algorithm once from the geometry."""
    out_hw = tuple((n + sum(p) - k) // s + 1 for n, p, k, s in
                   zip(x_shape[2:], pads, w_shape[2:], stride))
    plan = conv_plan.ConvPlan(x_shape, w_shape, stride, pads, (1, 1), 1, out_hw)
    assert (plan.forward_algorithm, plan.input_grad_algorithm) == expect
    assert plan.split is None                                   # tiny: the calling thread
    assert repr(plan) == (f"ConvPlan(forward={expect[0]!r}, input_grad={expect[1]!r}, "
                          "split=None)")


def test_plan_splits_large_convolutions(monkeypatch):
    """Over 2²⁵ multiply-adds: a batch by samples, a single image by output rows."""
    import gradwork as gw
    before = gw.get_num_threads()
    gw.set_num_threads(2)
    try:
        args = ((8, 64, 32, 32), (64, 64, 3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1), 1, (32, 32))
        assert conv_plan.ConvPlan(*args).split == "batch"
        assert conv_plan.ConvPlan((1,) + args[0][1:], *args[1:]).split == "rows"
        monkeypatch.setattr(conv_plan, "_PARALLEL_MACS", 1 << 40)
        assert conv_plan.ConvPlan(*args).split is None
    finally:
        gw.set_num_threads(before)
