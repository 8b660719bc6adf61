"""Joining and splitting: cat, stack, split, chunk, unbind."""
from ..autograd import Function
from ..backend import array_module
from ..errors import check_positive_int
from .broadcast import cast, result_type


# y = [a₁ a₂ …] along dim:  daᵢ = the slice of dy that aᵢ filled
class Cat(Function):
    needs_inputs = False

    def forward(self, *arrays, dim):
        self.dim = dim
        self.bounds = []
        start = 0
        for a in arrays:
            self.bounds.append((start, start + a.shape[dim]))
            start += a.shape[dim]
        return array_module(*arrays).concatenate(arrays, axis=dim)

    def backward(self, g):
        lead = (slice(None),) * self.dim
        return tuple(g[lead + (slice(s, e),)] if need else None
                     for (s, e), need in zip(self.bounds, self.needs_input_grad))


class Stack(Function):
    needs_inputs = False

    def forward(self, *arrays, dim):
        self.dim = dim
        return array_module(*arrays).stack(arrays, axis=dim)

    def backward(self, g):
        n = g.shape[self.dim]
        return tuple(g.take(i, axis=self.dim) if need else None
                     for i, need in zip(range(n), self.needs_input_grad))


# the adjoint of Cat: every piece's gradient goes back into its slice
class Split(Function):
    needs_inputs = False

    def forward(self, a, sizes, dim):
        self.shape, self.dtype, self.dim = a.shape, a.dtype, dim
        xp = array_module(a)
        cuts = list(xp.cumsum(sizes[:-1])) if len(sizes) > 1 else []
        return tuple(xp.split(a, [int(c) for c in cuts], axis=dim))

    def backward(self, *gs):
        return array_module(*gs).concatenate(gs, axis=self.dim)


def _check_same(op, tensors, dim, skip_dim):
    if not tensors:
        raise ValueError(f"{op}: expected a non-empty sequence of tensors")
    ref = tensors[0].shape
    for i, t in enumerate(tensors[1:], 1):
        a = [s for j, s in enumerate(ref) if not (skip_dim and j == dim)]
        b = [s for j, s in enumerate(t.shape) if not (skip_dim and j == dim)]
        if len(ref) != len(t.shape) or a != b:
            what = "all but dimension " + str(dim) if skip_dim else "all dimensions"
            raise ValueError(f"{op}: tensors must match in {what}; tensor 0 has shape "
                             f"{tuple(ref)}, tensor {i} has shape {tuple(t.shape)}")


def cat(tensors, dim=0):
    tensors = list(tensors)
    if tensors and not -tensors[0].ndim <= dim < tensors[0].ndim:
        raise IndexError(f"cat: dim {dim} is out of range for tensors of shape "
                         f"{tuple(tensors[0].shape)}")
    dim = dim % tensors[0].ndim if tensors else 0
    _check_same("cat", tensors, dim, skip_dim=True)
    return Cat.apply(*_promoted(tensors), dim=dim)


concat = cat


def stack(tensors, dim=0):
    tensors = list(tensors)
    _check_same("stack", tensors, dim, skip_dim=False)
    n = tensors[0].ndim + 1
    if not -n <= dim < n:
        raise IndexError(f"stack: dim {dim} is out of range for tensors of {n - 1} dimensions "
                         f"(expected a dim in [{-n}, {n - 1}])")
    return Stack.apply(*_promoted(tensors), dim=dim % n)


def _promoted(tensors):
    """The tensors in their common dtype by PyTorch's promotion rules."""
    if len({t._data.dtype for t in tensors}) == 1:
        return tensors
    dtype = result_type(tensors)
    return [cast(t, dtype) for t in tensors]


def split(a, split_size_or_sections, dim=0):
    dim = dim % a.ndim
    n = a.shape[dim]
    if isinstance(split_size_or_sections, int):
        step = check_positive_int("split", "split_size", split_size_or_sections)
        sizes = [min(step, n - s) for s in range(0, n, step)] or [0]
    else:
        sizes = list(split_size_or_sections)
        if sum(sizes) != n:
            raise ValueError(f"split: sections {sizes} sum to {sum(sizes)}, but dimension {dim} "
                             f"has size {n}")
    return Split.apply(a, sizes=sizes, dim=dim)


def chunk(a, chunks, dim=0):
    check_positive_int("chunk", "chunks", chunks)
    n = a.shape[dim % a.ndim]
    if n == 0:                              # PyTorch: `chunks` empty pieces
        return split(a, [0] * chunks, dim)
    step = -(-n // chunks)
    return split(a, max(step, 1), dim)


def unbind(a, dim=0):
    from .shape import squeeze
    return tuple(squeeze(p, dim) for p in split(a, 1, dim))
