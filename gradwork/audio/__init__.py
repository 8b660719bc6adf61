"""Audio features over ops and nn, as torchaudio is over torch: STFT, spectrogram, mel
filterbank, decibels, MFCC and deltas (librosa's names and results, `preset=` for torchaudio's
conventions), feature layers, and WAV reading. Layering: audio imports only backend, errors,
autograd, ops and nn; the audio data sets (data/fsdd.py) import audio, never the reverse.
"""
from .cepstral import dct_matrix, delta, mfcc
from .db import amplitude_to_db, power_to_db
from .mel import hz_to_mel, mel_filterbank, mel_frequencies, mel_to_hz, melspectrogram
from .presets import PRESETS
from .spectral import get_window, istft, spectrogram, stft
from .transforms import MFCC, MelSpectrogram, Spectrogram
from .wav import load_wav, save_wav

__all__ = ["MFCC", "PRESETS", "MelSpectrogram", "Spectrogram", "amplitude_to_db", "dct_matrix",
           "delta", "get_window", "hz_to_mel", "istft", "load_wav", "mel_filterbank",
           "mel_frequencies", "mel_to_hz", "melspectrogram", "mfcc", "power_to_db", "save_wav",
           "spectrogram", "stft"]
