"""`CTCLoss`: the connectionist temporal classification loss module (Graves et al. 2006)."""
from ..errors import check_choice, check_nonnegative_int
from ..ops import ctc
from .module import Module


class CTCLoss(Module):
    """−ln p(l | x) summed over all alignments of the labels l to the frames x.

    Holds `blank`, `reduction` and `zero_infinity` and calls `F.ctc_loss` (see there for the
    recursions, shapes and the note on the gradient). log_probs: (T, N, C) or (T, C);
    targets: (N, S) padded or (Σ target_lengths,) concatenated; lengths: (N,).
    """

    def __init__(self, blank=0, reduction="mean", zero_infinity=False):
        super().__init__()
        check_nonnegative_int("CTCLoss", "blank", blank)
        check_choice("CTCLoss", "reduction", reduction, ctc._REDUCTIONS)
        self.blank, self.reduction, self.zero_infinity = blank, reduction, bool(zero_infinity)

    def forward(self, log_probs, targets, input_lengths, target_lengths):
        return ctc.ctc_loss(log_probs, targets, input_lengths, target_lengths, self.blank,
                            self.reduction, self.zero_infinity)

    def extra_repr(self):
        return (f"blank={self.blank}, reduction={self.reduction!r}, "
                f"zero_infinity={self.zero_infinity}")
