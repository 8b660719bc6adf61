"""`gradwork.cuda`: whether a GPU backend is there. gradwork's GPU path is CuPy (the array
module every op takes from its inputs); without CuPy and a CUDA device there is none."""


def is_available():
    """True when CuPy imports and sees at least one CUDA device."""
    try:
        import cupy
        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:
        return False


def device_count():
    if not is_available():
        return 0
    import cupy
    return cupy.cuda.runtime.getDeviceCount()


def require(what):
    """Raise a clear error unless the GPU backend is available; `what` names the caller."""
    if not is_available():
        raise RuntimeError(f"{what}: no GPU backend: gradwork runs on CUDA through CuPy, and "
                           "CuPy is not installed or sees no CUDA device "
                           "(gradwork.cuda.is_available() is False)")
