"""Connectionist temporal classification (Graves et al. 2006; deck 004, temporal classification).

The loss of a label sequence l given per-frame log-probabilities: −log p(l | x), where p sums
over every frame-level path that collapses to l (merge repeats, then drop blanks). It is
computed by the forward–backward recursions over the extended label sequence
l' = (blank, l₁, blank, l₂, …, blank) of length 2|l| + 1, in log space so that T = 1000
frames never underflow.
"""
from ..autograd import Function, Tensor
from ..backend import array_module
from ..errors import check_choice
from . import arithmetic, reduce, shape

_REDUCTIONS = ("none", "mean", "sum")


def _shift(a, k, fill):
    """a[..., s − k] along the last axis, `fill` where s < k."""
    xp = array_module(a)
    out = xp.full_like(a, fill)
    out[..., k:] = a[..., :a.shape[-1] - k]
    return out


def _unshift(a, k, fill):
    """a[..., s + k] along the last axis, `fill` where s + k is past the end."""
    xp = array_module(a)
    out = xp.full_like(a, fill)
    out[..., :a.shape[-1] - k] = a[..., k:]
    return out


def _alphas(lp, skip, input_lengths, ext_len):
    """Forward variables α (T, N, L), log space; rows stay frozen once t ≥ T_n."""
    xp = array_module(lp)
    T, N, L = lp.shape
    ninf = -xp.inf
    alpha = xp.full((T, N, L), ninf, lp.dtype)
    first = xp.arange(L)[None, :] < xp.minimum(ext_len, 2)[:, None]          # s ∈ {0, 1}
    alpha[0] = xp.where(first, lp[0], ninf)
    for t in range(1, T):
        prev = alpha[t - 1]
        acc = xp.logaddexp(prev, _shift(prev, 1, ninf))
        acc = xp.logaddexp(acc, xp.where(skip, _shift(prev, 2, ninf), ninf))
        alpha[t] = xp.where((t < input_lengths)[:, None], lp[t] + acc, prev)
    return alpha


def _betas(lp, skip, input_lengths, ext_len):
    """Backward variables β (T, N, L) in log space, excluding the emission at t."""
    xp = array_module(lp)
    T, N, L = lp.shape
    ninf = -xp.inf
    s = xp.arange(L)[None, :]
    last = (s == (ext_len - 1)[:, None]) | (s == (ext_len - 2)[:, None])     # s ≥ L_n − 2
    start = xp.where(last, 0.0, ninf).astype(lp.dtype)
    skip_ahead = _unshift(skip, 2, False)                                    # s → s+2 allowed
    beta = xp.full((T, N, L), ninf, lp.dtype)
    acc = xp.full((N, L), ninf, lp.dtype)
    for t in range(T - 1, -1, -1):
        if t < T - 1:
            nxt = beta[t + 1] + lp[t + 1]                                    # (N, L)
            acc = xp.logaddexp(nxt, _unshift(nxt, 1, ninf))
            acc = xp.logaddexp(acc, xp.where(skip_ahead, _unshift(nxt, 2, ninf), ninf))
        beta[t] = xp.where((t == input_lengths - 1)[:, None], start,
                           xp.where((t < input_lengths - 1)[:, None], acc, ninf))
    return beta


# Graves et al. 2006, eqs 6–10 and 14 (y = log_probs, l' the extended labels):
# α_t(s) = y_t(l'_s) + logsumexp(α_{t−1}(s), α_{t−1}(s−1), [l'_s≠l'_{s−2}] α_{t−1}(s−2))
# β_t(s) = logsumexp_{s' ∈ {s, s+1, s+2}} (y_{t+1}(l'_{s'}) + β_{t+1}(s'))
# ∂(−ln p)/∂y_t(c) = −Σ_{s: l'_s = c} exp(α_t(s) + β_t(s) − ln p)
class CTCLoss(Function):
    """Per-sequence CTC loss (N,) from log_probs (T, N, C); one fused forward–backward.

    β here excludes the emission at t (α includes it), so α_t(s) + β_t(s) is the log mass of
    all paths through (t, s) and the gradient needs no division by y_t."""
    needs_inputs = False

    def forward(self, log_probs, ext, skip, input_lengths, target_lengths, zero_infinity):
        xp = array_module(log_probs)
        T, N, C = log_probs.shape
        lp = xp.take_along_axis(log_probs, xp.broadcast_to(ext[None], (T,) + ext.shape), 2)
        ext_len = 2 * target_lengths + 1                                     # (N,)
        alpha = _alphas(lp, skip, input_lengths, ext_len)                    # (T, N, L)
        last = alpha[xp.maximum(input_lengths - 1, 0), xp.arange(N)]        # (N, L)
        end = xp.take_along_axis(last, (ext_len - 1)[:, None], 1)[:, 0]
        before = xp.take_along_axis(last, xp.maximum(ext_len - 2, 0)[:, None], 1)[:, 0]
        logp = xp.logaddexp(end, xp.where(ext_len >= 2, before, -xp.inf))
        empty = xp.where(target_lengths == 0, 0.0, -xp.inf)                  # no frames at all
        logp = xp.where(input_lengths == 0, empty, logp).astype(lp.dtype)
        # Impossible alignments (p = 0) get no gradient; zero_infinity also zeroes their loss.
        self.live = xp.isfinite(logp)
        nll = xp.where(self.live, -logp, 0.0 if zero_infinity else xp.inf).astype(lp.dtype)
        self.lp, self.alpha, self.logp, self.ext, self.skip = lp, alpha, logp, ext, skip
        self.input_lengths, self.ext_len, self.C = input_lengths, ext_len, C
        return nll

    def backward(self, g):
        xp = array_module(g)
        lp = self.lp
        beta = _betas(lp, self.skip, self.input_lengths, self.ext_len)      # (T, N, L)
        logp = xp.where(self.live, self.logp, 0.0).astype(lp.dtype)
        occupancy = xp.exp(self.alpha + beta - logp[None, :, None])         # γ_t(s), (T, N, L)
        occupancy *= xp.where(self.live, -g, 0.0).astype(lp.dtype)[None, :, None]
        onehot = (self.ext[:, :, None] == xp.arange(self.C)).astype(lp.dtype)   # (N, L, C)
        grad = xp.matmul(occupancy.transpose(1, 0, 2), onehot)              # (N, T, C)
        return grad.transpose(1, 0, 2)


def _lengths(name, value, n, xp):
    """Lengths given as a Tensor, array, list/tuple or int → an int64 array of shape (n,)."""
    arr = value._data if isinstance(value, Tensor) else value
    arr = xp.asarray(arr).reshape(-1)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"ctc_loss: {name} must hold integers, got dtype {arr.dtype}")
    if arr.shape[0] != n:
        raise ValueError(f"ctc_loss: {name} must have one entry per sequence (batch size {n}), "
                         f"got {arr.shape[0]}")
    if n and arr.min() < 0:
        raise ValueError(f"ctc_loss: {name} must be non-negative, got {int(arr.min())}")
    return arr.astype("int64")


def _padded_targets(targets, target_lengths, n, batched, xp):
    """Targets (N, S) padded or (Σ lengths,) concatenated → (N, S_max) padded (pads unread)."""
    y = targets._data if isinstance(targets, Tensor) else xp.asarray(targets)
    y = y.astype("int64")
    width = int(target_lengths.max()) if n else 0
    if batched and y.ndim == 1:                                      # concatenated
        if y.shape[0] != int(target_lengths.sum()):
            raise ValueError(f"ctc_loss: concatenated targets must have sum(target_lengths) = "
                             f"{int(target_lengths.sum())} elements, got {y.shape[0]}")
        padded = xp.zeros((n, width), "int64")
        starts = xp.cumsum(target_lengths) - target_lengths
        for i in range(n):
            padded[i, :target_lengths[i]] = y[starts[i]:starts[i] + target_lengths[i]]
        return padded
    if y.ndim != (2 if batched else 1) or (batched and y.shape[0] != n):
        expected = f"({n}, S) (padded) or (sum(target_lengths),)" if batched else "(S,)"
        raise ValueError(f"ctc_loss: targets must have shape {expected}, got {tuple(y.shape)}")
    y = y.reshape(n, -1)
    if width > y.shape[1]:
        raise ValueError(f"ctc_loss: target_lengths up to {width} exceed the padded targets' "
                         f"width {y.shape[1]} (targets of shape {tuple(y.shape)})")
    return y[:, :width]


def _extended(targets, target_lengths, blank, C, xp):
    """l' = (blank, l₁, blank, …, blank) (N, 2S + 1), and where a skip s−2 → s is allowed."""
    n, width = targets.shape
    inside = xp.arange(width)[None, :] < target_lengths[:, None]
    bad = inside & ((targets < 0) | (targets >= C))
    if bad.any():
        raise IndexError(f"ctc_loss: target value {int(targets[bad][0])} is out of range for "
                         f"{C} classes (log_probs of {C} classes)")
    ext = xp.full((n, 2 * width + 1), blank, "int64")
    ext[:, 1::2] = xp.where(inside, targets, blank)
    skip = xp.zeros(ext.shape, bool)
    skip[:, 2:] = ext[:, 2:] != ext[:, :-2]
    return ext, skip


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean",
             zero_infinity=False):
    """Connectionist temporal classification loss (Graves et al. 2006), PyTorch's semantics.

    log_probs: (T, N, C) or unbatched (T, C), log-softmax outputs; targets: (N, S) padded,
    (Σ target_lengths,) concatenated, or (S,) unbatched, class indices ≠ blank; lengths:
    Tensors, sequences or ints. Returns −ln p(l | x) per sequence ('none'), their sum, or
    ('mean') the batch mean of each loss divided by its target length (at least 1).
    An impossible alignment (input too short for the target and its repeats) gives inf,
    or 0 with zero_infinity=True; either way its gradient is 0 (never NaN).

    The gradient is the exact derivative w.r.t. log_probs: −γ_t(c), the posterior occupancy.
    PyTorch's kernel returns exp(y_t(c)) − γ_t(c) instead (Graves' eq. 16, the gradient w.r.t.
    the logits); the two agree once back-propagated through the log_softmax that made log_probs.
    """
    check_choice("ctc_loss", "reduction", reduction, _REDUCTIONS)
    if log_probs.ndim not in (2, 3):
        raise ValueError(f"ctc_loss: log_probs must have shape (T, N, C) or (T, C), got "
                         f"{tuple(log_probs.shape)}")
    batched = log_probs.ndim == 3
    lp = log_probs if batched else shape.unsqueeze(log_probs, 1)
    T, N, C = lp.shape
    if not 0 <= blank < C:
        raise ValueError(f"ctc_loss: blank must be in [0, {C}) for log_probs of {C} classes, "
                         f"got {blank}")
    xp = array_module(lp._data)
    il = _lengths("input_lengths", input_lengths, N, xp)
    tl = _lengths("target_lengths", target_lengths, N, xp)
    if N and il.max() > T:
        raise ValueError(f"ctc_loss: input_lengths must be at most T = {T} (log_probs of shape "
                         f"{tuple(log_probs.shape)}), got {int(il.max())}")
    y = _padded_targets(targets, tl, N, batched, xp)
    ext, skip = _extended(y, tl, blank, C, xp)
    losses = CTCLoss.apply(lp, ext=ext, skip=skip, input_lengths=il, target_lengths=tl,
                           zero_infinity=zero_infinity)                            # (N,)
    if reduction == "mean":
        denom = Tensor(xp.maximum(tl, 1).astype(losses.dtype))
        return reduce.mean(arithmetic.div(losses, denom))
    if reduction == "sum":
        return reduce.sum(losses)
    return losses if batched else shape.squeeze(losses, 0)
