"""`save` / `load` of state dicts in the safetensors format (no pickle), written atomically.

Every file gradwork writes carries a SHA-256 checksum in its header metadata
(`gradwork.sha256`, over the tensors' names, dtypes, shapes and bytes and the other metadata),
verified on load: a flipped bit is refused with a `CheckpointError` instead of loading
silently. Files without one (written by PyTorch or other tools) still load.
"""
import hashlib
import json
import os
import tempfile

from . import backend
from .autograd import Tensor
from .errors import CheckpointError

CHECKSUM_KEY = "gradwork.sha256"
TEMP_PREFIX = ".tmp-"                 # atomic_write_bytes's temp files: TEMP_PREFIX + ... + name


def atomic_write_bytes(path, data):
    """Write `data` to `path` via a temp file in the same folder and a rename, so a crash or a
    full disk never leaves a half-written file in place of a good one."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix="-" + os.path.basename(path), dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def save(state_dict, path, metadata=None):
    """Save a dict of name → Tensor/array as a .safetensors file (atomic)."""
    from safetensors.numpy import save as st_save  # noqa: PLC0415
    if not isinstance(state_dict, dict):
        raise TypeError(f"save: state_dict must be a dict of name → tensor, got "
                        f"{type(state_dict).__name__}")
    arrays = {}
    for name, value in state_dict.items():
        if not isinstance(name, str):
            raise TypeError(f"save: keys must be strings, got {name!r}")
        arr = value.data if isinstance(value, Tensor) else backend.np.asarray(value)
        arrays[name] = backend.np.require(arr, requirements="C")  # 0-d stays 0-d
    meta = {} if metadata is None else {k: v if isinstance(v, str) else json.dumps(v)
                                        for k, v in metadata.items()}
    atomic_write_bytes(path, st_save(arrays, metadata=with_checksum(arrays, meta)))


def load(path, as_arrays=False):
    """Load a .safetensors file (PyTorch-written ones too) into a dict of name → Tensor."""
    from safetensors.numpy import load as st_load  # noqa: PLC0415
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"load: no such file: {path}")
    with open(path, "rb") as f:
        raw = f.read()
    try:
        arrays = st_load(raw)
    except Exception as e:
        raise ValueError(f"load: {path} is not a valid safetensors file ({e})") from None
    verify_checksum(path, arrays, header_metadata(raw))
    if as_arrays:
        return arrays
    return {k: Tensor(v) for k, v in arrays.items()}


def load_metadata(path):
    """The string metadata stored in a .safetensors header."""
    from safetensors import safe_open  # noqa: PLC0415
    with safe_open(os.fspath(path), framework="numpy") as f:
        meta = f.metadata() or {}
    return {k: v for k, v in meta.items() if k != CHECKSUM_KEY}


# ------------------------------------------------------------------ checksums
def checksum(arrays, metadata):
    """SHA-256 (hex) of name → array `arrays` and the string `metadata` (its checksum key
    left out): each tensor's name, dtype, shape and little-endian bytes, in name order."""
    h = hashlib.sha256()
    for name in sorted(arrays):
        a = backend.np.asarray(arrays[name])
        a = backend.np.ascontiguousarray(a, dtype=a.dtype.newbyteorder("<"))
        h.update(json.dumps([name, a.dtype.str, list(a.shape)]).encode() + b"\0")
        h.update(a.reshape(-1).view(backend.np.uint8))
    extra = {k: v for k, v in (metadata or {}).items() if k != CHECKSUM_KEY}
    h.update(json.dumps(extra, sort_keys=True).encode())
    return h.hexdigest()


def with_checksum(arrays, metadata):
    """`metadata` plus its `gradwork.sha256` entry, ready for `safetensors.numpy.save`."""
    return {**metadata, CHECKSUM_KEY: checksum(arrays, metadata)}


def header_metadata(raw):
    """The `__metadata__` dict of a safetensors file's bytes (already validated by a load)."""
    header_len = int.from_bytes(raw[:8], "little")
    return json.loads(raw[8:8 + header_len]).get("__metadata__") or {}


def verify_checksum(path, arrays, metadata):
    """Raise `CheckpointError` if `metadata` holds a checksum that the content does not match;
    a file without one (written by another tool) passes."""
    stored = (metadata or {}).get(CHECKSUM_KEY)
    if stored is None:
        return
    actual = checksum(arrays, metadata)
    if stored != actual:
        raise CheckpointError(
            f"{path} is corrupt: its SHA-256 checksum does not match its content (stored "
            f"{str(stored)[:12]}..., computed {actual[:12]}...). Do not use it: fall back to "
            "the previous checkpoint (e.g. best.safetensors beside last.safetensors, or an "
            "older copy) or retrain")
