"""Checkpoints: exact round trip of model, optimizer and scheduler; no pickle; a failed write
leaves the previous checkpoint whole."""
import errno
import json
import os

import numpy as np
import pytest

import gradwork as gw
from gradwork.train import Trainer, checkpoint as ckpt, load_checkpoint, restore, save_checkpoint

from .helpers import make_run, mlp, weights


def _trained_adam():
    gw.manual_seed(0)
    model = mlp()
    opt = gw.optim.Adam(model.parameters(), lr=0.01)
    sched = gw.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=1)
    for _ in range(3):
        loss = gw.nn.functional.cross_entropy(model(gw.randn(4, 6)), gw.tensor([0, 1, 2, 0]))
        opt.zero_grad()
        loss.backward()
        opt.step()
    sched.step(1.0)
    return model, opt, sched


def test_round_trip_restores_model_optimizer_and_scheduler(tmp_path):
    model, opt, sched = _trained_adam()
    save_checkpoint(str(tmp_path / "ck"), model, opt, sched, epoch=3, note="x")
    assert json.loads((tmp_path / "ck.json").read_text())["note"] == "x"
    arrays, info = load_checkpoint(tmp_path / "ck.safetensors")
    assert any(k.startswith("optimizer.state.0.") for k in arrays)
    assert info["epoch"] == 3 and info["scheduler"]["best"] == 1.0

    gw.manual_seed(5)
    model2 = mlp()
    opt2 = gw.optim.Adam(model2.parameters(), lr=0.5)
    sched2 = gw.optim.lr_scheduler.ReduceLROnPlateau(opt2, patience=1)
    restore(arrays, info, model2, opt2, sched2)
    for k, v in weights(model).items():
        np.testing.assert_array_equal(weights(model2)[k], v)
    assert opt2.param_groups[0]["lr"] == 0.01 and sched2.best == 1.0
    x = gw.randn(4, 6)
    for m, o in ((model, opt), (model2, opt2)):                 # the next steps agree too
        o.zero_grad()
        gw.nn.functional.cross_entropy(m(x), gw.tensor([0, 1, 2, 1])).backward()
        o.step()
    for k, v in weights(model).items():
        np.testing.assert_array_equal(weights(model2)[k], v)


def test_checkpoint_files_hold_no_pickle(tmp_path):
    model, opt, sched = _trained_adam()
    save_checkpoint(str(tmp_path / "ck"), model, opt, sched)
    raw = (tmp_path / "ck.safetensors").read_bytes()
    header = json.loads(raw[8:8 + int.from_bytes(raw[:8], "little")])
    assert json.loads(header["__metadata__"]["gradwork.checkpoint"])["format"] == ckpt.FORMAT
    assert b"\x80\x04" not in raw[:2] and b"\x80\x02" not in raw[:2]


def test_load_errors_name_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no checkpoint at"):
        load_checkpoint(tmp_path / "missing.safetensors")
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"garbage" * 10)
    with pytest.raises(ValueError, match="bad.safetensors: not a gradwork checkpoint"):
        load_checkpoint(bad)
    gw.save({"w": gw.zeros(2)}, str(tmp_path / "plain.safetensors"))
    with pytest.raises(ValueError, match="plain.safetensors: not a gradwork checkpoint"):
        load_checkpoint(tmp_path / "plain.safetensors")


def test_failed_write_leaves_the_previous_checkpoint_intact(tmp_path, monkeypatch):
    run = tmp_path / "run"
    model, opt, sched, train, val = make_run()
    trainer = Trainer(model, opt, train, val, scheduler=sched, run_dir=str(run), progress=False)
    trainer.fit(1)
    good = (run / "last.safetensors").read_bytes(), (run / "last.json").read_bytes()

    def disk_full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(os, "fsync", disk_full)         # fails inside atomic_write_bytes
    with pytest.raises(OSError, match="No space left"):
        trainer.fit(2)
    monkeypatch.undo()
    assert (run / "last.safetensors").read_bytes() == good[0]
    assert (run / "last.json").read_bytes() == good[1]
    assert not [f for f in os.listdir(run) if f.startswith(".tmp-")]
    assert load_checkpoint(run)[1]["epoch"] == 1


def test_unwritable_path_raises_and_keeps_nothing_half_written(tmp_path):
    model, opt, sched = _trained_adam()
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("a file where the run folder should be")
    with pytest.raises(OSError):
        save_checkpoint(str(blocker / "last"), model, opt, sched)
    assert blocker.read_text() == "a file where the run folder should be"
