"""`TrainConfig`: everything that defines a training run, as one dataclass.

The CLI turns its flags into a `TrainConfig`; the run saves it as `config.json` and inside
every checkpoint, so `--resume` and `gradwork eval` rebuild the same model and data.
"""
import dataclasses
from dataclasses import dataclass, field

OPTIMIZERS = ("sgd", "adam", "adamw", "rmsprop")
SCHEDULES = ("none", "step", "multistep", "cosine", "plateau")
PENALTIES = ("none", "l2", "l1", "elastic")


@dataclass
class TrainConfig:
    model: str
    data: str = "mnist"
    data_dir: str | None = None
    epochs: int = 20
    batch_size: int = 64
    lr: float = 0.05
    momentum: float = 0.9
    weight_decay: float = 0.0
    optimizer: str = "sgd"
    schedule: str = "cosine"
    step_size: int = 0              # StepLR period in epochs (0: a third of the epochs)
    milestones: list = field(default_factory=list)  # MultiStepLR (empty: at 50 % and 75 %)
    gamma: float = 0.1
    patience: int = 2               # ReduceLROnPlateau, on the validation loss
    augment: bool = True
    clip_grad: float | None = None
    penalty: str = "none"
    penalty_strength: float = 1e-4  # λ in loss + λ·R(W)
    seed: int = 0
    name: str | None = None
    out: str = "runs"
    resume: bool = False
    limit_train: int | None = None
    limit_test: int | None = None
    pad: int | None = None          # zero-padding of images (None: fit the model's input_size)
    progress: bool = True
    checkpoint_steps: int = 0       # also write `last` inside an epoch every N steps (0: never)
    checkpoint_minutes: float = 10.0  # ... and every M minutes (0: never)

    def __post_init__(self):
        self.validate()

    def validate(self):
        """Raise ValueError naming the first field whose value is out of range."""
        def check(ok, name, expected):
            if not ok:
                raise ValueError(f"config: {name} must be {expected}, got "
                                 f"{getattr(self, name)!r}")
        check(isinstance(self.model, str) and self.model, "model", "a model name")
        check(_int(self.epochs) and self.epochs >= 1, "epochs", "a positive int")
        check(_int(self.batch_size) and self.batch_size >= 1, "batch_size", "a positive int")
        check(_num(self.lr) and self.lr > 0, "lr", "a positive number")
        check(_num(self.momentum) and 0 <= self.momentum < 1, "momentum", "in [0, 1)")
        check(_num(self.weight_decay) and self.weight_decay >= 0, "weight_decay", "≥ 0")
        check(self.optimizer in OPTIMIZERS, "optimizer", f"one of {', '.join(OPTIMIZERS)}")
        check(self.schedule in SCHEDULES, "schedule", f"one of {', '.join(SCHEDULES)}")
        check(self.penalty in PENALTIES, "penalty", f"one of {', '.join(PENALTIES)}")
        check(_int(self.step_size) and self.step_size >= 0, "step_size", "an int ≥ 0")
        check(all(_int(m) and m > 0 for m in self.milestones), "milestones", "positive ints")
        check(_num(self.gamma) and 0 < self.gamma <= 1, "gamma", "in (0, 1]")
        check(_int(self.patience) and self.patience >= 0, "patience", "an int ≥ 0")
        check(self.clip_grad is None or (_num(self.clip_grad) and self.clip_grad > 0),
              "clip_grad", "a positive number or None")
        check(_num(self.penalty_strength) and self.penalty_strength >= 0, "penalty_strength",
              "≥ 0")
        check(_int(self.seed) and self.seed >= 0, "seed", "an int ≥ 0")
        for name in ("limit_train", "limit_test"):
            value = getattr(self, name)
            check(value is None or (_int(value) and value >= 1), name, "a positive int or None")
        check(self.pad is None or (_int(self.pad) and self.pad >= 0), "pad", "an int ≥ 0")
        check(_int(self.checkpoint_steps) and self.checkpoint_steps >= 0, "checkpoint_steps",
              "an int ≥ 0")
        check(_num(self.checkpoint_minutes) and 0 <= self.checkpoint_minutes < float("inf"),
              "checkpoint_minutes", "a number ≥ 0")

    def to_dict(self):
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values):
        """Build from a dict (e.g. a checkpoint's), rejecting unknown keys by name."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"config: unknown keys {unknown}")
        return cls(**values)


def _int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def _num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)
