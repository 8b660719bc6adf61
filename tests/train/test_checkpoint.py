"""Checkpoints: exact round trip of model, optimizer and scheduler; no pickle; a failed write
leaves the previous checkpoint whole."""
import errno
import json
import os

import numpy as np
import pytest

import gradwork as gw
from gradwork.errors import CheckpointError, NonFiniteError
from gradwork.train import Trainer, load_checkpoint, restore, save_checkpoint
from gradwork.train import checkpoint as ckpt

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


def _trainer_checkpoints(tmp_path):
    run = tmp_path / "run"
    model, opt, sched, train, val = make_run()
    Trainer(model, opt, train, val, scheduler=sched, run_dir=str(run), progress=False).fit(1)
    return run


def test_a_flipped_bit_is_refused_naming_the_file_and_the_fallback(tmp_path):
    run = _trainer_checkpoints(tmp_path)
    path = run / "last.safetensors"
    raw = bytearray(path.read_bytes())
    raw[-3] ^= 0x04                                             # one bit of one array
    path.write_bytes(bytes(raw))
    with pytest.raises(CheckpointError, match=r"last.safetensors is corrupt.*fall back to the "
                       r"previous checkpoint"):
        load_checkpoint(run)
    load_checkpoint(run / "best.safetensors")                    # the fallback still loads


def test_a_damaged_header_is_refused_with_the_fallback(tmp_path):
    run = _trainer_checkpoints(tmp_path)
    path = run / "last.safetensors"
    raw = path.read_bytes()
    path.write_bytes(raw[:8] + raw[8:40].replace(b"{", b"[", 1) + raw[40:])
    with pytest.raises(ValueError, match=r"not a gradwork checkpoint, or a corrupt one.*fall "
                       r"back to the previous checkpoint \(.*best.safetensors\)"):
        load_checkpoint(run)


@pytest.mark.parametrize("field, value", [
    ("epoch", -1), ("step", "12"), ("best_acc", 7.0), ("history", [{"epoch": "one"}]),
    ("epoch_sums", {"loss_sum": 1.0, "correct1": 5, "correct5": 3, "count": 4}),
    ("rng", {"gradwork": {}, "loader": {"seed": 0, "epoch": 0, "batch": -2}}),
    ("config", ["lenet5"])])
def test_fields_of_wrong_type_or_range_are_refused(tmp_path, field, value):
    """A checkpoint re-signed after a hand edit (or written by another tool) is still checked
    field by field: refused, not half-accepted."""
    model, opt, sched = _trained_adam()
    save_checkpoint(str(tmp_path / "ck"), model, opt, sched, **{field: value})
    with pytest.raises(CheckpointError, match=f"field '{field}' must be .*refused"):
        load_checkpoint(tmp_path / "ck")


def test_version_1_without_checksum_loads_and_version_2_without_is_refused(tmp_path):
    from safetensors.numpy import save as st_save
    weights = {"model.w": np.ones(3, np.float32)}
    for version in (1, 2):
        text = json.dumps({"format": ckpt.FORMAT, "version": version, "epoch": 1})
        (tmp_path / f"v{version}.safetensors").write_bytes(
            st_save(weights, metadata={"gradwork.checkpoint": text}))
    assert load_checkpoint(tmp_path / "v1")[1]["epoch"] == 1
    with pytest.raises(CheckpointError, match="v2.safetensors: its checksum is missing"):
        load_checkpoint(tmp_path / "v2")


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_non_finite_weights_never_become_a_checkpoint(tmp_path, bad):
    model, opt, sched = _trained_adam()
    save_checkpoint(str(tmp_path / "ck"), model, opt, sched, epoch=1, step=3)
    before = (tmp_path / "ck.safetensors").read_bytes()
    model[4].weight.data[1, 2] = bad
    with pytest.raises(NonFiniteError, match=r"model.4.weight holds (NaN|inf) .*epoch 1, step 3"
                       r".*previous checkpoints are kept"):
        save_checkpoint(str(tmp_path / "ck"), model, opt, sched, epoch=1, step=3)
    assert (tmp_path / "ck.safetensors").read_bytes() == before
    assert ckpt.first_nonfinite({"a": np.ones(3), "b": np.array([1.0, bad])})[0] == "b"
    assert ckpt.first_nonfinite({"big": np.full(4, 3e38, np.float32)}) is None   # sum overflows


def test_remove_temp_files_keeps_everything_else(tmp_path):
    for name in (".tmp-abc-last.safetensors", ".tmp-x-config.json", "last.json", "tmp.txt"):
        (tmp_path / name).write_text("x")
    assert ckpt.remove_temp_files(tmp_path) == [".tmp-abc-last.safetensors", ".tmp-x-config.json"]
    assert sorted(os.listdir(tmp_path)) == ["last.json", "tmp.txt"]


def test_an_edited_sidecar_json_is_not_taken_and_says_so(tmp_path):
    run = _trainer_checkpoints(tmp_path)
    edited = json.loads((run / "last.json").read_text())
    edited["epoch"] = 7
    (run / "last.json").write_text(json.dumps(edited))
    with pytest.warns(UserWarning, match=r"last.json differs from last.safetensors .*not read"):
        assert load_checkpoint(run)[1]["epoch"] == 1


def test_resolve_picks_last_for_resume_and_best_for_inference(tmp_path):
    """A run folder resolves to `last` (resume); best=True gives `best` where it exists (what
    `gradwork sample` loads), else `last`; an explicit stem is taken as given."""
    (tmp_path / "last.safetensors").write_bytes(b"")
    assert ckpt.resolve(tmp_path) == str(tmp_path / "last.safetensors")
    assert ckpt.resolve(tmp_path, best=True) == str(tmp_path / "last.safetensors")
    (tmp_path / "best.safetensors").write_bytes(b"")
    assert ckpt.resolve(tmp_path) == str(tmp_path / "last.safetensors")
    assert ckpt.resolve(tmp_path, best=True) == str(tmp_path / "best.safetensors")
    assert ckpt.resolve(tmp_path / "last.json", best=True) == str(tmp_path / "last.safetensors")
