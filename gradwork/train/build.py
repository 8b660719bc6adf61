"""A `TrainConfig` → the objects of a run: data loaders, model, optimizer, schedule, trainer.

The model is a zoo name (`gradwork.models.list_models()`) or `package.module:function`, a
constructor of the user's own that takes `num_classes` (and `in_channels` if it wants it),
imported with the current folder on the module path.
"""
import importlib
import os
import sys
import time

from .. import backend, optim
from ..data import DataLoader, Subset, dataset_info, load_dataset
from .trainer import Trainer


def build_model(name, num_classes, in_channels):
    """`get_model(name, num_classes=, in_channels=)` or the user's `module:function`; an
    argument given as None is left to the constructor's default."""
    if ":" in name:
        module, _, attr = name.partition(":")
        if os.getcwd() not in sys.path:             # the user's own modules, as `python -m`
            sys.path.insert(0, os.getcwd())
        try:
            fn = getattr(importlib.import_module(module), attr)
        except (ImportError, AttributeError) as e:
            raise ValueError(f"model {name!r}: cannot import {attr} from {module} ({e})") from None
    else:
        from ..models import get_model  # noqa: PLC0415 (the zoo is large; load it on demand)

        def fn(**kwargs):
            return get_model(name, **kwargs)
    kwargs = {k: v for k, v in (("num_classes", num_classes), ("in_channels", in_channels))
              if v is not None}
    try:
        return fn(**kwargs)
    except TypeError as e:
        if "in_channels" not in str(e):
            raise
        kwargs.pop("in_channels")
        return fn(**kwargs)                      # a constructor without in_channels


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


def _limit(dataset, n):
    return dataset if n is None or n >= len(dataset) else Subset(dataset, range(n))


def build_data(config, model_input_size=None):
    """(train_loader, test_loader, classes). Images are zero-padded to a model's declared
    `input_size` (LeNet-5 sees 28×28 digits in a 32×32 field) unless `config.pad` is set."""
    info = dataset_info(config.data)
    pad = config.pad
    if pad is None:
        pad = 0
        if isinstance(model_input_size, int) and info.size and model_input_size > info.size:
            pad = (model_input_size - info.size) // 2
    train, test = load_dataset(config.data, config.data_dir, augment=config.augment, pad=pad)
    classes = train.classes
    train, test = _limit(train, config.limit_train), _limit(test, config.limit_test)
    train_loader = DataLoader(train, config.batch_size, shuffle=True, seed=config.seed)
    test_loader = DataLoader(test, max(config.batch_size, 256), seed=config.seed)
    return train_loader, test_loader, classes


def run_dir(config):
    name = config.name or time.strftime("%Y%m%d-%H%M%S")
    return os.path.join(config.out, name)


def build_model_and_data(config):
    """(model, train_loader, test_loader, classes), seeded by `config.seed`. The model is
    built before the data so that its declared `input_size` can choose the padding (a
    folder's classes are read from the data first)."""
    backend.manual_seed(config.seed)
    info = dataset_info(config.data)
    if info.num_classes:
        model = build_model(config.model, info.num_classes, info.in_channels)
        loaders = build_data(config, getattr(model, "input_size", None))
    else:
        loaders = build_data(config)
        model = build_model(config.model, len(loaders[2]), info.in_channels)
    return (model, *loaders)


def build_trainer(config):
    """The `Trainer` of a run: model, data, optimizer and schedule from `config`."""
    model, train_loader, test_loader, _ = build_model_and_data(config)
    optimizer = build_optimizer(config, model)
    scheduler = build_scheduler(config, optimizer)
    return Trainer(model, optimizer, train_loader, test_loader, scheduler=scheduler,
                   clip_grad=config.clip_grad, penalty=config.penalty,
                   penalty_strength=config.penalty_strength, run_dir=run_dir(config),
                   config=config, progress=config.progress,
                   checkpoint_steps=config.checkpoint_steps,
                   checkpoint_minutes=config.checkpoint_minutes)
