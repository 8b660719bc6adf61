"""Decibels: `power_to_db` and `amplitude_to_db`, librosa's conventions.

    dB(S) = 10·log10(max(amin, S)) − 10·log10(max(amin, ref)),  then max(dB, max(dB) − top_db)

amplitude_to_db(A) = power_to_db(A², ref², amin², top_db). Differentiable for a Tensor
(built from `maximum`, `log` and `amax`, so the top_db floor passes its gradient to the
peak, as in torchaudio).
"""
from ..autograd import Tensor
from ..backend import np
from ..errors import ArgumentError, check_positive
from ..ops import amax, log, maximum

_DB_PER_LN = 10.0 / np.log(10.0)         # 10·log10(x) = (10/ln 10)·ln x


def _ref_value(where, ref, magnitude):
    value = ref(magnitude._data if isinstance(magnitude, Tensor) else magnitude) if callable(ref) \
        else ref
    value = abs(float(value))
    if not np.isfinite(value):
        raise ArgumentError(f"{where}: ref must be a finite number or a callable, got {ref!r}")
    return value


def power_to_db(S, ref=1.0, amin=1e-10, top_db=80.0, axis=None):
    """A power spectrogram S in decibels relative to `ref` (a number or a callable such as
    np.max applied to S). top_db clips at max − top_db, the max taken over all of S (librosa)
    or over `axis` (e.g. (-2, -1): per spectrogram of a batch, as torchaudio); None: no clip.
    NumPy in → NumPy out; Tensor in → differentiable Tensor."""
    amin = check_positive("power_to_db", "amin", amin)
    if top_db is not None:
        top_db = check_positive("power_to_db", "top_db", top_db)
    ref_db = _DB_PER_LN * np.log(max(amin, _ref_value("power_to_db", ref, S)))
    if not isinstance(S, Tensor):
        S = np.asarray(S)
        if S.dtype.kind == "c":
            S = np.abs(S)
        out = (_DB_PER_LN * np.log(np.maximum(amin, S)) - ref_db).astype(S.dtype, copy=False)
        if top_db is not None:
            out = np.maximum(out, np.max(out, axis=axis, keepdims=axis is not None) - top_db)
        return out
    out = log(maximum(S, Tensor(np.asarray(amin, S.dtype)))) * _DB_PER_LN - ref_db
    if top_db is not None:
        peak = amax(out, dim=axis, keepdim=True) if axis is not None else \
            amax(out)
        out = maximum(out, peak - top_db)
    return out


def amplitude_to_db(S, ref=1.0, amin=1e-5, top_db=80.0, axis=None):
    """An amplitude (magnitude) spectrogram in decibels: 20·log10(max(amin, |S|)/ref)."""
    amin = check_positive("amplitude_to_db", "amin", amin)
    magnitude = S.abs() if isinstance(S, Tensor) else np.abs(np.asarray(S))
    ref_value = _ref_value("amplitude_to_db", ref, magnitude)
    return power_to_db(magnitude * magnitude, ref=ref_value ** 2, amin=amin ** 2, top_db=top_db,
                       axis=axis)
