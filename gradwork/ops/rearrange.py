"""Moving and copying elements: flip, roll, repeat, repeat_interleave. Each backward moves the
gradient back (flip, roll) or sums the copies (repeat, repeat_interleave)."""
from ..autograd import Function, Tensor
from ..backend import array_module
from .reduce import normalize_dims


# y = a reversed along dims;  da = dy reversed along dims
class Flip(Function):
    needs_inputs = False

    def forward(self, a, dims):
        self.dims = dims
        return array_module(a).flip(a, axis=dims).copy()

    def backward(self, g):
        return array_module(g).flip(g, axis=self.dims)


# y[i + s] = a[i] (cyclic);  da = dy rolled by −s
class Roll(Function):
    needs_inputs = False

    def forward(self, a, shifts, dims):
        self.shifts, self.dims = shifts, dims
        return array_module(a).roll(a, shifts, axis=dims)

    def backward(self, g):
        neg = tuple(-s for s in self.shifts) if isinstance(self.shifts, tuple) else -self.shifts
        return array_module(g).roll(g, neg, axis=self.dims)


# y = a tiled rᵢ times along each dim;  da = Σ over the copies
class Repeat(Function):
    needs_inputs = False

    def forward(self, a, reps):
        self.shape, self.reps = a.shape, reps[len(reps) - a.ndim:]
        return array_module(a).tile(a, reps)

    def backward(self, g):
        lead = g.ndim - len(self.shape)
        g = g.sum(axis=tuple(range(lead))) if lead else g      # the new leading dims
        split = []                                           # (r₀, s₀, r₁, s₁, …)
        for n, r in zip(self.shape, self.reps):
            split += [r, n]
        return g.reshape(split).sum(axis=tuple(range(0, len(split), 2)))


# y = each element of a repeated rᵢ times along dim;  daᵢ = Σ of its rᵢ copies
class RepeatInterleave(Function):
    needs_inputs = False

    def forward(self, a, repeats, dim):
        xp = array_module(a)
        self.shape, self.dim = a.shape, dim
        self.source = xp.repeat(xp.arange(a.shape[dim]), repeats)   # which input each output is
        return xp.take(a, self.source, axis=dim)

    def backward(self, g):
        xp = array_module(g)
        out = xp.zeros((self.shape[self.dim],) + g.shape[:self.dim] + g.shape[self.dim + 1:],
                       g.dtype)
        xp.add.at(out, self.source, xp.moveaxis(g, self.dim, 0))
        return xp.moveaxis(out, 0, self.dim)


def flip(a, dims):
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    return Flip.apply(a, dims=normalize_dims(dims, a.ndim, "flip")) if a.ndim else a.clone()


def roll(a, shifts, dims=None):
    if dims is None:
        return Roll.apply(a.reshape(-1), shifts=int(shifts), dims=0).reshape(a.shape)
    shifts = (shifts,) if isinstance(shifts, int) else tuple(shifts)
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    if len(shifts) != len(dims):
        raise ValueError(f"roll: shifts and dims must have the same length, got {len(shifts)} "
                         f"shifts and {len(dims)} dims")
    n = max(a.ndim, 1)
    for d in dims:
        if not -n <= d < n:
            raise IndexError(f"roll: dim {d} is out of range for a tensor of {a.ndim} dimensions")
    return Roll.apply(a, shifts=shifts, dims=tuple(d % n for d in dims))


def repeat(a, *sizes):
    """`a.repeat(2, 3)`: tile; there must be at least as many sizes as dimensions."""
    sizes = tuple(sizes[0]) if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)) else sizes
    if len(sizes) < a.ndim:
        raise ValueError(f"repeat: number of repeat dims ({len(sizes)}) can not be smaller than "
                         f"the number of dimensions of the tensor ({a.ndim})")
    if any(s < 0 for s in sizes):
        raise ValueError(f"repeat: sizes must be non-negative, got {sizes}")
    return Repeat.apply(a, reps=tuple(int(s) for s in sizes))


def repeat_interleave(a, repeats, dim=None, output_size=None):
    """Repeat each element `repeats` times (an int, or one count per element) along dim
    (None: the flattened tensor)."""
    if dim is None:
        a, dim = a.reshape(-1), 0
    if a.ndim == 0:
        a = a.reshape(1)
    dim = normalize_dims(dim, a.ndim, "repeat_interleave")[0]
    if isinstance(repeats, Tensor):
        repeats = repeats._data
        if repeats.ndim == 0:
            repeats = int(repeats)
    if not isinstance(repeats, int) and len(repeats) not in (1, a.shape[dim]):
        raise ValueError(f"repeat_interleave: repeats must have the same size as input along "
                         f"dim {dim} ({a.shape[dim]}), got {len(repeats)}")
    if (repeats < 0 if isinstance(repeats, int) else (repeats < 0).any()):
        raise ValueError("repeat_interleave: repeats can not be negative")
    return RepeatInterleave.apply(a, repeats=repeats, dim=dim)
