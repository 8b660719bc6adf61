"""`TrainConfig`: everything that defines a training run, as one dataclass.

The CLI turns its flags into a `TrainConfig` (its defaults are this dataclass's); the run saves
it as `config.json` and inside every checkpoint, so `--resume` and `gradwork eval` rebuild the
same model and data. `model` is a zoo name, or for a model of the user's own the reference
`model_from` (FILE.py:FUNCTION or package.module:FUNCTION) that the user names on the command
line: a run folder never makes gradwork import code.
"""
import dataclasses
from dataclasses import dataclass, field

from ..errors import (
    ArgumentError,
    check_choice,
    check_nonnegative,
    check_nonnegative_int,
    check_positive,
    check_positive_int,
    check_probability,
)

OPTIMIZERS = ("sgd", "adam", "adamw", "rmsprop")
SCHEDULES = ("none", "step", "multistep", "cosine", "plateau")
PENALTIES = ("none", "l2", "l1", "elastic")
DEVICES = ("cpu", "cuda")

# The decks' training recipes (deck 002), as TrainConfig defaults that `--recipe` applies
# before the user's own options. AlexNet: SGD, momentum 0.9, weight decay 5e-4, batch 128,
# lr 0.01 divided by 10 when the validation error plateaus (Krizhevsky et al. 2012, §5).
# ResNet: SGD, momentum 0.9, weight decay 1e-4, batch 256, lr 0.1 divided by 10 on a plateau
# (He et al. 2016, §3.4; BN after every conv is the zoo's ResNets' own).
RECIPES = {
    "alexnet": {"optimizer": "sgd", "momentum": 0.9, "weight_decay": 5e-4, "batch_size": 128,
                "lr": 0.01, "schedule": "plateau", "gamma": 0.1},
    "resnet": {"optimizer": "sgd", "momentum": 0.9, "weight_decay": 1e-4, "batch_size": 256,
               "lr": 0.1, "schedule": "plateau", "gamma": 0.1},
    # char-rnn's habits (Karpathy 2015): Adam 2e-3, gradients clipped at norm 5, batches of
    # 32 streams; the windows' length is --bptt
    "char_lm": {"optimizer": "adam", "lr": 2e-3, "clip_grad": 5.0, "batch_size": 32,
                "schedule": "none", "epochs": 10},
    # the framewise tagger on its generated task (data/tagging.py): Adam 1e-2, batches of 32
    "tagger": {"optimizer": "adam", "lr": 1e-2, "batch_size": 32, "schedule": "none",
               "epochs": 10},
}

# The recipe a model's registry task gets when --recipe is not given
TASK_RECIPES = {"language_model": "char_lm", "tagging": "tagger"}


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
    val_split: float = 0.1          # fraction of the training set held out for validation
    model_from: str | None = None   # FILE.py:FUNCTION of a user's model (run only when named)
    progress: bool = True
    checkpoint_steps: int = 0       # also write `last` inside an epoch every N steps (0: never)
    checkpoint_minutes: float = 10.0  # ... and every M minutes (0: never)
    recipe: str | None = None       # a RECIPES name whose settings were the defaults
    workers: int = 0                # DataLoader worker processes (same batches for any count)
    # sequence models (issue 17): a zoo constructor's own keyword arguments (e.g. cell="gru"),
    # and the window of truncated BPTT a language model is trained with
    model_args: dict = field(default_factory=dict)
    bptt: int = 64
    # issue 20: where the run computes ("cpu", "cuda", "cuda:N"; not a setting a resume must
    # match: a run may move machines), and BatchNorm over every rank's samples under MPI
    device: str = "cpu"
    sync_batchnorm: bool = False

    def __post_init__(self):
        self.validate()

    def validate(self):
        """Raise ArgumentError naming the first field whose value is out of range."""
        w = "config"
        if not isinstance(self.model, str) or not self.model:
            raise ArgumentError(f"config: model must be a model name, got {self.model!r}")
        check_positive_int(w, "epochs", self.epochs)
        check_positive_int(w, "batch_size", self.batch_size)
        check_positive(w, "lr", self.lr)
        check_probability(w, "momentum", self.momentum, inclusive_high=False)
        check_nonnegative(w, "weight_decay", self.weight_decay)
        check_choice(w, "optimizer", self.optimizer, OPTIMIZERS)
        check_choice(w, "schedule", self.schedule, SCHEDULES)
        check_choice(w, "penalty", self.penalty, PENALTIES)
        check_nonnegative_int(w, "step_size", self.step_size)
        for m in self.milestones:
            check_positive_int(w, "milestones", m)
        check_positive(w, "gamma", self.gamma)
        check_probability(w, "gamma", self.gamma)
        check_nonnegative_int(w, "patience", self.patience)
        if self.clip_grad is not None:
            check_positive(w, "clip_grad", self.clip_grad)
        check_nonnegative(w, "penalty_strength", self.penalty_strength)
        check_nonnegative_int(w, "seed", self.seed)
        for name in ("limit_train", "limit_test"):
            if getattr(self, name) is not None:
                check_positive_int(w, name, getattr(self, name))
        if self.pad is not None:
            check_nonnegative_int(w, "pad", self.pad)
        check_probability(w, "val_split", self.val_split, inclusive_high=False)
        if self.recipe is not None:
            check_choice(w, "recipe", self.recipe, tuple(RECIPES))
        check_nonnegative_int(w, "checkpoint_steps", self.checkpoint_steps)
        check_nonnegative(w, "checkpoint_minutes", self.checkpoint_minutes)
        check_nonnegative_int(w, "workers", self.workers)
        if not isinstance(self.model_args, dict) or not all(
                isinstance(k, str) and k.isidentifier() and isinstance(v, (bool, int, float, str))
                for k, v in self.model_args.items()):
            raise ArgumentError(f"config: model_args must map argument names to numbers, "
                                f"booleans or strings, got {self.model_args!r}")
        check_positive_int(w, "bptt", self.bptt)
        kind, sep, index = str(self.device).partition(":")
        if kind not in DEVICES or (sep and not (kind == "cuda" and index.isdigit())):
            raise ArgumentError(f"config: device must be 'cpu', 'cuda' or 'cuda:N', got "
                                f"{self.device!r}")
        if not isinstance(self.sync_batchnorm, bool):
            raise ArgumentError(f"config: sync_batchnorm must be true or false, got "
                                f"{self.sync_batchnorm!r}")

    def to_dict(self):
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values):
        """Build from a dict (e.g. a checkpoint's), rejecting unknown keys by name."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ArgumentError(f"config: unknown keys {unknown}")
        return cls(**values)


def defaults():
    """{field: default} of `TrainConfig` (what the CLI shows and fills in)."""
    out = {}
    for f in dataclasses.fields(TrainConfig):
        if f.default is not dataclasses.MISSING:
            out[f.name] = f.default
        elif f.default_factory is not dataclasses.MISSING:
            out[f.name] = f.default_factory()
    return out
