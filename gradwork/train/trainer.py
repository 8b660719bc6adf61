"""`Trainer`: the training loop. One epoch reads top to bottom:

    for each batch: forward → loss (+ λ·penalty) → backward → clip → step → log
    then: validate → schedule → log the epoch → checkpoint (last, and best on val accuracy)

Before the first step, the run folder and the data are checked (`preflight`). `last` is also
written inside an epoch every `checkpoint_steps` steps or `checkpoint_minutes` minutes
(with the loader's position, the epoch's running sums and the RNG states).
Ctrl-C (SIGINT) or SIGTERM asks the loop to stop after the current step; it then writes
`last` and returns, `stop_signal` telling which. A second signal aborts at once. A NaN or
infinite loss or weight stops with the epoch, the step and the first offending parameter,
before any checkpoint holds it. `resume(path)` restores everything a checkpoint holds, so that
a resumed run ends with the same weights, bit for bit, as one that was never interrupted.
"""
import errno
import json
import math
import os
import signal
import threading
import time
from contextlib import contextmanager

from tqdm import tqdm

from .. import backend
from ..autograd import no_grad
from ..errors import (
    CheckpointError,
    NonFiniteError,
    RunFolderError,
    check_nonnegative,
    check_nonnegative_int,
)
from ..nn import CrossEntropyLoss
from ..nn.penalty import elastic_net_penalty, l1_penalty, l2_penalty
from ..nn.utils import clip_grad_norm_
from ..optim.lr_scheduler import ReduceLROnPlateau
from ..serialization import atomic_write_bytes
from . import checkpoint as ckpt
from . import preflight
from .logging import SummaryWriter, write_csv
from .metrics import Meter

PENALTIES = {"l2": l2_penalty, "l1": l1_penalty, "elastic": elastic_net_penalty}


class Trainer:
    """Train `model` with `optimizer` on `train_loader`, validating on `val_loader`.

    loss_fn: default `CrossEntropyLoss()`. scheduler: stepped once per epoch (on the
    validation loss for `ReduceLROnPlateau`). clip_grad: max gradient norm. penalty: "l2",
    "l1" or "elastic" (deck 002), added as `penalty_strength · R(W)`. run_dir: where
    config.json, metrics.csv, TensorBoard events, checkpoints and plots go (None: nowhere).
    config: a `TrainConfig` (or dict) saved with the run and its checkpoints.
    checkpoint_steps / checkpoint_minutes: also write `last` inside an epoch every so many
    steps / minutes (0: only at the end of each epoch).
    data_parallel: train as one rank of the default process group (gradwork.distributed):
    the forward runs through DistributedDataParallel, the train loader yields this rank's
    share of each global batch, and only rank 0 writes the run folder, logs and prints; the
    checkpoints hold the global state (the unwrapped model, the optimizer), so a run written
    with K ranks resumes with any K'.
    device: where the model already is ("cpu", "cuda", "cuda:N"): each batch is moved there
    (`x.to(device)`), the metrics and checkpoints are computed from host copies.
    """

    def __init__(self, model, optimizer, train_loader, val_loader=None, loss_fn=None,
                 scheduler=None, clip_grad=None, penalty=None, penalty_strength=0.0,
                 run_dir=None, config=None, progress=True, log_every=10, checkpoint_steps=0,
                 checkpoint_minutes=0.0, data_parallel=False, device="cpu"):
        if penalty not in (None, "none", *PENALTIES):
            raise ValueError(f"Trainer: penalty must be one of {sorted(PENALTIES)} or None, "
                             f"got {penalty!r}")
        self.model, self.optimizer, self.scheduler = model, optimizer, scheduler
        self.device = str(device)
        self.train_model, self.is_main = model, True     # what forward runs through; rank 0?
        if data_parallel:
            from ..distributed import DistributedDataParallel, get_rank
            self.train_model, self.is_main = DistributedDataParallel(model), get_rank() == 0
            if not self.is_main:
                run_dir, progress = None, False
        self.train_loader, self.val_loader = train_loader, val_loader
        self.loss_fn = loss_fn or CrossEntropyLoss()
        self.clip_grad = clip_grad
        self.penalty = PENALTIES.get(penalty)
        self.penalty_strength = penalty_strength
        self.run_dir, self.progress, self.log_every = run_dir, progress, log_every
        self.config = config.to_dict() if hasattr(config, "to_dict") else config
        self.epoch, self.step = 0, 0          # epochs completed, optimizer steps taken
        self.history, self.best_acc = [], -1.0
        self.stopped = False                  # True when Ctrl-C ended the last fit()
        self.stop_signal = None               # signal.SIGINT or SIGTERM when one stopped it
        self.checkpoint_steps = check_nonnegative_int("Trainer", "checkpoint_steps",
                                                      checkpoint_steps)
        self.checkpoint_minutes = check_nonnegative("Trainer", "checkpoint_minutes",
                                                    checkpoint_minutes)
        self._meter = Meter()                 # the running epoch's sums
        self._stop_requested = False
        self._writer = None

    # ------------------------------------------------------------------ the loop
    def fit(self, epochs):
        """Train until `epochs` epochs are complete (counting those of a resumed run)."""
        backend.tune_allocator()        # process-wide, so here and not at import (backend.py)
        self.stopped = self._stop_requested = False
        self.stop_signal = None
        self._preflight()
        self._last_save = time.monotonic()            # the clock of checkpoint_minutes
        with self._ctrl_c_stops(), self._event_writer():
            self._write_config()
            while self.epoch < epochs:
                if not self.train_epoch(epochs):                  # Ctrl-C mid-epoch
                    if self.run_dir is not None:
                        self.save("last")
                    break
                train = self._global(self._meter)
                self._sync_buffers()
                val = self.evaluate(self.val_loader) if self.val_loader is not None else None
                lr = self.optimizer.param_groups[0]["lr"]
                self._schedule(val["loss"] if val else train.loss)
                self.epoch, self._meter = self.epoch + 1, Meter()
                self._log_epoch(train, val, lr)
                self._checkpoint(val["acc1"] if val else train.acc1)
                if self._agreed_stop():
                    break
            self.stopped = self._stop_requested
        if self.run_dir is not None:
            self.plot()
        return self.history

    def train_epoch(self, epochs):
        """One pass over the training loader (from where a resumed epoch stopped); returns
        False if Ctrl-C stopped it before the end."""
        self.model.train()
        if hasattr(getattr(self.train_loader, "sampler", None), "set_epoch"):
            self.train_loader.sampler.set_epoch(self.epoch)     # DistributedSampler's shuffle
        meter, start = self._meter, time.perf_counter()
        batches, total = iter(self.train_loader), len(self.train_loader)
        first = total - len(batches)                  # > 0 when resuming mid-epoch
        bar = _progress_bar(total, first, f"epoch {self.epoch + 1}/{epochs}", self.progress)
        images = 0
        try:
            for batch, (x, y) in enumerate(batches, start=first + 1):
                x, y = self._to_device(x), self._to_device(y)
                loss, scores, targets = self._forward(x, y)           # forward, loss
                objective = loss if self.penalty is None else \
                    loss + self.penalty_strength * self.penalty(self.model)  # + λ·R(W)
                value = float(loss.item())
                if not math.isfinite(value):
                    raise NonFiniteError(
                        f"loss is {value} at epoch {self.epoch + 1}, step {self.step + 1} "
                        f"(batch {batch} of {total}); try a smaller --lr "
                        "or --clip-grad")
                self.optimizer.zero_grad()
                objective.backward()                                  # backward
                if self.clip_grad:
                    clip_grad_norm_(self.model.parameters(), self.clip_grad)  # clip
                self.optimizer.step()                                 # step
                self.step += 1
                self._check_weights(batch, total)
                meter.update(value, scores, targets)                  # log
                images += len(targets)
                bar.update(1)
                bar.set_postfix(loss=f"{meter.loss:.4f}", acc=f"{meter.acc1:.3f}",
                                img_s=f"{images / (time.perf_counter() - start):.0f}",
                                refresh=False)
                if self._writer is not None and self.step % self.log_every == 0:
                    self._writer.add_scalar("train/batch_loss", value, self.step)
                if self._agreed_stop():
                    return False
                if batch < total and self._mid_epoch_checkpoint_due():
                    self.save("last")                                 # checkpoint
        finally:
            batches.close()
            bar.close()
        self._epoch_time = time.perf_counter() - start
        self._images_per_s = images / max(self._epoch_time, 1e-9)
        return True

    def _to_device(self, batch):
        """A batch's tensor on the trainer's device (PyTorch's `x.to(device)`)."""
        return batch if self.device == "cpu" else batch.to(self.device)

    def _forward(self, x, y):
        """(loss, scores, targets) of one batch: the loss to minimise, and the (N, C) scores
        and (N,) targets the epoch's accuracy counts (the main output of a model with
        auxiliary heads). A trainer for another task (language model, tagger) overrides this."""
        out = self.net(x)
        return self.loss_fn(out, y), getattr(out, "logits", out), y

    @property
    def net(self):
        """What a forward pass runs through: in training under MPI, the DistributedDataParallel
        wrapper (its backward averages the gradients over the ranks); else the model."""
        return self.train_model if self.model.training else self.model

    def _check_weights(self, batch, total):
        """Stop at the step that made a weight NaN or infinite, before a checkpoint holds it."""
        bad = ckpt.first_nonfinite(dict(self.model.named_parameters()))
        if bad is not None:
            raise NonFiniteError(
                f"parameter {bad[0]!r} became {bad[1]} at epoch {self.epoch + 1}, step "
                f"{self.step} (batch {batch} of {total}); no checkpoint was written, the "
                "previous ones are kept; try a smaller --lr or --clip-grad")

    def _mid_epoch_checkpoint_due(self):
        if self.run_dir is None:
            return False
        by_steps = self.checkpoint_steps and self.step % self.checkpoint_steps == 0
        by_time = self.checkpoint_minutes and \
            time.monotonic() - self._last_save >= 60 * self.checkpoint_minutes
        return bool(by_steps or by_time)

    def evaluate(self, loader):
        """{"loss", "acc1", "acc5"} of the model (eval mode, no gradients) on `loader`."""
        self.model.eval()
        meter = Meter()
        with no_grad():
            for x, y in loader:
                loss, scores, targets = self._forward(self._to_device(x), self._to_device(y))
                meter.update(float(loss.item()), scores, targets)
        self.model.train()
        return {"loss": meter.loss, "acc1": meter.acc1, "acc5": meter.acc5,
                "nonfinite": meter.nonfinite}

    def _schedule(self, val_loss):
        if isinstance(self.scheduler, ReduceLROnPlateau):
            self.scheduler.step(val_loss)
        elif self.scheduler is not None:
            self.scheduler.step()

    # ------------------------------------------------------------------ logs
    def _log_epoch(self, train, val, lr):
        row = {"epoch": self.epoch, "step": self.step, "lr": lr, "train_loss": train.loss,
               "train_acc1": train.acc1, "train_acc5": train.acc5}
        if val is not None:
            row.update({"val_loss": val["loss"], "val_acc1": val["acc1"],
                        "val_acc5": val["acc5"]})
        for split, count in (("train", train.nonfinite), ("val", (val or {}).get("nonfinite"))):
            if count:
                row[f"{split}_nonfinite"] = count   # predictions counted as wrong
        row.update({"time_s": round(getattr(self, "_epoch_time", 0.0), 3),
                    "images_per_s": round(getattr(self, "_images_per_s", 0.0), 1)})
        self.history.append(row)
        summary = f"epoch {self.epoch}: train loss {train.loss:.4f} acc {train.acc1:.4f}"
        if val is not None:
            summary += f" | val loss {val['loss']:.4f} acc {val['acc1']:.4f} " \
                       f"top-5 {val['acc5']:.4f}"
        if row.get("train_nonfinite") or row.get("val_nonfinite"):
            summary += (f" | non-finite predictions (counted as wrong): train "
                        f"{row.get('train_nonfinite', 0)}, val {row.get('val_nonfinite', 0)}")
        if self.is_main:
            _progress_write(summary)                  # one line per epoch, bar or not
        if self.run_dir is not None:
            write_csv(os.path.join(self.run_dir, "metrics.csv"), self.history)
        if self._writer is not None:
            self._writer.add_scalars({f"{split}/{m}": row[f"{split}_{m}"]
                                      for split in ("train", "val") for m in ("loss", "acc1",
                                                                              "acc5")
                                      if f"{split}_{m}" in row}, self.step)
            self._writer.add_scalar("lr", lr, self.step)      # one x-axis: the global step
            self._writer.flush()

    def _write_config(self):
        if self.run_dir is not None and self.config is not None:
            os.makedirs(self.run_dir, exist_ok=True)
            if self.config.get("resume") and \
                    os.path.exists(os.path.join(self.run_dir, "config.json")):
                return                      # a resumed run's config.json is never rewritten
            atomic_write_bytes(os.path.join(self.run_dir, "config.json"),
                               json.dumps(self.config, indent=1).encode())

    def plot(self):
        """curves.png in the run folder: loss and accuracy per epoch."""
        if self.history:
            from .plots import plot_history
            plot_history(self.history, os.path.join(self.run_dir, "curves.png"),
                         title=os.path.basename(os.path.normpath(self.run_dir)))

    # ------------------------------------------------------------------ checkpoints
    def _checkpoint(self, acc):
        if self.run_dir is None:
            return
        is_best = acc > self.best_acc
        self.best_acc = max(acc, self.best_acc)
        blob, text = self._encode()
        self._write("last", blob, text)
        if is_best:
            self._write("best", blob, text)

    def _encode(self, **extra):
        return ckpt.encode(
            self.model, self.optimizer, self.scheduler, epoch=self.epoch, step=self.step,
            epoch_sums=self._meter.state_dict(), best_acc=self.best_acc, history=self.history,
            rng={"gradwork": backend.get_rng_state(), "loader": self.train_loader.state_dict()},
            config=self.config, **extra)

    def save(self, name="last"):
        """Write `name`.safetensors + `name`.json into the run folder now."""
        if self.run_dir is None:
            raise ValueError("Trainer.save: no run_dir to save into")
        self._write(name, *self._encode())

    def _write(self, name, blob, text):
        """Write a checkpoint; a full disk becomes a one-line `RunFolderError` (errno ENOSPC)."""
        stem = os.path.join(self.run_dir, name)
        try:
            ckpt.write(stem, blob, text)
        except OSError as e:
            if e.errno not in (errno.ENOSPC, errno.EDQUOT):
                raise
            raise RunFolderError(e.errno, f"disk full while writing {stem}.safetensors (after "
                                 f"epoch {self.epoch}, step {self.step}); the previous "
                                 "checkpoint is intact: free some space and resume") from None
        self._last_save = time.monotonic()

    def resume(self, path):
        """Restore model, optimizer, scheduler, counters, history and RNG states."""
        arrays, info = ckpt.load_checkpoint(path)
        missing = [k for k in ("epoch", "step", "best_acc", "history", "epoch_sums", "rng")
                   if k not in info]
        if missing:
            raise CheckpointError(f"{path}: the checkpoint lacks {missing}, so the run cannot "
                                  "resume from it")
        if info["rng"]["loader"]["batch"] > len(self.train_loader):
            raise CheckpointError(
                f"{path}: the checkpoint stopped at batch {info['rng']['loader']['batch']} of an "
                f"epoch, but the training loader has only {len(self.train_loader)} batches: it "
                "was written with other data or another batch size")
        ckpt.restore(arrays, info, self.model, self.optimizer, self.scheduler)
        self.epoch, self.step = info["epoch"], info["step"]
        self.best_acc, self.history = info["best_acc"], info["history"]
        self._meter = Meter(**info["epoch_sums"]) if self.is_main else Meter()   # rank 0's
        backend.set_rng_state(info["rng"]["gradwork"])
        self.train_loader.load_state_dict(info["rng"]["loader"])
        if self.run_dir is not None and self.history:
            write_csv(os.path.join(self.run_dir, "metrics.csv"), self.history)
        return info

    # ------------------------------------------------------------------ plumbing
    def _agreed_stop(self):
        """Whether to stop now; data-parallel, whether any rank was asked to (a signal may
        reach the ranks at different steps: they must all stop at the same one)."""
        if self.train_model is self.model:
            return self._stop_requested
        from ..distributed.process_group import ReduceOp, allreduce_array
        flag = backend.np.array([int(self._stop_requested)], backend.np.int64)
        self._stop_requested = bool(allreduce_array(flag, ReduceOp.MAX, "stop agreement")[0])
        return self._stop_requested

    def _global(self, meter):
        """Data-parallel: the epoch's sums over every rank's samples (so that the log, the
        schedule on the training loss and the best checkpoint see the whole epoch, alike)."""
        if self.train_model is self.model:
            return meter
        from ..distributed.process_group import allreduce_array
        state = meter.state_dict()
        sums = allreduce_array(backend.np.array(list(state.values()), backend.np.float64),
                               what="training metrics all-reduce")
        return Meter(**{k: v if k == "loss_sum" else int(round(v))
                        for k, v in zip(state, sums.tolist())})

    def _sync_buffers(self):
        """Data-parallel: rank 0's buffers (BatchNorm's running statistics, per rank while
        training) on every rank, so that all evaluate, schedule and checkpoint alike."""
        if self.train_model is not self.model:
            self.train_model.sync_buffers()

    def _preflight(self):
        """Before the first step: a writable run folder (stale temp files removed) and data
        a classifier can learn from."""
        if self.run_dir is not None:
            removed = preflight.check_run_folder(self.run_dir)
            if removed and self.progress:
                _progress_write(f"removed {len(removed)} temp file(s) of an interrupted write")
        preflight.check_data(self.model, self.train_loader, self.val_loader)

    @contextmanager
    def _ctrl_c_stops(self):
        """First SIGINT (Ctrl-C) or SIGTERM: finish this step, checkpoint, return, with the
        signal in `stop_signal`. A second one: KeyboardInterrupt."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return

        def handler(signum, frame):
            if self._stop_requested:
                raise KeyboardInterrupt
            self._stop_requested, self.stop_signal = True, signal.Signals(signum)
            if self.is_main:
                _progress_write(f"{self.stop_signal.name}: stopping after this step and writing "
                                "a checkpoint (press Ctrl-C again to abort now)")
        stops = (signal.SIGINT, signal.SIGTERM)
        previous = {s: signal.signal(s, handler) for s in stops}
        try:
            yield
        finally:
            for s in stops:
                signal.signal(s, previous[s])

    @contextmanager
    def _event_writer(self):
        self._writer = SummaryWriter(self.run_dir) if self.run_dir is not None else None
        try:
            yield
        finally:
            if self._writer is not None:
                self._writer.close()
            self._writer = None


def _progress_bar(total, initial, desc, enabled):
    return tqdm(total=total, initial=initial, desc=desc, unit="batch", disable=not enabled,
                dynamic_ncols=True, leave=True)


def _progress_write(text):
    tqdm.write(text)
