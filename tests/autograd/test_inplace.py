"""In-place changes (gradwork/autograd/tensor.py) and the version counters that catch a
modified saved tensor at backward time."""
import numpy as np
import pytest

import gradwork as gw


def test_in_place_on_a_leaf_that_requires_grad_is_an_error():
    x = gw.randn(3, requires_grad=True)
    for op in (lambda: x.add_(1.0), lambda: x.mul_(2.0), lambda: x.zero_(),
               lambda: x.__setitem__(0, 1.0), lambda: x.copy_(gw.zeros(3))):
        with pytest.raises(RuntimeError, match="a leaf Tensor that requires grad is being used in "
                                               "an in-place operation"):
            op()
    with gw.no_grad():
        x.mul_(2.0)            # allowed: this is how optimisers update parameters


def test_in_place_on_a_non_leaf_is_an_error():
    x = gw.randn(3, requires_grad=True)
    y = x * 2.0
    with pytest.raises(RuntimeError, match="part of the autograd graph"):
        y.add_(1.0)


def test_modifying_a_saved_input_then_backward_raises():
    x = gw.randn(3, requires_grad=True)
    w = gw.randn(3)
    y = (x * w).sum()              # Mul saved w
    w.mul_(2.0)
    with pytest.raises(RuntimeError, match=r"backward of Mul: .*modified by an in-place operation"):
        y.backward()


def test_modifying_a_saved_leaf_under_no_grad_then_backward_raises():
    x = gw.randn(3, requires_grad=True)
    y = (x * x).sum()
    with gw.no_grad():
        x.add_(1.0)
    with pytest.raises(RuntimeError, match="in-place"):
        y.backward()


def test_modifying_a_saved_output_then_backward_raises():
    x = gw.randn(3, requires_grad=True)
    y = x.exp()                    # Exp's backward reads its output
    with gw.no_grad():
        y.mul_(2.0)
    with pytest.raises(RuntimeError, match=r"backward of Exp: .*in-place"):
        y.sum().backward()


def test_modifying_through_a_view_or_detached_alias_is_caught():
    x = gw.randn(4, requires_grad=True)
    w = gw.randn(4)
    y = (x * w).sum()
    w[1:3].fill_(0.0)              # basic slicing is a view sharing w's version counter
    with pytest.raises(RuntimeError, match="in-place"):
        y.backward()
    z = gw.randn(3, requires_grad=True)
    h = z.tanh()
    with gw.no_grad():
        h.detach().zero_()
    with pytest.raises(RuntimeError, match="in-place"):
        (h * 1.0).sum().backward()


def test_ops_that_do_not_save_an_input_allow_changing_it():
    x, w = gw.randn(3, requires_grad=True), gw.randn(3)
    y = (x + w).sum()              # add's backward never reads its inputs (as PyTorch)
    w.add_(1.0)
    y.backward()
    np.testing.assert_array_equal(x.grad.data, np.ones(3, np.float32))
    z = x.exp()                    # exp keeps its output, not its input
    with gw.no_grad():
        x2 = x.detach()
        x2.add_(0.0)
    z.sum().backward()


def test_in_place_methods_compute_the_right_values():
    t = gw.tensor([1.0, -2.0, 3.0])
    t.add_(1.0).mul_(2.0).sub_(gw.tensor([1.0, 1.0, 1.0])).div_(2.0)
    np.testing.assert_allclose(t.data, [1.5, -1.5, 3.5])
    t.clamp_(-1.0, 2.0)
    np.testing.assert_allclose(t.data, [1.5, -1.0, 2.0])
    t.add_(gw.ones(3), alpha=-0.5)
    np.testing.assert_allclose(t.data, [1.0, -1.5, 1.5])
    assert t.dtype == np.float32


def test_augmented_assignment_updates_in_place_like_pytorch():
    p = gw.tensor([1.0, 2.0], requires_grad=True)
    (p * p).sum().backward()
    alias = p
    with gw.no_grad():
        p -= 0.5 * p.grad          # the manual SGD idiom must reach the parameter itself
    assert p is alias and p.is_leaf and p.requires_grad
    np.testing.assert_allclose(p.data, [0.0, 0.0])
    c = gw.ones(2)
    c_alias = c
    c += 1.0
    c *= gw.tensor([2.0, 3.0])
    c /= 2.0
    assert c is c_alias
    np.testing.assert_allclose(c.data, [2.0, 3.0])
    with pytest.raises(RuntimeError, match="leaf Tensor that requires grad"):
        p += 1.0
    x = gw.randn(2, requires_grad=True)
    h = x * 2.0
    h += 1.0                       # inside the graph: same value as PyTorch, gradient flows
    h.sum().backward()
    np.testing.assert_allclose(x.grad.data, [2.0, 2.0])
