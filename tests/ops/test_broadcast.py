"""unbroadcast (gradwork/ops/broadcast.py): the adjoint of broadcasting, and its fast paths."""
import numpy as np
import pytest

from gradwork.ops.broadcast import unbroadcast


def _reference(grad, shape):
    """Sum over the leading extra axes and the axes where `shape` has 1 (the definition)."""
    extra = grad.ndim - len(shape)
    axes = tuple(range(extra)) + tuple(
        i + extra for i, n in enumerate(shape) if n == 1 and grad.shape[i + extra] != 1)
    return grad.sum(axis=axes, keepdims=True).reshape(shape) if axes else grad.reshape(shape)


@pytest.mark.parametrize("gshape,shape", [
    ((8, 8), (8, 8)), ((8, 8), (8, 1)), ((8, 8), (1, 8)), ((8, 8), (8,)), ((8, 8), ()),
    ((2, 3, 4), (3, 1)), ((2, 3, 4), (1, 1, 4)), ((5, 1, 4), (1, 4)), ((2, 3), (1, 1)),
])
def test_unbroadcast_equals_the_definition_bit_for_bit(gshape, shape):
    g = np.random.default_rng(0).standard_normal(gshape).astype(np.float32)
    got = unbroadcast(g, shape)
    assert got.shape == shape
    np.testing.assert_array_equal(got, _reference(g, shape))
    if gshape == shape:
        assert got is g                  # nothing to undo: the same array passes through
