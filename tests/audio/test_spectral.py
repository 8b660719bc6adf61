import librosa
import numpy as np
import pytest
import torch

import gradwork as gw
from gradwork.audio import istft, spectrogram, stft
from gradwork.errors import ArgumentError, ShapeError
from gradwork.tools import gradcheck

SETTINGS = [dict(), dict(n_fft=512, hop_length=128), dict(n_fft=400, hop_length=160,
                                                          win_length=300),
            dict(n_fft=256, hop_length=64, center=False), dict(n_fft=255, hop_length=100),
            dict(n_fft=256, pad_mode="reflect", window="hamming")]


@pytest.mark.parametrize("kw", SETTINGS)
def test_stft_matches_librosa(kw, chirp, speech):
    for y in (chirp, speech[0]):
        ours, ref = stft(y, **kw), librosa.stft(y, **kw)
        assert ours.shape == ref.shape and ours.dtype == ref.dtype
        np.testing.assert_allclose(np.abs(ours), np.abs(ref), atol=1e-4 * np.abs(ref).max())
        np.testing.assert_allclose(ours, ref, atol=1e-4 * np.abs(ref).max())


@pytest.mark.parametrize("n_fft,hop,win,center,pad_mode", [
    (400, 200, 400, True, "reflect"), (512, 128, 400, True, "constant"),
    (256, 100, 256, False, "reflect"), (64, 64, 48, True, "reflect")])
def test_stft_matches_torch(n_fft, hop, win, center, pad_mode, speech):
    y = speech[1]
    ref = torch.stft(torch.from_numpy(y), n_fft, hop, win, window=torch.hann_window(win),
                     center=center, pad_mode=pad_mode, return_complex=True).numpy()
    ours = stft(y, n_fft, hop, win, center=center, pad_mode=pad_mode)
    np.testing.assert_allclose(ours, ref, atol=1e-4 * np.abs(ref).max())
    tensor = stft(gw.Tensor(y), n_fft, hop, win, center=center, pad_mode=pad_mode).numpy()
    np.testing.assert_allclose(tensor[..., 0] + 1j * tensor[..., 1], ref,
                               atol=1e-4 * np.abs(ref).max())


def test_torchaudio_preset_is_torch_stft_defaults(chirp):
    ref = torch.stft(torch.from_numpy(chirp), 400, 200, window=torch.hann_window(400),
                     center=True, pad_mode="reflect", return_complex=True).numpy()
    np.testing.assert_allclose(stft(chirp, preset="torchaudio"), ref, atol=1e-3)


def test_two_sided_and_batched(chirp):
    x = np.stack([chirp, chirp[::-1].copy()])
    ref = torch.stft(torch.from_numpy(x), 128, 32, window=torch.hann_window(128), center=True,
                     pad_mode="constant", onesided=False, return_complex=True).numpy()
    np.testing.assert_allclose(stft(x, 128, 32, onesided=False), ref, atol=1e-4)


@pytest.mark.parametrize("center", [True, False])
def test_istft_inverts_stft(center, speech):
    y = speech[0].astype(np.float64)
    X = stft(y, n_fft=256, hop_length=64, center=center)
    back = istft(X, hop_length=64, center=center, length=y.size if center else None)
    np.testing.assert_allclose(back, librosa.istft(X, hop_length=64, center=center,
                                                   length=y.size if center else None), atol=1e-10)
    inner = slice(0, y.size) if center else slice(256, back.size - 256)
    np.testing.assert_allclose(back[inner], y[inner], atol=1e-10)


def test_istft_of_real_imag_layout(chirp):
    X = stft(gw.Tensor(chirp.astype(np.float64)), n_fft=128, hop_length=32)
    np.testing.assert_allclose(istft(X, hop_length=32, length=chirp.size), chirp, atol=1e-6)


@pytest.mark.parametrize("center,pad_mode,onesided", [
    (True, "reflect", True), (True, "constant", True), (False, "constant", False)])
def test_stft_gradcheck(center, pad_mode, onesided):
    x = gw.Tensor(np.random.default_rng(0).standard_normal((2, 40)), requires_grad=True)
    gradcheck(lambda t: stft(t, n_fft=16, hop_length=5, win_length=12, center=center,
                             pad_mode=pad_mode, onesided=onesided), [x])


@pytest.mark.parametrize("power", [1, 2])
def test_spectrogram_backward_matches_torch(power, chirp):
    y = chirp[:600].astype(np.float64)
    x = gw.Tensor(y, requires_grad=True)
    t = torch.from_numpy(y).requires_grad_(True)
    ours = spectrogram(x, n_fft=64, hop_length=16, power=power, pad_mode="reflect")
    ref = torch.stft(t, 64, 16, window=torch.hann_window(64, dtype=torch.float64),
                     center=True, pad_mode="reflect", return_complex=True).abs() ** power
    np.testing.assert_allclose(ours.detach().numpy(), ref.detach().numpy(), rtol=1e-9, atol=1e-9)
    v = np.random.default_rng(1).standard_normal(ref.shape)
    (ours * gw.Tensor(v)).sum().backward()
    (ref * torch.from_numpy(v)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-7, atol=1e-7)
    np.testing.assert_allclose(spectrogram(y, n_fft=64, hop_length=16, power=power,
                                           pad_mode="reflect"), ours.detach().numpy(), rtol=1e-9)


def test_bad_arguments_name_themselves(chirp):
    with pytest.raises(ArgumentError, match="hop_length must be a positive integer, got 0"):
        stft(chirp, hop_length=0)
    with pytest.raises(ShapeError, match="fewer than n_fft=2048.*center=True"):
        stft(chirp[:1000], center=False)
    with pytest.raises(ArgumentError, match="win_length must be <= n_fft=256, got 300"):
        stft(chirp, n_fft=256, win_length=300)
    with pytest.raises(ArgumentError, match="pad_mode must be one of"):
        stft(chirp, pad_mode="wrap")
    with pytest.raises(ArgumentError, match="preset must be one of 'librosa', 'torchaudio'"):
        stft(chirp, preset="kaldi")
    with pytest.raises(ShapeError, match="reflect"):
        stft(chirp[:100], n_fft=256, pad_mode="reflect")
    with pytest.raises(ArgumentError, match="power must be 1 or 2"):
        spectrogram(chirp, power=3)


@pytest.mark.parametrize("n,hop,length", [(8, 3, 30), (8, 8, 32), (5, 7, 40), (16, 4, 16)])
def test_overlap_add_is_the_adjoint_of_framing(n, hop, length):
    from gradwork.audio.spectral import frames, overlap_add
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, length))
    f = frames(x, n, hop)
    y = rng.standard_normal(f.shape)
    np.testing.assert_allclose((f * y).sum(), (x * overlap_add(y, hop, length)).sum(),
                               rtol=1e-12)


def test_magnitude_of_silence_has_a_finite_gradient():
    x = gw.Tensor(np.zeros(64), requires_grad=True)      # all-zero frames: |X| = 0
    spectrogram(x, n_fft=16, hop_length=4, power=1).sum().backward()
    assert np.isfinite(x.grad.numpy()).all()
