"""In-place changes (gradwork/autograd/tensor.py) and the version counters that catch a
modified saved tensor at backward time."""
import numpy as np
import pytest
import torch

import gradwork as gw


def test_in_place_on_a_leaf_that_requires_grad_is_an_error():
    x = gw.randn(3, requires_grad=True)
    for op in (lambda: x.add_(1.0), lambda: x.mul_(2.0), lambda: x.zero_(),
               lambda: x.__setitem__(0, 1.0), lambda: x.copy_(gw.zeros(3))):
        with pytest.raises(RuntimeError,
                           match="a leaf Variable that requires grad is being used in "
                                 "an in-place operation"):
            op()
    with gw.no_grad():
        x.mul_(2.0)            # allowed: this is how optimisers update parameters


def test_in_place_on_a_non_leaf_is_recorded_like_pytorch():
    x = gw.randn(3, requires_grad=True, dtype=gw.float64)
    h = x * 2.0
    h.add_(1.0)                    # h was not saved by anything: allowed, and recorded
    h.pow_(2).mul_(x)              # Pow and Mul read the old h: it was copied for them
    h.sum().backward()
    xt = torch.tensor(x.detach().numpy(), requires_grad=True)
    ht = xt * 2.0
    ht.add_(1.0)
    ht.pow_(2).mul_(xt)
    ht.sum().backward()
    np.testing.assert_allclose(h.detach().numpy(), ht.detach().numpy())
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy())


def test_in_place_with_an_operand_that_requires_grad_joins_the_graph():
    w = gw.randn(3, requires_grad=True)
    buf = gw.zeros(3)
    buf.add_(w, alpha=2.0)
    buf[0] = w[1] * 3.0            # __setitem__ recorded (IndexPut)
    assert buf.grad_fn is not None and not buf.is_leaf
    buf.sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), [0.0, 5.0, 2.0])


def test_modifying_a_saved_non_leaf_raises_pytorchs_error():
    x = gw.randn(3, requires_grad=True)
    h = x * 2.0
    y = (h * h).sum()              # Mul saved h
    h.add_(1.0)
    with pytest.raises(RuntimeError, match=r"one of the variables needed for gradient computation "
                                           r"has been modified by an inplace operation: .*which "
                                           r"is output 0 of MulScalar, is at version 1; expected "
                                           r"version 0 instead"):
        y.backward()


def test_modifying_a_saved_input_then_backward_raises():
    x = gw.randn(3, requires_grad=True)
    w = gw.randn(3)
    y = (x * w).sum()              # Mul saved w
    w.mul_(2.0)
    with pytest.raises(RuntimeError,
                       match=r"modified by an inplace operation: .*Hint: the backward of Mul"):
        y.backward()


def test_modifying_a_saved_leaf_under_no_grad_then_backward_raises():
    x = gw.randn(3, requires_grad=True)
    y = (x * x).sum()
    with gw.no_grad():
        x.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


def test_modifying_a_saved_output_then_backward_raises():
    x = gw.randn(3, requires_grad=True)
    y = x.exp()                    # Exp's backward reads its output
    with gw.no_grad():
        y.mul_(2.0)
    with pytest.raises(RuntimeError, match=r"output 0 of Exp, is at version 1; expected version 0"):
        y.sum().backward()


def test_modifying_through_a_view_or_detached_alias_is_caught():
    x = gw.randn(4, requires_grad=True)
    w = gw.randn(4)
    y = (x * w).sum()
    w[1:3].fill_(0.0)              # basic slicing is a view sharing w's version counter
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()
    z = gw.randn(3, requires_grad=True)
    h = z.tanh()
    with gw.no_grad():
        h.detach().zero_()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        (h * 1.0).sum().backward()


def test_ops_that_do_not_save_an_input_allow_changing_it():
    x, w = gw.randn(3, requires_grad=True), gw.randn(3)
    y = (x + w).sum()              # add's backward never reads its inputs (as PyTorch)
    w.add_(1.0)
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.ones(3, np.float32))
    z = x.exp()                    # exp keeps its output, not its input
    with gw.no_grad():
        x2 = x.detach()
        x2.add_(0.0)
    z.sum().backward()


def test_in_place_methods_compute_the_right_values():
    t = gw.tensor([1.0, -2.0, 3.0])
    t.add_(1.0).mul_(2.0).sub_(gw.tensor([1.0, 1.0, 1.0])).div_(2.0)
    np.testing.assert_allclose(t.detach().numpy(), [1.5, -1.5, 3.5])
    t.clamp_(-1.0, 2.0)
    np.testing.assert_allclose(t.detach().numpy(), [1.5, -1.0, 2.0])
    t.add_(gw.ones(3), alpha=-0.5)
    np.testing.assert_allclose(t.detach().numpy(), [1.0, -1.5, 1.5])
    assert t.dtype == np.float32


def test_augmented_assignment_updates_in_place_like_pytorch():
    p = gw.tensor([1.0, 2.0], requires_grad=True)
    (p * p).sum().backward()
    alias = p
    with gw.no_grad():
        p -= 0.5 * p.grad          # the manual SGD idiom must reach the parameter itself
    assert p is alias and p.is_leaf and p.requires_grad
    np.testing.assert_allclose(p.detach().numpy(), [0.0, 0.0])
    c = gw.ones(2)
    c_alias = c
    c += 1.0
    c *= gw.tensor([2.0, 3.0])
    c /= 2.0
    assert c is c_alias
    np.testing.assert_allclose(c.detach().numpy(), [2.0, 3.0])
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        p += 1.0
    x = gw.randn(2, requires_grad=True)
    h = x * 2.0
    h += 1.0                       # inside the graph: same value as PyTorch, gradient flows
    h.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 2.0])
