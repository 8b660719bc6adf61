"""gradwork's named errors and the validation rules that raise them: one home for both.

Each class subclasses the built-in that PyTorch users already catch, so ``except ValueError``
keeps working: a `ShapeError` is a `ValueError`, a `DTypeError` a `TypeError`, a
`CheckpointError` a `RuntimeError`, a `RunFolderError` an `OSError`.

Every check names the argument, what was expected and what came, e.g.
``Linear: in_features must be a positive integer, got 0``. ``where`` is the caller's public
name (a layer, a function, a command-line flag); never an internal helper's.
"""
import math
import numbers


class GradworkError(Exception):
    """Base of every error gradwork raises on purpose."""


class ShapeError(GradworkError, ValueError):
    """Tensors or arrays whose shapes do not fit together."""


class DTypeError(GradworkError, TypeError):
    """A tensor of the wrong dtype (an integer tensor into a floating layer, ...)."""


class ArgumentError(GradworkError, ValueError):
    """An argument outside its allowed range or set of values."""


class CheckpointError(GradworkError, RuntimeError):
    """A checkpoint or state file that is corrupt, tampered with or inconsistent."""


class DataFormatError(GradworkError, ValueError):
    """A data file (IDX, CIFAR batch, safetensors, WAV, ONNX, ...) that is malformed."""


class RunFolderError(GradworkError, OSError):
    """A run folder that cannot be used: locked, read-only, missing, or not a run."""


class MissingDependencyError(GradworkError, ImportError):
    """An optional extra (onnx, mpi4py, cupy, ...) that a feature needs is not installed."""


class NonFiniteError(GradworkError, FloatingPointError, RuntimeError):
    """A NaN or infinity where a finite number is required (loss, weights, gradient norm).
    Also a `RuntimeError`, what PyTorch raises there (clip_grad_norm_'s error_if_nonfinite)."""


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _fail(where, name, expected, value, cls=ArgumentError):
    prefix = f"{where}: " if where else ""
    raise cls(f"{prefix}{name} must be {expected}, got {value!r}")


def check_positive_int(where, name, value):
    """Return ``value`` if it is an integer ≥ 1, else raise naming ``name``."""
    if not _is_int(value) or value < 1:
        _fail(where, name, "a positive integer", value)
    return int(value)


def check_nonnegative_int(where, name, value):
    """Return ``value`` if it is an integer ≥ 0, else raise naming ``name``."""
    if not _is_int(value) or value < 0:
        _fail(where, name, "a non-negative integer", value)
    return int(value)


def check_finite_number(where, name, value):
    """Return ``float(value)`` if it is a finite real number, else raise naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        _fail(where, name, "a finite number", value)
    return float(value)


def check_nonnegative(where, name, value):
    """Return ``float(value)`` if it is a finite number ≥ 0."""
    number = check_finite_number(where, name, value)
    if number < 0:
        _fail(where, name, "a finite number >= 0", value)
    return number


def check_positive(where, name, value):
    """Return ``float(value)`` if it is a finite number > 0."""
    number = check_finite_number(where, name, value)
    if number <= 0:
        _fail(where, name, "a finite number > 0", value)
    return number


def check_probability(where, name, value, *, inclusive_high=True):
    """Return ``float(value)`` if 0 ≤ value ≤ 1 (or < 1 with ``inclusive_high=False``)."""
    number = check_finite_number(where, name, value)
    high_ok = number <= 1 if inclusive_high else number < 1
    if number < 0 or not high_ok:
        _fail(where, name, "in [0, 1]" if inclusive_high else "in [0, 1)", value)
    return number


def check_choice(where, name, value, choices):
    """Return ``value`` if it is one of ``choices``, else raise listing them."""
    if value not in choices:
        listed = ", ".join(repr(c) for c in choices)
        _fail(where, name, f"one of {listed}", value)
    return value


def plural(count, noun):
    """'1 epoch', '2 epochs': a count with its noun, for messages that speak to users."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


# dtype names as PyTorch's messages print them ("mat1 and mat2 must have the same dtype, but got
# Long and Float"), so that its users recognise the error
_TORCH_DTYPE_NAMES = {"bool": "Bool", "uint8": "Byte", "int8": "Char", "int16": "Short",
                      "int32": "Int", "int64": "Long", "float16": "Half", "float32": "Float",
                      "float64": "Double", "complex64": "ComplexFloat",
                      "complex128": "ComplexDouble"}


def torch_dtype_name(dtype):
    """PyTorch's scalar-type name of a NumPy dtype: int64 → 'Long', float32 → 'Float'."""
    return _TORCH_DTYPE_NAMES.get(str(dtype), str(dtype))
