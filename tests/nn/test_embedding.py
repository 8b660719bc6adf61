"""Embedding and F.embedding against PyTorch; the padding row; bad indices."""
import numpy as np
import pytest
import torch

import gradwork as gw
from gradwork import nn
from gradwork.nn import functional as F
from tests.helpers import check_op


@pytest.mark.parametrize("idx_shape", [(5,), (2, 3), (1, 1, 4)])
@pytest.mark.parametrize("padding_idx", [None, 0, -1])
def test_embedding_matches_pytorch(idx_shape, padding_idx):
    rng = np.random.default_rng(0)
    idx = rng.integers(0, 6, idx_shape)
    idx.flat[0] = idx.flat[-1] = 5          # repeated index: gradients accumulate
    check_op(lambda w: F.embedding(gw.tensor(idx), w, padding_idx=padding_idx),
             lambda w: torch.nn.functional.embedding(torch.from_numpy(idx), w,
                                                     padding_idx=padding_idx),
             shapes=[(6, 3)], dtypes=(np.float64, np.float32),
             numeric=padding_idx is None)   # the padding row's zero gradient is by definition


def test_module_init_padding_row_and_no_gradient_there():
    gw.manual_seed(0)
    m = nn.Embedding(1000, 8, padding_idx=3)
    w = m.weight.detach().numpy()
    assert (w[3] == 0).all() and abs(w.std() - 1) < 0.05 and abs(w.mean()) < 0.05
    out = m(gw.tensor([[3, 4], [3, 3]]))
    assert out.shape == (2, 2, 8) and (out.detach().numpy()[0, 0] == 0).all()
    (out * out + out).sum().backward()
    assert (m.weight.grad.numpy()[3] == 0).all() and (m.weight.grad.numpy()[4] != 0).any()


def test_state_dict_loads_pytorchs():
    t = torch.nn.Embedding(7, 4, padding_idx=2)
    m = nn.Embedding(7, 4, padding_idx=2)
    assert list(m.state_dict()) == list(t.state_dict())
    m.load_state_dict(t.state_dict())
    idx = np.array([[0, 2, 6]])
    np.testing.assert_array_equal(m(gw.tensor(idx)).detach().numpy(),
                                  t(torch.from_numpy(idx)).detach().numpy())


def test_from_pretrained_is_frozen_by_default():
    table = np.arange(12, dtype=np.float32).reshape(4, 3)
    m = nn.Embedding.from_pretrained(gw.tensor(table))
    assert not m.weight.requires_grad and (m(gw.tensor([2])).detach().numpy() == table[2]).all()
    assert nn.Embedding.from_pretrained(table, freeze=False).weight.requires_grad


@pytest.mark.parametrize("bad,message", [
    ([0, 7], r"index 7 is out of range for a table of 7 rows"),
    ([-1, 2], r"index -1 is out of range for a table of 7 rows"),
])
def test_out_of_range_index(bad, message):
    with pytest.raises(IndexError, match=message):
        nn.Embedding(7, 2)(gw.tensor(bad))


def test_bad_arguments():
    with pytest.raises(TypeError, match="integer indices, got dtype float32"):
        nn.Embedding(7, 2)(gw.tensor([1.0]))
    with pytest.raises(ValueError, match=r"padding_idx must be within num_embeddings \[-7, 7\)"):
        nn.Embedding(7, 2, padding_idx=7)
    with pytest.raises(ValueError, match="embedding_dim must be a positive integer"):
        nn.Embedding(7, 0)
