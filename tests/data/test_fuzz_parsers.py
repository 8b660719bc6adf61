"""A seeded fuzzer for every file parser: IDX (raw and gzipped), CIFAR python and binary
batches, safetensors and image folders. Each starts from a small valid file and is fed
truncations, random byte flips, a wrong magic and headers that declare huge sizes. Every case
must either load or end in the parser's own DataFormatError: never another exception, a hang,
or an allocation over 100 MB (measured with tracemalloc, which sees NumPy's, zlib's and the
unpickler's buffers)."""
import gzip
import io
import os
import pickle
import struct
import tracemalloc
import zlib

import numpy as np
import pytest

import gradwork as gw
from gradwork.data import CIFAR10, InMemoryImageFolder, read_idx
from gradwork.errors import DataFormatError

LIMIT = 100 * 1000 * 1000          # bytes any one case may allocate at its peak
CASES = 40                          # random cases per parser and kind (flips, truncations)


def _idx(array):
    code = {np.uint8: 0x08, np.int32: 0x0C}[array.dtype.type]
    head = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return head + array.astype(array.dtype.newbyteorder(">")).tobytes()


def _idx_seed():
    return _idx(np.arange(6 * 7 * 5, dtype=np.uint8).reshape(6, 7, 5))


def _cifar_python_seed():
    rng = np.random.default_rng(0)
    return pickle.dumps({b"batch_label": b"testing batch 1 of 1",
                         b"labels": rng.integers(0, 10, 3).tolist(),
                         b"data": rng.integers(0, 256, (3, 3072), dtype=np.uint8),
                         b"filenames": [b"a.png", b"b.png", b"c.png"]}, protocol=2)


def _cifar_binary_seed():
    rng = np.random.default_rng(1)
    rows = rng.integers(0, 256, (3, 3073), dtype=np.uint8)
    rows[:, 0] %= 10
    return rows.tobytes()


def _safetensors_seed():
    from safetensors.numpy import save
    return save({"w": np.arange(12, dtype=np.float32).reshape(3, 4),
                 "b": np.arange(3, dtype=np.int64)}, metadata={"epoch": "3"})


def _png(width, height, pixels=None):
    """A grayscale PNG; its IHDR may declare any size (the CRCs are right)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + \
            struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    if pixels is None:
        pixels = np.arange(width * height, dtype=np.uint8).reshape(height, width)
    raw = b"".join(b"\0" + row.tobytes() for row in pixels)       # filter byte 0 per row
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw)) \
        + chunk(b"IEND", b"")


# ------------------------------------------------------------------ one parser per target
def _load_idx(folder, data):
    path = os.path.join(folder, "x-idx3-ubyte")
    with open(path, "wb") as f:
        f.write(data)
    return read_idx(path)


def _load_idx_gz(folder, data):
    return _load_idx(folder, data)       # gzipped bytes; read_idx finds the gzip magic


def _load_cifar(folder, data, name):
    sub = os.path.join(folder, "cifar-10-batches-" + ("py" if name == "test_batch" else "bin"))
    os.makedirs(sub, exist_ok=True)
    with open(os.path.join(sub, name), "wb") as f:
        f.write(data)
    return CIFAR10(folder, train=False)


def _load_safetensors(folder, data):
    path = os.path.join(folder, "x.safetensors")
    with open(path, "wb") as f:
        f.write(data)
    return gw.load(path)


def _load_image_folder(folder, data):
    sub = os.path.join(folder, "cls")
    os.makedirs(sub, exist_ok=True)
    with open(os.path.join(sub, "x.png"), "wb") as f:
        f.write(data)
    return InMemoryImageFolder(folder, mode="L")


TARGETS = {
    "idx": (_idx_seed, _load_idx, False),
    "idx.gz": (_idx_seed, _load_idx_gz, True),
    "cifar-python": (_cifar_python_seed, lambda d, b: _load_cifar(d, b, "test_batch"), False),
    "cifar-binary": (_cifar_binary_seed, lambda d, b: _load_cifar(d, b, "test_batch.bin"),
                     False),
    "safetensors": (_safetensors_seed, _load_safetensors, False),
    "image-folder": (lambda: _png(6, 5), _load_image_folder, False),
}


# ------------------------------------------------------------------ mutations
def _mutants(seed_bytes, rng):
    """(label, bytes): truncations, byte flips, a wrong magic; seeded."""
    n = len(seed_bytes)
    yield "empty", b""
    yield "wrong magic", b"\x7fELF" + seed_bytes[4:]
    for k in range(CASES):
        cut = int(rng.integers(0, n)) if k % 2 else int(rng.integers(0, min(n, 64)))
        yield f"truncated at {cut}", seed_bytes[:cut]
    for _ in range(CASES):
        data = bytearray(seed_bytes)
        where = rng.integers(0, min(n, 96) if rng.random() < 0.6 else n,
                             size=int(rng.integers(1, 6)))
        for i in where:
            data[i] ^= int(rng.integers(1, 256))
        yield f"flips at {sorted(where.tolist())}", bytes(data)


def _huge_declared(target):
    """Valid-looking headers that declare far more than the file holds."""
    if target in ("idx", "idx.gz"):
        for dims in ((0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF), (60000, 28, 28), (1 << 29, 1, 1),
                     (10, 10, 1 << 20)):
            yield f"dims {dims}", bytes([0, 0, 8, 3]) + struct.pack(">3I", *dims) + b"\1" * 50
        yield "255 dims", bytes([0, 0, 8, 255]) + b"\0\0\0\2" * 255
    elif target == "cifar-python":
        for op, fmt in ((b"B", "<I"), (b"\x8e", "<Q"), (b"T", "<i"), (b"X", "<I")):
            yield f"opcode {op!r} of 2 GB", b"\x80\x02" + op + struct.pack(fmt, 2_000_000_000) \
                + b"abc."
        yield "memo index 2**32-1", b"\x80\x02]r\xff\xff\xff\xff."
        yield "memo index 2**26", b"\x80\x02]r" + struct.pack("<I", 1 << 26) + b"."
    elif target == "cifar-binary":
        yield "one byte short of 10 records", b"\0" * (3073 * 10 - 1)
    elif target == "safetensors":
        meta = b'{"w":{"dtype":"F32","shape":[100000,100000],"data_offsets":[0,40000000000]}}'
        yield "header length 2**63", struct.pack("<Q", 1 << 63) + b"{}"
        yield "header length past the end", struct.pack("<Q", 10 ** 9) + b"{}"
        yield "40 GB tensor", struct.pack("<Q", len(meta)) + meta + b"\0" * 16
        bad = b'{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},' \
              b'"v":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}'
        yield "overlapping tensors", struct.pack("<Q", len(bad)) + bad + b"\0" * 12
        odd = b'{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}'
        yield "shape and offsets disagree", struct.pack("<Q", len(odd)) + odd + b"\0" * 8
        deep = b"[" * 100000 + b"]" * 100000
        yield "deeply nested header", struct.pack("<Q", len(deep)) + deep
    elif target == "image-folder":
        for w, h in ((1 << 30, 1 << 30), (100000, 100000), (10000, 4000)):
            yield f"png {w}x{h}", _png(w, h, np.zeros((1, 1), np.uint8))[:60]


def _cases(target):
    seed_fn, _, gz = TARGETS[target]
    rng = np.random.default_rng(sorted(TARGETS).index(target))
    seed = seed_fn()
    wrap = gzip.compress if gz else (lambda b: b)
    out = [(label, wrap(b)) for label, b in _mutants(seed, rng)]
    if gz:                                               # flips and cuts in the gzip stream
        out += [("gz " + label, b) for label, b in _mutants(gzip.compress(seed), rng)]
    out += [(label, wrap(b)) for label, b in _huge_declared(target)]
    return out


@pytest.mark.parametrize("target", list(TARGETS))
def test_fuzzed_files_load_or_raise_the_parsers_error(target, tmp_path):
    load = TARGETS[target][1]
    outcomes = {"loaded": 0, "refused": 0}
    for i, (label, data) in enumerate(_cases(target)):
        folder = tmp_path / str(i)
        folder.mkdir()
        tracemalloc.start()
        try:
            load(str(folder), data)
            outcomes["loaded"] += 1
        except DataFormatError:
            outcomes["refused"] += 1
        except Exception as e:
            pytest.fail(f"{target}, {label}: {type(e).__name__}: {e}")
        finally:
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        assert peak < LIMIT, f"{target}, {label}: allocated {peak / 1e6:.0f} MB at its peak"
    assert outcomes["refused"] >= CASES // 2, outcomes     # the fuzzer reaches the checks


def test_gzip_bomb_is_stopped_by_the_declared_size(tmp_path):
    """An IDX header declaring 10 bytes followed by 64 MB of zeros (a small file): reading
    stops one byte past the declared size; a header declaring more than `max_bytes` is refused
    before anything is inflated."""
    stream = zlib.compressobj(1, zlib.DEFLATED, 31)
    parts = [stream.compress(bytes([0, 0, 8, 1]) + struct.pack(">I", 10))]
    block = bytes(1 << 20)
    parts += [stream.compress(block) for _ in range(64)] + [stream.flush()]
    path = tmp_path / "bomb-idx1-ubyte.gz"
    path.write_bytes(b"".join(parts))
    assert path.stat().st_size < 1 << 20
    tracemalloc.start()
    try:
        with pytest.raises(DataFormatError, match="too long"):
            read_idx(str(path))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20
    honest = tmp_path / "big-idx1-ubyte.gz"
    honest.write_bytes(gzip.compress(bytes([0, 0, 8, 1]) + struct.pack(">I", 5000) + bytes(5000)))
    assert read_idx(str(honest)).shape == (5000,)
    with pytest.raises(DataFormatError, match=r"declares shape \(5000,\), 5000 bytes .* "
                                              r"4096-byte limit"):
        read_idx(str(honest), max_bytes=4096)


def test_cifar_pickle_with_a_lying_length_is_refused_before_allocating(tmp_path):
    """The C unpickler allocates a declared bytes length before reading it: 2 GB for 10 bytes.
    The opcode walk refuses it first."""
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    (folder / "test_batch").write_bytes(b"\x80\x02B" + struct.pack("<I", 2_000_000_000) + b".")
    tracemalloc.start()
    try:
        with pytest.raises(DataFormatError, match="corrupt or truncated pickle"):
            CIFAR10(str(tmp_path), train=False)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20


def test_pickle_bytes_reader_roundtrip_is_unchanged():
    """The opcode walk accepts what pickle writes (protocols 2 to 4; CIFAR's is 2)."""
    from gradwork.data.cifar import RestrictedUnpickler, _check_declared_lengths
    obj = {b"data": np.arange(3072 * 2, dtype=np.uint8).reshape(2, 3072), b"labels": [1, 2]}
    for protocol in (2, 3, 4):
        raw = pickle.dumps(obj, protocol=protocol)
        _check_declared_lengths(raw)
        back = RestrictedUnpickler(io.BytesIO(raw), encoding="bytes").load()
        np.testing.assert_array_equal(back[b"data"], obj[b"data"])
