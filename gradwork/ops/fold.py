"""`F.unfold` (im2col) and `F.fold` (col2im), the adjoint pair: unfold gathers every sliding
k_h×k_w block of (N, C, H, W) into a column of (N, C·k_h·k_w, L); fold scatter-adds the
columns back (overlaps summed). Each one's backward is the other's forward."""
from ..autograd import Function
from ..backend import array_module


def _pair(v, name, op, minimum):
    v = (v, v) if isinstance(v, int) else tuple(v)
    if len(v) != 2 or any(not isinstance(x, int) or x < minimum for x in v):
        raise ValueError(f"{op}: {name} must be an int or a pair of ints ≥ {minimum}, got {v!r}")
    return v


def _blocks(xp, hw, k, d, p, s, op):
    """Row/column indices into the padded image of every (kernel offset, block) pair."""
    out = [(hw[i] + 2 * p[i] - d[i] * (k[i] - 1) - 1) // s[i] + 1 for i in range(2)]
    if min(out) <= 0:
        raise ValueError(f"{op}: the {k[0]}×{k[1]} kernel (dilation {d}, padding {p}) does not "
                         f"fit the spatial size {tuple(hw)}")
    rows = (xp.arange(k[0]) * d[0])[:, None, None, None] + \
        (xp.arange(out[0]) * s[0])[None, None, :, None]          # (kh, 1, oh, 1)
    cols = (xp.arange(k[1]) * d[1])[None, :, None, None] + \
        (xp.arange(out[1]) * s[1])[None, None, None, :]          # (1, kw, 1, ow)
    return rows, cols


def _gather(x, k, d, p, s, op):
    """(N, C, H, W) → (N, C·kh·kw, L)."""
    xp = array_module(x)
    n, c = x.shape[:2]
    padded = xp.pad(x, ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])))
    rows, cols = _blocks(xp, x.shape[2:], k, d, p, s, op)
    blocks = padded[:, :, rows, cols]                              # (N, C, kh, kw, oh, ow)
    return blocks.reshape(n, c * k[0] * k[1], rows.shape[2] * cols.shape[3])


def _scatter(cols_, hw, k, d, p, s, op):
    """(N, C·kh·kw, L) → (N, C, H, W), overlapping blocks summed."""
    xp = array_module(cols_)
    n, ckk, _ = cols_.shape
    c = ckk // (k[0] * k[1])
    rows, cols = _blocks(xp, hw, k, d, p, s, op)
    oh, ow = rows.shape[2], cols.shape[3]
    padded = xp.zeros((n, c, hw[0] + 2 * p[0], hw[1] + 2 * p[1]), cols_.dtype)
    blocks = cols_.reshape(n, c, k[0], k[1], oh, ow)
    r, q = xp.broadcast_arrays(rows, cols)
    xp.add.at(padded, (slice(None), slice(None), r, q), blocks)
    return padded[:, :, p[0]:p[0] + hw[0], p[1]:p[1] + hw[1]]


class Unfold(Function):
    needs_inputs = False

    def forward(self, x, k, d, p, s):
        self.hw, self.args = x.shape[2:], (k, d, p, s)
        return _gather(x, k, d, p, s, "unfold")

    def backward(self, g):
        return _scatter(g, self.hw, *self.args, "unfold")


class Fold(Function):
    needs_inputs = False

    def forward(self, cols, hw, k, d, p, s):
        self.args = (k, d, p, s)
        return _scatter(cols, hw, k, d, p, s, "fold")

    def backward(self, g):
        return _gather(g, *self.args, "fold")


def _args(kernel_size, dilation, padding, stride, op):
    return (_pair(kernel_size, "kernel_size", op, 1), _pair(dilation, "dilation", op, 1),
            _pair(padding, "padding", op, 0), _pair(stride, "stride", op, 1))


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Sliding blocks of (N, C, H, W) (or (C, H, W)) as columns (N, C·kh·kw, L)."""
    if input.ndim not in (3, 4):
        raise ValueError(f"unfold: expected a 3-D or 4-D input, got shape {tuple(input.shape)}")
    if input.ndim == 3:
        return unfold(input.unsqueeze(0), kernel_size, dilation, padding, stride).squeeze(0)
    k, d, p, s = _args(kernel_size, dilation, padding, stride, "unfold")
    return Unfold.apply(input, k=k, d=d, p=p, s=s)


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Columns (N, C·kh·kw, L) (or 2-D) summed back into (N, C, *output_size)."""
    if input.ndim not in (2, 3):
        raise ValueError(f"fold: expected a 2-D or 3-D input, got shape {tuple(input.shape)}")
    if input.ndim == 2:
        return fold(input.unsqueeze(0), output_size, kernel_size, dilation, padding,
                    stride).squeeze(0)
    k, d, p, s = _args(kernel_size, dilation, padding, stride, "fold")
    hw = _pair(output_size, "output_size", "fold", 1)
    rows, cols = _blocks(array_module(input._data), hw, k, d, p, s, "fold")
    blocks = rows.shape[2] * cols.shape[3]
    if input.shape[1] % (k[0] * k[1]) or input.shape[2] != blocks:
        raise ValueError(f"fold: expected input of shape (N, C·{k[0]}·{k[1]}, {blocks}) for "
                         f"output_size {hw}, got {tuple(input.shape)}")
    return Fold.apply(input, hw=hw, k=k, d=d, p=p, s=s)
