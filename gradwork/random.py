"""`gradwork.Generator`: a random number generator object, passed as `generator=` where
PyTorch's APIs take one (randn, rand, randint, randperm, normal_, uniform_, ...).

`default_generator` is gradwork's global generator (the one `gradwork.manual_seed` seeds).
The streams are NumPy's PCG64, so the numbers differ from PyTorch's; the semantics
(seeding repeats a stream, a private generator leaves the global one untouched) are PyTorch's.
"""
from . import backend
from .device import device as _device


def _check_seed(seed, what):
    if isinstance(seed, bool) or not isinstance(seed, (int, backend.np.integer)):
        raise TypeError(f"{what}: seed must be an int, got {type(seed).__name__}")
    seed = int(seed)
    if seed < 0:
        seed += 1 << 64          # PyTorch accepts negative seeds as their 64-bit pattern
    return seed


class Generator:
    """`Generator(device='cpu')`; `manual_seed(s)` returns the generator, as PyTorch."""

    def __init__(self, device="cpu"):
        if _device(device).type != "cpu":
            raise RuntimeError(f"Generator: device {str(device)!r} is not available; gradwork's "
                               "generators live on the CPU")
        self._global = False
        self._seed = int(backend.np.random.SeedSequence().entropy % (1 << 63))
        self._rng = backend.np.random.default_rng(self._seed)

    @classmethod
    def _default(cls):
        """The global generator: a view of backend's, so that every seeding path agrees."""
        g = cls()
        g._global, g._seed, g._rng = True, None, None
        return g

    @property
    def device(self):
        return _device("cpu")

    def manual_seed(self, seed):
        self._seed = _check_seed(seed, "manual_seed")
        if self._global:
            backend.manual_seed(self._seed)
        else:
            self._rng = backend.np.random.default_rng(self._seed)
        return self

    def seed(self):
        """Re-seed from fresh entropy; return the new seed."""
        self.manual_seed(int(backend.np.random.SeedSequence().entropy % (1 << 63)))
        return self._seed

    def initial_seed(self):
        return self._seed

    def get_state(self):
        """The bit generator's state (a JSON-serialisable dict, not PyTorch's byte tensor)."""
        return self.numpy_generator().bit_generator.state

    def set_state(self, state):
        if self._global:
            backend.set_rng_state(state)
        else:
            self._rng.bit_generator.state = state
        return self

    def numpy_generator(self):
        """The `numpy.random.Generator` that draws the numbers."""
        return backend.generator() if self._global else self._rng


default_generator = Generator._default()


def manual_seed(seed):
    """Seed gradwork's global generator; returns it (`gradwork.default_generator`)."""
    return default_generator.manual_seed(seed)


def initial_seed():
    return default_generator.initial_seed()


def resolve(generator, what):
    """The NumPy generator behind `generator=` (None: the global one)."""
    if generator is None:
        return backend.generator()
    if not isinstance(generator, Generator):
        raise TypeError(f"{what}: generator must be a gradwork.Generator, got "
                            f"{type(generator).__name__}")
    return generator.numpy_generator()
