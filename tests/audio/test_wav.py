import struct

import numpy as np
import pytest

from gradwork.audio import load_wav, save_wav
from gradwork.errors import DataFormatError


@pytest.mark.parametrize("channels", [1, 2])
def test_round_trip_16_bit(tmp_path, channels):
    x = np.random.default_rng(0).uniform(-1, 1, (channels, 500)).astype(np.float32)
    path = tmp_path / "x.wav"
    save_wav(path, x if channels == 2 else x[0], 8000)
    y, sr = load_wav(path)
    assert sr == 8000 and y.shape == (channels, 500) and y.dtype == np.float32
    np.testing.assert_allclose(y, x, atol=1 / 32768)
    assert [p.name for p in tmp_path.iterdir()] == ["x.wav"]          # no temporary left


def _wav_bytes(fmt, bits, channels=1, data=b"\0" * 12):
    block = channels * bits // 8
    fmt_chunk = struct.pack("<HHIIHH", fmt, channels, 8000, 8000 * block, block, bits)
    body = b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt_chunk + b"data" + \
        struct.pack("<I", len(data)) + data
    return b"RIFF" + struct.pack("<I", len(body)) + body


@pytest.mark.parametrize("fmt,bits,message", [
    (1, 24, "only 16-bit PCM WAV is supported, got 24-bit samples"),
    (1, 8, "got 8-bit samples"),
    (3, 32, r"format tag 3 \(IEEE float\)"),
    (6, 8, r"format tag 6 \(A-law\)"),
    (0x55, 16, r"format tag 85 \(MP3\)")])
def test_unsupported_formats_are_named(tmp_path, fmt, bits, message):
    path = tmp_path / "bad.wav"
    path.write_bytes(_wav_bytes(fmt, bits))
    with pytest.raises(DataFormatError, match=message):
        load_wav(path)


def test_not_a_wav_file(tmp_path):
    path = tmp_path / "x.wav"
    path.write_bytes(b"ID3\x03not a wav at all")
    with pytest.raises(DataFormatError, match="not a WAV file"):
        load_wav(path)
