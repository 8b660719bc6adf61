"""Whether operations are recorded for differentiation (`no_grad`, `enable_grad`,
`set_grad_enabled`), as context managers or decorators, per thread."""
import functools
import threading


class _State(threading.local):
    enabled = True      # a class default: a missing attribute would make every lookup raise


_state = _State()


def is_grad_enabled():
    return _state.enabled


class _GradMode:
    mode = True

    def __new__(cls, fn=None):
        self = super().__new__(cls)
        return self if fn is None else self(fn)      # bare `@no_grad` decorates too

    def __enter__(self):
        self.prev = _state.enabled
        _state.enabled = self.mode
        return self

    def __exit__(self, *exc):
        _state.enabled = self.prev
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with type(self)():
                return fn(*args, **kwargs)
        return wrapper


class no_grad(_GradMode):
    """Context manager / decorator: operations inside build no graph."""
    mode = False


class enable_grad(_GradMode):
    """Context manager / decorator: re-enable recording inside a `no_grad` block."""
    mode = True


class set_grad_enabled(_GradMode):
    """Switch recording on or off now; as a context manager, restore the old mode on exit."""

    def __new__(cls, mode):
        return object.__new__(cls)

    def __init__(self, mode):
        self.prev = _state.enabled
        self.mode = bool(mode)
        _state.enabled = self.mode

    def __enter__(self):
        return self

    def __call__(self, fn):
        raise TypeError("set_grad_enabled: use no_grad or enable_grad as decorators")
