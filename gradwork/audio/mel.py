"""The mel scale, the triangular mel filterbank and `melspectrogram`.

HTK (O'Shaughnessy 1987):  m = 2595 · log10(1 + f / 700)
Slaney (Auditory Toolbox, 1998): m = 3f/200 below 1 kHz, 15 + 27·ln(f/1000)/ln 6.4 above.

Filter i rises linearly from mel point i to i+1 and falls to i+2 (n_mels + 2 points evenly
spaced in mel between fmin and fmax), evaluated at the FFT bin frequencies; norm='slaney'
scales each triangle by 2/(f[i+2] − f[i]) so that all have the same area (librosa's
`filters.mel`; torchaudio's `melscale_fbanks` is htk=True, norm=None).
"""
import math

from ..autograd import Tensor
from ..backend import np
from ..errors import (
    ArgumentError,
    check_choice,
    check_nonnegative,
    check_positive,
    check_positive_int,
)
from ..ops import matmul
from .presets import get_preset, pick
from .spectral import spectrogram

_F_SP, _MIN_LOG_HZ, _MIN_LOG_MEL, _LOGSTEP = 200.0 / 3, 1000.0, 15.0, math.log(6.4) / 27.0


def hz_to_mel(frequencies, htk=False):
    """Hz → mel on the HTK or the Slaney scale (see the module docstring)."""
    f = np.asarray(frequencies, dtype=np.float64)
    if htk:
        return 2595.0 * np.log10(1.0 + f / 700.0)
    mels = f / _F_SP
    log_part = _MIN_LOG_MEL + np.log(np.maximum(f, _MIN_LOG_HZ) / _MIN_LOG_HZ) / _LOGSTEP
    return np.where(f >= _MIN_LOG_HZ, log_part, mels)


def mel_to_hz(mels, htk=False):
    """mel → Hz, the inverse of `hz_to_mel`."""
    m = np.asarray(mels, dtype=np.float64)
    if htk:
        return 700.0 * (10.0 ** (m / 2595.0) - 1.0)
    log_part = _MIN_LOG_HZ * np.exp(_LOGSTEP * (np.maximum(m, _MIN_LOG_MEL) - _MIN_LOG_MEL))
    return np.where(m >= _MIN_LOG_MEL, log_part, _F_SP * m)


def mel_frequencies(n_mels=128, fmin=0.0, fmax=11025.0, htk=False):
    """n_mels frequencies (Hz) evenly spaced on the mel scale from fmin to fmax."""
    mels = np.linspace(hz_to_mel(fmin, htk), hz_to_mel(fmax, htk), n_mels)
    return mel_to_hz(mels, htk)


def mel_filterbank(sr=None, n_fft=None, n_mels=None, fmin=0.0, fmax=None, htk=None, norm="preset",
                   dtype=np.float32, preset="librosa"):
    """The mel filterbank (n_mels, 1 + n_fft//2): row i is filter i at the FFT frequencies.

    sr, n_fft, n_mels, htk left None and norm='preset' take the preset's values (librosa:
    Slaney scale, 'slaney' norm; torchaudio: HTK, no norm); norm=None: no normalisation.
    Raises ArgumentError when fmax exceeds the Nyquist frequency sr/2 or a filter falls
    between FFT bins (all zeros: n_mels too large for n_fft).
    """
    p = get_preset("mel_filterbank", preset)
    sr = check_positive("mel_filterbank", "sr", pick(sr, p.sr))
    n_fft = check_positive_int("mel_filterbank", "n_fft", pick(n_fft, p.n_fft))
    n_mels = check_positive_int("mel_filterbank", "n_mels", pick(n_mels, p.n_mels))
    htk = pick(htk, p.htk)
    norm = p.norm if norm == "preset" else \
        check_choice("mel_filterbank", "norm", norm, (None, "slaney"))
    fmin = check_nonnegative("mel_filterbank", "fmin", fmin)
    fmax = check_positive("mel_filterbank", "fmax", pick(fmax, sr / 2.0))
    if fmax > sr / 2.0:
        raise ArgumentError(f"mel_filterbank: fmax must be at most the Nyquist frequency "
                            f"sr/2 = {sr / 2.0:g} Hz, got fmax={fmax:g}")
    if fmin >= fmax:
        raise ArgumentError(f"mel_filterbank: fmin must be below fmax={fmax:g}, got {fmin:g}")
    fft_freqs = np.fft.rfftfreq(n_fft, 1.0 / sr)
    mel_f = mel_frequencies(n_mels + 2, fmin, fmax, htk)
    fdiff = np.diff(mel_f)
    ramps = mel_f[:, None] - fft_freqs[None, :]
    lower = -ramps[:-2] / fdiff[:-1, None]
    upper = ramps[2:] / fdiff[1:, None]
    weights = np.maximum(0.0, np.minimum(lower, upper))
    if norm == "slaney":
        weights *= (2.0 / (mel_f[2:] - mel_f[:-2]))[:, None]
    empty = np.flatnonzero((mel_f[:-2] != 0) & (weights.max(axis=1) <= 0))
    if empty.size:
        raise ArgumentError(f"mel_filterbank: n_mels={n_mels} is too large for n_fft={n_fft} "
                            f"between fmin={fmin:g} and fmax={fmax:g} Hz at sr={sr:g}: "
                            f"{empty.size} filters (first: {int(empty[0])}) fall between FFT "
                            "bins and are empty; use fewer mels or a larger n_fft")
    return weights.astype(dtype)


def melspectrogram(y=None, sr=None, S=None, n_fft=None, hop_length=None, win_length=None,
                   window=None, center=None, pad_mode=None, power=2.0, n_mels=None, fmin=0.0,
                   fmax=None, htk=None, norm="preset", preset="librosa"):
    """M = mel_filterbank · S (..., n_mels, n_frames), S = |stft(y)|^power or a given S.

    As librosa's `feature.melspectrogram`; a Tensor y or S gives a differentiable Tensor (the
    projection is a matmul), a NumPy array a NumPy array.
    """
    p = get_preset("melspectrogram", preset)
    sr, hop_length = pick(sr, p.sr), pick(hop_length, p.feature_hop)
    if S is None:
        if y is None:
            raise ArgumentError("melspectrogram: give y (a signal) or S (a spectrogram)")
        S = spectrogram(y, n_fft, hop_length, win_length, window, center, pad_mode, power,
                        preset)
    n_fft = 2 * (S.shape[-2] - 1)
    fb = mel_filterbank(sr, n_fft, n_mels, fmin, fmax, htk, norm, S.dtype, preset)
    if isinstance(S, Tensor):
        return matmul(Tensor(fb), S)
    return np.matmul(fb, S)
