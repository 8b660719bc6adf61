"""`save` / `load` of state dicts in the safetensors format (no pickle), written atomically."""
import json
import os
import tempfile

from . import backend, cuda, nested
from .autograd import Tensor
from .device import device


def atomic_write_bytes(path, data):
    """Write `data` to `path` via a temp file in the same folder and a rename, so a crash or a
    full disk never leaves a half-written file in place of a good one."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix="-" + os.path.basename(path), dir=folder)
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
    from safetensors.numpy import save as st_save  # noqa: PLC0415
    if not isinstance(state_dict, dict):
        raise TypeError(f"save: state_dict must be a dict of name → tensor, got "
                        f"{type(state_dict).__name__}")
    arrays = {}
    for name, value in state_dict.items():
        if not isinstance(name, str):
            raise TypeError(f"save: keys must be strings, got {name!r}")
        arr = value._data if isinstance(value, Tensor) else backend.np.asarray(value)
        arrays[name] = backend.np.require(arr, requirements="C")  # 0-d stays 0-d
    meta = None if metadata is None else {k: v if isinstance(v, str) else json.dumps(v)
                                          for k, v in metadata.items()}
    atomic_write_bytes(path, st_save(arrays, metadata=meta))


def load(path, map_location=None, weights_only=None, as_arrays=False):
    """Load what `save` wrote (and PyTorch-written .safetensors files): a dict of name → Tensor,
    or the nested checkpoint it held. `map_location` is PyTorch's: 'cpu' (or a device, or a
    dict mapping to 'cpu'); 'cuda' needs the GPU backend. The format holds no code, so every
    load is what PyTorch calls weights_only (weights_only=False is accepted, changes nothing)."""
    _check_map_location(map_location)
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
    structure = load_metadata(path).get(nested.STRUCTURE_KEY)
    if structure is not None:
        return nested.unflatten(structure, arrays, path)
    if as_arrays:
        return arrays
    return {k: Tensor(v) for k, v in arrays.items()}


def _check_map_location(map_location):
    targets = map_location.values() if isinstance(map_location, dict) else [map_location]
    for t in targets:
        if t is None:
            continue
        if callable(t) and not isinstance(t, (str, device)):
            raise TypeError("load: map_location as a function is not supported; give 'cpu', a "
                            "gradwork.device or a dict")
        if device(t).type != "cpu":
            cuda.require(f"load(map_location={str(t)!r})")


def load_metadata(path):
    """The string metadata stored in a .safetensors header."""
    from safetensors import safe_open  # noqa: PLC0415
    with safe_open(os.fspath(path), framework="numpy") as f:
        return f.metadata() or {}
