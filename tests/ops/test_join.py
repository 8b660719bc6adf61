"""cat, stack, split, chunk, unbind (gradwork/ops/join.py) against PyTorch."""
import numpy as np
import pytest
import torch

import gradwork as gw
from tests.helpers import check_op

BOTH = (np.float64, np.float32)


@pytest.mark.parametrize("shapes, dim", [
    (((2, 3), (4, 3)), 0), (((2, 3), (2, 1), (2, 2)), 1), (((2, 3, 1), (2, 3, 2)), -1),
    (((1,), (3,)), 0), (((2, 0), (2, 3)), 1), (((1, 1), (1, 1)), -2)], ids=str)
def test_cat(shapes, dim):
    check_op(lambda *t: gw.cat(t, dim), lambda *t: torch.cat(t, dim), shapes=list(shapes),
             dtypes=BOTH)
    check_op(lambda *t: gw.concat(list(t), dim=dim), lambda *t: torch.cat(list(t), dim=dim),
             shapes=list(shapes))


def test_cat_with_a_constant_and_a_repeated_tensor():
    check_op(lambda a, b: gw.cat([a, b, a], 0), lambda a, b: torch.cat([a, b, a], 0),
             shapes=[(2, 3), (1, 3)], requires_grad=[True, False])


@pytest.mark.parametrize("shape, dim", [((2, 3), 0), ((2, 3), 1), ((2, 3), 2), ((2, 3), -1),
                                        ((), 0), ((1,), -2)], ids=str)
def test_stack(shape, dim):
    check_op(lambda *t: gw.stack(t, dim), lambda *t: torch.stack(t, dim), shapes=[shape] * 3,
             dtypes=BOTH)


@pytest.mark.parametrize("sections, dim", [(2, 0), (3, 1), ([1, 4], 1), ([2, 0, 3], -1), (5, 1),
                                           (1, 0), (10, 1)], ids=str)
def test_split(sections, dim):
    check_op(lambda x: x.split(sections, dim), lambda x: x.split(sections, dim), shapes=[(3, 5)],
             dtypes=BOTH)


def test_split_using_only_some_pieces():
    check_op(lambda x: x.split(2, 1)[1] * 3, lambda x: x.split(2, 1)[1] * 3, shapes=[(2, 5)])


@pytest.mark.parametrize("chunks, dim", [(2, 0), (3, 1), (4, 1), (6, 1), (1, 0)], ids=str)
def test_chunk(chunks, dim):
    check_op(lambda x: x.chunk(chunks, dim), lambda x: x.chunk(chunks, dim), shapes=[(3, 6)])
    check_op(lambda x: gw.chunk(x, chunks, dim), lambda x: torch.chunk(x, chunks, dim),
             shapes=[(5, 5)])


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_unbind(dim):
    check_op(lambda x: x.unbind(dim), lambda x: x.unbind(dim), shapes=[(2, 3, 2)], dtypes=BOTH)
    check_op(lambda x: gw.unbind(x, dim)[0], lambda x: torch.unbind(x, dim)[0], shapes=[(2, 3, 1)])


def test_cat_shape_error_names_op_and_shapes():
    with pytest.raises(ValueError, match=r"cat: tensors must match in all but dimension 0; "
                                         r"tensor 0 has shape \(2, 3\), "
                                         r"tensor 1 has shape \(2, 4\)"):
        gw.cat([gw.randn(2, 3), gw.randn(2, 4)])
    with pytest.raises(ValueError, match=r"cat: .*tensor 0 has shape \(2, 3\), tensor 1 has shape "
                                         r"\(2, 3, 1\)"):
        gw.cat([gw.randn(2, 3), gw.randn(2, 3, 1)], 1)
    with pytest.raises(ValueError, match="cat: expected a non-empty sequence"):
        gw.cat([])
    with pytest.raises(IndexError, match=r"cat: dim 2 is out of range"):
        gw.cat([gw.randn(2, 3)], 2)


def test_stack_and_split_errors():
    with pytest.raises(ValueError, match=r"stack: tensors must match in all dimensions; tensor 0 "
                                         r"has shape \(2,\), tensor 1 has shape \(3,\)"):
        gw.stack([gw.randn(2), gw.randn(3)])
    with pytest.raises(ValueError, match=r"split: sections \[1, 1\] sum to 2, but dimension 0 has "
                                         r"size 3"):
        gw.randn(3).split([1, 1])
    with pytest.raises(ValueError, match="chunk: chunks must be a positive integer, got 0"):
        gw.randn(3).chunk(0)


DTYPE_MIXES = [(np.float32, np.float64), (np.int64, np.float32), (np.int32, np.int64),
               (np.bool_, np.int64), (np.float16, np.float32), (np.uint8, np.int8),
               (np.bool_, np.float16), (np.int64, np.float64)]


@pytest.mark.parametrize("dtypes", DTYPE_MIXES, ids=str)
def test_cat_and_stack_promote_like_pytorch(dtypes):
    arrays = [(np.arange(6).reshape(2, 3) % 3).astype(d) for d in dtypes]
    for gw_fn, torch_fn in ((lambda *t: gw.cat(t, 1), lambda *t: torch.cat(t, 1)),
                            (lambda *t: gw.stack(t, -1), lambda *t: torch.stack(t, -1))):
        check_op(gw_fn, torch_fn, arrays=arrays, grad=False)


def test_mixed_dtype_cat_sends_gradients_back_in_each_dtype():
    a = gw.randn(2, requires_grad=True)
    b = gw.randn(3, requires_grad=True, dtype=gw.float64)
    out = gw.cat([a, b])
    assert out.dtype == np.float64
    out.sum().backward()
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float64


@pytest.mark.parametrize("dim", [0, -1, 1])
def test_split_chunk_unbind_on_non_contiguous_and_empty(dim):
    for fn in (lambda x: x.t().split(2, dim), lambda x: x.t().chunk(3, dim),
               lambda x: x.t().unbind(dim), lambda x: x.t().split([1, 2], 1)):
        check_op(fn, fn, shapes=[(3, 3)])
    check_op(lambda x: x.chunk(2, dim), lambda x: x.chunk(2, dim), shapes=[(0, 4)])
