import librosa
import numpy as np
import pytest
import scipy.fft

import gradwork as gw
from gradwork.audio import amplitude_to_db, dct_matrix, delta, mfcc, power_to_db
from gradwork.errors import ArgumentError
from gradwork.tools import gradcheck


@pytest.mark.parametrize("kw", [dict(), dict(ref=np.max), dict(ref=3.0, amin=1e-6, top_db=40),
                                dict(top_db=None)])
def test_power_to_db_matches_librosa(kw, speech):
    S = librosa.feature.melspectrogram(y=speech[0], sr=8000, n_fft=256, n_mels=40)
    np.testing.assert_allclose(power_to_db(S, **kw), librosa.power_to_db(S, **kw), atol=2e-4)
    A = np.sqrt(S)
    np.testing.assert_allclose(amplitude_to_db(A, **kw), librosa.amplitude_to_db(A, **kw),
                               atol=2e-4)


def test_power_to_db_per_spectrogram_floor():
    S = np.stack([np.full((3, 4), 1.0), np.full((3, 4), 1e-6)])
    S[1, 0, 0] = 1e-12
    per = power_to_db(S, top_db=30, axis=(-2, -1))
    np.testing.assert_allclose(per[1], np.maximum(librosa.power_to_db(S[1], top_db=None), -90))
    assert power_to_db(S, top_db=30).min() == pytest.approx(-30)


@pytest.mark.parametrize("kw", [dict(n_fft=256, hop_length=80, n_mels=40, n_mfcc=13),
                                dict(n_fft=512, hop_length=128, n_mels=64, n_mfcc=20,
                                     lifter=22),
                                dict(n_fft=256, hop_length=64, n_mels=32, n_mfcc=32, htk=True,
                                     fmin=60, fmax=3800)])
def test_mfcc_matches_librosa(kw, chirp, speech):
    for y in (chirp, *speech):
        ours, ref = mfcc(y, sr=8000, **kw), librosa.feature.mfcc(y=y, sr=8000, **kw)
        assert ours.shape == ref.shape
        np.testing.assert_allclose(ours, ref, atol=2e-3 * np.abs(ref).max())


def test_mfcc_librosa_preset_defaults(speech):
    ref = librosa.feature.mfcc(y=speech[1], sr=22050, n_fft=1024)
    np.testing.assert_allclose(mfcc(speech[1], n_fft=1024), ref, atol=2e-3 * np.abs(ref).max())


@pytest.mark.parametrize("norm", ["ortho", None])
def test_dct_is_scipy_dct2(norm):
    x = np.random.default_rng(0).standard_normal((10, 7))
    np.testing.assert_allclose(dct_matrix(10, 10, norm, np.float64) @ x,
                               scipy.fft.dct(x, type=2, norm=norm, axis=0), atol=1e-12)


def test_mfcc_torchaudio_preset_and_librosa_names(chirp, speech):
    for y in (chirp, speech[2]):
        ref = librosa.feature.mfcc(y=y, sr=8000, n_mfcc=13, n_fft=400, hop_length=200,
                                   pad_mode="reflect", htk=True, mel_norm=None, n_mels=40)
        ours = mfcc(y, sr=8000, n_mfcc=13, n_mels=40, preset="torchaudio")
        np.testing.assert_allclose(ours, ref, atol=2e-3 * np.abs(ref).max())
        ref = librosa.feature.mfcc(y=y, sr=8000, n_mfcc=13, n_fft=256, norm=None,
                                   mel_norm=None, n_mels=40)
        ours = mfcc(y, sr=8000, n_mfcc=13, n_fft=256, norm=None, mel_norm=None, n_mels=40)
        np.testing.assert_allclose(ours, ref, atol=2e-3 * np.abs(ref).max())


@pytest.mark.parametrize("width,order", [(3, 1), (5, 1), (9, 1), (5, 2), (9, 2), (7, 3)])
def test_delta_matches_librosa(width, order, speech):
    m = librosa.feature.mfcc(y=speech[0], sr=8000, n_fft=256, hop_length=64, n_mels=40,
                             n_mfcc=13)
    np.testing.assert_allclose(delta(m, width=width, order=order),
                               librosa.feature.delta(m, width=width, order=order),
                               atol=1e-4 * np.abs(m).max())
    np.testing.assert_allclose(delta(m.T, width=width, order=order, axis=0),
                               librosa.feature.delta(m.T, width=width, order=order, axis=0),
                               atol=1e-4 * np.abs(m).max())


def test_feature_chain_gradcheck():
    rng = np.random.default_rng(0)
    x = gw.Tensor(rng.standard_normal(90), requires_grad=True)
    gradcheck(lambda t: mfcc(t, sr=8000, n_fft=32, hop_length=8, n_mels=8, n_mfcc=5,
                             lifter=4, top_db=None), [x])
    S = gw.Tensor(rng.random((2, 6, 7)) + 0.1, requires_grad=True)
    gradcheck(lambda t: power_to_db(t, top_db=None), [S])
    gradcheck(lambda t: amplitude_to_db(t, ref=2.0, top_db=None), [S])
    gradcheck(lambda t: delta(t, width=5, order=2), [S])
    gradcheck(lambda t: delta(t, width=3, axis=1), [S])


def test_db_floor_gradcheck():
    S = gw.Tensor(np.array([[1.0, 0.5], [1e-3, 2e-5]]), requires_grad=True)
    gradcheck(lambda t: power_to_db(t, top_db=20.0), [S])   # the floor follows the peak


def test_bad_arguments():
    S = np.ones((8, 5), np.float32)
    with pytest.raises(ArgumentError, match="n_mfcc must be at most the number of mel bands 8"):
        mfcc(S=S, n_mfcc=13)
    with pytest.raises(ArgumentError, match="amin must be a finite number > 0, got 0"):
        power_to_db(S, amin=0)
    with pytest.raises(ArgumentError, match="width must be an odd integer >= 3, got 4"):
        delta(S, width=4)
    with pytest.raises(ArgumentError, match="width=9 must be at most the 5 frames"):
        delta(S)
    with pytest.raises(ArgumentError, match="dct_type must be one of 2, got 3"):
        mfcc(S=S, n_mfcc=4, dct_type=3)
