import librosa
import numpy as np
import pytest

import gradwork as gw
from gradwork.audio import hz_to_mel, mel_filterbank, mel_to_hz, melspectrogram
from gradwork.errors import ArgumentError
from gradwork.tools import gradcheck

BANKS = [dict(sr=22050, n_fft=2048), dict(sr=8000, n_fft=256, n_mels=40, fmin=20, fmax=3800),
         dict(sr=16000, n_fft=400, n_mels=64, htk=True, norm=None),
         dict(sr=16000, n_fft=512, n_mels=80, htk=True), dict(sr=8000, n_fft=512, n_mels=26,
                                                              norm=None, fmin=300, fmax=3400),
         dict(sr=44100, n_fft=4096, n_mels=128, fmin=30, fmax=16000)]


@pytest.mark.parametrize("kw", BANKS)
def test_filterbank_matches_librosa(kw):
    ours, ref = mel_filterbank(**kw), librosa.filters.mel(**kw)
    assert ours.shape == ref.shape and ours.dtype == ref.dtype
    np.testing.assert_allclose(ours, ref, rtol=1e-5, atol=1e-7 * ref.max())


@pytest.mark.parametrize("htk", [False, True])
def test_mel_scale_round_trip_and_librosa(htk):
    f = np.array([0.0, 200.0, 999.0, 1000.0, 4000.0, 11025.0])
    np.testing.assert_allclose(hz_to_mel(f, htk), librosa.hz_to_mel(f, htk=htk), rtol=1e-12)
    np.testing.assert_allclose(mel_to_hz(hz_to_mel(f, htk), htk), f, atol=1e-9)


def test_torchaudio_preset_is_htk_without_norm():
    np.testing.assert_allclose(mel_filterbank(sr=16000, n_mels=64, preset="torchaudio"),
                               librosa.filters.mel(sr=16000, n_fft=400, n_mels=64, htk=True,
                                                   norm=None), atol=1e-7)
    # torchaudio's own default n_mels=128 leaves empty filters at n_fft=400 (it only warns)
    with pytest.raises(ArgumentError, match="n_mels=128 is too large for n_fft=400"):
        mel_filterbank(sr=16000, preset="torchaudio")


@pytest.mark.parametrize("kw", [dict(sr=8000, n_fft=256, hop_length=80, n_mels=40),
                                dict(sr=8000, n_fft=512, hop_length=128, n_mels=64, fmin=50,
                                     fmax=3000, htk=True),
                                dict(sr=8000, n_fft=200, hop_length=50, n_mels=20, power=1.0)])
def test_melspectrogram_matches_librosa(kw, chirp, speech):
    for y in (chirp, *speech):
        ours, ref = melspectrogram(y, **kw), librosa.feature.melspectrogram(y=y, **kw)
        np.testing.assert_allclose(ours, ref, rtol=1e-4, atol=1e-5 * ref.max())


def test_melspectrogram_torchaudio_preset(chirp):
    S = np.abs(librosa.stft(chirp, n_fft=400, hop_length=200, pad_mode="reflect")) ** 2
    ref = librosa.filters.mel(sr=8000, n_fft=400, htk=True, norm=None, n_mels=40) @ S
    ours = melspectrogram(chirp, sr=8000, n_mels=40, preset="torchaudio")
    np.testing.assert_allclose(ours, ref, rtol=1e-4, atol=1e-5 * ref.max())


def test_mel_projection_gradcheck():
    x = gw.Tensor(np.random.default_rng(0).standard_normal(70), requires_grad=True)
    gradcheck(lambda t: melspectrogram(t, sr=8000, n_fft=32, hop_length=8, n_mels=6), [x])


def test_bad_filterbank_arguments():
    with pytest.raises(ArgumentError, match=r"fmax must be at most the Nyquist frequency "
                                            r"sr/2 = 4000 Hz, got fmax=5000"):
        mel_filterbank(sr=8000, n_fft=256, n_mels=40, fmax=5000)
    with pytest.raises(ArgumentError, match=r"n_mels=200 is too large for n_fft=256.*empty"):
        mel_filterbank(sr=8000, n_fft=256, n_mels=200)   # librosa warns here
    with pytest.raises(ArgumentError, match="fmin must be below fmax=1000, got 2000"):
        mel_filterbank(sr=8000, n_fft=256, n_mels=10, fmin=2000, fmax=1000)
    with pytest.raises(ArgumentError, match="norm must be one of None, 'slaney'"):
        mel_filterbank(sr=8000, n_fft=256, n_mels=10, norm=2)
