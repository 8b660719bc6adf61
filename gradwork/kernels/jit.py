"""The one Numba setting every kernel compiles with, applied on first use."""
import functools
import types

# reassoc lets LLVM vectorise the reductions (sums in a different order, as NumPy's own
# pairwise sums are); contract allows fused multiply-adds. No nnan/ninf: NaN and inf propagate.
FASTMATH = {"reassoc", "contract"}


def _global_names(code):
    """The global names `code` and the functions defined inside it load."""
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _global_names(const)
    return names


class kernel:
    """Compile `fn` in nopython mode, GIL released, cached on disk per signature, on its
    first call. Numba is imported only then: a program that never calls a kernel (LeNet-5's
    main job, say) never pays Numba's half-second import. A kernel may call other kernels of
    its module: Numba sees their compiled form."""

    def __init__(self, fn):
        functools.update_wrapper(self, fn)
        self.fn, self.compiled = fn, None

    def __call__(self, *args):
        return self.jitted()(*args)

    def jitted(self):
        """The Numba dispatcher of `fn` (created on the first call)."""
        if self.compiled is None:
            import numba
            fn, scope = self.fn, self.fn.__globals__
            calls = {name: scope[name].jitted() for name in _global_names(fn.__code__)
                     if isinstance(scope.get(name), kernel)}
            if calls:                   # the same code, the callees' dispatchers in its globals
                fn = functools.update_wrapper(types.FunctionType(
                    fn.__code__, {**scope, **calls}, fn.__name__, fn.__defaults__,
                    fn.__closure__), fn)
            self.compiled = numba.njit(fn, nogil=True, cache=True, fastmath=FASTMATH,
                                       error_model="numpy")
        return self.compiled
