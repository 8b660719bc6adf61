"""A `TrainConfig` → the objects of a run: data loaders, model, optimizer, schedule, trainer.

The model is a zoo name (`gradwork.models.list_models()`), or the user's own constructor
(taking `num_classes`, and `in_channels` if it wants it) named by `config.model_from`:
`path/to/file.py:function` or `package.module:function`. That code runs only because the user
named it on the command line: a name read from a run folder is looked up in the zoo, never
imported.
"""
import copy
import importlib
import importlib.util
import os
import sys
import time

from .. import backend, optim
from ..autograd import Tensor, no_grad
from ..backend import np
from ..data import DataLoader, DistributedSampler, Subset, dataset_info, load_dataset
from ..distributed import process_group as pg
from ..errors import ArgumentError
from ..nn import CrossEntropyLoss
from .trainer import Trainer

# The registry tasks besides classification that `gradwork train` trains, and the builder of
# each one's trainer (imported when used): `build(config) → (trainer, test_loader or None)`.
TASK_TRAINERS = {"language_model": ".language_model:build_language_model_trainer",
                 "tagging": ".tagging:build_tagging_trainer"}

# Szegedy et al. 2015, §5: the auxiliary classifiers' losses are added with weight 0.3
AUX_LOSS_WEIGHT = 0.3


def load_user_model(ref):
    """The function `ref` names: `path/to/file.py:function` (that file is executed) or
    `package.module:function` (imported with the current folder on the module path)."""
    module, sep, attr = ref.rpartition(":")
    if not sep or not module or not attr:
        raise ArgumentError(f"--model-from must be FILE.py:FUNCTION or package.module:FUNCTION, "
                            f"got {ref!r}")
    try:
        if module.endswith(".py"):
            if not os.path.isfile(module):
                raise FileNotFoundError(f"--model-from: no file {module}")
            spec = importlib.util.spec_from_file_location(
                "gradwork_user_model_" + os.path.basename(module)[:-3], module)
            mod = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(mod)
        else:
            if os.getcwd() not in sys.path:         # the user's own modules, as `python -m`
                sys.path.insert(0, os.getcwd())
            mod = importlib.import_module(module)
        return getattr(mod, attr)
    except (ImportError, AttributeError) as e:
        raise ArgumentError(f"--model-from {ref}: cannot import {attr} from {module} ({e})") \
            from None


def check_trainable(name, model_from=None):
    """Refuse, before anything is built, a zoo model that `gradwork train` cannot train (its
    registry task is neither classification nor one of TASK_TRAINERS), naming what it is and
    what trains it."""
    if model_from is not None:
        return
    from ..models import list_models, model_spec
    if name not in list_models():
        if ":" in name:
            raise ArgumentError(f"model {name!r} is not a zoo name; a model of your own runs only "
                                f"when you name it: --model-from {name}")
        model_spec(name)                            # the unknown-name error, listing the zoo
    task = model_spec(name).task
    if task != "classification" and task not in TASK_TRAINERS:
        how = {"gan": "with train_gan (a generator and a discriminator trained together)",
               "seq2seq": "on token sequences with teacher forcing, from Python",
               "captioning": "on images with captions, from Python",
               "segmentation": "on per-pixel labels, from Python"}[task]
        raise ArgumentError(f"{name} is a {task} model; `gradwork train` trains classification "
                            "models on image data sets, language models on text and taggers on "
                            f"their sequence task. Train {name} {how}.")


def task_of(config):
    """The registry task of the run's model ("classification" for a model of the user's)."""
    if config.model_from is not None:
        return "classification"
    from ..models import model_spec
    return model_spec(config.model).task


def build_model(name, num_classes, in_channels, model_from=None, **model_args):
    """The zoo's `name` (or the user's `model_from` constructor) with `num_classes=` and
    `in_channels=` (and `model_args`, `--model-args`); an argument given as None is left to
    the constructor's default."""
    if model_from is not None:
        fn = load_user_model(model_from)
    else:
        from ..models import get_model

        def fn(**kwargs):
            return get_model(name, **kwargs)
    kwargs = {k: v for k, v in (("num_classes", num_classes), ("in_channels", in_channels))
              if v is not None}
    kwargs.update(model_args)
    try:
        return fn(**kwargs)
    except TypeError as e:
        if "in_channels" not in str(e):
            raise
        kwargs.pop("in_channels")
        return fn(**kwargs)                      # a constructor without in_channels


def prepare_model(model, config):
    """The model as the run trains it, before an optimizer is built over its parameters:
    with `config.sync_batchnorm`, every BatchNorm*d converted by
    `nn.SyncBatchNorm.convert_sync_batchnorm` (PyTorch's reference scripts' --sync-bn; under
    `mpiexec -n K` the statistics are the global batch's), then moved to `config.device`."""
    if config.sync_batchnorm:
        from ..nn import SyncBatchNorm
        model = SyncBatchNorm.convert_sync_batchnorm(model)
        if not (pg.is_initialized() and pg.get_world_size() > 1):
            print("--sync-batchnorm: a single process, so SyncBatchNorm normalises with this "
                  "process's batch, as BatchNorm does (it syncs under mpiexec -n K > 1)",
                  file=sys.stderr)
    if config.device != "cpu" and pg.is_initialized() and pg.get_world_size() > 1:
        raise ArgumentError(f"--device {config.device} under mpiexec -n "
                            f"{pg.get_world_size()}: the data-parallel all-reduce runs on host "
                            "buffers; train on one GPU, or on CPU ranks (--device cpu)")
    return model.to(config.device)


def build_optimizer(config, model):
    params = list(model.parameters())
    c = config
    if c.optimizer == "sgd":
        return optim.SGD(params, lr=c.lr, momentum=c.momentum, weight_decay=c.weight_decay)
    if c.optimizer == "adam":
        return optim.Adam(params, lr=c.lr, weight_decay=c.weight_decay)
    if c.optimizer == "adamw":
        return optim.AdamW(params, lr=c.lr, weight_decay=c.weight_decay)
    return optim.RMSprop(params, lr=c.lr, momentum=c.momentum, weight_decay=c.weight_decay)


def build_scheduler(config, optimizer):
    c, sched = config, optim.lr_scheduler
    if c.schedule == "step":
        return sched.StepLR(optimizer, c.step_size or max(1, c.epochs // 3), c.gamma)
    if c.schedule == "multistep":
        milestones = c.milestones or [max(1, c.epochs // 2), max(1, 3 * c.epochs // 4)]
        return sched.MultiStepLR(optimizer, milestones, c.gamma)
    if c.schedule == "cosine":
        return sched.CosineAnnealingLR(optimizer, T_max=c.epochs)
    if c.schedule == "plateau":
        return sched.ReduceLROnPlateau(optimizer, factor=c.gamma, patience=c.patience)
    return None


class AuxiliaryLoss:
    """Cross-entropy of the main output, plus `AUX_LOSS_WEIGHT` × that of each auxiliary head
    where the model returns them in training (GoogLeNet's `GoogLeNetOutputs`):
    L = CE(logits) + 0.3 · Σ_aux CE(aux) (Szegedy et al. 2015, §5). Plain outputs: CE."""

    def __init__(self):
        self.ce = CrossEntropyLoss()

    def __call__(self, out, y):
        if not hasattr(out, "logits"):
            return self.ce(out, y)
        loss = self.ce(out.logits, y)
        for aux in out[1:]:
            if aux is not None:
                loss = loss + AUX_LOSS_WEIGHT * self.ce(aux, y)
        return loss


def _limit(dataset, n):
    return dataset if n is None or n >= len(dataset) else Subset(dataset, range(n))


def split_validation(dataset, fraction, seed):
    """(train indices, validation indices): `fraction` of each class (at least one sample of
    the set in all), drawn with a generator of its own seeded by `seed` (the model's
    initialisation does not change with the split)."""
    n = len(dataset)
    targets = getattr(dataset, "targets", None)
    if isinstance(dataset, Subset):
        base = getattr(dataset.dataset, "targets", None)
        targets = None if base is None else np.asarray(base)[dataset.indices]
    targets = np.zeros(n, np.int64) if targets is None else np.asarray(targets)
    rng = np.random.default_rng([seed, 0x5A11])
    val = []
    for c in np.unique(targets):
        members = rng.permutation(np.flatnonzero(targets == c))
        val.extend(members[:int(round(fraction * len(members)))].tolist())
    if not val and n > 1:
        val = [int(rng.integers(n))]
    chosen = set(val)
    return [i for i in range(n) if i not in chosen], sorted(val)


def _plain_copy(train, test):
    """The training set without augmentation (the test set's transform): what validation
    reads."""
    inner = train.dataset if isinstance(train, Subset) else train
    test = test.dataset if isinstance(test, Subset) else test
    if not hasattr(inner, "transform") or not hasattr(test, "transform"):
        return train
    plain = copy.copy(inner)
    plain.transform = test.transform
    return Subset(plain, train.indices) if isinstance(train, Subset) else plain


def build_data(config, model_input_size=None):
    """(train_loader, val_loader, test_loader, classes). `config.val_split` of the training set
    (stratified, seeded) is held out for validation, without augmentation; with val_split 0
    the validation loader is the test loader. Images are zero-padded to a model's declared
    `input_size` (LeNet-5 sees 28×28 digits in a 32×32 field) unless `config.pad` is set; an
    `imagefolder`'s images are cropped to it. `config.workers` worker processes per loader."""
    info = dataset_info(config.data)
    pad = config.pad
    if pad is None:
        pad = 0
        if isinstance(model_input_size, int) and info.size and model_input_size > info.size:
            d = model_input_size - info.size        # an odd difference: one more right/bottom
            pad = d // 2 if d % 2 == 0 else (d // 2, d // 2, d - d // 2, d - d // 2)
    size = None
    if config.data == "imagefolder":            # streamed images, cropped to the model's size
        shape = model_input_size or _natural_size(config)
        size = shape if isinstance(shape, int) else shape[1] \
            if isinstance(shape, tuple) and len(shape) == 3 else None
    train, test = load_dataset(config.data, config.data_dir, augment=config.augment, pad=pad,
                               size=size)
    classes = train.classes
    train, test = _limit(train, config.limit_train), _limit(test, config.limit_test)
    batch = max(config.batch_size, 256)
    workers = {"num_workers": config.workers}
    test_loader = DataLoader(test, batch, seed=config.seed, **workers)
    val_loader = test_loader
    if config.val_split > 0:
        keep, held = split_validation(train, config.val_split, config.seed)
        val_loader = DataLoader(Subset(_plain_copy(train, test), held), batch, seed=config.seed,
                                **workers)
        train = Subset(train, keep)
    return train_loader(train, config, workers), val_loader, test_loader, classes


def data_parallel():
    """Whether this process is one rank of a process group of K > 1 (`mpiexec -n K`): its
    trainer trains data-parallel, its training data is its share of each global batch."""
    return pg.is_initialized() and pg.get_world_size() > 1


def train_loader(train, config, workers=None):
    """Shuffled batches of `config.batch_size`; in a process group of K > 1 ranks, this rank's
    share of each global batch (batch_size / K samples) through a DistributedSampler seeded by
    config.seed, whose global batch k holds the same samples for every K. `workers`: the
    DataLoader's keyword arguments (num_workers)."""
    workers = workers or {}
    if not data_parallel():
        return DataLoader(train, config.batch_size, shuffle=True, seed=config.seed,
                          **workers)
    k = pg.get_world_size()
    if config.batch_size % k:
        raise ArgumentError(f"--batch-size {config.batch_size} is the global batch: it must be "
                            f"a multiple of the {k} ranks")
    sampler = DistributedSampler(train, shuffle=True, seed=config.seed)
    return DataLoader(train, config.batch_size // k, sampler=sampler, seed=config.seed,
                      **workers)


def run_dir(config):
    name = config.name or time.strftime("%Y%m%d-%H%M%S")
    return os.path.join(config.out, name)


def _natural_size(config):
    if config.model_from is not None:
        return None
    from ..models import model_spec
    return model_spec(config.model).input_size


def check_input_fits(model, config, loader):
    """Run the model (eval mode, no gradients) on one sample of the data, and turn a shape
    error into a message that names the input size the model needs and how to get it."""
    if len(loader.dataset) == 0:
        return
    x, _ = next(iter(DataLoader(loader.dataset, 1, prefetch=False, seed=0)))
    try:
        with no_grad():
            model.eval()
            model(Tensor(x._data))
    except (ValueError, IndexError) as e:
        need = _natural_size(config)
        have = tuple(x.shape[1:])
        hint = ""
        if need is not None and len(need) == 3 and len(have) == 3 and need[1] > have[1]:
            hint = (f" It is built for {need[0]}×{need[1]}×{need[2]} inputs; pad the images "
                    f"with --pad {(need[1] - have[1] + 1) // 2}, or train a model made for "
                    f"{have[1]}×{have[2]} images (e.g. lenet5, resnet20).")
        raise ArgumentError(f"{config.model} cannot take the data's {'×'.join(map(str, have))} "
                            f"images: {e}.{hint}") from None
    finally:
        model.train()


def build_model_and_data(config):
    """(model, train_loader, val_loader, test_loader, classes), seeded by `config.seed`. The
    model is built before the data so that its declared `input_size` can choose the padding
    (a folder's classes are read from the data first)."""
    check_trainable(config.model, config.model_from)
    if task_of(config) != "classification":
        raise ArgumentError(f"{config.model} is not a classifier (task {task_of(config)!r}): "
                            "`eval` evaluates classifiers; its run wrote its own measures when "
                            "it ended (perplexity.json or test.json in the run folder)")
    backend.manual_seed(config.seed)
    info = dataset_info(config.data)
    if info.num_classes:
        model = build_model(config.model, info.num_classes, info.in_channels, config.model_from,
                            **config.model_args)
        loaders = build_data(config, getattr(model, "input_size", None))
    else:
        loaders = build_data(config)
        model = build_model(config.model, len(loaders[3]), info.in_channels, config.model_from,
                            **config.model_args)
    return (model, *loaders)


def trainer_options(config, optimizer):
    """The keyword arguments every task's Trainer takes from a run's config: the schedule,
    clipping, penalty, run folder, progress, checkpoint cadence, data parallelism, device."""
    return dict(scheduler=build_scheduler(config, optimizer), clip_grad=config.clip_grad,
                penalty=config.penalty, penalty_strength=config.penalty_strength,
                run_dir=run_dir(config), config=config, progress=config.progress,
                checkpoint_steps=config.checkpoint_steps,
                checkpoint_minutes=config.checkpoint_minutes, data_parallel=data_parallel(),
                device=config.device)


def task_model(config, **task_args):
    """(model, optimizer) of a task trainer (language model, tagger): the zoo model
    `config.model` built from `config.seed` with the task's arguments and --model-args,
    prepared for the run, and its optimizer."""
    from ..models import get_model
    backend.manual_seed(config.seed)
    try:
        model = get_model(config.model, **task_args, **config.model_args)
    except TypeError as e:
        raise ArgumentError(f"--model-args {config.model_args}: {e}") from None
    model = prepare_model(model, config)
    return model, build_optimizer(config, model)


def build_trainer(config):
    """(trainer, test_loader) of a run: model, data, optimizer and schedule from `config`; the
    model is checked against one sample of the data before anything is written. A model whose
    task is not classification gets its task's trainer (TASK_TRAINERS)."""
    check_trainable(config.model, config.model_from)
    task = task_of(config)
    if task != "classification":
        module, function = TASK_TRAINERS[task].split(":")
        return getattr(importlib.import_module(module, __package__), function)(config)
    model, train_loader, val_loader, test_loader, _ = build_model_and_data(config)
    state = backend.get_rng_state()
    check_input_fits(model, config, test_loader)
    backend.set_rng_state(state)                 # the check draws nothing the run would see
    model = prepare_model(model, config)
    optimizer = build_optimizer(config, model)
    trainer = Trainer(model, optimizer, train_loader, val_loader, loss_fn=AuxiliaryLoss(),
                      **trainer_options(config, optimizer))
    return trainer, test_loader
