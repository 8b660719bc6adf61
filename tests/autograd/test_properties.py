"""Property tests (hypothesis) for invariants of the engine: unbroadcast is the adjoint of
broadcasting, every backward is the adjoint of its (linear) forward, split undoes cat."""
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import gradwork as gw
import gradwork.nn.functional as F
from gradwork.ops.broadcast import unbroadcast

FAST = settings(max_examples=30, deadline=None)


@st.composite
def broadcast_pair(draw):
    """A shape and a shape it broadcasts to (extra leading dims, size-1 dims stretched)."""
    small = draw(st.lists(st.integers(1, 3), min_size=0, max_size=3))
    big = [draw(st.integers(1, 3)) if s == 1 else s for s in small]
    lead = draw(st.lists(st.integers(1, 3), min_size=0, max_size=2))
    return tuple(small), tuple(lead + big)


@FAST
@given(broadcast_pair(), st.integers(0, 2 ** 16))
def test_unbroadcast_is_the_adjoint_of_broadcasting(shapes, seed):
    small, big = shapes
    rng = np.random.default_rng(seed)
    x, y = rng.standard_normal(small), rng.standard_normal(big)
    lhs = np.sum(np.broadcast_to(x, big) * y)
    rhs = np.sum(x * unbroadcast(y, small))
    np.testing.assert_allclose(lhs, rhs, rtol=1e-10, atol=1e-10)
    assert unbroadcast(y, small).shape == small


def _adjoint_check(fn, x_shape, seed):
    """⟨f(x), y⟩ = ⟨x, fᵀ(y)⟩ for a linear f, with fᵀ computed by backward."""
    rng = np.random.default_rng(seed)
    x = gw.tensor(rng.standard_normal(x_shape), requires_grad=True)
    out = fn(x)
    y = rng.standard_normal(out.shape)
    (out * gw.tensor(y)).sum().backward()
    np.testing.assert_allclose(np.sum(out.detach().numpy() * y),
                               np.sum(x.detach().numpy() * x.grad.numpy()), rtol=1e-9, atol=1e-9)


@FAST
@given(broadcast_pair(), st.integers(0, 2 ** 16))
def test_expand_backward_is_its_adjoint(shapes, seed):
    small, big = shapes
    _adjoint_check(lambda x: x.expand(*big), small, seed)


@FAST
@given(st.lists(st.integers(1, 4), min_size=1, max_size=3), st.data())
def test_constant_pad_backward_is_its_adjoint(shape, data):
    pads = []
    for n in reversed(shape):
        lo = data.draw(st.integers(-(n - 1), 2))
        hi = data.draw(st.integers(-(n - 1 + min(lo, 0)), 2))
        pads += [lo, hi]
    _adjoint_check(lambda x: F.pad(x, pads), tuple(shape), data.draw(st.integers(0, 99)))


@FAST
@given(st.lists(st.integers(1, 4), min_size=1, max_size=3),
       st.sampled_from(["reflect", "replicate", "circular"]), st.data())
def test_index_pad_backward_is_its_adjoint(shape, mode, data):
    shape = [2] + shape                   # PyTorch pads the trailing dims of a batched input
    pads = []
    for n in reversed(shape[1:]):
        top = n - 1 if mode == "reflect" else n
        pads += [data.draw(st.integers(0, top)), data.draw(st.integers(0, top))]
    _adjoint_check(lambda x: F.pad(x, pads, mode=mode), tuple(shape), data.draw(st.integers(0, 99)))


@FAST
@given(st.lists(st.integers(1, 3), min_size=1, max_size=4), st.data())
def test_getitem_with_repeated_indices_is_its_adjoint(shape, data):
    idx = np.array(data.draw(st.lists(st.integers(0, shape[0] - 1), min_size=1, max_size=6)))
    _adjoint_check(lambda x: x[idx], tuple(shape), data.draw(st.integers(0, 99)))


@FAST
@given(st.lists(st.lists(st.integers(1, 3), min_size=2, max_size=2), min_size=1, max_size=4),
       st.integers(0, 1))
def test_split_undoes_cat(shapes, dim):
    other = shapes[0][1 - dim]
    parts = []
    for s in shapes:
        s = list(s)
        s[1 - dim] = other
        parts.append(gw.randn(*s))
    joined = gw.cat(parts, dim)
    back = joined.split([p.shape[dim] for p in parts], dim)
    for p, b in zip(parts, back):
        np.testing.assert_array_equal(p.detach().numpy(), b.detach().numpy())
