import librosa
import numpy as np
import pytest

import gradwork as gw
from gradwork.audio import MFCC, MelSpectrogram, Spectrogram, mfcc, spectrogram
from gradwork.errors import ArgumentError


def test_layers_have_buffers_not_parameters():
    m = MFCC(sr=8000, n_mfcc=13, n_fft=256, hop_length=80, n_mels=40)
    assert list(m.parameters()) == []
    assert set(m.state_dict()) == {"window", "filterbank", "dct"}
    assert m.filterbank.shape == (40, 129) and m.dct.shape == (13, 40)


def test_layers_match_the_functions(speech):
    x = np.stack([speech[0][:2000], speech[2][:2000]])
    S = Spectrogram(n_fft=256, hop_length=64, win_length=200, preset="torchaudio")(gw.Tensor(x))
    np.testing.assert_allclose(S.numpy(), spectrogram(x, 256, 64, 200, preset="torchaudio"),
                               rtol=1e-4, atol=1e-6)
    M = MelSpectrogram(sr=8000, n_fft=256, n_mels=40)(gw.Tensor(x))
    ref = librosa.feature.melspectrogram(y=x, sr=8000, n_fft=256, n_mels=40)
    np.testing.assert_allclose(M.numpy(), ref, rtol=1e-4, atol=1e-5 * ref.max())
    C = MFCC(sr=8000, n_mfcc=13, n_fft=256, hop_length=80, n_mels=40)(gw.Tensor(x))
    for i in range(2):      # the dB floor is per example, so each row equals its own mfcc
        ref = librosa.feature.mfcc(y=x[i], sr=8000, n_mfcc=13, n_fft=256, hop_length=80,
                                   n_mels=40)
        np.testing.assert_allclose(C.numpy()[i], ref, atol=2e-3 * np.abs(ref).max())
    np.testing.assert_allclose(C.numpy()[0], mfcc(x[0], sr=8000, n_mfcc=13, n_fft=256,
                                                  hop_length=80, n_mels=40), atol=1e-3)


def test_front_end_passes_gradients_to_the_waveform(speech):
    x = gw.Tensor(speech[0][None, :1600].astype(np.float64), requires_grad=True)
    layer = MFCC(sr=8000, n_mfcc=13, n_fft=256, hop_length=80, n_mels=40)
    layer(x).pow(2).sum().backward()
    assert x.grad.shape == (1, 1600) and np.isfinite(x.grad.numpy()).all()
    assert np.abs(x.grad.numpy()).max() > 0


def test_layer_arguments_are_checked():
    with pytest.raises(ArgumentError, match="Spectrogram: hop_length must be a positive"):
        Spectrogram(hop_length=0)
    with pytest.raises(ArgumentError, match="fmax must be at most the Nyquist"):
        MelSpectrogram(sr=8000, n_fft=256, n_mels=20, fmax=4001)
