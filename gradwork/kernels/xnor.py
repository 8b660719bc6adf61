"""The XNOR + popcount convolution on bit-packed operands (Rastegari et al. 2016, §3.2; the
larq compute engine's conventions), compiled with Numba.

Bits: 1 = negative (x < 0), 0 = non-negative, so sign(0) = +1. For two ±1 vectors of length n
packed into words a, b (unused high bits 0 in both):

    a·b = n − 2·popcount(a XOR b)                                   (XNOR-Net eq. 11 in bits)

Activations are packed along channels, one run of ⌈C/64⌉ uint64 words per pixel (NHWC in bits),
zero-padded spatially with words of 0 (= +1); a patch (the im2col row of one output pixel) is kh·kw
such runs, gathered into a buffer; the filters are packed in the same (i, j, word) order and laid
out filters-last, (G, L, K/G), so that the filters run along the vector lanes and no lane is ever
reduced. A padded position must contribute 0 (the float convolution of sign(x) with zero padding,
larq's pad_values=0), but its zero bits count as +1: the kernel therefore subtracts corr[k, u, v] =
Σ over the padded taps (i, j) of Σ_c sign(W[k, c, i, j]), computed once per input size
(`padding_correction`). The result is exact (integers).

The popcount is LLVM's ctpop intrinsic (Numba has no np.bitwise_count in nopython mode); with
AVX-512 VPOPCNTDQ or AVX2 LLVM vectorises the loop over filters. Four output pixels are done per
pass over the filters' words, so each weight word is loaded once for four patches. The kernels
release the GIL; `gradwork.threads` runs ranges of output rows on its pool (Numba's own parallel
layer is not used: it is not safe to enter from two Python threads at once). Numba is imported when
this module is, so import it only where the packed path runs.
"""
import numba
import numpy as np
from numba import types
from numba.extending import intrinsic

from ..threads import over_ranges

_JIT = {"nogil": True, "cache": True}
WORD = 64


@intrinsic
def _popcount(typingctx, x):
    """LLVM's llvm.ctpop.i64 on a uint64."""
    if x != types.uint64:
        return None

    def codegen(context, builder, signature, args):
        return builder.ctpop(args[0])
    return types.uint64(types.uint64), codegen


@numba.njit(**_JIT)
def pack_channels(x, groups, pt, pl, out):
    """out[n, g, pt + h, pl + w, c // 64] bit c % 64 ← x[n, h, w, g·Cg + c] < 0, for x
    (N, H, W, C) float (channels last, so each word reads 64 contiguous values); out
    (N, G, Hp, Wp, Cw) uint64 with its border zero (the padding)."""
    N, H, W, C = x.shape
    Cg = C // groups
    Cw = out.shape[4]
    for n in range(N):
        for h in range(H):
            for w in range(W):
                px = x[n, h, w]
                for g in range(groups):
                    dst = out[n, g, pt + h, pl + w]
                    for i in range(Cw):
                        c0 = g * Cg + i * 64
                        m = min(64, Cg - i * 64)
                        word = np.uint64(0)
                        for b in range(m):
                            word |= np.uint64(px[c0 + b] < 0) << np.uint64(b)
                        dst[i] = word


@numba.njit(**_JIT)
def pack_rows(x, out):
    """out[r, c // 64] bit c % 64 ← x[r, c] < 0, for x (R, C) float; out (R, Cw) zeroed."""
    R, C = x.shape
    for r in range(R):
        for c in range(C):
            if x[r, c] < 0:
                out[r, c >> 6] |= np.uint64(1) << np.uint64(c & 63)


@numba.njit(**_JIT)
def _patch4(xp_, n, g, u, v0, nv, kernel, stride, dilation, patch):
    """patch[p] ← the packed im2col row of output (u, v0 + p), p < nv: kh·kw runs of Cw words."""
    Cw = xp_.shape[4]
    kh, kw = kernel
    for p in range(nv):
        v = v0 + p
        for i in range(kh):
            for j in range(kw):
                src = xp_[n, g, u * stride[0] + i * dilation[0], v * stride[1] + j * dilation[1]]
                base = (i * kw + j) * Cw
                for c in range(Cw):
                    patch[p, base + c] = src[c]


@numba.njit(**_JIT)
def _popcounts4(patch, wt, acc):
    """acc[p, k] = Σ_i popcount(patch[p, i] XOR wt[i, k]) for the four patches p: the filters
    run along the vector lanes (wt is (L, K/G), filters contiguous), so no lane is reduced."""
    acc[:] = 0
    for i in range(wt.shape[0]):
        b = wt[i]
        a0, a1, a2, a3 = patch[0, i], patch[1, i], patch[2, i], patch[3, i]
        for k in range(wt.shape[1]):
            bk = b[k]
            acc[0, k] += _popcount(a0 ^ bk)
            acc[1, k] += _popcount(a1 ^ bk)
            acc[2, k] += _popcount(a2 ^ bk)
            acc[3, k] += _popcount(a3 ^ bk)


@numba.njit(**_JIT)
def xnor_conv_rows(xp_, wt, n_valid, corr, alpha, bias, kernel, stride, dilation, rows, out):
    """out[n, k, u, v] = α_k·(n_valid − 2·Σ popcount(patch XOR W_k) − corr[k, u, v]) + b_k for
    the output rows rows[0] ≤ n·oh + u < rows[1].

    xp_: packed input (N, G, Hp, Wp, Cw), spatially padded; wt: packed filters (G, L, K/G),
    word i of filter g·K/G + k at wt[g, i, k], words in (i, j, word) order, L = kh·kw·Cw;
    n_valid = C/G·kh·kw; corr (K, oh, ow) int64; alpha, bias (K,) float; out (N, K, oh, ow)."""
    G, L, Kg = wt.shape
    oh, ow = out.shape[2], out.shape[3]
    patch = np.zeros((4, L), np.uint64)
    acc = np.zeros((4, Kg), np.uint64)
    row = np.empty((G * Kg, ow), np.int64)     # one output row, written out whole per filter
    for r in range(rows[0], rows[1]):
        n, u = r // oh, r % oh
        for g in range(G):
            for v0 in range(0, ow, 4):
                nv = min(4, ow - v0)
                _patch4(xp_, n, g, u, v0, nv, kernel, stride, dilation, patch)
                _popcounts4(patch, wt[g], acc)
                for p in range(nv):
                    for k in range(Kg):
                        row[g * Kg + k, v0 + p] = acc[p, k]
        for k in range(G * Kg):         # contiguous runs of ow values (out is (N, K, oh, ow))
            dst = out[n, k, u]
            for v in range(ow):
                dst[v] = alpha[k] * (n_valid - 2 * row[k, v] - corr[k, u, v]) + bias[k]


@numba.njit(**_JIT)
def xnor_gemm_rows(xp_, wt, n_valid, alpha, bias, rows, out):
    """out[r, k] = α_k·(n_valid − 2·popcount(x_r XOR W_k)) + b_k for rows[0] ≤ r < rows[1]:
    the dense layer, xp_ (R, Cw) packed, wt (Cw, K) the packed rows transposed,
    n_valid = in_features."""
    L, K = wt.shape
    patch = np.zeros((4, L), np.uint64)
    acc = np.zeros((4, K), np.uint64)
    for r0 in range(rows[0], rows[1], 4):
        nr = min(4, rows[1] - r0)
        for p in range(nr):
            patch[p, :] = xp_[r0 + p]
        _popcounts4(patch, wt, acc)
        for p in range(nr):
            for k in range(K):
                out[r0 + p, k] = alpha[k] * (n_valid - 2 * np.int64(acc[p, k])) + bias[k]


@numba.njit(**_JIT)
def popcount_rows(words, out):
    """out[r] = Σ popcount(words[r, :]), for words (R, L) uint64."""
    R, L = words.shape
    for r in range(R):
        s = np.uint64(0)
        for i in range(L):
            s += _popcount(words[r, i])
        out[r] = np.int64(s)


# ---------------------------------------------------------------- the drivers (raw arrays)
def words(n):
    """uint64 words that hold n bits."""
    return -(-n // WORD)


def pack_conv_weight(signs):
    """Filters (K, C/G, kh, kw) → (K, kh·kw·⌈C/G/64⌉) uint64 in (i, j, word) order, bit 1
    where the value is negative (the im2col row layout of `xnor_conv_rows`)."""
    K, Cg, kh, kw = signs.shape
    rows = np.ascontiguousarray(signs.transpose(0, 2, 3, 1)).reshape(K * kh * kw, Cg)
    out = np.zeros((K * kh * kw, words(Cg)), np.uint64)
    pack_rows(rows, out)
    return out.reshape(K, kh * kw * words(Cg))


def pack_linear_weight(signs):
    """(out, in) → (out, ⌈in/64⌉) uint64, bit 1 where negative."""
    out = np.zeros((signs.shape[0], words(signs.shape[1])), np.uint64)
    pack_rows(np.ascontiguousarray(signs), out)
    return out


def tap_sums(wp, in_per_group, kernel):
    """Σ_c sign(W[k, c, i, j]) (K, kh, kw) from the packed filters: C/G − 2·popcount."""
    K = wp.shape[0]
    kh, kw = kernel
    counts = np.empty(K * kh * kw, np.int64)
    popcount_rows(wp.reshape(K * kh * kw, -1), counts)
    return in_per_group - 2 * counts.reshape(K, kh, kw)


def _valid_taps(size, k, s, pad_before, d, out):
    """valid[u, i] = 1 where output u's tap i reads inside the input (not the padding)."""
    pos = np.arange(out)[:, None] * s + np.arange(k)[None, :] * d - pad_before
    return ((pos >= 0) & (pos < size)).astype(np.int64)


def padding_correction(sums, in_hw, stride, pads, dilation, out_hw):
    """corr[k, u, v] = Σ over the taps (i, j) of output (u, v) that fall in the padding of
    sums[k, i, j] (`tap_sums`): what the padded words (bits 0, read as +1) added."""
    _, kh, kw = sums.shape
    rv = _valid_taps(in_hw[0], kh, stride[0], pads[0][0], dilation[0], out_hw[0])   # (oh, kh)
    cv = _valid_taps(in_hw[1], kw, stride[1], pads[1][0], dilation[1], out_hw[1])   # (ow, kw)
    inside = np.einsum("kij,ui,vj->kuv", sums, rv, cv, optimize=True)
    return np.ascontiguousarray(sums.sum(axis=(1, 2))[:, None, None] - inside)


def filters_last(wp, groups):
    """Packed filters (K, L) → the kernel's layout (G, L, K/G): filters along the lanes."""
    K, L = wp.shape
    return np.ascontiguousarray(wp.reshape(groups, K // groups, L).transpose(0, 2, 1))


# Below this many binary multiply-adds a packed convolution runs in the calling thread.
_PARALLEL_MACS = 1 << 24


def xnor_conv2d_packed(x, wt, alpha, bias, kernel, stride, pads, dilation, corr):
    """y (N, K, oh, ow) = α ⊙ (sign x ⊛ sign W) + b, x (N, C, H, W) float, wt the packed
    filters in the kernel's layout (`filters_last`: (G, L, K/G)), pads ((top, bottom),
    (left, right)) exact through corr (`padding_correction`, (K, oh, ow)). Threads pack ranges
    of the batch, then take ranges of the N·oh output rows."""
    N, C, H, W = x.shape
    (pt, pb), (pl, pr) = pads
    G, _, Kg = wt.shape
    K, oh, ow = G * Kg, corr.shape[1], corr.shape[2]
    Cg = C // G
    xpk = np.zeros((N, G, H + pt + pb, W + pl + pr, words(Cg)), np.uint64)
    xl = np.ascontiguousarray(x.transpose(0, 2, 3, 1))        # (N, H, W, C): channels last
    out = np.empty((N, K, oh, ow), x.dtype)
    b = np.zeros(K, x.dtype) if bias is None else bias.astype(x.dtype)
    a = alpha.astype(x.dtype)
    n_valid = Cg * kernel[0] * kernel[1]

    def pack(n0, n1):
        pack_channels(xl[n0:n1], G, pt, pl, xpk[n0:n1])

    def rows(r0, r1):
        xnor_conv_rows(xpk, wt, n_valid, corr, a, b, kernel, stride, dilation, (r0, r1), out)
    if N * oh * ow * K * n_valid < _PARALLEL_MACS:
        pack(0, N)
        rows(0, N * oh)
    else:
        over_ranges(pack, N)
        over_ranges(rows, N * oh)
    return out


def xnor_linear_packed(x, wt, alpha, bias, in_features):
    """y (R, K) = α ⊙ (sign x · sign Wᵀ) + b, x (R, in) float, wt the packed rows transposed
    ((⌈in/64⌉, K), `filters_last(wp, 1)[0]`)."""
    R, K = x.shape[0], wt.shape[1]
    xpk = np.zeros((R, words(in_features)), np.uint64)
    pack_rows(np.ascontiguousarray(x), xpk)
    out = np.empty((R, K), x.dtype)
    b = np.zeros(K, x.dtype) if bias is None else bias.astype(x.dtype)
    xnor_gemm_rows(xpk, wt, in_features, alpha.astype(x.dtype), b, (0, R), out)
    return out
