"""`gradwork train --data imagefolder`: a folder of JPEG/PNG files of mixed sizes streamed from
disk through DataLoader worker processes, with the ImageNet transforms at the model's input
size, a corrupt file skipped (issue 20, data that does not fit in memory)."""
import json
import os

import numpy as np
from PIL import Image

from gradwork.cli.main import main
from gradwork.data import ImageFolder, Subset
from gradwork.train.build import build_model_and_data
from gradwork.train.config import TrainConfig


def _jpeg_tree(root, per_class=10):
    rng = np.random.default_rng(0)
    for c, name in enumerate(("bright", "dark")):
        (root / name).mkdir(parents=True)
        for i in range(per_class):
            h, w = int(rng.integers(36, 60)), int(rng.integers(36, 60))
            base = 170 if c == 0 else 60
            pixels = np.clip(rng.normal(base, 30, (h, w, 3)), 0, 255).astype(np.uint8)
            ext = ".jpg" if i % 3 else ".png"
            Image.fromarray(pixels).save(root / name / f"{i:02d}{ext}")
    (root / "dark" / "99_truncated.jpg").write_bytes(
        (root / "dark" / "01.jpg").read_bytes()[:200])
    return root


def test_build_streams_an_image_folder_through_workers(tmp_path):
    _jpeg_tree(tmp_path)
    config = TrainConfig("resnet8", data="imagefolder", data_dir=str(tmp_path), workers=2,
                         batch_size=4, val_split=0.25)
    model, train, val, test, classes = build_model_and_data(config)
    assert classes == ["bright", "dark"] and train.num_workers == 2 == test.num_workers
    inner = train.dataset.dataset
    assert isinstance(inner, ImageFolder) and isinstance(train.dataset, Subset)
    assert len(inner) + len(test.dataset) == 21                # 80/20 per class, files only
    x, y = next(iter(train))
    assert x.shape == (4, 3, 32, 32) and x.dtype == np.float32  # resnet8's 32×32 input
    assert next(iter(val))[0].shape[1:] == (3, 32, 32)


def test_train_cli_on_an_image_folder(tmp_path, capsys):
    data = _jpeg_tree(tmp_path / "data")
    code = main(["train", "resnet8", "--data", "imagefolder", "--data-dir", str(data),
                 "--workers", "2", "--epochs", "1", "--batch-size", "8", "--lr", "0.05",
                 "--name", "r", "--out", str(tmp_path / "runs"), "--no-progress"])
    assert code == 0, capsys.readouterr().err
    run = tmp_path / "runs" / "r"
    saved = json.loads((run / "config.json").read_text())
    assert saved["data"] == "imagefolder" and saved["workers"] == 2
    result = json.loads((run / "test.json").read_text())
    assert result["final"]["acc1"] >= 0.75                    # bright vs dark is learned
    assert os.path.getsize(run / "metrics.csv") > 0
