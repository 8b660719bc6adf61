"""Trainer: learning, run-folder outputs, NaN stop, Ctrl-C stop and exact resume, schedules,
penalties, clipping."""
import os
import signal
import time
import types

import numpy as np
import pytest

import gradwork as gw
from gradwork import nn
from gradwork.errors import NonFiniteError
from gradwork.train import Trainer, load_checkpoint

from .helpers import make_run, weights


def test_trainer_learns_and_writes_the_run_folder(tmp_path):
    model, opt, sched, train, val = make_run()
    trainer = Trainer(model, opt, train, val, scheduler=sched, run_dir=str(tmp_path),
                      config={"note": "test"}, progress=False, log_every=2)
    history = trainer.fit(3)
    assert [h["epoch"] for h in history] == [1, 2, 3]
    assert history[-1]["val_acc1"] > 0.9 and history[-1]["train_loss"] < history[0]["train_loss"]
    assert [h["lr"] for h in history] == pytest.approx([0.1, 0.07, 0.049])
    assert trainer.step == 18
    files = set(os.listdir(tmp_path))
    assert {"config.json", "metrics.csv", "last.safetensors", "last.json", "best.safetensors",
            "best.json", "curves.png"} <= files
    assert any(f.startswith("events.out.tfevents.") for f in files)
    _, info = load_checkpoint(tmp_path / "last.safetensors")
    assert info["epoch"] == 3 and info["step"] == 18 and info["config"] == {"note": "test"}
    assert info["best_acc"] == max(h["val_acc1"] for h in history)


def test_nan_loss_stops_with_epoch_and_step():
    model, opt, _, train, val = make_run()
    calls = []

    def loss_fn(out, y):
        calls.extend([1] if gw.is_grad_enabled() else [])      # training steps only
        loss = nn.functional.cross_entropy(out, y)
        return loss * float("nan") if len(calls) == 9 else loss
    trainer = Trainer(model, opt, train, val, loss_fn=loss_fn, progress=False)
    with pytest.raises(FloatingPointError,
                       match=r"loss is nan at epoch 2, step 9 \(batch 3 of 6\)"):
        trainer.fit(3)


def _interrupt_at(step):
    calls = []

    def loss_fn(out, y):
        calls.extend([1] if gw.is_grad_enabled() else [])      # training steps only
        if len(calls) == step and gw.is_grad_enabled():
            os.kill(os.getpid(), signal.SIGINT)   # what Ctrl-C does
        return nn.functional.cross_entropy(out, y)
    return loss_fn


def test_ctrl_c_checkpoints_mid_epoch_and_resume_is_bit_identical(tmp_path):
    model, opt, sched, train, val = make_run()
    Trainer(model, opt, train, val, scheduler=sched, progress=False).fit(3)
    expected = weights(model)

    run = str(tmp_path / "run")
    model, opt, sched, train, val = make_run()
    first = Trainer(model, opt, train, val, scheduler=sched, run_dir=run, progress=False,
                    loss_fn=_interrupt_at(8))
    first.fit(3)
    assert first.stopped and first.step == 8 and first.epoch == 1
    _, info = load_checkpoint(run)
    assert info["rng"]["loader"]["batch"] == 2 and info["epoch_sums"]["count"] == 32

    gw.manual_seed(999)                              # the resumed process starts elsewhere
    model, opt, sched, train, val = make_run(seed=0)
    second = Trainer(model, opt, train, val, scheduler=sched, run_dir=run, progress=False)
    second.resume(run)
    history = second.fit(3)
    assert not second.stopped and second.step == 18 and len(history) == 3
    for k, v in weights(model).items():
        np.testing.assert_array_equal(v, expected[k], err_msg=k)


def test_plateau_schedule_steps_on_validation_loss():
    model, _, _, train, val = make_run(dropout=0.0, batch_norm=False)
    opt = gw.optim.SGD(model.parameters(), lr=1e-6)   # too small to improve the loss
    sched = gw.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=0)
    history = Trainer(model, opt, train, val, scheduler=sched, progress=False).fit(3)
    assert [h["lr"] for h in history] == [1e-6, 1e-6, 5e-7]


def _weight_norm(model):
    return sum(float((p.detach().numpy() ** 2).sum()) for p in model.parameters() if p.ndim == 2)


@pytest.mark.parametrize("penalty", ["l2", "l1", "elastic"])
def test_penalty_shrinks_the_weights(penalty):
    norms = []
    for strength in (0.0, 0.05):
        model, opt, _, train, val = make_run(dropout=0.0)
        Trainer(model, opt, train, val, penalty=penalty, penalty_strength=strength,
                progress=False).fit(2)
        norms.append(_weight_norm(model))
    assert norms[1] < 0.8 * norms[0]
    with pytest.raises(ValueError, match="penalty"):
        Trainer(model, opt, train, penalty="l3")


def test_gradient_clipping_bounds_each_step():
    model, _, _, train, val = make_run(dropout=0.0, batch_norm=False)
    before = weights(model)
    opt = gw.optim.SGD(model.parameters(), lr=1.0)
    trainer = Trainer(model, opt, train, val, clip_grad=1e-3, progress=False)
    trainer.fit(1)
    moved = np.sqrt(sum(((v - before[k]) ** 2).sum() for k, v in weights(model).items()))
    assert 0 < moved <= 1e-3 * trainer.step * 1.0001


def test_trainer_without_validation_uses_training_accuracy_for_best(tmp_path):
    model, opt, _, train, _ = make_run()
    history = Trainer(model, opt, train, run_dir=str(tmp_path), progress=False).fit(1)
    assert "val_loss" not in history[0]
    assert os.path.exists(tmp_path / "best.safetensors")


def _nan_gradient_at(step):
    """A loss whose value stays finite but whose gradient is NaN at training step `step`:
    d√u/du = ∞ at u = 0, times the 0 that keeps the value unchanged."""
    calls = []

    def loss_fn(out, y):
        loss = nn.functional.cross_entropy(out, y)
        if gw.is_grad_enabled():
            calls.append(1)
            if len(calls) == step:
                return loss + 0.0 * ((out * 0.0) ** 0.5).sum()
        return loss
    return loss_fn


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the √0 of the NaN gradient
def test_a_nan_gradient_at_an_epochs_last_step_never_becomes_a_checkpoint(tmp_path):
    model, opt, sched, train, val = make_run()
    trainer = Trainer(model, opt, train, val, scheduler=sched, run_dir=str(tmp_path),
                      progress=False, loss_fn=_nan_gradient_at(12))
    with pytest.raises(NonFiniteError, match=r"parameter '0.weight' became NaN at epoch 2, "
                       r"step 12 \(batch 6 of 6\).*previous ones are kept"):
        trainer.fit(3)
    for name in ("last", "best"):
        arrays, info = load_checkpoint(tmp_path / f"{name}.safetensors")
        assert info["epoch"] == 1 and all(np.isfinite(a).all() for a in arrays.values())


def test_mid_epoch_checkpoints_every_n_steps_resume_bit_identical(tmp_path):
    model, opt, sched, train, val = make_run()
    Trainer(model, opt, train, val, scheduler=sched, progress=False).fit(2)
    expected = weights(model)

    run = str(tmp_path / "run")
    model, opt, sched, train, val = make_run()

    def crash_at_step_10(out, y):
        if gw.is_grad_enabled() and trainer.step == 9:
            raise RuntimeError("power cut")                # nothing is saved on the way out
        return nn.functional.cross_entropy(out, y)
    trainer = Trainer(model, opt, train, val, scheduler=sched, run_dir=run, progress=False,
                      loss_fn=crash_at_step_10, checkpoint_steps=4)
    with pytest.raises(RuntimeError, match="power cut"):
        trainer.fit(2)
    _, info = load_checkpoint(run)
    assert (info["epoch"], info["step"], info["rng"]["loader"]["batch"]) == (1, 8, 2)

    gw.manual_seed(123)
    model, opt, sched, train, val = make_run()
    second = Trainer(model, opt, train, val, scheduler=sched, run_dir=run, progress=False)
    second.resume(run)
    second.fit(2)
    assert second.step == 12
    for k, v in weights(model).items():
        np.testing.assert_array_equal(v, expected[k], err_msg=k)


def test_mid_epoch_checkpoints_every_m_minutes(tmp_path, monkeypatch):
    from gradwork.train import trainer as trainer_module
    clock = iter(range(0, 10 ** 6, 25))                    # 25 s per reading
    monkeypatch.setattr(trainer_module, "time", types.SimpleNamespace(
        monotonic=lambda: next(clock), perf_counter=time.perf_counter))
    model, opt, _, train, val = make_run()
    trainer = Trainer(model, opt, train, val, run_dir=str(tmp_path), progress=False,
                      checkpoint_minutes=1.0)
    saved = []
    real_save = trainer.save
    trainer.save = lambda name="last": (saved.append(trainer.step), real_save(name))
    trainer.fit(1)
    assert saved and all(0 < s < 6 for s in saved)        # inside the epoch, not at its end
    with pytest.raises(ValueError, match="checkpoint_steps must be a non-negative integer"):
        Trainer(model, opt, train, checkpoint_steps=-1)


def test_sigterm_stops_after_the_step_with_a_checkpoint(tmp_path):
    def not_handled(signum, frame):
        raise AssertionError("SIGTERM reached the default handler")
    previous = signal.signal(signal.SIGTERM, not_handled)
    calls = []

    def loss_fn(out, y):
        calls.extend([1] if gw.is_grad_enabled() else [])
        if len(calls) == 3 and gw.is_grad_enabled():
            os.kill(os.getpid(), signal.SIGTERM)          # what a scheduler's stop does
        return nn.functional.cross_entropy(out, y)
    try:
        model, opt, sched, train, val = make_run()
        trainer = Trainer(model, opt, train, val, scheduler=sched, run_dir=str(tmp_path),
                          progress=False, loss_fn=loss_fn)
        trainer.fit(2)
        assert signal.getsignal(signal.SIGTERM) is not_handled     # put back after fit
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert trainer.stopped and trainer.stop_signal == signal.SIGTERM and trainer.step == 3
    assert load_checkpoint(tmp_path)[1]["step"] == 3


def test_stale_temp_files_are_removed_when_the_run_starts(tmp_path):
    leftover = tmp_path / ".tmp-k2j3-last.safetensors"
    leftover.write_bytes(b"half a checkpoint")
    model, opt, _, train, val = make_run()
    Trainer(model, opt, train, val, run_dir=str(tmp_path), progress=False).fit(1)
    assert not leftover.exists() and not [f for f in os.listdir(tmp_path)
                                          if f.startswith(".tmp-")]


def test_non_finite_validation_predictions_are_reported(tmp_path):
    model, opt, _, train, _ = make_run()
    x = np.ones((8, 6), np.float32)
    x[:3] = np.nan                                        # three unreadable samples
    val = gw.data.DataLoader(gw.data.TensorDataset(x, np.arange(8) % 3), 8)
    history = Trainer(model, opt, train, val, progress=False).fit(1)
    assert history[0]["val_nonfinite"] == 3 and history[0]["val_acc1"] <= 5 / 8
