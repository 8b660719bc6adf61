"""Embedding lookup: the rows of a table picked by integer indices (Bengio et al. 2003)."""
from ..autograd import Function, Tensor
from ..backend import array_module


# y = W[idx];  dW = scatter-add of dy into the rows idx (the padding row receives none)
class Embedding(Function):
    needs_inputs = False

    def forward(self, weight, idx, padding_idx):
        self.shape, self.idx, self.padding_idx = weight.shape, idx, padding_idx
        return weight[idx]

    def backward(self, g):
        xp = array_module(g)
        gw = xp.zeros(self.shape, g.dtype)
        xp.add.at(gw, self.idx.reshape(-1), g.reshape(-1, self.shape[1]))   # (M, D) rows
        if self.padding_idx is not None:
            gw[self.padding_idx] = 0
        return gw


def embedding(input, weight, padding_idx=None):
    """Look up rows of `weight` (num_embeddings, D) for integer `input` (*) → (*, D).
    The row `padding_idx` gets no gradient."""
    idx = input._data if isinstance(input, Tensor) else array_module(input).asarray(input)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"embedding: input must hold integer indices, got dtype {idx.dtype}")
    if weight.ndim != 2:
        raise ValueError(f"embedding: weight must be 2-D (num_embeddings, embedding_dim), got "
                         f"shape {tuple(weight.shape)}")
    rows = weight.shape[0]
    if idx.size and (idx.min() < 0 or idx.max() >= rows):
        bad = idx.min() if idx.min() < 0 else idx.max()
        raise IndexError(f"embedding: index {int(bad)} is out of range for a table of {rows} "
                         f"rows (valid indices 0..{rows - 1})")
    if padding_idx is not None:
        if not -rows <= padding_idx < rows:
            raise ValueError(f"embedding: padding_idx must be within [-{rows}, {rows}), got "
                             f"{padding_idx}")
        padding_idx %= rows
    return Embedding.apply(weight, idx=idx, padding_idx=padding_idx)
