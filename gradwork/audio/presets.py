"""The conventions of the two references people compare audio features against.

`preset="librosa"` (the default everywhere) reproduces librosa 0.11: n_fft 2048, hop = win/4
in `stft` but 512 in `melspectrogram` and `mfcc` (librosa's feature functions), periodic
Hann, centred frames with zero ('constant') padding, Slaney mel scale with Slaney area
normalisation, 128 mels, 20 MFCCs, sr 22050. `preset="torchaudio"` reproduces
torchaudio's transforms: n_fft 400, hop = win/2, periodic Hann, centred frames with reflect
padding, HTK mel scale without normalisation, 128 mels, 40 MFCCs, sr 16000. An argument given
explicitly always wins over its preset's value; `fmax=None` means sr/2 in both.
"""
from dataclasses import dataclass

from ..errors import check_choice


@dataclass(frozen=True)
class Preset:
    sr: int
    n_fft: int
    hop_divisor: int        # stft: hop_length = win_length // hop_divisor when not given
    feature_hop: int | None  # melspectrogram/mfcc: a fixed default hop (None: as stft)
    window: str
    center: bool
    pad_mode: str
    htk: bool
    norm: str | None
    n_mels: int
    n_mfcc: int


PRESETS = {
    "librosa": Preset(22050, 2048, 4, 512, "hann", True, "constant", False, "slaney", 128, 20),
    "torchaudio": Preset(16000, 400, 2, None, "hann", True, "reflect", True, None, 128, 40),
}


def get_preset(where, preset):
    """The `Preset` named `preset`, or an ArgumentError naming `where` and the valid names."""
    return PRESETS[check_choice(where, "preset", preset, tuple(PRESETS))]


def pick(value, default):
    """`value` unless it is None (not given), then the preset's `default`."""
    return default if value is None else value
