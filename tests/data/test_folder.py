"""The streaming ImageFolder: torchvision's layout rules, lazy decoding in DataLoader workers,
corrupt files skipped or refused without hanging the loader, and the ImageNet transforms on
real sample images (foolbox's, when installed)."""
import copy
import io
import os
import pickle
import shutil
import threading
import warnings

import numpy as np
import pytest
from PIL import Image

from gradwork.data import DataLoader, DatasetFolder, ImageFolder
from gradwork.data import transforms as T
from gradwork.data.folder import IMG_EXTENSIONS, make_dataset
from gradwork.errors import DataFormatError


def _save(path, h=6, w=8, seed=0, fmt=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)).save(path, format=fmt)


def _tree(root, per_class=3):
    """cat/ and dog/ with PNG and JPEG images of different sizes."""
    for c, cls in enumerate(("dog", "cat")):
        for i in range(per_class):
            ext = ".png" if i % 2 else ".jpg"
            _save(root / cls / f"{i}{ext}", h=6 + i, w=8 + c, seed=10 * c + i)
    return root


def test_layout_and_class_rules(tmp_path):
    _tree(tmp_path)
    _save(tmp_path / "dog" / "deep" / "x.PNG", seed=5)       # nested, upper-case extension
    (tmp_path / "dog" / "notes.txt").write_text("not an image")
    _save(tmp_path / "cat" / "anim.gif", fmt="GIF")          # not in torchvision's list
    _save(tmp_path / ".hidden" / "a.png")                    # torchvision: a class like any
    ds = ImageFolder(str(tmp_path))
    assert ds.classes == [".hidden", "cat", "dog"]
    assert ds.class_to_idx == {".hidden": 0, "cat": 1, "dog": 2}
    rel = [(os.path.relpath(p, tmp_path), t) for p, t in ds.samples]
    assert rel == [(".hidden/a.png", 0), ("cat/0.jpg", 1), ("cat/1.png", 1), ("cat/2.jpg", 1),
                   ("dog/0.jpg", 2), ("dog/1.png", 2), ("dog/2.jpg", 2), ("dog/deep/x.PNG", 2)]
    assert ds.targets == [t for _, t in ds.samples] and ds.imgs is ds.samples
    assert len(ds) == 8 and ".webp" in IMG_EXTENSIONS and ".gif" not in IMG_EXTENSIONS
    img, target = ds[1]
    assert isinstance(img, Image.Image) and img.mode == "RGB" and img.size == (9, 6)
    assert target == 1


def test_is_valid_file_allow_empty_and_errors(tmp_path):
    _tree(tmp_path)
    ds = ImageFolder(str(tmp_path), is_valid_file=lambda p: p.endswith("1.png"))
    assert [os.path.basename(p) for p, _ in ds.samples] == ["1.png", "1.png"]
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="Found no valid file for the classes empty. "
                       "Supported extensions are: .jpg, .jpeg"):
        ImageFolder(str(tmp_path))
    ds = ImageFolder(str(tmp_path), allow_empty=True, target_transform=lambda t: t * 10)
    assert ds.classes == ["cat", "dog", "empty"] and ds[5][1] == 10
    with pytest.raises(ValueError, match="Both extensions and is_valid_file cannot be None"):
        make_dataset(str(tmp_path), ds.class_to_idx)
    with pytest.raises(FileNotFoundError, match="Couldn't find any class folder"):
        ImageFolder(str(tmp_path / "empty"))
    with pytest.raises(FileNotFoundError, match="does not exist"):
        ImageFolder(str(tmp_path / "nowhere"))
    with pytest.raises(IndexError, match="index 6 out of range for 6 samples"):
        ds[6]


def test_decoding_is_lazy_and_generic_loader(tmp_path):
    _tree(tmp_path)
    (tmp_path / "cat" / "3.png").write_bytes(b"\x89PNG garbage")
    ds = ImageFolder(str(tmp_path))                          # nothing decoded yet
    assert len(ds) == 7
    with pytest.raises(DataFormatError, match=r"cat/3.png: not a readable image"):
        ds[3]
    npy = DatasetFolder(str(tmp_path), loader=lambda p: os.path.getsize(p),
                        extensions=(".jpg",))
    assert [t for _, t in npy.samples] == [0, 0, 1, 1] and npy[0][0] > 0


def _loader_items(ds, workers, **kw):
    loader = DataLoader(ds, batch_size=2, num_workers=workers, seed=3, timeout=60, **kw)
    return [(x.numpy(), y.numpy()) for x, y in loader]


def test_workers_decode_and_repeat_the_batches(tmp_path):
    _tree(tmp_path, per_class=4)
    train = T.Compose([T.RandomResizedCrop(8), T.RandomHorizontalFlip(), T.ColorJitter(0.4, 0.4,
                       0.4, 0.1), T.ToTensor(), T.Lighting(0.1), T.Normalize(T.IMAGENET_MEAN,
                                                                             T.IMAGENET_STD)])
    ds = ImageFolder(str(tmp_path), transform=train)
    two = _loader_items(ds, 2, shuffle=True)
    zero = _loader_items(ds, 0, shuffle=True)
    assert len(two) == 4 and two[0][0].shape == (2, 3, 8, 8) and two[0][0].dtype == np.float32
    for (x2, y2), (x0, y0) in zip(two, zero):
        assert np.array_equal(x2, x0) and np.array_equal(y2, y0)
    assert sorted(np.concatenate([y for _, y in two]).tolist()) == [0] * 4 + [1] * 4


def _corrupt_tree(root):
    _tree(root, per_class=4)
    buf = io.BytesIO()
    Image.fromarray(np.random.default_rng(9).integers(0, 256, (64, 64, 3), np.uint8)).save(
        buf, format="JPEG")
    (root / "cat" / "1b_truncated.jpg").write_bytes(buf.getvalue()[:len(buf.getvalue()) // 2])
    (root / "dog" / "2b_garbage.png").write_bytes(os.urandom(300))
    return root


def _within(seconds, fn):
    """fn() run on a thread: its result, or a failure if it has not finished in time."""
    box = {}

    def run():
        try:
            box["value"] = fn()
        except BaseException as e:             # handed to the test's thread
            box["error"] = e
    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(seconds)
    assert not t.is_alive(), f"the DataLoader did not finish within {seconds} s"
    if "error" in box:
        raise box["error"]
    return box["value"]


def test_corrupt_files_skipped_in_workers(tmp_path):
    _corrupt_tree(tmp_path)
    ds = ImageFolder(str(tmp_path), transform=T.Compose([T.Resize((5, 5)), T.ToTensor()]),
                     on_error="skip")
    batches = _within(60, lambda: _loader_items(ds, 2))
    assert len(ds) == 10 and len(batches) == 5
    assert all(x.shape == (2, 3, 5, 5) for x, _ in batches)        # batches keep their size
    assert ds.skipped == 2                                          # counted across workers
    assert sorted(os.path.basename(p) for p in ds.skipped_files) == ["1b_truncated.jpg",
                                                                     "2b_garbage.png"]
    ys = np.concatenate([y for _, y in batches]).tolist()
    assert ys.count(0) == 5 and ys.count(1) == 5    # each replaced by the next, same class
    with warnings.catch_warnings():
        warnings.simplefilter("error")                              # known bad: no new warning
        _, y = ds[2]
    assert y == 0 and copy.copy(ds).skipped == 2
    assert pickle.loads(pickle.dumps(ds)).skipped == 2


def test_corrupt_file_skip_warns_in_process(tmp_path):
    _corrupt_tree(tmp_path)
    ds = ImageFolder(str(tmp_path), on_error="skip")
    with pytest.warns(UserWarning, match="ImageFolder: skipping .*1b_truncated.jpg"):
        img, y = ds[2]
    assert img.size == (9, 8) and y == 0 and ds.skipped == 1      # cat/2.jpg instead


def test_corrupt_files_refused_in_workers(tmp_path):
    _corrupt_tree(tmp_path)
    ds = ImageFolder(str(tmp_path), transform=T.Compose([T.Resize((5, 5)), T.ToTensor()]))
    with pytest.raises(RuntimeError, match=r"(1b_truncated.jpg|2b_garbage.png): not a "
                       "readable image"):               # whichever worker reports first
        _within(60, lambda: _loader_items(ds, 2))
    with pytest.raises(DataFormatError, match=r"1b_truncated.jpg: not a readable image"):
        ds[2]
    with pytest.raises(DataFormatError, match=r"2b_garbage.png: not a readable image"):
        ds[8]


def test_skip_count_shared_with_spawned_workers(tmp_path):
    _corrupt_tree(tmp_path)
    ds = ImageFolder(str(tmp_path), transform=T.Compose([T.Resize((4, 4)), T.ToTensor()]),
                     on_error="skip")
    batches = _within(120, lambda: _loader_items(ds, 1, multiprocessing_context="spawn"))
    assert len(batches) == 5 and ds.skipped == 2


# ------------------------------------------------------------------ real sample images
def _foolbox_samples():
    try:
        import foolbox
    except Exception as e:      # foolbox needs eagerpy etc.; installed --no-deps it may fail
        import importlib.util
        spec = importlib.util.find_spec("foolbox")
        if spec is None or not spec.submodule_search_locations:
            pytest.skip(f"foolbox (3.3.4, sample images) is not installed: {e}")
        folder = os.path.join(list(spec.submodule_search_locations)[0], "data")
    else:
        folder = os.path.join(os.path.dirname(foolbox.__file__), "data")
    if not os.path.isdir(folder):
        pytest.skip(f"foolbox has no sample images in {folder}")
    return folder


def _lay_out(src, dst, prefix, count):
    """foolbox's `<set>_<nn>_<label>.<ext>` files as dst/<label>/<file>; the labels."""
    names = sorted(f for f in os.listdir(src) if f.startswith(prefix + "_"))[:count]
    labels = []
    for f in names:
        label = os.path.splitext(f)[0].rsplit("_", 1)[1]
        os.makedirs(dst / label, exist_ok=True)
        shutil.copy(os.path.join(src, f), dst / label / f)
        labels.append(label)
    return names, labels


def test_imagenet_samples_through_workers(tmp_path):
    src = _foolbox_samples()
    names, labels = _lay_out(src, tmp_path / "imagenet", "imagenet", 8)
    train = T.Compose([T.RandomResizedCrop(56), T.RandomHorizontalFlip(),
                       T.ColorJitter(0.4, 0.4, 0.4), T.ToTensor(), T.Lighting(0.1),
                       T.Normalize(T.IMAGENET_MEAN, T.IMAGENET_STD)])
    ds = ImageFolder(str(tmp_path / "imagenet"), transform=train)
    assert ds.classes == sorted(set(labels)) and len(ds) == 8
    by_file = {os.path.basename(p): ds.classes[t] for p, t in ds.samples}
    assert by_file == dict(zip(names, labels))               # labels from the file names
    batches = _within(120, lambda: _loader_items(ds, 2, shuffle=True))
    x = np.concatenate([b for b, _ in batches])
    assert x.shape == (8, 3, 56, 56) and np.isfinite(x).all() and x.std() > 0.3
    again = _loader_items(ds, 0, shuffle=True)
    assert all(np.array_equal(a, b) for (a, _), (b, _) in zip(batches, again))
    evaluate = T.Compose([T.Resize(64), T.CenterCrop(56)])
    img = Image.open(ds.samples[0][0]).convert("RGB")        # 512 × 512 JPEG
    ref = img.resize((64, 64), Image.BILINEAR).crop((4, 4, 60, 60))
    assert np.array_equal(np.asarray(evaluate(img)), np.asarray(ref))


def test_grayscale_samples_become_rgb(tmp_path):
    src = _foolbox_samples()
    _lay_out(src, tmp_path / "mnist", "mnist", 6)
    ds = ImageFolder(str(tmp_path / "mnist"), transform=T.ToTensor())
    x, _ = ds[0]
    assert x.shape == (3, 28, 28) and np.array_equal(x[0], x[1])
