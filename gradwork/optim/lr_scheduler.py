"""Learning-rate schedules, PyTorch's `torch.optim.lr_scheduler`.

A scheduler owns an optimizer and rewrites `param_groups[i]["lr"]` on every `step()` (call
it after `optimizer.step()`, once per epoch). On construction it stores each group's
starting lr as `initial_lr` and records `base_lrs`. `state_dict()` is JSON-serialisable
(Python's `json`; ReduceLROnPlateau's `best` may be ±Infinity).
"""
import bisect
import math
import numbers
import types
from collections import Counter

from ..errors import (
    ArgumentError,
    check_choice,
    check_nonnegative,
    check_nonnegative_int,
    check_positive,
    check_positive_int,
)
from .optimizer import Optimizer


def _check_optimizer(name, optimizer):
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{name}: optimizer must be a gradwork.optim.Optimizer, got "
                        f"{type(optimizer).__name__}")


def _lrs(optimizer):
    return [group["lr"] for group in optimizer.param_groups]


class LRScheduler:
    """Base class: subclasses give `get_lr()`, the lrs for epoch `last_epoch`, computed
    from the current lrs (recursive form) or from `base_lrs`."""

    def __init__(self, optimizer, last_epoch=-1):
        _check_optimizer(type(self).__name__, optimizer)
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(f"{type(self).__name__}: param_groups[{i}] has no "
                                   "'initial_lr'; resuming with last_epoch >= 0 needs the "
                                   "optimizer state of the run being resumed")
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._step_count = 0
        self._is_initial = True
        self.step()
        self._is_initial = False

    def get_lr(self):  # pragma: no cover - interface
        raise NotImplementedError

    def step(self):
        """Advance one epoch and write the new lrs into the optimizer's groups."""
        self._step_count += 1
        self.last_epoch += 1
        for group, lr in zip(self.optimizer.param_groups, self.get_lr(), strict=True):
            group["lr"] = lr
        self._last_lr = _lrs(self.optimizer)

    def get_last_lr(self):
        """The lrs the last `step()` set, one per param group."""
        return self._last_lr

    def state_dict(self):
        """Everything but the optimizer, as JSON-serialisable values."""
        return {k: v for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state_dict):
        self.__dict__.update(state_dict)


class LambdaLR(LRScheduler):
    """lr = base_lr · f(epoch), with one `lr_lambda` or one per param group."""

    def __init__(self, optimizer, lr_lambda, last_epoch=-1):
        _check_optimizer("LambdaLR", optimizer)
        n = len(optimizer.param_groups)
        if isinstance(lr_lambda, (list, tuple)):
            if len(lr_lambda) != n:
                raise ValueError(f"LambdaLR: expected {n} lr_lambdas (one per param group), "
                                 f"got {len(lr_lambda)}")
            self.lr_lambdas = list(lr_lambda)
        else:
            self.lr_lambdas = [lr_lambda] * n
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return [base * f(self.last_epoch) for f, base in zip(self.lr_lambdas, self.base_lrs)]

    def state_dict(self):
        """Plain functions are not saved (None); callable objects save their `__dict__`."""
        out = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "lr_lambdas")}
        out["lr_lambdas"] = [None if isinstance(f, types.FunctionType) else dict(f.__dict__)
                             for f in self.lr_lambdas]
        return out

    def load_state_dict(self, state_dict):
        state_dict = dict(state_dict)
        saved = state_dict.pop("lr_lambdas")
        self.__dict__.update(state_dict)
        for f, attrs in zip(self.lr_lambdas, saved):
            if attrs is not None:
                f.__dict__.update(attrs)


class StepLR(LRScheduler):
    """lr ← lr · γ every `step_size` epochs: lr = base_lr · γ^⌊epoch/step_size⌋."""

    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1):
        self.step_size = check_positive_int("StepLR", "step_size", step_size)
        self.gamma = check_positive("StepLR", "gamma", gamma)
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        lrs = _lrs(self.optimizer)
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return lrs
        return [lr * self.gamma for lr in lrs]


class MultiStepLR(LRScheduler):
    """lr ← lr · γ at each milestone epoch (a milestone listed k times multiplies by γᵏ)."""

    def __init__(self, optimizer, milestones, gamma=0.1, last_epoch=-1):
        milestones = list(milestones)
        for m in milestones:
            check_nonnegative_int("MultiStepLR", "each of milestones", m)
        self.milestones = Counter(milestones)
        self.gamma = check_positive("MultiStepLR", "gamma", gamma)
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        lrs = _lrs(self.optimizer)
        if self.last_epoch not in self.milestones:
            return lrs
        return [lr * self.gamma ** self.milestones[self.last_epoch] for lr in lrs]

    def state_dict(self):
        out = super().state_dict()
        out["milestones"] = sorted(self.milestones.elements())
        return out

    def load_state_dict(self, state_dict):
        super().load_state_dict(state_dict)
        self.milestones = Counter(self.milestones)


class ExponentialLR(LRScheduler):
    """lr ← lr · γ every epoch."""

    def __init__(self, optimizer, gamma, last_epoch=-1):
        self.gamma = check_positive("ExponentialLR", "gamma", gamma)
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        lrs = _lrs(self.optimizer)
        return lrs if self._is_initial else [lr * self.gamma for lr in lrs]


class CosineAnnealingLR(LRScheduler):
    """Cosine annealing without restarts (Loshchilov & Hutter 2017, SGDR):

        η_t = η_min + (η_0 − η_min)(1 + cos(π t / T_max))/2,

    computed recursively from the current lr as PyTorch does, so that other changes to the
    lr compose; past T_max the cosine continues (the lr rises back to η_0 by 2·T_max)."""

    def __init__(self, optimizer, T_max, eta_min=0.0, last_epoch=-1):
        self.T_max = check_positive_int("CosineAnnealingLR", "T_max", T_max)
        self.eta_min = check_nonnegative("CosineAnnealingLR", "eta_min", eta_min)
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        t, T, lo = self.last_epoch, self.T_max, self.eta_min
        lrs = _lrs(self.optimizer)
        if self._is_initial:
            return lrs
        if (t - 1 - T) % (2 * T) == 0:          # at the trough the ratio below is 0/0
            return [lr + (base - lo) * (1 - math.cos(math.pi / T)) / 2
                    for base, lr in zip(self.base_lrs, lrs)]
        return [(1 + math.cos(math.pi * t / T)) / (1 + math.cos(math.pi * (t - 1) / T))
                * (lr - lo) + lo for lr in lrs]


class ReduceLROnPlateau(LRScheduler):
    """lr ← max(lr · factor, min_lr) when a metric has not improved for `patience` epochs
    (the decks' "divide the learning rate by 10 when the validation error plateaus").

    mode "min"/"max"; improvement means a < best·(1 − threshold) ("rel", mode min),
    a < best − threshold ("abs"), mirrored for "max". After a reduction, `cooldown` epochs
    pass before bad epochs count again; reductions smaller than `eps` are skipped.
    `step(metric)` once per epoch."""

    def __init__(self, optimizer, mode="min", factor=0.1, patience=10, threshold=1e-4,
                 threshold_mode="rel", cooldown=0, min_lr=0, eps=1e-8):
        _check_optimizer("ReduceLROnPlateau", optimizer)
        name = "ReduceLROnPlateau"
        if not isinstance(factor, numbers.Real) or not 0 <= factor < 1.0:
            raise ArgumentError(f"{name}: Factor should be < 1.0: factor must be in [0, 1), "
                                f"got {factor!r}")
        check_choice(name, "mode", mode, ("min", "max"))
        check_choice(name, "threshold_mode", threshold_mode, ("rel", "abs"))
        check_nonnegative_int(name, "patience", patience)
        check_nonnegative_int(name, "cooldown", cooldown)
        check_nonnegative(name, "threshold", threshold)
        check_nonnegative(name, "eps", eps)
        n = len(optimizer.param_groups)
        for low in min_lr if isinstance(min_lr, (list, tuple)) else [min_lr]:
            check_nonnegative(name, "min_lr", low)
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != n:
                raise ArgumentError(f"{name}: expected {n} min_lrs (one per param "
                                    f"group), got {len(min_lr)}")
            self.default_min_lr, self.min_lrs = None, list(min_lr)
        else:
            self.default_min_lr, self.min_lrs = min_lr, [min_lr] * n
        self.optimizer = optimizer
        self.mode, self.factor, self.patience = mode, factor, patience
        self.threshold, self.threshold_mode = threshold, threshold_mode
        self.cooldown, self.eps = cooldown, eps
        self.last_epoch = 0
        self._last_lr = _lrs(optimizer)
        self.best = math.inf if mode == "min" else -math.inf
        self.cooldown_counter = 0
        self.num_bad_epochs = 0

    def step(self, metrics):
        current = float(metrics)
        self.last_epoch += 1
        if self._is_better(current):
            self.best, self.num_bad_epochs = current, 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            self._reduce_lr()
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = _lrs(self.optimizer)

    @property
    def in_cooldown(self):
        return self.cooldown_counter > 0

    def _is_better(self, a):
        best, th = self.best, self.threshold
        if self.mode == "min":
            return a < best * (1 - th) if self.threshold_mode == "rel" else a < best - th
        return a > best * (1 + th) if self.threshold_mode == "rel" else a > best + th

    def _reduce_lr(self):
        groups = self.optimizer.param_groups
        if len(groups) != len(self.min_lrs):
            if self.default_min_lr is None:
                raise RuntimeError(f"ReduceLROnPlateau: the optimizer has {len(groups)} param "
                                   f"groups but min_lr lists {len(self.min_lrs)}")
            self.min_lrs = [self.default_min_lr] * len(groups)
        for group, min_lr in zip(groups, self.min_lrs):
            old = float(group["lr"])
            new = max(old * self.factor, min_lr)
            if old - new > self.eps:
                group["lr"] = new


# ------------------------------------------------------------ issue 15: warm-up and cycles
def _check_int(name, arg, value, low):
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        what = "positive integer" if low == 1 else f"integer >= {low}"
        raise ArgumentError(f"{name}: Expected {what} {arg}, but got {value!r}")


class LinearLR(LRScheduler):
    """lr = base_lr · f(epoch), f rising (or falling) linearly from start_factor to end_factor
    over total_iters epochs, then constant — a linear warm-up (Goyal et al. 2017). Computed
    recursively from the current lr, as PyTorch does."""

    def __init__(self, optimizer, start_factor=1.0 / 3, end_factor=1.0, total_iters=5,
                 last_epoch=-1):
        if not 0 < start_factor <= 1:
            raise ArgumentError("LinearLR: Starting multiplicative factor expected to be greater "
                                f"than 0 and less or equal to 1, got start_factor={start_factor!r}")
        if not 0 <= end_factor <= 1:
            raise ArgumentError("LinearLR: Ending multiplicative factor expected to be between 0 "
                                f"and 1, got end_factor={end_factor!r}")
        _check_int("LinearLR", "total_iters", total_iters, 1)
        self.start_factor, self.end_factor, self.total_iters = (start_factor, end_factor,
                                                                total_iters)
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        lrs = _lrs(self.optimizer)
        if self.last_epoch == 0:
            return [lr * self.start_factor for lr in lrs]
        if self._is_initial or self.last_epoch > self.total_iters:
            return lrs
        s, e = self.start_factor, self.end_factor
        return [lr * (1.0 + (e - s) / (self.total_iters * s + (self.last_epoch - 1) * (e - s)))
                for lr in lrs]

    def _get_closed_form_lr(self):
        s, e = self.start_factor, self.end_factor
        return [base * (s + (e - s) * min(self.total_iters, self.last_epoch) / self.total_iters)
                for base in self.base_lrs]


class CosineAnnealingWarmRestarts(LRScheduler):
    """SGDR (Loshchilov & Hutter 2017): η_t = η_min + (η_0 − η_min)(1 + cos(π T_cur/T_i))/2,
    where T_cur counts epochs since the last restart and the period T_i starts at T_0 and is
    multiplied by T_mult at each restart. `step(epoch)` may be given a fractional epoch
    (per-batch annealing), as in PyTorch."""

    def __init__(self, optimizer, T_0, T_mult=1, eta_min=0.0, last_epoch=-1):
        _check_int("CosineAnnealingWarmRestarts", "T_0", T_0, 1)
        _check_int("CosineAnnealingWarmRestarts", "T_mult", T_mult, 1)
        if isinstance(eta_min, bool) or not isinstance(eta_min, numbers.Real):
            raise ArgumentError(f"CosineAnnealingWarmRestarts: Expected float or int eta_min, "
                                f"but got {eta_min!r}")
        self.T_0, self.T_i, self.T_mult, self.eta_min = T_0, T_0, T_mult, eta_min
        self.T_cur = last_epoch
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return [self.eta_min + (base - self.eta_min) * (1 + math.cos(math.pi * self.T_cur
                                                                      / self.T_i)) / 2
                for base in self.base_lrs]

    def step(self, epoch=None):
        """Advance one epoch, or jump to `epoch` (a float allowed)."""
        if epoch is None and self.last_epoch < 0:
            epoch = 0
        if epoch is None:
            epoch = self.last_epoch + 1
            self.T_cur += 1
            if self.T_cur >= self.T_i:
                self.T_cur %= self.T_i
                self.T_i *= self.T_mult
        else:
            if epoch < 0:
                raise ArgumentError(f"CosineAnnealingWarmRestarts: Expected non-negative epoch, "
                                    f"but got {epoch!r}")
            if epoch >= self.T_0:
                if self.T_mult == 1:
                    self.T_cur = epoch % self.T_0
                else:
                    n = int(math.log(epoch / self.T_0 * (self.T_mult - 1) + 1, self.T_mult))
                    self.T_cur = epoch - self.T_0 * (self.T_mult ** n - 1) / (self.T_mult - 1)
                    self.T_i = self.T_0 * self.T_mult ** n
            else:
                self.T_i, self.T_cur = self.T_0, epoch
        self._step_count += 1
        self.last_epoch = math.floor(epoch)
        for group, lr in zip(self.optimizer.param_groups, self.get_lr(), strict=True):
            group["lr"] = lr
        self._last_lr = _lrs(self.optimizer)


def _per_group(name, arg, optimizer, value):
    n = len(optimizer.param_groups)
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise ArgumentError(f"{name}: expected {n} values for {arg}, got {len(value)}")
        return list(value)
    return [value] * n


class OneCycleLR(LRScheduler):
    """The 1cycle policy (Smith & Topin 2019, "Super-Convergence"), stepped once per batch:
    the lr rises from max_lr/div_factor to max_lr over pct_start of total_steps, then falls to
    initial_lr/final_div_factor (three_phase: back to initial_lr first, as in the paper),
    annealed by cosine or linearly; momentum (or Adam's β1) moves the opposite way between
    max_momentum and base_momentum. fastai's two phases by default, as PyTorch."""

    def __init__(self, optimizer, max_lr, total_steps=None, epochs=None, steps_per_epoch=None,
                 pct_start=0.3, anneal_strategy="cos", cycle_momentum=True, base_momentum=0.85,
                 max_momentum=0.95, div_factor=25.0, final_div_factor=1e4, three_phase=False,
                 last_epoch=-1):
        _check_optimizer("OneCycleLR", optimizer)
        if total_steps is not None:
            _check_int("OneCycleLR", "total_steps", total_steps, 1)
        elif epochs is not None and steps_per_epoch is not None:
            _check_int("OneCycleLR", "epochs", epochs, 1)
            _check_int("OneCycleLR", "steps_per_epoch", steps_per_epoch, 1)
            total_steps = epochs * steps_per_epoch
        else:
            raise ArgumentError("OneCycleLR: You must define either total_steps OR (epochs AND "
                                "steps_per_epoch)")
        if isinstance(pct_start, bool) or not isinstance(pct_start, float) \
                or not 0 <= pct_start <= 1:
            raise ArgumentError(f"OneCycleLR: Expected float between 0 and 1 pct_start, but got "
                                f"{pct_start!r}")
        if anneal_strategy not in ("cos", "linear"):
            raise ArgumentError(f"OneCycleLR: anneal_strategy must be one of 'cos' or 'linear', "
                                f"instead got {anneal_strategy!r}")
        self.total_steps, self.anneal_strategy = total_steps, anneal_strategy
        up = float(pct_start * total_steps) - 1
        if three_phase:
            self._schedule_phases = [
                (up, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                (float(2 * pct_start * total_steps) - 2, "max_lr", "initial_lr",
                 "base_momentum", "max_momentum"),
                (total_steps - 1, "initial_lr", "min_lr", "max_momentum", "max_momentum")]
        else:
            self._schedule_phases = [
                (up, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                (total_steps - 1, "max_lr", "min_lr", "base_momentum", "max_momentum")]
        max_lrs = _per_group("OneCycleLR", "max_lr", optimizer, max_lr)
        if last_epoch == -1:
            for lr, group in zip(max_lrs, optimizer.param_groups):
                group["initial_lr"] = lr / div_factor
                group["max_lr"] = lr
                group["min_lr"] = group["initial_lr"] / final_div_factor
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
                raise ArgumentError("OneCycleLR: optimizer must support momentum or beta1 with "
                                    "`cycle_momentum` option enabled")
            self.use_beta1 = "betas" in optimizer.defaults
            highs = _per_group("OneCycleLR", "max_momentum", optimizer, max_momentum)
            lows = _per_group("OneCycleLR", "base_momentum", optimizer, base_momentum)
            if last_epoch == -1:
                for high, low, group in zip(highs, lows, optimizer.param_groups):
                    self._set_momentum(group, high)
                    group["max_momentum"], group["base_momentum"] = high, low
        super().__init__(optimizer, last_epoch)

    def _set_momentum(self, group, value):
        if self.use_beta1:
            group["betas"] = (value, *group["betas"][1:])
        else:
            group["momentum"] = value

    def _anneal(self, start, end, pct):
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def get_lr(self):
        t = self.last_epoch
        if t > self.total_steps:
            raise ArgumentError(f"OneCycleLR: Tried to step {t} times. The specified number of "
                                f"total steps is {self.total_steps}")
        lrs = []
        for group in self.optimizer.param_groups:
            start = 0.0
            for i, (end, lr0, lr1, m0, m1) in enumerate(self._schedule_phases):
                if t <= end or i == len(self._schedule_phases) - 1:
                    pct = (t - start) / (end - start)
                    lrs.append(self._anneal(group[lr0], group[lr1], pct))
                    if self.cycle_momentum:
                        self._set_momentum(group, self._anneal(group[m0], group[m1], pct))
                    break
                start = end
        return lrs

    def load_state_dict(self, state_dict):
        super().load_state_dict(state_dict)
        self._schedule_phases = [tuple(p) for p in self._schedule_phases]


class SequentialLR(LRScheduler):
    """Run `schedulers` one after another, switching at the epochs in `milestones`; at each
    switch the next scheduler restarts from its own epoch 0 (e.g. LinearLR warm-up, then
    cosine annealing). All must drive `optimizer`."""

    def __init__(self, optimizer, schedulers, milestones, last_epoch=-1):
        _check_optimizer("SequentialLR", optimizer)
        schedulers, milestones = list(schedulers), list(milestones)
        if not schedulers:
            raise ArgumentError("SequentialLR: expects at least one scheduler, but got no "
                                "scheduler.")
        for i, s in enumerate(schedulers):
            if isinstance(s, ReduceLROnPlateau):
                raise ArgumentError("SequentialLR: does not support `ReduceLROnPlateau` "
                                    f"scheduler as it requires additional kwargs to be "
                                    f"specified when calling `step`, but got one at index {i}")
            if getattr(s, "optimizer", None) is not optimizer:
                raise ArgumentError(f"SequentialLR: expects all schedulers to belong to the same "
                                    f"optimizer, but the scheduler at index {i} does not")
        if len(milestones) != len(schedulers) - 1:
            raise ArgumentError(f"SequentialLR: Sequential Schedulers expects number of "
                                f"schedulers provided to be one more than the number of "
                                f"milestone points, but got number of schedulers "
                                f"{len(schedulers)} and the number of milestones to be equal "
                                f"to {len(milestones)}")
        self._schedulers, self._milestones = schedulers, milestones
        self.last_epoch = last_epoch + 1
        self.optimizer = optimizer
        for group in optimizer.param_groups:
            group["lr"] = group["initial_lr"]
        for s in schedulers:                  # undo the step each made when it was built
            s.last_epoch -= 1
        first = schedulers[bisect.bisect_right(milestones, 0)]
        first._step_count = 0
        first._is_initial = True
        first.step()
        first._is_initial = False
        self._last_lr = first.get_last_lr()

    def step(self):
        self.last_epoch += 1
        idx = bisect.bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[idx]
        if idx > 0 and self._milestones[idx - 1] == self.last_epoch:
            _restart(scheduler)
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()

    def state_dict(self):
        out = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "_schedulers")}
        out["_schedulers"] = [s.state_dict() for s in self._schedulers]
        return out

    def load_state_dict(self, state_dict):
        state_dict = dict(state_dict)
        saved = state_dict.pop("_schedulers")
        self.__dict__.update(state_dict)
        for s, sd in zip(self._schedulers, saved):
            s.load_state_dict(sd)


def _restart(scheduler):
    """PyTorch's `scheduler._update_lr(0)`: jump to epoch 0, by the closed form where the
    scheduler has one (where its recursive form would start from another scheduler's lr)."""
    scheduler.last_epoch = 0
    closed = getattr(scheduler, "_get_closed_form_lr", None)
    if closed is not None:
        lrs = closed()
    elif isinstance(scheduler, (StepLR, ExponentialLR, CosineAnnealingLR)):
        lrs = list(scheduler.base_lrs)          # their closed forms all give base_lr at 0
    elif isinstance(scheduler, MultiStepLR):
        k = sum(c for m, c in scheduler.milestones.items() if m <= 0)
        lrs = [base * scheduler.gamma ** k for base in scheduler.base_lrs]
    else:
        lrs = scheduler.get_lr()
    for group, lr in zip(scheduler.optimizer.param_groups, lrs, strict=True):
        group["lr"] = lr
    scheduler._last_lr = _lrs(scheduler.optimizer)
