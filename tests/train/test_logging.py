"""Logs and pictures: event files read back by TensorBoard's own reader, CSV, PNG plots,
metrics and the config dataclass."""
import os
import struct

import numpy as np
import pytest
import torch

from gradwork.train import (
    SummaryWriter,
    TrainConfig,
    Trainer,
    accuracy,
    confusion_matrix,
    per_class_accuracy,
    read_csv,
    topk_correct,
    write_csv,
)
from gradwork.train.logging import crc32c, masked_crc32c
from gradwork.train.plots import plot_confusion_matrix, plot_history, plot_runs

from .helpers import make_run

PNG = b"\x89PNG\r\n\x1a\n"


def _accumulator(folder):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    acc = EventAccumulator(str(folder))
    acc.Reload()
    return acc


def test_crc32c_known_values():
    assert crc32c(b"123456789") == 0xE3069283           # the standard check value
    assert crc32c(b"") == 0
    length = struct.pack("<Q", 0)
    assert masked_crc32c(length) == ((((crc32c(length) >> 15) | (crc32c(length) << 17))
                                      + 0xA282EAD8) & 0xFFFFFFFF)


def test_event_file_read_back_by_tensorboard(tmp_path):
    with SummaryWriter(str(tmp_path)) as w:
        w.add_scalar("train/loss", 2.5, 1)
        w.add_scalars({"val/acc1": 0.75, "lr": 0.1}, 2)
        w.add_scalar("train/loss", -1.25, 3)
        w.add_scalar("train/loss", 0.5, 2 ** 40)
    acc = _accumulator(tmp_path)
    assert sorted(acc.Tags()["scalars"]) == ["lr", "train/loss", "val/acc1"]
    assert [(e.step, e.value) for e in acc.Scalars("train/loss")] == \
        [(1, 2.5), (3, -1.25), (2 ** 40, 0.5)]
    assert acc.Scalars("val/acc1")[0].value == 0.75
    assert acc.Scalars("lr")[0].value == pytest.approx(0.1)
    with pytest.raises(ValueError, match="closed"):
        w.add_scalar("x", 1.0)


def test_trainer_events_have_epoch_metrics(tmp_path):
    model, opt, sched, train, val = make_run()
    history = Trainer(model, opt, train, val, scheduler=sched, run_dir=str(tmp_path),
                      progress=False, log_every=3).fit(2)
    acc = _accumulator(tmp_path)
    tags = set(acc.Tags()["scalars"])
    assert {"train/loss", "train/acc1", "val/loss", "val/acc1", "val/acc5", "lr",
            "train/batch_loss"} <= tags
    # one x-axis for every scalar, the global step (issue 12, item 13): 6 steps per epoch
    assert [e.step for e in acc.Scalars("val/acc1")] == [6, 12]
    assert [e.step for e in acc.Scalars("lr")] == [6, 12]
    np.testing.assert_allclose([e.value for e in acc.Scalars("val/loss")],
                               [h["val_loss"] for h in history], rtol=1e-6)
    assert [e.step for e in acc.Scalars("train/batch_loss")] == [3, 6, 9, 12]
    rows = read_csv(tmp_path / "metrics.csv")
    assert [r["epoch"] for r in rows] == [1, 2]
    assert rows[1]["val_acc1"] == pytest.approx(history[1]["val_acc1"])


def test_trainer_prints_one_line_per_epoch_without_progress_bar(tmp_path, capsys):
    """--no-progress hides the bar, not the epoch summaries (issue 12, item 13)."""
    model, opt, sched, train, val = make_run()
    Trainer(model, opt, train, val, scheduler=sched, progress=False).fit(2)
    out = capsys.readouterr().out
    assert out.count("epoch 1: train loss") == 1 and out.count("epoch 2: train loss") == 1


def test_csv_and_plots(tmp_path):
    history = [{"epoch": 1, "train_loss": 1.0, "train_acc1": 0.5, "val_loss": 1.1,
                "val_acc1": 0.4}, {"epoch": 2, "train_loss": 0.5, "train_acc1": 0.8}]
    for name in ("a", "b"):
        os.makedirs(tmp_path / name)
        write_csv(tmp_path / name / "metrics.csv", history)
    assert read_csv(tmp_path / "a" / "metrics.csv")[1]["val_loss"] is None
    for path in (plot_history(history, str(tmp_path / "h.png")),
                 plot_runs([str(tmp_path / "a"), str(tmp_path / "b")], str(tmp_path / "r.png")),
                 plot_confusion_matrix(np.eye(3, dtype=int) * 5, ["x", "y", "z"],
                                       str(tmp_path / "c.png"))):
        assert open(path, "rb").read(8) == PNG
    with pytest.raises(FileNotFoundError, match="metrics"):
        plot_runs([str(tmp_path / "missing")], str(tmp_path / "r.png"))


def test_topk_matches_torch():
    rng = np.random.default_rng(0)
    scores = rng.standard_normal((50, 12)).astype(np.float32)
    target = rng.integers(0, 12, 50)
    hits = topk_correct(scores, target, (1, 5))
    top = torch.from_numpy(scores).topk(5, dim=1).indices.numpy()
    assert hits[1] == int((top[:, 0] == target).sum())
    assert hits[5] == int((top == target[:, None]).any(axis=1).sum())
    assert accuracy(scores, target, (1,)) == [hits[1] / 50]


def test_confusion_matrix_and_per_class_accuracy():
    m = confusion_matrix([0, 1, 1, 2, 0], [0, 1, 2, 2, 1], 4)
    assert m.tolist() == [[1, 0, 0, 0], [1, 1, 0, 0], [0, 1, 1, 0], [0, 0, 0, 0]]
    acc = per_class_accuracy(m)
    assert acc[:3].tolist() == [1.0, 0.5, 0.5] and np.isnan(acc[3])


def test_config_validation_names_the_field():
    with pytest.raises(ValueError, match="config: lr must be a finite number > 0, got -1"):
        TrainConfig("mlp", lr=-1)
    with pytest.raises(ValueError, match="schedule must be one of"):
        TrainConfig("mlp", schedule="linear")
    with pytest.raises(ValueError, match="unknown keys"):
        TrainConfig.from_dict({"model": "mlp", "colour": "red"})
    c = TrainConfig("mlp", epochs=3)
    assert TrainConfig.from_dict(c.to_dict()) == c
