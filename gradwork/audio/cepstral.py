"""Mel-frequency cepstral coefficients (`mfcc`) and their time derivatives (`delta`).

    MFCC = D · dB(M)[:n_mfcc],  D[k, n] = √(2/N)·cos(πk(2n + 1)/(2N)), row 0 × 1/√2
    (DCT-II, orthonormal; Davis & Mermelstein 1980; deck 002), optional liftering
    c_k ← c_k · (1 + (L/2)·sin(πk/L))   (k = 1..n_mfcc, as librosa).

Both are linear maps along one axis, written as matmuls, so they are differentiable for a
Tensor (the DCT along the mel axis, the delta filter along time).
"""
import math

from ..autograd import Tensor
from ..backend import np
from ..errors import ArgumentError, check_choice, check_nonnegative, check_positive_int
from ..ops import matmul
from .db import power_to_db
from .mel import melspectrogram
from .presets import get_preset, pick


def dct_matrix(n_out, n_in, norm="ortho", dtype=np.float32):
    """The first n_out rows of the DCT-II matrix (n_out, n_in): orthonormal (norm='ortho'),
    or scipy's unnormalised 2·cos(πk(2n + 1)/(2N)) (norm=None)."""
    check_choice("mfcc", "norm", norm, ("ortho", None))
    n = np.arange(n_in)
    k = np.arange(n_out)[:, None]
    D = 2.0 * np.cos(math.pi * k * (2 * n + 1) / (2 * n_in))
    if norm == "ortho":
        D *= np.sqrt(1.0 / (2 * n_in))
        D[0] /= np.sqrt(2.0)
    return D.astype(dtype)


def lifter_weights(n_mfcc, lifter, dtype=np.float32):
    """1 + (L/2)·sin(π·k/L), k = 1..n_mfcc (librosa's sinusoidal liftering)."""
    k = np.arange(1, n_mfcc + 1)
    return (1 + (lifter / 2) * np.sin(math.pi * k / lifter)).astype(dtype)


def mfcc(y=None, sr=None, S=None, n_mfcc=None, dct_type=2, norm="ortho", lifter=0,
         mel_norm="preset", n_fft=None, hop_length=None, win_length=None, window=None,
         center=None, pad_mode=None, n_mels=None, fmin=0.0, fmax=None, htk=None, top_db=80.0,
         preset="librosa"):
    """MFCCs (..., n_mfcc, n_frames) of a signal y, or of a log-power mel spectrogram S.

    S defaults to power_to_db(melspectrogram(y, ...), top_db=top_db), librosa's recipe; the
    STFT and mel arguments are melspectrogram's (left None: the preset's), `mel_norm` is its
    `norm` and `norm` the DCT's ('ortho' or None; dct_type 2 only), as in librosa. NumPy in →
    NumPy out; Tensor in → differentiable Tensor.
    """
    check_choice("mfcc", "dct_type", dct_type, (2,))
    p = get_preset("mfcc", preset)
    n_mfcc = check_positive_int("mfcc", "n_mfcc", pick(n_mfcc, p.n_mfcc))
    lifter = check_nonnegative("mfcc", "lifter", lifter)
    if S is None:
        if y is None:
            raise ArgumentError("mfcc: give y (a signal) or S (a log-power mel spectrogram)")
        S = power_to_db(melspectrogram(y, sr, None, n_fft, hop_length, win_length, window,
                                       center, pad_mode, 2.0, n_mels, fmin, fmax, htk,
                                       mel_norm, preset), top_db=top_db)
    n_in = S.shape[-2]
    if n_mfcc > n_in:
        raise ArgumentError(f"mfcc: n_mfcc must be at most the number of mel bands {n_in}, got "
                            f"{n_mfcc}")
    D = dct_matrix(n_mfcc, n_in, norm, S.dtype)
    if lifter > 0:
        D = D * lifter_weights(n_mfcc, lifter, S.dtype)[:, None]
    return matmul(Tensor(D), S) if isinstance(S, Tensor) else np.matmul(D, S)


def _savgol_rows(width, order, rows):
    """Weights giving the `order`-th derivative at positions `rows` (0..width-1) of the
    degree-`order` least-squares polynomial through `width` points (Savitzky & Golay 1964)."""
    z = np.arange(width, dtype=np.float64)
    V = z[:, None] ** np.arange(order + 1)                        # (width, order + 1)
    coef = np.linalg.pinv(V)                                      # polynomial ← samples
    powers = np.arange(order + 1)
    factor = np.array([math.perm(int(q), order) if q >= order else 0 for q in powers], float)
    r = np.asarray(rows, np.float64)[:, None]
    basis = factor * r ** np.maximum(powers - order, 0)           # d^order z^q / dz^order
    return basis @ coef                                           # (len(rows), width)


def delta_matrix(n_frames, width=9, order=1, dtype=np.float32):
    """(n_frames, n_frames) Δ: delta(x) = x @ Δᵀ along time, scipy's savgol_filter with
    polyorder = deriv = order and mode='interp' (librosa's `feature.delta`)."""
    half = width // 2
    A = np.zeros((n_frames, n_frames))
    centre = _savgol_rows(width, order, [half])[0]
    for t in range(half, n_frames - half):
        A[t, t - half:t + half + 1] = centre
    A[:half, :width] = _savgol_rows(width, order, range(half))
    A[n_frames - half:, n_frames - width:] = _savgol_rows(width, order, range(half + 1, width))
    return A.astype(dtype)


def delta(data, width=9, order=1, axis=-1, mode="interp"):
    """Local derivative estimate of `data` along `axis` (time), librosa's `feature.delta`:
    Savitzky–Golay derivative of order `order` over `width` frames (odd, ≥ 3), edges by the
    polynomial fitted to the first/last `width` frames (mode 'interp')."""
    check_choice("delta", "mode", mode, ("interp",))
    order = check_positive_int("delta", "order", order)
    width = check_positive_int("delta", "width", width)
    if width < 3 or width % 2 == 0:
        raise ArgumentError(f"delta: width must be an odd integer >= 3, got {width}")
    n = data.shape[axis]
    if width > n:
        raise ArgumentError(f"delta: width={width} must be at most the {n} frames along axis "
                            f"{axis}; use a smaller width")
    if order >= width:
        raise ArgumentError(f"delta: order must be less than width={width}, got {order}")
    A = delta_matrix(n, width, order, data.dtype)
    if isinstance(data, Tensor):
        x = data.transpose(axis, -1) if axis not in (-1, data.ndim - 1) else data
        out = matmul(x, Tensor(A.T))
        return out.transpose(axis, -1) if x is not data else out
    x = np.moveaxis(np.asarray(data), axis, -1)
    return np.moveaxis(x @ A.T, -1, axis)
