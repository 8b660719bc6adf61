"""gradwork/distributed/sync_batchnorm.py's op in one process: with the all-reduces of a
group of one rank (the identity), forward and backward against PyTorch's training-mode
batch_norm and a float64 gradcheck. Across ranks: test_exactness.py (bn.*)."""
import numpy as np
import pytest
import torch

import gradwork as gw
from gradwork.distributed import process_group as pg
from gradwork.distributed.sync_batchnorm import sync_batch_norm

from ..helpers import check_op


@pytest.fixture
def one_rank(monkeypatch):
    calls = []

    def allreduce(array, op=pg.ReduceOp.SUM, what=""):
        calls.append(what)
        return array
    monkeypatch.setattr(pg, "allreduce_array", allreduce)
    return calls


@pytest.mark.parametrize("shape", [(4, 3), (5, 3, 4), (3, 2, 3, 2)])
def test_matches_torch_batch_norm_and_gradcheck(one_rank, shape):
    C = shape[1]
    check_op(lambda x, w, b: sync_batch_norm(x, None, None, w, b, 0.1, 1e-5),
             lambda x, w, b: torch.nn.functional.batch_norm(x, None, None, w, b, True, 0.1, 1e-5),
             shapes=[shape, (C,), (C,)], dtypes=(np.float64, np.float32))
    assert "SyncBatchNorm forward all-reduce" in one_rank
    assert "SyncBatchNorm backward all-reduce" in one_rank


def test_running_statistics_as_torch(one_rank):
    x = np.random.default_rng(0).standard_normal((6, 3, 4)).astype(np.float32)
    mean, var = gw.zeros(3), gw.ones(3)
    tmean, tvar = torch.zeros(3), torch.ones(3)
    sync_batch_norm(gw.tensor(x), mean, var, None, None, 0.1, 1e-5)
    torch.nn.functional.batch_norm(torch.from_numpy(x), tmean, tvar, None, None, True, 0.1)
    np.testing.assert_allclose(mean.numpy(), tmean.numpy(), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(var.numpy(), tvar.numpy(), rtol=1e-6, atol=1e-7)
