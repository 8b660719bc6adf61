"""`gradwork.cuda`: whether a GPU backend is there. gradwork's GPU path is CuPy (the array
module every op takes from its inputs); without CuPy and a CUDA device there is none."""


def is_available():
    """True when CuPy imports and sees at least one CUDA device."""
    try:
        import cupy  # noqa: PLC0415 - optional, only asked here
        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:  # noqa: BLE001 - ImportError, or CUDA runtime errors with no driver
        return False


def device_count():
    if not is_available():
        return 0
    import cupy  # noqa: PLC0415
    return cupy.cuda.runtime.getDeviceCount()


def require(what):
    """Raise a clear error unless the GPU backend is available; `what` names the caller."""
    if not is_available():
        raise RuntimeError(f"{what}: no GPU backend: gradwork runs on CUDA through CuPy, and "
                           "CuPy is not installed or sees no CUDA device "
                           "(gradwork.cuda.is_available() is False)")
