"""`gradwork reproduce`: the decks' claims as experiments, each with a plot and a verdict.

    gradwork reproduce --list
    gradwork reproduce residual_vs_plain [--quick] [--seeds K] [--out DIR]

Each claim (`Claim`) names its deck and slide, the paper, and a verdict rule declared in code
before the experiment runs; `run_claim` writes DIR/NAME/results.csv, plot.png and
verdict.json and returns the `Verdict` (HOLDS, DOES NOT HOLD or INCONCLUSIVE).
"""
from .catalog import CLAIMS, get_claim
from .claim import DOES_NOT_HOLD, HOLDS, INCONCLUSIVE, Claim, Context, Verdict
from .runner import run_claim

__all__ = ["CLAIMS", "get_claim", "run_claim", "Claim", "Context", "Verdict", "HOLDS",
           "DOES_NOT_HOLD", "INCONCLUSIVE"]
