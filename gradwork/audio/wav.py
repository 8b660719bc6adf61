"""Reading and writing WAV files with the standard library's `wave`: 16-bit PCM, any number of
channels. Anything else (compressed, floating-point, 8/24/32-bit) is a DataFormatError that
says what the file holds."""
import os
import struct
import tempfile
import wave

from ..backend import np
from ..errors import DataFormatError

_FORMATS = {1: "PCM", 3: "IEEE float", 6: "A-law", 7: "µ-law", 0x11: "IMA ADPCM",
            0x55: "MP3", 0xFFFE: "extensible"}


def _format_tag(path):
    """The fmt chunk's format tag (1 = PCM) and sample width in bits, or None if absent."""
    with open(path, "rb") as f:
        head = f.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            raise DataFormatError(f"{path}: not a WAV file (no RIFF/WAVE header)")
        while True:
            chunk = f.read(8)
            if len(chunk) < 8:
                return None
            cid, size = chunk[:4], struct.unpack("<I", chunk[4:])[0]
            if cid == b"fmt ":
                fmt = f.read(min(size, 16))
                if len(fmt) < 16:
                    raise DataFormatError(f"{path}: truncated fmt chunk")
                return struct.unpack("<H", fmt[:2])[0], struct.unpack("<H", fmt[14:16])[0]
            f.seek(size + (size & 1), os.SEEK_CUR)


def load_wav(path):
    """(waveform (channels, frames) float32 in [−1, 1), sample rate) of a 16-bit PCM WAV file,
    as torchaudio.load: samples / 32768."""
    tag = _format_tag(path)
    if tag is not None:
        fmt, bits = tag
        if fmt not in (1, 0xFFFE):
            raise DataFormatError(f"{path}: only uncompressed 16-bit PCM WAV is supported, got "
                                  f"format tag {fmt} ({_FORMATS.get(fmt, 'unknown')})")
        if bits != 16:
            raise DataFormatError(f"{path}: only 16-bit PCM WAV is supported, got {bits}-bit "
                                  "samples")
    try:
        with wave.open(os.fspath(path), "rb") as w:
            channels, width, sr = w.getnchannels(), w.getsampwidth(), w.getframerate()
            raw = w.readframes(w.getnframes())
    except (wave.Error, EOFError) as e:
        raise DataFormatError(f"{path}: not a readable 16-bit PCM WAV file ({e})") from None
    if width != 2:
        raise DataFormatError(f"{path}: only 16-bit PCM WAV is supported, got {8 * width}-bit "
                              "samples")
    samples = np.frombuffer(raw, dtype="<i2")
    if samples.size % channels:
        raise DataFormatError(f"{path}: {samples.size} samples do not fill {channels} channels")
    data = samples.reshape(-1, channels).T.astype(np.float32) / 32768.0
    return data, sr


def save_wav(path, waveform, sr):
    """Write waveform (frames,) or (channels, frames) in [−1, 1] as 16-bit PCM, atomically."""
    x = np.asarray(waveform, dtype=np.float64)
    x = x[None] if x.ndim == 1 else x
    pcm = np.clip(np.round(x * 32768.0), -32768, 32767).astype("<i2").T.tobytes()
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, suffix=".wav.tmp")
    try:
        with os.fdopen(fd, "wb") as f, wave.open(f, "wb") as w:
            w.setnchannels(x.shape[0])
            w.setsampwidth(2)
            w.setframerate(int(sr))
            w.writeframes(pcm)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
