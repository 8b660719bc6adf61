"""The one Numba setting every kernel compiles with, applied on first use."""
import functools

# reassoc lets LLVM vectorise the reductions (sums in a different order, as NumPy's own
# pairwise sums are); contract allows fused multiply-adds. No nnan/ninf: NaN and inf propagate.
FASTMATH = {"reassoc", "contract"}


class kernel:
    """Compile `fn` in nopython mode, GIL released, cached on disk per signature, on its
    first call. Numba is imported only then: a program that never calls a kernel (LeNet-5's
    main job, say) never pays Numba's half-second import."""

    def __init__(self, fn):
        functools.update_wrapper(self, fn)
        self.fn, self.compiled = fn, None

    def __call__(self, *args):
        if self.compiled is None:
            import numba
            self.compiled = numba.njit(self.fn, nogil=True, cache=True, fastmath=FASTMATH,
                                       error_model="numpy")
        return self.compiled(*args)
