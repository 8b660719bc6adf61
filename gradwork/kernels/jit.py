"""The one Numba setting every kernel compiles with."""
import numba

# reassoc lets LLVM vectorise the reductions (sums in a different order, as NumPy's own
# pairwise sums are); contract allows fused multiply-adds. No nnan/ninf: NaN and inf propagate.
FASTMATH = {"reassoc", "contract"}


def kernel(fn):
    """Compile `fn` in nopython mode, GIL released, cached on disk per signature."""
    return numba.njit(fn, nogil=True, cache=True, fastmath=FASTMATH, error_model="numpy")
