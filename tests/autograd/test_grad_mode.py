"""no_grad / enable_grad / set_grad_enabled and detach (gradwork/autograd/grad_mode.py)."""
import numpy as np

import gradwork as gw


def test_no_grad_records_nothing():
    x = gw.randn(3, requires_grad=True)
    with gw.no_grad():
        y = x * 2.0 + x.exp()
        assert not gw.is_grad_enabled()
    assert gw.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None and y.is_leaf


def test_no_grad_as_decorator_with_and_without_parentheses():
    x = gw.randn(3, requires_grad=True)

    @gw.no_grad()
    def f(t):
        return t * 2.0

    @gw.no_grad
    def g(t):
        return t * 2.0

    assert f.__name__ == "f" and g.__name__ == "g"
    assert not f(x).requires_grad and not g(x).requires_grad
    assert gw.is_grad_enabled()


def test_enable_grad_inside_no_grad():
    x = gw.randn(3, requires_grad=True)
    with gw.no_grad():
        with gw.enable_grad():
            y = x * 2.0
        z = x * 2.0

        @gw.enable_grad()
        def h(t):
            return t * 3.0

        w = h(x)
    assert y.requires_grad and not z.requires_grad and w.requires_grad
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2.0)


def test_set_grad_enabled_as_function_and_context():
    try:
        gw.set_grad_enabled(False)
        assert not gw.is_grad_enabled()
    finally:
        gw.set_grad_enabled(True)
    with gw.set_grad_enabled(False):
        assert not gw.is_grad_enabled()
    assert gw.is_grad_enabled()


def test_mode_is_restored_after_an_exception():
    try:
        with gw.no_grad():
            raise KeyError("boom")
    except KeyError:
        pass
    assert gw.is_grad_enabled()


def test_detach_shares_data_and_cuts_the_graph():
    x = gw.randn(3, requires_grad=True)
    y = x * 2.0
    d = y.detach()
    assert not d.requires_grad and d.grad_fn is None and d.detach().numpy() is y.detach().numpy()
    z = (x * d).sum()
    z.backward()
    np.testing.assert_allclose(x.grad.numpy(), d.detach().numpy())


def test_requires_grad_propagates():
    a, b = gw.randn(2), gw.randn(2, requires_grad=True)
    assert not (a * 2.0).requires_grad and (a * b).requires_grad
    assert (a + b).grad_fn is not None and b.is_leaf and b.grad_fn is None
    assert not (b > 0).requires_grad and not b.argmax().requires_grad
