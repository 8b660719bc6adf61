"""Checkpoints without pickle: `NAME.safetensors` (the arrays) + `NAME.json` (everything else).

Arrays: the model's parameters and buffers under `model.<name>`, the optimizer's state
buffers under `optimizer.state.<index>.<name>`. The rest (epoch, step, the optimizer's groups
and counters, the scheduler, the RNG states, the run's configuration, the history) is JSON.
The JSON is also stored in the safetensors header, which is the copy `load_checkpoint`
reads: each file is replaced atomically, and the pair can never disagree, even if the process
dies between the two renames. `NAME.json` is for people and tools.

A failed write (full disk, no permission) raises and leaves the previous checkpoint whole.
"""
import json
import os

from ..backend import np
from ..optim import flatten_state_dict, unflatten_state_dict
from ..serialization import atomic_write_bytes

FORMAT = "gradwork-checkpoint"
VERSION = 1
_META_KEY = "gradwork.checkpoint"


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray) and value.size < 64:
        return value.tolist()
    raise TypeError(f"checkpoint: cannot store a {type(value).__name__} in JSON")


def _contiguous(array):
    return np.require(array, requirements="C")          # 0-d stays 0-d (a step counter)


def encode(model, optimizer=None, scheduler=None, **info):
    """(safetensors bytes, JSON text) for a checkpoint of these objects plus `info`."""
    from safetensors.numpy import save as st_save  # noqa: PLC0415
    arrays = {"model." + k: _contiguous(v._data) for k, v in model.state_dict().items()}
    meta = {"format": FORMAT, "version": VERSION, **info}
    if optimizer is not None:
        opt_arrays, meta["optimizer"] = flatten_state_dict(optimizer.state_dict(), "optimizer.")
        arrays.update({k: _contiguous(v) for k, v in opt_arrays.items()})
    if scheduler is not None:
        meta["scheduler"] = scheduler.state_dict()
    text = json.dumps(meta, default=_json_default, indent=1)
    return st_save(arrays, metadata={_META_KEY: text}), text


def write(stem, blob, text):
    """Write `stem`.safetensors then `stem`.json, each atomically."""
    os.makedirs(os.path.dirname(os.path.abspath(stem)), exist_ok=True)
    atomic_write_bytes(stem + ".safetensors", blob)
    atomic_write_bytes(stem + ".json", text.encode())


def save_checkpoint(stem, model, optimizer=None, scheduler=None, **info):
    """Save to `stem`.safetensors + `stem`.json (e.g. stem = "runs/a/last")."""
    write(stem, *encode(model, optimizer, scheduler, **info))


def resolve(path):
    """A run folder, `stem`, `stem.json` or `stem.safetensors` → the .safetensors path."""
    path = os.fspath(path)
    if os.path.isdir(path):
        path = os.path.join(path, "last")
    if path.endswith(".json"):
        path = path[:-len(".json")]
    if not path.endswith(".safetensors"):
        path += ".safetensors"
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no checkpoint at {path}")
    return path


def load_checkpoint(path):
    """(arrays, info): the checkpoint's arrays (name → ndarray) and its JSON content."""
    from safetensors import SafetensorError  # noqa: PLC0415
    from safetensors.numpy import load as st_load  # noqa: PLC0415
    path = resolve(path)
    with open(path, "rb") as f:
        raw = f.read()
    try:
        arrays = st_load(raw)
        header_len = int.from_bytes(raw[:8], "little")
        header = json.loads(raw[8:8 + header_len])
        info = json.loads(header["__metadata__"][_META_KEY])
    except (SafetensorError, ValueError, KeyError, TypeError) as e:
        raise ValueError(f"{path}: not a gradwork checkpoint ({type(e).__name__}: {e})") from None
    if info.get("format") != FORMAT:
        raise ValueError(f"{path}: not a gradwork checkpoint (format {info.get('format')!r})")
    return arrays, info


def restore(arrays, info, model, optimizer=None, scheduler=None):
    """Load the model's weights (strict) and, if given, the optimizer's and scheduler's state."""
    prefix = "model."
    model.load_state_dict({k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)})
    if optimizer is not None:
        if "optimizer" not in info:
            raise ValueError("checkpoint has no optimizer state to restore")
        optimizer.load_state_dict(unflatten_state_dict(arrays, info["optimizer"], "optimizer."))
    if scheduler is not None:
        if "scheduler" not in info:
            raise ValueError("checkpoint has no scheduler state to restore")
        scheduler.load_state_dict(info["scheduler"])
