"""The short-time Fourier transform (`stft`), its inverse (`istft`) and `spectrogram`.

    X[..., f, t] = Σ_n w[n] · x[t·hop + n] · e^{−2πi f n / n_fft}        (deck 002; Allen 1977)

Layout: librosa's (..., n_freq, n_frames), n_freq = n_fft//2 + 1 when onesided. A NumPy
array in gives a complex NumPy array out (as librosa); a gradwork Tensor in gives a real
Tensor (..., n_freq, n_frames, 2) with real and imaginary parts on the last axis (as
`torch.view_as_real(torch.stft(...))`), differentiable: the framing and the windowed DFT are
one op (`STFT`) whose backward is the DFT's adjoint followed by overlap-add, and the centre
padding is `F.pad`'s (constant or reflect), so gradients flow back to the waveform.
"""
import math

from ..autograd import Function, Tensor
from ..backend import array_module, np
from ..errors import ArgumentError, ShapeError, check_choice, check_positive_int
from ..ops import maximum
from ..ops.pad import pad as _pad
from .presets import get_preset, pick

PAD_MODES = ("constant", "reflect")


def get_window(window, win_length, n_fft, dtype=np.float32):
    """The analysis window, periodic ('hann', 'hamming') or rectangular ('ones'), or a given
    array of length win_length, zero-padded on both sides to n_fft (librosa's pad_center)."""
    if isinstance(window, str):
        check_choice("stft", "window", window, ("hann", "hamming", "ones"))
        n = np.arange(win_length)
        if window == "ones":
            w = np.ones(win_length)
        else:       # periodic: the symmetric window of win_length + 1 without its last point
            a = 0.5 if window == "hann" else 0.54
            w = a - (1 - a) * np.cos(2 * math.pi * n / win_length)
    else:
        w = np.asarray(window._data if isinstance(window, Tensor) else window)
        if w.shape != (win_length,):
            raise ShapeError(f"stft: window must have shape ({win_length},) (win_length), got "
                             f"{w.shape}")
    lpad = (n_fft - win_length) // 2
    return np.pad(w, (lpad, n_fft - win_length - lpad)).astype(dtype)


def resolve(where, preset, n_fft, hop_length, win_length, window, center, pad_mode):
    """The STFT settings after the preset fills the Nones, each validated by name."""
    p = get_preset(where, preset)
    n_fft = check_positive_int(where, "n_fft", pick(n_fft, p.n_fft))
    win_length = check_positive_int(where, "win_length", pick(win_length, n_fft))
    if win_length > n_fft:
        raise ArgumentError(f"{where}: win_length must be <= n_fft={n_fft}, got {win_length}")
    hop_length = check_positive_int(where, "hop_length",
                                    pick(hop_length, max(1, win_length // p.hop_divisor)))
    pad_mode = check_choice(where, "pad_mode", pick(pad_mode, p.pad_mode), PAD_MODES)
    return n_fft, hop_length, win_length, pick(window, p.window), pick(center, p.center), pad_mode


def _check_length(where, length, n_fft, center, pad_mode):
    if not center and length < n_fft:
        raise ShapeError(f"{where}: the signal has {length} samples, fewer than n_fft={n_fft}; "
                         "pass center=True or a smaller n_fft")
    if center and pad_mode == "reflect" and length <= n_fft // 2:
        raise ShapeError(f"{where}: pad_mode='reflect' needs more than n_fft//2={n_fft // 2} "
                         f"samples, got a signal of {length}")


def frames(x, n_fft, hop_length):
    """(..., T) → (..., n_frames, n_fft) windows of x every hop_length samples (a view)."""
    xp = array_module(x)
    view = xp.lib.stride_tricks.sliding_window_view(x, n_fft, axis=-1)
    return view[..., ::hop_length, :]


def overlap_add(f, hop_length, length):
    """The adjoint of `frames`: (..., n_frames, n) → (..., length), Σ of every frame at t·hop."""
    xp = array_module(f)
    *lead, F, n = f.shape
    out = xp.zeros((*lead, F * hop_length + n), f.dtype)
    for j in range(0, n, hop_length):               # piece j of every frame, F at a time
        w = min(hop_length, n - j)
        block = out[..., j:j + F * hop_length].reshape(*lead, F, hop_length)   # a view
        block[..., :w] += f[..., j:j + w]
    return out[..., :length]


# X = DFT(w ⊙ frames(x)):  d frames = w ⊙ n_fft·Re(IDFT(dX)), dx = overlap-add(d frames)
class STFT(Function):
    needs_inputs = False

    def forward(self, x, window, n_fft, hop_length, onesided):
        xp = array_module(x)
        self.window, self.length, self.hop = window, x.shape[-1], hop_length
        self.onesided = onesided
        spec = _dft(frames(x, n_fft, hop_length) * window, onesided)   # (..., F, n_freq)
        out = xp.stack([spec.real, spec.imag], axis=-1).astype(x.dtype)
        return xp.ascontiguousarray(xp.swapaxes(out, -2, -3))          # (..., n_freq, F, 2)

    def backward(self, g):
        xp = array_module(g)
        n_fft = self.window.shape[0]
        G = xp.swapaxes(g[..., 0] + 1j * g[..., 1], -1, -2)            # (..., F, n_freq)
        if self.onesided:       # bins above Nyquist were not outputs: their gradient is 0
            G = xp.concatenate([G, xp.zeros((*G.shape[:-1], n_fft - G.shape[-1]), G.dtype)], -1)
        d_frames = (n_fft * xp.fft.ifft(G, axis=-1).real * self.window).astype(g.dtype)
        return overlap_add(d_frames, self.hop, self.length)


def _dft(windowed, onesided):
    xp = array_module(windowed)
    return xp.fft.rfft(windowed, axis=-1) if onesided else xp.fft.fft(windowed, axis=-1)


def stft(y, n_fft=None, hop_length=None, win_length=None, window=None, center=None,
         pad_mode=None, onesided=True, preset="librosa"):
    """Short-time Fourier transform of y (..., T) → (..., n_freq, n_frames).

    n_frames = 1 + T // hop_length when centred (the signal padded by n_fft//2 on both
    sides with `pad_mode`), else 1 + (T − n_fft) // hop_length. Arguments left None come from
    `preset` ('librosa' by default; see presets.py). NumPy in → complex out (librosa's
    `stft`); Tensor in → differentiable real Tensor (..., n_freq, n_frames, 2).
    """
    n_fft, hop, win, window, center, pad_mode = resolve(
        "stft", preset, n_fft, hop_length, win_length, window, center, pad_mode)
    is_tensor = isinstance(y, Tensor)
    x = y if is_tensor else np.asarray(y)
    if x.ndim == 0 or x.dtype.kind != "f":
        raise ArgumentError(f"stft: y must be a floating-point signal (..., T), got dtype "
                            f"{x.dtype} and shape {tuple(x.shape)}")
    _check_length("stft", x.shape[-1], n_fft, center, pad_mode)
    w = get_window(window, win, n_fft, x.dtype)
    if is_tensor:
        if center:
            x = _pad(x, (n_fft // 2, n_fft // 2), mode=pad_mode)
        return STFT.apply(x, window=w, n_fft=n_fft, hop_length=hop, onesided=onesided)
    if center:
        x = np.pad(x, [(0, 0)] * (x.ndim - 1) + [(n_fft // 2, n_fft // 2)], mode=pad_mode)
    spec = _dft(frames(x, n_fft, hop) * w, onesided)
    return np.swapaxes(spec, -1, -2).astype(np.result_type(x.dtype, np.complex64))


def spectrogram(y, n_fft=None, hop_length=None, win_length=None, window=None, center=None,
                pad_mode=None, power=2.0, preset="librosa"):
    """|stft(y)|^power (..., n_freq, n_frames): power 1 the magnitude, 2 the power spectrum.
    Differentiable for a Tensor y (|X|² = Re² + Im²; |X| = √(Re² + Im²))."""
    if power not in (1, 2, 1.0, 2.0):
        raise ArgumentError(f"spectrogram: power must be 1 or 2, got {power!r}")
    X = stft(y, n_fft, hop_length, win_length, window, center, pad_mode, preset=preset)
    if not isinstance(X, Tensor):
        mag2 = X.real ** 2 + X.imag ** 2
        return mag2 if power == 2 else np.sqrt(mag2)
    mag2 = (X * X).sum(dim=-1)
    if power == 2:
        return mag2
    tiny = Tensor(np.asarray(np.finfo(mag2.dtype).tiny, mag2.dtype))
    return maximum(mag2, tiny).sqrt()           # √ of a floor: silent frames get gradient 0


def istft(stft_matrix, hop_length=None, win_length=None, n_fft=None, window=None, center=None,
          length=None, preset="librosa"):
    """Inverse STFT by weighted overlap-add (Griffin & Lim 1984), as librosa's `istft`:

        x = Σ_t w·IDFT(X[:, t]) shifted by t·hop  /  Σ_t w² shifted by t·hop

    stft_matrix: complex (..., n_freq, n_frames), or a Tensor/array (..., n_freq, n_frames, 2)
    of real and imaginary parts. Returns a NumPy array (..., length) (not differentiable).
    """
    X = stft_matrix._data if isinstance(stft_matrix, Tensor) else np.asarray(stft_matrix)
    if X.dtype.kind != "c":
        if X.ndim < 3 or X.shape[-1] != 2:
            raise ShapeError(f"istft: stft_matrix must be complex (..., n_freq, n_frames) or "
                             f"real (..., n_freq, n_frames, 2), got shape {X.shape}")
        X = X[..., 0] + 1j * X[..., 1]
    n_fft = pick(n_fft, 2 * (X.shape[-2] - 1))
    n_fft, hop, win, window, center, _ = resolve("istft", preset, n_fft, hop_length,
                                                 win_length, window, center, "constant")
    if X.shape[-2] != n_fft // 2 + 1:
        raise ShapeError(f"istft: stft_matrix has {X.shape[-2]} frequency bins, expected "
                         f"n_fft//2 + 1 = {n_fft // 2 + 1} for n_fft={n_fft}")
    real = np.float32 if X.dtype == np.complex64 else np.float64
    w = get_window(window, win, n_fft, real)
    F = X.shape[-1]
    y = overlap_add(np.fft.irfft(np.swapaxes(X, -1, -2), n=n_fft, axis=-1).astype(real) * w,
                    hop, n_fft + hop * (F - 1))
    envelope = overlap_add(np.broadcast_to(w ** 2, (F, n_fft)), hop, y.shape[-1])
    nonzero = envelope > np.finfo(real).tiny
    y[..., nonzero] /= envelope[nonzero]
    start = n_fft // 2 if center else 0
    y = y[..., start:]
    if length is None:
        return y[..., :y.shape[-1] - start] if center else y
    if y.shape[-1] < length:
        y = np.pad(y, [(0, 0)] * (y.ndim - 1) + [(0, length - y.shape[-1])])
    return y[..., :length]
