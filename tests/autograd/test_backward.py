"""The reverse pass (gradwork/autograd/function.py, tensor.py): accumulation, shared
subgraphs, deep graphs, retain_graph, retain_grad, freeing what was saved, and its errors."""
import gc
import weakref

import numpy as np
import pytest

import gradwork as gw
from gradwork.autograd import Function


def test_grad_is_a_tensor_and_accumulates_across_backward_calls():
    x = gw.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (x * x).sum().backward()
    assert isinstance(x.grad, gw.Tensor) and not x.grad.requires_grad
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0, 6.0])
    (x * 3.0).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [5.0, 7.0, 9.0])
    assert x.grad.dtype == np.float32


def test_diamond_graph_accumulates_every_path():
    x = gw.tensor(1.5, dtype=gw.float64, requires_grad=True)
    a = x * x                           # one tensor used by many consumers
    b = a * 2.0 + a.exp() + a * a - a
    b.backward()
    a0 = 2.25
    expected = (2.0 + np.exp(a0) + 2 * a0 - 1.0) * 2 * 1.5
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-12)


def test_same_leaf_in_both_operands_of_many_ops():
    x = gw.tensor([0.5, -1.0], dtype=gw.float64, requires_grad=True)
    y = (x * x + x / (x * x + 1.0) - x @ x + gw.maximum(x, x) + gw.cat([x, x]).sum()).sum()
    y.backward()
    xv = x.detach().numpy()
    d = 2 * xv + (1 - xv ** 2) / (xv ** 2 + 1) ** 2 - 2 * len(xv) * xv + 1 + 2 * len(xv)
    np.testing.assert_allclose(x.grad.numpy(), d, rtol=1e-12)


def test_ten_thousand_op_chain_has_no_recursion_error():
    x = gw.tensor([1.0, 2.0], dtype=gw.float64, requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y * 1.0001 + 0.0
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.full(2, 1.0001 ** 10_000), rtol=1e-9)
    # dropping an un-differentiated deep graph does not recurse either
    y = x
    for _ in range(20_000):
        y = y + 1.0
    del y
    gc.collect()


def test_second_backward_without_retain_graph_raises():
    x = gw.randn(3, requires_grad=True)
    y = (x.exp() * x).sum()
    y.backward()
    with pytest.raises(RuntimeError,
                       match="backward through the graph a second time.*retain_graph=True"):
        y.backward()


def test_second_backward_through_a_shared_freed_node_raises():
    x = gw.randn(3, requires_grad=True)
    h = x.tanh()
    h.sum().backward()
    with pytest.raises(RuntimeError, match="second time"):
        (h * 2.0).sum().backward()


def test_retain_graph_allows_a_second_backward():
    x = gw.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [4.0, 8.0])


def test_saved_arrays_are_released_after_backward():
    x = gw.randn(256, 256, requires_grad=True)
    w = gw.randn(256, 256)
    saved = weakref.ref(w.detach().numpy())
    y = (x * w).exp().sum()              # Mul saves w's array, Exp its output
    node = y.grad_fn
    del w
    gc.collect()
    assert saved() is not None           # still held by the Mul node for backward
    y.backward()
    gc.collect()
    assert saved() is None
    assert node.__dict__ == {"freed": True}


def test_saved_arrays_are_kept_with_retain_graph():
    x = gw.randn(8, requires_grad=True)
    w = gw.randn(8)
    saved = weakref.ref(w.detach().numpy())
    y = (x * w).sum()
    del w
    y.backward(retain_graph=True)
    gc.collect()
    assert saved() is not None


def test_retain_grad_on_a_non_leaf():
    x = gw.tensor([1.0, -2.0], requires_grad=True)
    h = x * 3.0
    h.retain_grad()
    z = h * h
    (z.sum() + h.sum()).backward()
    np.testing.assert_allclose(h.grad.numpy(), 2 * h.detach().numpy() + 1)
    np.testing.assert_allclose(x.grad.numpy(), 3 * (2 * h.detach().numpy() + 1))
    assert h.grad.dtype == np.float32
    other = x * 2.0
    other.sum().backward()
    assert other.grad is None            # non-leaves keep no .grad unless asked


def test_backward_on_non_scalar_needs_a_gradient():
    x = gw.randn(2, 3, requires_grad=True)
    y = x * 2.0
    with pytest.raises(RuntimeError,
                       match=r"grad can be implicitly created only for scalar outputs.*\(2, 3\)"):
        y.backward()
    with pytest.raises(RuntimeError, match=r"gradient has shape \(3,\), expected .* \(2, 3\)"):
        y.backward(gw.ones(3))
    g = np.arange(6.0, dtype=np.float32).reshape(2, 3)
    y.backward(gw.tensor(g))
    np.testing.assert_allclose(x.grad.numpy(), 2 * g)


def test_leaf_gradient_does_not_alias_the_given_gradient():
    x = gw.randn(3, requires_grad=True)
    g = gw.ones(3)
    (x + 0.0).backward(g)
    x.grad.data *= 5
    np.testing.assert_array_equal(g.detach().numpy(), np.ones(3, np.float32))
    a, b = gw.randn(3, requires_grad=True), gw.randn(3, requires_grad=True)
    (a + b).sum().backward()             # add hands the same array to both leaves
    a.grad.data += 1
    np.testing.assert_array_equal(b.grad.numpy(), np.ones(3, np.float32))


def test_backward_on_a_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        gw.randn(3).sum().backward()


def test_backward_on_a_leaf():
    x = gw.tensor(2.0, requires_grad=True)
    x.backward()
    assert x.grad.item() == 1.0


def test_unused_outputs_of_a_multi_output_op_get_zero_gradient():
    x = gw.randn(6, dtype=gw.float64, requires_grad=True)
    a, b, c = x.split(2)
    (b * 2.0).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0, 0, 2, 2, 0, 0])
    y = gw.randn(3, 4, requires_grad=True)
    values, indices = y.max(1)
    assert indices.grad_fn is not None and not indices.requires_grad
    values.sum().backward()
    assert y.grad.numpy().sum() == 3


def test_integer_tensors_cannot_require_grad():
    with pytest.raises(RuntimeError, match="only Tensors of floating point dtype can require "
                                           "gradients, got dtype int64"):
        gw.Tensor(np.arange(3), requires_grad=True)


def test_only_parts_of_the_graph_that_need_it_are_differentiated():
    x, c = gw.randn(3, requires_grad=True), gw.randn(3)
    y = x * c + c * c
    assert y.requires_grad and not (c * c).requires_grad and (c * c).grad_fn is None
    y.sum().backward()
    assert c.grad is None
    np.testing.assert_allclose(x.grad.numpy(), c.detach().numpy())


class _Square(Function):
    """A user-defined op through the public Function interface."""

    def forward(self, a):
        self.a = a
        return a * a

    def backward(self, g):
        return 2 * self.a * g


def test_custom_function():
    x = gw.tensor([1.0, 3.0], requires_grad=True)
    y = _Square.apply(x)
    assert y.grad_fn.__class__ is _Square and not y.is_leaf
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 6.0])


def test_results_hold_arrays_not_numpy_scalars():
    x = gw.randn(3, requires_grad=True)
    for y in (x.sum(), x.mean(), x.var(), x.max(), gw.tensor(2.0) * 3, x[0] * 2.0):
        assert isinstance(y.detach().numpy(), np.ndarray) and y.shape == ()
    x.sum().backward()
    assert isinstance(x.grad.numpy(), np.ndarray)


def test_backward_order_is_creation_order_on_graphs_built_out_of_order():
    """The sweep takes nodes in decreasing creation number: a node made early but consumed late
    (and one consumed by a node made from a later in-place rewiring) still gets every
    gradient before its own backward runs; compared with PyTorch."""
    import torch
    xs = np.array([0.3, -1.2, 2.0])

    def run(lib, x):
        a = x * 2.0                      # made first, used last
        b = (x + 1.0).tanh()
        c = b * b
        d = c.exp() if lib is gw else torch.exp(c)
        e = d * a + b
        e = e * 1.0
        e.add_(a)                        # in place on a non-leaf: rewires e to a newer node
        return (e * c).sum()

    x = gw.tensor(xs, dtype=gw.float64, requires_grad=True)
    run(gw, x).backward()
    tx = torch.tensor(xs, dtype=torch.float64, requires_grad=True)
    run(torch, tx).backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12)


def test_version_counter_made_on_first_need_still_fires_and_data_keeps_its_own():
    x = gw.randn(3, requires_grad=True)
    w = gw.randn(3)
    w.mul_(2)                            # changed before any op saved it: counter from 1
    y = (x * w).sum()                    # Mul saves w at version 1
    w.add_(1)
    with pytest.raises(RuntimeError, match="is at version 2; expected version 1"):
        y.backward()
    y = (x * x).sum()
    x.data.mul_(2)                       # `.data` has a counter of its own: not seen (PyTorch)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * x.detach().numpy(), rtol=1e-6)
    v = x.detach()                       # detach shares the (lazily made) counter
    y = (x * x).sum()
    v.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


def test_a_leaf_used_many_times_gets_the_sum_once_as_pytorch():
    """A leaf's gradients are summed over the pass and added to an existing .grad once
    (PyTorch's AccumulateGrad with its input buffer): old + (g1 + g2 + …), float32."""
    import torch
    rng = np.random.default_rng(3)
    ws = rng.standard_normal((2, 4), dtype=np.float32)
    old = rng.standard_normal(4, dtype=np.float32)
    cs = rng.standard_normal((40, 4), dtype=np.float32)

    def run(lib, w):
        h = w
        for c in cs:                     # w reaches the sum through every step
            h = h * (lib.tensor(c) if lib is gw else torch.tensor(c)) + w
        return (h * h).sum()

    w = gw.tensor(ws[0], requires_grad=True)
    w.grad = gw.tensor(old)
    run(gw, w).backward()
    tw = torch.tensor(ws[0], requires_grad=True)
    tw.grad = torch.tensor(old)
    run(torch, tw).backward()
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), rtol=1e-5)
    assert w.grad._data is not old       # the summed gradient is a fresh array (no aliasing)


def test_gradients_reaching_a_node_from_several_consumers_are_summed_before_its_backward():
    """The one-output node's gradient is held alone (no slot list) and summed in arrival
    order; a multi-output node keeps one slot per output (its unused output gets zeros)."""
    x = gw.tensor([0.5, -2.0, 3.0], dtype=gw.float64, requires_grad=True)
    t = x.tanh()                                     # one output, four consumers
    a, b = gw.split(x * 3.0, 2)                      # several outputs; a used twice, b once
    y = (t * 2.0).sum() + (t * t).sum() + t.sum() + (t * x).sum() + (a * a).sum() + a.sum()
    y.backward()
    xv = x.detach().numpy()
    tv, dt = np.tanh(xv), 1 - np.tanh(xv) ** 2
    av = 3 * xv[:2]
    expected = (2 + 2 * tv + 1 + xv) * dt + tv
    expected[:2] += (2 * av + 1) * 3
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-12)
    with pytest.raises(RuntimeError, match="second time"):
        (b * 2.0).sum().backward()                   # b's node (several outputs) was freed


def test_a_graph_never_differentiated_is_freed_without_the_cyclic_gc():
    """An op that guards its own output (tanh, relu, exp…) records its version check without
    pointing back to itself: dropping the result frees the node and what it saved at once
    (it used to wait for the cyclic GC, so a loop of such forwards kept every output alive)."""
    x = gw.randn(4, 3, requires_grad=True)
    gc.disable()
    try:
        for op in (lambda t: t.tanh(), lambda t: t.exp(), lambda t: gw.relu(t),
                   lambda t: gw.split(t * 2.0, 2)[0].exp()):
            y = op(x)
            node, out = weakref.ref(y.grad_fn), weakref.ref(y)
            del y
            assert node() is None and out() is None
    finally:
        gc.enable()
    h = x.tanh()                         # the error still names the node as the maker
    h2 = h * 1.0
    h.detach().add_(1)                   # the output Tanh saved is changed
    with pytest.raises(RuntimeError, match=r"output 0 of Tanh.*Hint: the backward of Tanh"):
        (h2 + h).sum().backward()


def test_a_wrongly_shaped_leaf_gradient_is_refused_even_when_it_broadcasts():
    """A leaf's gradients are summed over the pass before they reach .grad; a (buggy) backward
    whose gradient would broadcast into the others' shape is still an internal error."""

    class Shrink(Function):                     # returns a (1, 3) gradient for a (2, 3) input
        def forward(self, x):
            return x.copy()

        def backward(self, g):
            return g[:1]

    x = gw.ones(2, 3, requires_grad=True)
    y = (x * 2.0) + Shrink.apply(x)
    with pytest.raises(RuntimeError, match="internal error: gradient of shape"):
        y.sum().backward()
