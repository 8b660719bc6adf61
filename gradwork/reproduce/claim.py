"""A claim of the decks as an experiment: what it says, where, the rule that decides it.

A `Claim` declares its verdict rule (``rule``, in words, and ``decide``, the function that
applies it) in code, before anything runs; the runner only calls ``experiment`` and then
``decide`` on the rows it measured, so a rule cannot be tuned after seeing a result.
"""
from dataclasses import dataclass, field

HOLDS, DOES_NOT_HOLD, INCONCLUSIVE = "HOLDS", "DOES NOT HOLD", "INCONCLUSIVE"
STATUSES = (HOLDS, DOES_NOT_HOLD, INCONCLUSIVE)


@dataclass
class Verdict:
    """The outcome of a claim's rule: a status and the numbers it rests on."""
    status: str
    numbers: dict = field(default_factory=dict)
    reason: str = ""

    def __post_init__(self):
        if self.status not in STATUSES:
            raise ValueError(f"Verdict: status must be one of {STATUSES}, got {self.status!r}")

    def line(self, name):
        nums = ", ".join(f"{k}={_fmt(v)}" for k, v in self.numbers.items())
        return f"{name}: {self.status} ({nums})" + (f" — {self.reason}" if self.reason else "")


def _fmt(v):
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_fmt(x) for x in v) + "]"
    return str(v)


@dataclass
class Context:
    """What a run of a claim is given: quick or full, the seeds, the data, a log function."""
    quick: bool = False
    seeds: tuple = (0,)
    data: str = "mnist"
    data_dir: str | None = None
    log: object = print


@dataclass
class Claim:
    """One testable statement of a deck.

    ``experiment(ctx) -> list[dict]`` measures (one dict per row of results.csv);
    ``decide(rows) -> Verdict`` applies ``rule``; ``plot(rows, path, ctx)`` draws plot.png.
    """
    name: str
    deck: str            # the deck's file name
    slide: str           # the slide's title
    statement: str       # the claim in one line
    paper: str
    rule: str            # the verdict rule in words, declared before the run
    experiment: object
    decide: object
    plot: object
    full_time: str       # how long the full run takes on the 2-core machine
    default_seeds: int = 1
    data_options: tuple = ("mnist",)   # data sets the experiment accepts
