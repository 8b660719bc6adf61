"""`Embedding`: a learnable lookup table of vectors, one row per index."""
from .. import backend
from ..autograd import Tensor, no_grad
from ..errors import check_positive_int
from ..ops.embedding import embedding
from . import init
from .module import Module
from .parameter import Parameter


class Embedding(Module):
    """y = W[idx]: integer input (*) → (*, embedding_dim); W (num_embeddings, embedding_dim).

    Initialised N(0, 1) as in PyTorch; the row `padding_idx` (if given) starts at zero and
    receives no gradient, so it stays a zero vector. Bengio et al. (2003)."""

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, dtype=None):
        super().__init__()
        check_positive_int("Embedding", "num_embeddings", num_embeddings)
        check_positive_int("Embedding", "embedding_dim", embedding_dim)
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError(f"Embedding: padding_idx must be within num_embeddings "
                                 f"[-{num_embeddings}, {num_embeddings}), got {padding_idx}")
            padding_idx %= num_embeddings
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.padding_idx = padding_idx
        dtype = backend.as_dtype(dtype) or backend.DEFAULT_FLOAT
        self.weight = Parameter(backend.np.empty((num_embeddings, embedding_dim), dtype))
        self.reset_parameters()

    def reset_parameters(self):
        init.normal_(self.weight)
        self._zero_padding_row()

    def _zero_padding_row(self):
        if self.padding_idx is not None:
            with no_grad():
                self.weight._data[self.padding_idx] = 0

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True, padding_idx=None):
        """An Embedding holding `embeddings` (num_embeddings, D); frozen unless freeze=False."""
        data = (embeddings._data if isinstance(embeddings, Tensor)
                else backend.np.asarray(embeddings))
        if data.ndim != 2:
            raise ValueError(f"Embedding.from_pretrained: embeddings must be 2-D, got shape "
                             f"{tuple(data.shape)}")
        m = cls(data.shape[0], data.shape[1], padding_idx, dtype=data.dtype)
        m.weight._data = backend.np.array(data, copy=True)
        m.weight.requires_grad = not freeze
        return m

    def forward(self, input):
        return embedding(input, self.weight, self.padding_idx)

    def extra_repr(self):
        pad = "" if self.padding_idx is None else f", padding_idx={self.padding_idx}"
        return f"{self.num_embeddings}, {self.embedding_dim}{pad}"
