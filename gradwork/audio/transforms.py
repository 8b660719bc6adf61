"""Feature layers: `Spectrogram`, `MelSpectrogram`, `MFCC` (torchaudio.transforms' names).

No parameters: the window and the filterbank are buffers, so a model can take raw waveforms
(N, T) and differentiate through its front end. Every argument is the functional's (left None:
the preset's). The decibel floor of `MFCC` is per example (max over each (n_mels, n_frames)
spectrogram), as torchaudio, so one example never changes another's features.
"""
from ..nn import Module
from ..ops import matmul
from .cepstral import dct_matrix, lifter_weights
from .db import power_to_db
from .mel import mel_filterbank
from .presets import get_preset, pick
from .spectral import get_window, resolve, spectrogram


class Spectrogram(Module):
    """|stft(x)|^power: (..., T) → (..., n_freq, n_frames)."""

    def __init__(self, n_fft=None, hop_length=None, win_length=None, window=None, center=None,
                 pad_mode=None, power=2.0, preset="librosa"):
        super().__init__()
        (self.n_fft, self.hop_length, self.win_length, window_name, self.center,
         self.pad_mode) = resolve(type(self).__name__, preset, n_fft, hop_length, win_length,
                                  window, center, pad_mode)
        self.power, self.preset = power, preset
        self.register_buffer("window", get_window(window_name, self.win_length, self.n_fft))

    def forward(self, x):
        window = self.window.numpy().astype(x.dtype)          # already padded to n_fft
        return spectrogram(x, self.n_fft, self.hop_length, self.n_fft, window, self.center,
                           self.pad_mode, self.power, self.preset)

    def extra_repr(self):
        return (f"n_fft={self.n_fft}, hop_length={self.hop_length}, "
                f"win_length={self.win_length}, power={self.power}, preset={self.preset!r}")


class MelSpectrogram(Spectrogram):
    """mel_filterbank · |stft(x)|^power: (..., T) → (..., n_mels, n_frames)."""

    def __init__(self, sr=None, n_fft=None, hop_length=None, win_length=None, window=None,
                 center=None, pad_mode=None, power=2.0, n_mels=None, fmin=0.0, fmax=None,
                 htk=None, norm="preset", preset="librosa"):
        p = get_preset(type(self).__name__, preset)
        super().__init__(n_fft, pick(hop_length, p.feature_hop), win_length, window, center,
                         pad_mode, power, preset)
        self.sr = pick(sr, p.sr)
        self.register_buffer("filterbank", mel_filterbank(self.sr, self.n_fft, n_mels, fmin,
                                                          fmax, htk, norm, preset=preset))

    def forward(self, x):
        return matmul(self.filterbank.to(x.dtype), super().forward(x))


class MFCC(MelSpectrogram):
    """DCT-II(power_to_db(mel spectrogram))[:n_mfcc]: (..., T) → (..., n_mfcc, n_frames).
    `norm` is the DCT's, `mel_norm` the filterbank's (librosa's names)."""

    def __init__(self, sr=None, n_mfcc=None, norm="ortho", lifter=0, top_db=80.0,
                 mel_norm="preset", n_fft=None, hop_length=None, win_length=None, window=None,
                 center=None, pad_mode=None, n_mels=None, fmin=0.0, fmax=None, htk=None,
                 preset="librosa"):
        super().__init__(sr, n_fft, hop_length, win_length, window, center, pad_mode, 2.0,
                         n_mels, fmin, fmax, htk, mel_norm, preset)
        self.n_mfcc = pick(n_mfcc, get_preset("MFCC", preset).n_mfcc)
        self.top_db = top_db
        D = dct_matrix(self.n_mfcc, self.filterbank.shape[0], norm)
        if lifter:
            D = D * lifter_weights(self.n_mfcc, lifter)[:, None]
        self.register_buffer("dct", D)

    def forward(self, x):
        S = power_to_db(super().forward(x), top_db=self.top_db, axis=(-2, -1))
        return matmul(self.dct.to(x.dtype), S)

