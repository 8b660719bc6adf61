"""Padding (`F.pad`): constant, reflect, replicate and circular; negative pads crop."""
from ..autograd import Function
from ..backend import array_module

_NUMPY_MODE = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


# constant padding: y = a surrounded by `value`;  da = the interior slice of dy
class ConstantPad(Function):
    needs_inputs = False

    def forward(self, a, widths, value):
        xp = array_module(a)
        grow = [(max(lo, 0), max(hi, 0)) for lo, hi in widths]
        out = xp.pad(a, grow, mode="constant", constant_values=value) if any(
            lo or hi for lo, hi in grow) else a
        crop = tuple(slice(-min(lo, 0), out.shape[i] + min(hi, 0))
                     for i, (lo, hi) in enumerate(widths))
        self.shape, self.dtype, self.widths = a.shape, a.dtype, widths
        return out[crop]

    def backward(self, g):
        xp = array_module(g)
        inner = tuple(slice(max(lo, 0), g.shape[i] - max(hi, 0))
                      for i, (lo, hi) in enumerate(self.widths))
        if all(lo >= 0 and hi >= 0 for lo, hi in self.widths):
            return g[inner]
        out = xp.zeros(self.shape, self.dtype)
        target = tuple(slice(-min(lo, 0), self.shape[i] + min(hi, 0))
                       for i, (lo, hi) in enumerate(self.widths))
        out[target] = g[inner]
        return out


# index padding (reflect / replicate / circular): y = a gathered at padded indices; da = scatter-add
class IndexPad(Function):
    needs_inputs = False

    def forward(self, a, widths, mode):
        xp = array_module(a)
        self.shape, self.dtype, self.maps = a.shape, a.dtype, []
        out = a
        for axis, (lo, hi) in enumerate(widths):
            if lo or hi:
                idx = xp.pad(xp.arange(a.shape[axis]), (lo, hi), mode=_NUMPY_MODE[mode])
                self.maps.append((axis, idx))
                out = out.take(idx, axis=axis)
        return out

    def backward(self, g):
        xp = array_module(g)
        for axis, idx in reversed(self.maps):
            shape = list(g.shape)
            shape[axis] = self.shape[axis]
            acc = xp.zeros(shape, g.dtype)
            xp.add.at(acc, (slice(None),) * axis + (idx,), g)
            g = acc
        return g


def pad(input, pad, mode="constant", value=0.0):
    """Pad the last len(pad)/2 dims: pad = (left_last, right_last, left_prev, right_prev, …)."""
    if len(pad) % 2 or len(pad) // 2 > input.ndim:
        raise ValueError(f"pad: pad must have an even length of at most 2·{input.ndim}, got "
                         f"{tuple(pad)} for input of shape {tuple(input.shape)}")
    widths = [(0, 0)] * input.ndim
    for i in range(len(pad) // 2):
        widths[input.ndim - 1 - i] = (int(pad[2 * i]), int(pad[2 * i + 1]))
    for i, (lo, hi) in enumerate(widths):
        if input.shape[i] + lo + hi < 0:
            raise ValueError(f"pad: padding ({lo}, {hi}) on dimension {i} leaves a negative size "
                             f"for input of shape {tuple(input.shape)}")
    if mode == "constant":
        return ConstantPad.apply(input, widths=widths, value=value)
    if mode not in _NUMPY_MODE:
        raise ValueError(f"pad: mode must be 'constant', 'reflect', 'replicate' or 'circular', "
                         f"got {mode!r}")
    if mode == "circular" and any(lo < 0 or hi < 0 for lo, hi in widths):
        # PyTorch crops first, then wraps what is left
        input = ConstantPad.apply(input, widths=[(min(lo, 0), min(hi, 0)) for lo, hi in widths],
                                  value=0.0)
        widths = [(max(lo, 0), max(hi, 0)) for lo, hi in widths]
    for i, (lo, hi) in enumerate(widths):
        # reflect needs pads < size, circular pads ≤ size; replicate repeats the edge freely
        limit = {"reflect": input.shape[i] - 1, "circular": input.shape[i]}.get(mode)
        if lo < 0 or hi < 0 or (limit is not None and (lo or hi) and max(lo, hi) > limit):
            bound = "" if limit is None else f" of at most {limit}"
            raise ValueError(f"pad: {mode} padding ({lo}, {hi}) on dimension {i} needs "
                             f"non-negative pads{bound} for input of shape {tuple(input.shape)}")
    return IndexPad.apply(input, widths=widths, mode=mode)
