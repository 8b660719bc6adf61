"""reshape/view, transpose/permute, flatten, squeeze/unsqueeze, expand, casts
(gradwork/ops/shape.py) against PyTorch, plus hypothesis round trips."""
import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import gradwork as gw
from tests.helpers import check_op

BOTH = (np.float64, np.float32)
CASES = {
    "reshape": ((2, 3, 4), lambda x: x.reshape(4, 6)),
    "reshape-1": ((2, 3, 4), lambda x: x.reshape(-1, 4)),
    "reshape-tuple": ((2, 3, 4), lambda x: x.reshape((3, -1))),
    "reshape-0d": ((), lambda x: x.reshape(1, 1)),
    "reshape-to-0d": ((1, 1), lambda x: x.reshape(())),
    "view": ((2, 3, 4), lambda x: x.view(6, 4)),
    "view_as": ((2, 3, 4), lambda x: x.view(24)),
    "transpose": ((2, 3, 4), lambda x: x.transpose(0, 2)),
    "transpose-neg": ((2, 3, 4), lambda x: x.transpose(-1, -2)),
    "permute": ((2, 3, 4), lambda x: x.permute(2, 0, 1)),
    "permute-tuple": ((2, 3, 4), lambda x: x.permute((1, 2, 0))),
    "permute-neg": ((2, 3, 4), lambda x: x.permute(-1, 0, 1)),
    "flatten": ((2, 3, 4), lambda x: x.flatten()),
    "flatten-1": ((2, 3, 4), lambda x: x.flatten(1)),
    "flatten-0-1": ((2, 3, 4), lambda x: x.flatten(0, 1)),
    "flatten-0d": ((), lambda x: x.flatten()),
    "squeeze": ((1, 3, 1, 2), lambda x: x.squeeze()),
    "squeeze-dim": ((1, 3, 1, 2), lambda x: x.squeeze(2)),
    "squeeze-neg": ((1, 3, 1), lambda x: x.squeeze(-1)),
    "squeeze-non1": ((1, 3, 1), lambda x: x.squeeze(1)),
    "squeeze-tuple": ((1, 3, 1), lambda x: x.squeeze((0, 2))),
    "unsqueeze": ((2, 3), lambda x: x.unsqueeze(1)),
    "unsqueeze-neg": ((2, 3), lambda x: x.unsqueeze(-1)),
    "unsqueeze-0d": ((), lambda x: x.unsqueeze(0)),
    "expand": ((3, 1), lambda x: x.expand(3, 4)),
    "expand-new": ((3, 1), lambda x: x.expand(2, 3, 5)),
    "expand-minus1": ((3, 1), lambda x: x.expand(2, -1, 4)),
    "expand-0d": ((), lambda x: x.expand(2, 3)),
    "T": ((2, 3), lambda x: x.T),
    "mT": ((4, 2, 3), lambda x: x.mT),
    "t": ((2, 3), lambda x: x.t()),
    "contiguous": ((2, 3), lambda x: x.transpose(0, 1).contiguous().reshape(6)),
}


@pytest.mark.parametrize("case", list(CASES))
def test_shape_op(case):
    shape, fn = CASES[case]
    check_op(fn, fn, shapes=[shape], dtypes=BOTH)


def test_functional_forms():
    check_op(lambda x: gw.reshape(x, (3, 2)), lambda x: torch.reshape(x, (3, 2)), shapes=[(2, 3)])
    check_op(lambda x: gw.permute(x, (1, 0)), lambda x: torch.permute(x, (1, 0)), shapes=[(2, 3)])
    check_op(lambda x: gw.flatten(x, 1), lambda x: torch.flatten(x, 1), shapes=[(2, 3, 2)])
    check_op(lambda x: gw.squeeze(x, 0), lambda x: torch.squeeze(x, 0), shapes=[(1, 3)])
    check_op(lambda x: gw.unsqueeze(x, 2), lambda x: torch.unsqueeze(x, 2), shapes=[(1, 3)])
    check_op(lambda x: gw.transpose(x, 0, 1), lambda x: torch.transpose(x, 0, 1), shapes=[(1, 3)])
    check_op(lambda x: gw.broadcast_to(x, (2, 3)), lambda x: torch.broadcast_to(x, (2, 3)),
             shapes=[(3,)])
    check_op(lambda x, y: x.expand_as(y), lambda x, y: x.expand_as(y), shapes=[(3, 1), (3, 2)],
             requires_grad=[True, False])


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_cast_backward_returns_the_input_dtype(dtype):
    other = "float32" if dtype == "float64" else "float64"
    check_op(lambda x: x.to(getattr(gw, other)) * 2, lambda x: x.to(getattr(torch, other)) * 2,
             arrays=[np.arange(3.0).astype(dtype)], numeric=False)
    check_op(lambda x: x.double() * x.double(), lambda x: x.double() * x.double(), shapes=[(3,)])
    check_op(lambda x: x.float(), lambda x: x.float(), shapes=[(3,)], numeric=False)
    x = gw.randn(3, dtype=dtype)
    assert x.to("cpu") is x and x.to(dtype) is x
    assert x.long().dtype == np.int64 and x.int().dtype == np.int32 and x.bool().dtype == np.bool_


@pytest.mark.parametrize("call, pattern", [
    (lambda x: x.reshape(5, -1),
     r"reshape: shape \[5, -1\] is invalid for input of shape \(2, 3\)"),
    (lambda x: x.reshape(4, 2), r"reshape: shape \[4, 2\] is invalid for input of shape \(2, 3\)"),
    (lambda x: x.reshape(-1, -1), r"reshape: shape \[-1, -1\] is invalid"),
    (lambda x: x.permute(0, 0), r"permute: dims \[0, 0\] are not a permutation"),
    (lambda x: x.expand(4, 3), r"expand: the expanded size 4 must match the existing size 2"),
    (lambda x: x.expand(3), r"expand: cannot expand shape \(2, 3\) to \(3,\)"),
    (lambda x: x.expand(-1, 2, 3), r"expand: the size -1 is only allowed for existing dimensions"),
    (lambda x: x.transpose(0, 2), r"transpose: dim 2 is out of range for a tensor of shape"),
    (lambda x: x.unsqueeze(3), r"unsqueeze: dim 3 is out of range"),
], ids=["reshape-1", "reshape", "two-minus1", "permute", "expand-size", "expand-rank",
        "expand-new-minus1", "transpose", "unsqueeze"])
def test_shape_errors(call, pattern):
    with pytest.raises((ValueError, IndexError), match=pattern):
        call(gw.randn(2, 3))


@st.composite
def shape_and_perm(draw):
    shape = tuple(draw(st.lists(st.integers(1, 3), min_size=0, max_size=4)))
    perm = draw(st.permutations(range(len(shape))))
    return shape, tuple(perm)


@settings(max_examples=25, deadline=None)
@given(shape_and_perm())
def test_permute_then_inverse_is_identity(case):
    shape, perm = case
    x = gw.tensor(np.random.default_rng(0).standard_normal(shape), requires_grad=True)
    inv = tuple(np.argsort(perm))
    y = x.permute(perm).permute(inv)
    np.testing.assert_array_equal(y.detach().numpy(), x.detach().numpy())
    v = np.random.default_rng(1).standard_normal(shape)
    (y * gw.tensor(v)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), v)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(1, 4), min_size=0, max_size=4), st.randoms(use_true_random=False))
def test_reshape_round_trip(shape, rnd):
    shape = tuple(shape)
    n = math.prod(shape)
    divisors = [d for d in range(1, n + 1) if n % d == 0]
    d = rnd.choice(divisors)
    x = gw.tensor(np.arange(float(n)).reshape(shape), requires_grad=True)
    y = x.reshape(d, -1).reshape(shape)
    np.testing.assert_array_equal(y.detach().numpy(), x.detach().numpy())
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.ones(shape, np.float64))
