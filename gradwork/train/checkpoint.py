"""Checkpoints without pickle: `NAME.safetensors` (the arrays) + `NAME.json` (everything else).

Arrays: the model's parameters and buffers under `model.<name>`, the optimizer's state
buffers under `optimizer.state.<index>.<name>`, a trainer's own (a language model's carried
hidden state) under `extra.<name>`. The rest (epoch, step, the optimizer's groups
and counters, the scheduler, the RNG states, the run's configuration, the history) is JSON.
The JSON is also stored in the safetensors header, which is the copy `load_checkpoint`
reads: each file is replaced atomically, and the pair can never disagree, even if the process
dies between the two renames. `NAME.json` is for people and tools.

Integrity: the safetensors header carries a SHA-256 checksum of the arrays and the JSON
(`gradwork.serialization.checksum`), verified by `load_checkpoint`, which also checks the
JSON's fields against a schema (types, ranges): a flipped bit or a hand-edited value is refused
with a `CheckpointError` naming the file, never half-accepted. `NAME.json` is never read back.
A checkpoint never holds a NaN or an infinity (`NonFiniteError` before anything is written).
A failed write (full disk, no permission) raises and leaves the previous checkpoint whole.
"""
import json
import math
import numbers
import os
import warnings

from ..backend import array_module, np, to_device
from ..errors import CheckpointError, DataFormatError, NonFiniteError
from ..optim import flatten_state_dict, unflatten_state_dict
from ..serialization import (
    CHECKSUM_KEY,
    TEMP_PREFIX,
    atomic_write_bytes,
    parse_header,
    verify_checksum,
    with_checksum,
)

FORMAT = "gradwork-checkpoint"
VERSION = 2                           # 2: with a checksum (1: without, still readable)
_META_KEY = "gradwork.checkpoint"


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray) and value.size < 64:
        return value.tolist()
    raise TypeError(f"checkpoint: cannot store a {type(value).__name__} in JSON")


def _contiguous(array):
    """A C-contiguous host array (a GPU array is copied to the host first)."""
    return np.require(to_device(array, "cpu"), requirements="C")    # 0-d stays 0-d (a step)


def encode(model, optimizer=None, scheduler=None, extra_arrays=None, **info):
    """(safetensors bytes, JSON text) for a checkpoint of these objects plus `info`;
    `extra_arrays` (name → array, e.g. a language model's carried hidden state) are stored
    under `extra.<name>`."""
    from safetensors.numpy import save as st_save
    arrays = {"model." + k: _contiguous(v._data) for k, v in model.state_dict().items()}
    arrays.update({"extra." + k: _contiguous(v) for k, v in (extra_arrays or {}).items()})
    meta = {"format": FORMAT, "version": VERSION, **info}
    if optimizer is not None:
        opt_arrays, meta["optimizer"] = flatten_state_dict(optimizer.state_dict(), "optimizer.")
        arrays.update({k: _contiguous(v) for k, v in opt_arrays.items()})
    if scheduler is not None:
        meta["scheduler"] = scheduler.state_dict()
    bad = first_nonfinite(arrays)
    if bad is not None:
        raise NonFiniteError(
            f"not writing a checkpoint: {bad[0]} holds {bad[1]} (after epoch "
            f"{info.get('epoch', '?')}, step {info.get('step', '?')}); the previous checkpoints "
            "are kept")
    text = json.dumps(meta, default=_json_default, indent=1)
    return st_save(arrays, metadata=with_checksum(arrays, {_META_KEY: text})), text


def first_nonfinite(named_arrays):
    """(name, "NaN" or "inf") of the first floating array holding a non-finite value, or None.
    A finite sum proves every element finite, so the full check runs only when it is not."""
    for name, a in named_arrays.items():
        a = getattr(a, "_data", a)                      # a Tensor's array
        xp = array_module(a)                            # GPU data is checked on the GPU
        a = xp.asarray(a)
        if a.dtype.kind not in "fc":
            continue
        with np.errstate(over="ignore", invalid="ignore"):
            if math.isfinite(float(xp.abs(a.sum()))):
                continue
        if bool(xp.isnan(a).any()):
            return name, "NaN"
        if bool(xp.isinf(a).any()):
            return name, "inf"
    return None


def write(stem, blob, text):
    """Write `stem`.safetensors then `stem`.json, each atomically."""
    os.makedirs(os.path.dirname(os.path.abspath(stem)), exist_ok=True)
    atomic_write_bytes(stem + ".safetensors", blob)
    atomic_write_bytes(stem + ".json", text.encode())


def save_checkpoint(stem, model, optimizer=None, scheduler=None, **info):
    """Save to `stem`.safetensors + `stem`.json (e.g. stem = "runs/a/last")."""
    write(stem, *encode(model, optimizer, scheduler, **info))


def resolve(path, best=False):
    """A run folder, `stem`, `stem.json` or `stem.safetensors` → the .safetensors path. A run
    folder gives its `last` checkpoint (what resuming continues), or with best=True its `best`
    on validation where there is one (what inference wants), else `last`."""
    path = os.fspath(path)
    if os.path.isdir(path):
        has_best = os.path.isfile(os.path.join(path, "best.safetensors"))
        path = os.path.join(path, "best" if best and has_best else "last")
    if path.endswith(".json"):
        path = path[:-len(".json")]
    if not path.endswith(".safetensors"):
        path += ".safetensors"
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no checkpoint at {path}")
    return path


def load_checkpoint(path):
    """(arrays, info): the checkpoint's arrays (name → ndarray) and its JSON content, after
    checking its checksum and its fields."""
    from safetensors import SafetensorError
    from safetensors.numpy import load as st_load
    path = resolve(path)
    with open(path, "rb") as f:
        raw = f.read()
    try:
        _, meta = parse_header(raw)
        arrays = st_load(raw)
        verify_checksum(path, arrays, meta)
        info = json.loads(meta[_META_KEY])
    except (SafetensorError, ValueError, KeyError, TypeError) as e:
        raise DataFormatError(
            f"{path}: not a gradwork checkpoint, or a corrupt one ({type(e).__name__}: {e}); "
            f"fall back to the previous checkpoint{_fallback(path)}") from None
    if not isinstance(info, dict) or info.get("format") != FORMAT:
        form = info.get("format") if isinstance(info, dict) else info
        raise DataFormatError(f"{path}: not a gradwork checkpoint (format {form!r})")
    if CHECKSUM_KEY not in meta and not (_is_int(info.get("version")) and info["version"] < 2):
        raise CheckpointError(f"{path}: its checksum is missing, so its content cannot be "
                              f"trusted; fall back to the previous checkpoint{_fallback(path)}")
    validate_info(info, path)
    _warn_if_sidecar_differs(path, meta[_META_KEY])
    return arrays, info


def _warn_if_sidecar_differs(path, text):
    """`NAME.json` is a copy for people; an edit to it would silently do nothing, so say so."""
    sidecar = path[:-len(".safetensors")] + ".json"
    try:
        with open(sidecar, "rb") as f:
            same = f.read() == text.encode()
    except OSError:
        return
    if not same:
        warnings.warn(f"{sidecar} differs from {os.path.basename(path)} (edited by hand, or a "
                      "write was cut short): it is not read; the checkpoint's own checksummed "
                      "copy is used", stacklevel=3)


def _fallback(path):
    other = "last" if os.path.basename(path).startswith("best") else "best"
    sibling = os.path.join(os.path.dirname(path), other + ".safetensors")
    return f" ({sibling})" if os.path.isfile(sibling) else ""


# ------------------------------------------------------------------ the JSON's schema
def _is_int(v):
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def _is_num(v):
    return isinstance(v, numbers.Real) and not isinstance(v, bool) and math.isfinite(v)


def _nonneg_int(v):
    return _is_int(v) and v >= 0


_RULES = {   # field → (test, what it must be); a field absent from a checkpoint is not checked
    "version": (lambda v: _is_int(v) and 1 <= v <= VERSION, f"an integer in [1, {VERSION}]"),
    "epoch": (_nonneg_int, "an integer >= 0"),
    "step": (_nonneg_int, "an integer >= 0"),
    "best_acc": (lambda v: _is_num(v) and -1 <= v <= 1, "a number in [-1, 1]"),
    "history": (lambda v: isinstance(v, list) and all(
        isinstance(r, dict) and all(x is None or isinstance(x, numbers.Real) for x in r.values())
        for r in v),
        "a list of rows of numbers"),
    "epoch_sums": (lambda v: isinstance(v, dict) and _is_num(v.get("loss_sum"))
                   and all(_nonneg_int(v.get(k)) for k in ("correct1", "correct5", "count"))
                   and v["correct1"] <= v["correct5"] <= v["count"]
                   and _nonneg_int(v.get("nonfinite", 0)),
                   "{loss_sum: number, correct1 <= correct5 <= count: integers >= 0}"),
    "rng": (lambda v: isinstance(v, dict) and isinstance(v.get("gradwork"), dict)
            and isinstance(v.get("loader"), dict)
            and all(_nonneg_int(v["loader"].get(k)) for k in ("seed", "epoch", "batch")),
            "{gradwork: a generator state, loader: {seed, epoch, batch: integers >= 0}}"),
    "config": (lambda v: v is None or isinstance(v, dict), "a dict or null"),
    "optimizer": (lambda v: isinstance(v, dict), "a dict"),
    "scheduler": (lambda v: isinstance(v, dict), "a dict"),
}


def validate_info(info, path="checkpoint"):
    """Raise `CheckpointError` naming the first field of a checkpoint's JSON whose type or
    range is wrong (a hand-edited or foreign file), before anything is restored from it."""
    for name, (ok, expected) in _RULES.items():
        if name in info and not ok(info[name]):
            shown = json.dumps(info[name], default=str)
            shown = shown if len(shown) <= 80 else shown[:77] + "..."
            raise CheckpointError(f"{path}: field {name!r} must be {expected}, got {shown}; "
                                  "the checkpoint was edited or damaged and is refused")


def restore(arrays, info, model, optimizer=None, scheduler=None):
    """Load the model's weights (strict) and, if given, the optimizer's and scheduler's state."""
    prefix = "model."
    model.load_state_dict({k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)})
    if optimizer is not None:
        if "optimizer" not in info:
            raise CheckpointError("checkpoint has no optimizer state to restore")
        optimizer.load_state_dict(unflatten_state_dict(arrays, info["optimizer"], "optimizer."))
    if scheduler is not None:
        if "scheduler" not in info:
            raise CheckpointError("checkpoint has no scheduler state to restore")
        scheduler.load_state_dict(info["scheduler"])


def remove_temp_files(folder):
    """Delete the temp files an interrupted `atomic_write_bytes` left in `folder` (names that
    start with `TEMP_PREFIX`); return their names. Call it only while this run owns `folder`."""
    removed = []
    for name in sorted(os.listdir(folder)) if os.path.isdir(folder) else []:
        full = os.path.join(folder, name)
        if name.startswith(TEMP_PREFIX) and os.path.isfile(full):
            os.unlink(full)
            removed.append(name)
    return removed
