"""`save` / `load` of state dicts in the safetensors format (no pickle), written atomically.

Every file gradwork writes carries a SHA-256 checksum in its header metadata
(`gradwork.sha256`, over the tensors' names, dtypes, shapes and bytes and the other metadata),
verified on load: a flipped bit is refused with a `CheckpointError` instead of loading
silently. Files without one (written by PyTorch or other tools) still load.
"""
import hashlib
import json
import math
import os
import tempfile

from . import backend, cuda, nested
from .autograd import Tensor
from .device import device
from .errors import CheckpointError, DataFormatError

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


def save(obj, path, metadata=None):
    """Save a state dict (name → Tensor/array) as a .safetensors file, or a nested checkpoint
    (`{"model": sd, "optim": osd, "epoch": 3}`: dicts, lists, tuples, numbers, strings, None
    and tensors) as safetensors plus its structure in the metadata (gradwork/nested.py).
    Atomic; no pickle."""
    if nested.is_flat(obj):
        return _save_flat(obj, path, metadata)
    arrays, structure = nested.flatten(obj)
    return _save_flat(arrays, path, {**(metadata or {}), nested.STRUCTURE_KEY: structure})


def _save_flat(state_dict, path, metadata=None):
    """Save a dict of name → Tensor/array as a .safetensors file (atomic)."""
    from safetensors.numpy import save as st_save
    if not isinstance(state_dict, dict):
        raise TypeError(f"save: state_dict must be a dict of name → tensor, got "
                        f"{type(state_dict).__name__}")
    arrays = {}
    for name, value in state_dict.items():
        if not isinstance(name, str):
            raise TypeError(f"save: keys must be strings, got {name!r}")
        arr = value._data if isinstance(value, Tensor) else value
        arr = backend.np.asarray(backend.to_device(arr, "cpu"))   # GPU tensors: from the host
        arrays[name] = backend.np.require(arr, requirements="C")  # 0-d stays 0-d
    meta = {} if metadata is None else {k: v if isinstance(v, str) else json.dumps(v)
                                        for k, v in metadata.items()}
    atomic_write_bytes(path, st_save(arrays, metadata=with_checksum(arrays, meta)))


# bytes per element of each safetensors dtype (the format's list, F8/F4 variants included)
_ITEMSIZE = {"BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "F8_E8M0": 1,
             "I16": 2, "U16": 2, "F16": 2, "BF16": 2, "I32": 4, "U32": 4, "F32": 4,
             "I64": 8, "U64": 8, "F64": 8, "C64": 8}
MAX_HEADER_BYTES = 100 * 1000 * 1000      # the safetensors library's own bound on the header


def _shape_bytes(name, entry):
    """The byte length a tensor entry's dtype and shape need; ValueError if malformed."""
    if not isinstance(entry, dict) or set(entry) != {"dtype", "shape", "data_offsets"}:
        raise ValueError(f"tensor {name!r}: expected keys dtype, shape, data_offsets, got "
                         f"{sorted(entry) if isinstance(entry, dict) else type(entry).__name__}")
    dtype, shape = entry["dtype"], entry["shape"]
    if dtype not in _ITEMSIZE:
        raise ValueError(f"tensor {name!r}: unknown dtype {dtype!r}")
    if not isinstance(shape, list) or not all(type(d) is int and d >= 0 for d in shape):
        raise ValueError(f"tensor {name!r}: shape must be a list of integers >= 0, got {shape!r}")
    return math.prod(shape) * _ITEMSIZE[dtype]


def parse_header(raw):
    """The header of a safetensors file held in `raw` (bytes): {name: entry}, metadata.

    Checked before any tensor is built: the declared header length fits in the file (and in
    MAX_HEADER_BYTES); the header is a JSON object; every entry's dtype is known and its shape
    a list of sizes; its data_offsets [begin, end] lie inside the data, and end − begin is
    exactly what dtype × shape needs; the tensors tile the data with no overlap, gap or
    trailing byte (the format's rule). Raises ValueError naming the first violation."""
    if len(raw) < 8:
        raise ValueError(f"{len(raw)} bytes, shorter than the 8-byte header length")
    n = int.from_bytes(raw[:8], "little")
    if n > min(len(raw) - 8, MAX_HEADER_BYTES):
        raise ValueError(f"the header declares {n} bytes, but the file holds {len(raw) - 8} "
                         f"after the length (limit {MAX_HEADER_BYTES})")
    try:
        header = json.loads(bytes(raw[8:8 + n]))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
        raise ValueError(f"the header is not JSON ({e})") from None
    if not isinstance(header, dict):
        raise ValueError(f"the header must be a JSON object, got {type(header).__name__}")
    metadata = header.pop("__metadata__", None)
    if metadata is not None and not (isinstance(metadata, dict) and all(
            isinstance(v, str) for v in metadata.values())):
        raise ValueError("__metadata__ must map strings to strings")
    spans = []
    for name, entry in header.items():
        size = _shape_bytes(name, entry)
        offsets = entry["data_offsets"]
        if not (isinstance(offsets, list) and len(offsets) == 2
                and all(type(o) is int for o in offsets)):
            raise ValueError(f"tensor {name!r}: data_offsets must be [begin, end], got {offsets!r}")
        begin, end = offsets
        if not 0 <= begin <= end or end - begin != size:
            raise ValueError(f"tensor {name!r}: data_offsets {offsets} hold {end - begin} bytes; "
                             f"dtype {entry['dtype']} and shape {entry['shape']} need {size}")
        spans.append((begin, end, name))
    position, data_size = 0, len(raw) - 8 - n
    for begin, end, name in sorted(spans):
        if begin != position:
            raise ValueError(f"tensor {name!r}: data_offsets start at {begin}, expected "
                             f"{position} ({'overlap' if begin < position else 'a gap'})")
        position = end
    if position != data_size:
        raise ValueError(f"the tensors cover {position} bytes of data, the file holds "
                         f"{data_size}")
    return header, metadata or {}


def load(path, map_location=None, weights_only=None, as_arrays=False):
    """Load what `save` wrote (and PyTorch-written .safetensors files): a dict of name → Tensor,
    or the nested checkpoint it held. `map_location` is PyTorch's: 'cpu' (or a device, or a
    dict mapping to 'cpu'); 'cuda' needs the GPU backend. The format holds no code, so every
    load is what PyTorch calls weights_only (weights_only=False is accepted, changes nothing).
    Tensors are saved from the host, so a checkpoint written on the GPU loads on the CPU by
    default; map_location='cuda' puts them on the GPU."""
    target = _check_map_location(map_location)
    from safetensors.numpy import load as st_load
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"load: no such file: {path}")
    with open(path, "rb") as f:
        raw = f.read()
    try:
        _, metadata = parse_header(raw)
        arrays = st_load(raw)
    except Exception as e:
        raise DataFormatError(f"load: {path} is not a valid safetensors file ({e})") from None
    verify_checksum(path, arrays, metadata)
    structure = metadata.get(nested.STRUCTURE_KEY)
    if structure is not None:
        return _place(nested.unflatten(structure, arrays, path), target)
    if as_arrays:
        return arrays
    return _place({k: Tensor(v) for k, v in arrays.items()}, target)


def _place(obj, target):
    """Every tensor inside `obj` (dicts, lists, tuples) moved to device type `target`."""
    if target != "cuda":
        return obj
    if isinstance(obj, Tensor):
        obj._data = backend.to_device(obj._data, "cuda")
    elif isinstance(obj, dict):
        for v in obj.values():
            _place(v, target)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            _place(v, target)
    return obj


def _check_map_location(map_location):
    """The device type tensors load to ('cpu' or 'cuda'): a dict maps the saved location,
    which is always the host here, so its 'cpu' entry counts."""
    targets = map_location.values() if isinstance(map_location, dict) else [map_location]
    for t in targets:
        if t is None:
            continue
        if callable(t) and not isinstance(t, (str, device)):
            raise TypeError("load: map_location as a function is not supported; give 'cpu', a "
                            "gradwork.device or a dict")
        if device(t).type != "cpu":
            cuda.require(f"load(map_location={str(t)!r})")
    chosen = map_location.get("cpu") if isinstance(map_location, dict) else map_location
    return "cpu" if chosen is None else device(chosen).type


def load_metadata(path):
    """The string metadata stored in a .safetensors header."""
    from safetensors import safe_open
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
