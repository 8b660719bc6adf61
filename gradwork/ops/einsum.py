"""`einsum`: Einstein summation, with the `...` and implicit-output forms and broadcasting of
size-1 dimensions. y = Σ over the letters not in the output of Π operands; the gradient of an
operand is the einsum of dy with the other operands onto its letters (repeated letters: its
diagonal; letters found nowhere else: broadcast)."""
import string

from ..autograd import Function, Tensor
from ..backend import array_module
from .shape import expand

_LETTERS = string.ascii_letters


def _parse(equation, shapes):
    """Explicit subscripts (one string per operand) and the output, '...' spelled out."""
    eq = equation.replace(" ", "")
    lhs, arrow, out = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise ValueError(f"einsum: the equation names {len(terms)} operands, got {len(shapes)}")
    free = [c for c in _LETTERS if c not in eq]
    n_ell = max((len(s) - len(t.replace("...", "")) for t, s in zip(terms, shapes)
                 if "..." in t), default=0)
    ell = "".join(free[:n_ell])
    subs = []
    for t, s in zip(terms, shapes):
        if "..." in t:
            k = len(s) - len(t.replace("...", ""))
            t = t.replace("...", ell[n_ell - k:] if k else "")
        if len(t) != len(s) or not all(c in _LETTERS for c in t):
            raise ValueError(f"einsum: subscripts {t!r} do not fit an operand of shape {s}")
        subs.append(t)
    if arrow:
        out = out.replace("...", ell)
    else:                                  # implicit: '...' then letters seen once, sorted
        counts = "".join(subs)
        out = ell + "".join(sorted(c for c in set(counts) if counts.count(c) == 1 and
                                   c not in ell))
    if len(set(out)) != len(out) or any(c not in "".join(subs) for c in out):
        raise ValueError(f"einsum: output subscripts {out!r} must be distinct letters found in "
                         "the operands")
    return subs, out


def _sizes(subs, shapes):
    sizes = {}
    for t, s in zip(subs, shapes):
        for c, n in zip(t, s):
            if sizes.get(c, 1) != 1 and n not in (1, sizes[c]):
                raise ValueError(f"einsum: subscript {c!r} has sizes {sizes[c]} and {n}")
            sizes[c] = n if sizes.get(c, 1) == 1 else sizes[c]
    return sizes


class Einsum(Function):
    def forward(self, *arrays, subs, out):
        self.arrays, self.subs, self.out = arrays, subs, out
        return array_module(*arrays).einsum(",".join(subs) + "->" + out, *arrays)

    def backward(self, g):
        return tuple(self.grad_of(k, g) if need else None
                     for k, need in enumerate(self.needs_input_grad))

    def grad_of(self, k, g):
        xp, sub, shape = array_module(g), self.subs[k], self.arrays[k].shape
        others = [s for i, s in enumerate(self.subs) if i != k]
        seen = set(self.out).union(*others)
        unique = "".join(dict.fromkeys(sub))
        keep = "".join(c for c in unique if c in seen)
        gk = xp.einsum(",".join([self.out] + others) + "->" + keep, g,
                       *[a for i, a in enumerate(self.arrays) if i != k])
        size = dict(zip(sub, shape))
        gk = xp.broadcast_to(gk.reshape([size[c] if c in keep else 1 for c in unique]),
                             [size[c] for c in unique])           # letters only in operand k
        if unique == sub:
            return xp.ascontiguousarray(gk)
        grid = xp.indices(shape, sparse=True)                       # repeated letters: diagonal
        first = {c: sub.index(c) for c in unique}
        full = gk[tuple(grid[first[c]] for c in unique)]
        for p, c in enumerate(sub):
            full = full * (grid[p] == grid[first[c]])
        return xp.broadcast_to(full, shape).astype(g.dtype, copy=False)


def einsum(equation, *operands):
    """`einsum('bij,bjk->bik', a, b)`; operands may also be given as one list."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    operands = tuple(o if isinstance(o, Tensor) else Tensor(o) for o in operands)
    subs, out = _parse(equation, [o.shape for o in operands])
    sizes = _sizes(subs, [o.shape for o in operands])
    operands = tuple(o if all(sizes[c] == n for c, n in zip(t, o.shape)) else
                     expand(o, *[sizes[c] for c in t]) for t, o in zip(subs, operands))
    dtypes = {o.dtype for o in operands}
    if len(dtypes) > 1:
        raise TypeError(f"einsum: operands must have the same dtype, got "
                        f"{sorted(map(str, dtypes))}")
    return Einsum.apply(*operands, subs=tuple(subs), out=out)
