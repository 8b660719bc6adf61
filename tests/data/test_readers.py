"""Readers on small files written here in the real formats: IDX (raw and gzipped), CIFAR
python and binary batches, image folders; and their corrupted, truncated, mismatched and
malicious variants."""
import gzip
import os
import pickle
import struct

import numpy as np
import pytest

from gradwork.data import (
    CIFAR10,
    CIFAR100,
    MNIST,
    FashionMNIST,
    InMemoryImageFolder,
    load_dataset,
    read_idx,
)


# ------------------------------------------------------------------ IDX (MNIST, Fashion-MNIST)
def _idx_bytes(array):
    code = {np.uint8: 0x08, np.int32: 0x0C}[array.dtype.type]
    head = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return head + array.astype(array.dtype.newbyteorder(">")).tobytes()


def _write_idx_set(folder, n_train=12, n_test=5, compress=True, seed=0):
    rng = np.random.default_rng(seed)
    os.makedirs(folder, exist_ok=True)
    out = {}
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, n).astype(np.uint8)
        for kind, arr in (("images-idx3-ubyte", images), ("labels-idx1-ubyte", labels)):
            data = _idx_bytes(arr)
            name = f"{prefix}-{kind}" + (".gz" if compress else "")
            with open(os.path.join(folder, name), "wb") as f:
                f.write(gzip.compress(data) if compress else data)
        out[prefix] = (images, labels)
    return out


@pytest.mark.parametrize("compress", [True, False])
def test_mnist_idx_files(tmp_path, compress):
    expected = _write_idx_set(tmp_path, compress=compress)
    train, test = MNIST(str(tmp_path), train=True), MNIST(str(tmp_path), train=False)
    np.testing.assert_array_equal(train.data, expected["train"][0])
    np.testing.assert_array_equal(test.targets, expected["t10k"][1])
    fashion = FashionMNIST(str(tmp_path))
    assert len(fashion) == 12 and fashion.classes[0] == "T-shirt/top"
    assert len(load_dataset("mnist", str(tmp_path))[1]) == 5


def test_read_idx_other_dtypes(tmp_path):
    arr = np.arange(-3, 9, dtype=np.int32).reshape(3, 4)
    path = tmp_path / "x.idx"
    path.write_bytes(_idx_bytes(arr))
    np.testing.assert_array_equal(read_idx(str(path)), arr)


def _corrupt(tmp_path, name, transform):
    path = tmp_path / name
    path.write_bytes(transform(path.read_bytes()))
    return str(path)


def test_truncated_idx_names_the_file(tmp_path):
    _write_idx_set(tmp_path, compress=False)
    bad = _corrupt(tmp_path, "train-images-idx3-ubyte", lambda b: b[:-100])
    with pytest.raises(ValueError, match=f"{bad}: truncated"):
        MNIST(str(tmp_path))


def test_corrupt_gzip_names_the_file(tmp_path):
    _write_idx_set(tmp_path)
    bad = _corrupt(tmp_path, "train-labels-idx1-ubyte.gz", lambda b: b[:len(b) // 2])
    with pytest.raises(ValueError, match=f"{bad}: corrupt or truncated gzip"):
        MNIST(str(tmp_path))


def test_bad_magic_and_label_count(tmp_path):
    _write_idx_set(tmp_path, compress=False)
    bad = _corrupt(tmp_path, "t10k-images-idx3-ubyte", lambda b: b"PK\x03\x04" + b[4:])
    with pytest.raises(ValueError, match=f"{bad}: not an IDX file"):
        MNIST(str(tmp_path), train=False)
    labels = np.zeros(11, np.uint8)                 # 12 images, 11 labels
    (tmp_path / "train-labels-idx1-ubyte").write_bytes(_idx_bytes(labels))
    with pytest.raises(ValueError, match="11.*labels for the 12 images"):
        MNIST(str(tmp_path))


def test_missing_folder_and_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        MNIST(str(tmp_path / "nope"))
    with pytest.raises(FileNotFoundError, match="train-images-idx3-ubyte"):
        MNIST(str(tmp_path))


# ------------------------------------------------------------------ CIFAR
def _cifar_arrays(n, classes, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, 3072), dtype=np.uint8), rng.integers(0, classes, n)


def _write_cifar10_python(root, n=4):
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    batches = {}
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        data, labels = _cifar_arrays(n, 10, seed=len(batches))
        entry = {b"batch_label": name.encode(), b"labels": labels.tolist(), b"data": data,
                 b"filenames": [b"img%d.png" % i for i in range(n)]}
        (folder / name).write_bytes(pickle.dumps(entry, protocol=2))
        batches[name] = (data, labels)
    return batches


def test_cifar10_python_version(tmp_path):
    batches = _write_cifar10_python(tmp_path)
    train, test = CIFAR10(str(tmp_path)), CIFAR10(str(tmp_path), train=False)
    assert train.data.shape == (20, 32, 32, 3) and len(test) == 4
    data, labels = batches["data_batch_2"]
    np.testing.assert_array_equal(train.data[4:8], data.reshape(4, 3, 32, 32).transpose(0, 2, 3, 1))
    np.testing.assert_array_equal(train.targets[4:8], labels)
    assert train.classes[0] == "airplane"
    x, _ = load_dataset("cifar10", str(tmp_path), augment=True)[0].get_batch(range(3))
    assert x.shape == (3, 3, 32, 32)


class _Exploit:
    def __reduce__(self):
        return (os.system, ("touch pwned",))


def test_malicious_cifar_pickle_does_not_run_code(tmp_path, monkeypatch):
    _write_cifar10_python(tmp_path)
    monkeypatch.chdir(tmp_path)
    entry = {b"data": np.zeros((1, 3072), np.uint8), b"labels": [0], b"x": _Exploit()}
    bad = tmp_path / "cifar-10-batches-py" / "test_batch"
    bad.write_bytes(pickle.dumps(entry, protocol=2))
    with pytest.raises(ValueError, match=r"test_batch: unsafe pickle.*(posix|os)\.system"):
        CIFAR10(str(tmp_path), train=False)
    assert not (tmp_path / "pwned").exists()


def test_truncated_and_mismatched_cifar_python(tmp_path):
    _write_cifar10_python(tmp_path)
    path = tmp_path / "cifar-10-batches-py" / "data_batch_3"
    path.write_bytes(path.read_bytes()[:500])
    with pytest.raises(ValueError, match="data_batch_3: corrupt or truncated pickle"):
        CIFAR10(str(tmp_path))
    data, labels = _cifar_arrays(4, 10)
    path.write_bytes(pickle.dumps({b"data": data, b"labels": labels[:3].tolist()}, protocol=2))
    with pytest.raises(ValueError, match="data_batch_3: 3 labels for 4 images"):
        CIFAR10(str(tmp_path))


def _write_binary(path, images, *label_columns):
    rows = np.concatenate([np.stack(label_columns, axis=1).astype(np.uint8), images], axis=1)
    path.write_bytes(rows.tobytes())


def test_cifar10_and_100_binary_versions(tmp_path):
    folder = tmp_path / "cifar-10-batches-bin"
    folder.mkdir()
    for name in [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]:
        data, labels = _cifar_arrays(3, 10)
        _write_binary(folder / name, data, labels)
    test = CIFAR10(str(tmp_path), train=False)
    np.testing.assert_array_equal(test.targets, labels)
    np.testing.assert_array_equal(test.data[1, :, :, 0], data[1, :1024].reshape(32, 32))

    folder100 = tmp_path / "cifar-100-binary"
    folder100.mkdir()
    data, fine = _cifar_arrays(6, 100, seed=3)
    coarse = fine // 5
    for name in ("train.bin", "test.bin"):
        _write_binary(folder100 / name, data, coarse, fine)
    np.testing.assert_array_equal(CIFAR100(str(tmp_path)).targets, fine)

    (folder100 / "test.bin").write_bytes((folder100 / "test.bin").read_bytes()[:-7])
    with pytest.raises(ValueError, match="test.bin: .* not a whole number of 3074-byte records"):
        CIFAR100(str(tmp_path), train=False)


def test_cifar100_python_version_and_missing_layout(tmp_path):
    folder = tmp_path / "cifar-100-python"
    folder.mkdir()
    data, fine = _cifar_arrays(5, 100)
    for name in ("train", "test"):
        entry = {b"data": data, b"fine_labels": fine.tolist(),
                 b"coarse_labels": (fine // 5).tolist()}
        (folder / name).write_bytes(pickle.dumps(entry, protocol=4))
    np.testing.assert_array_equal(CIFAR100(str(tmp_path), train=False).targets, fine)
    with pytest.raises(FileNotFoundError, match="cifar-10-batches-py/data_batch_1"):
        CIFAR10(str(tmp_path))


def test_cifar_label_out_of_range(tmp_path):
    folder = tmp_path / "cifar-10-batches-bin"
    folder.mkdir()
    data, labels = _cifar_arrays(2, 10)
    for name in [f"data_batch_{i}.bin" for i in range(1, 6)]:
        _write_binary(folder / name, data, np.array([3, 12]))
    with pytest.raises(ValueError, match=r"labels must be in \[0, 10\), got 3..12"):
        CIFAR10(str(tmp_path))


# ------------------------------------------------------------------ image folders
def _write_folder(root, sizes=None, classes=("cat", "dog"), per_class=5):
    from PIL import Image
    rng = np.random.default_rng(0)
    for c in classes:
        (root / c).mkdir(parents=True)
        for i in range(per_class):
            h, w = (sizes or {}).get((c, i), (8, 10))
            Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)).save(
                root / c / f"{i}.png")


def test_image_folder(tmp_path):
    _write_folder(tmp_path)
    ds = InMemoryImageFolder(str(tmp_path))
    assert ds.classes == ["cat", "dog"] and ds.data.shape == (10, 8, 10, 3)
    assert ds.targets.tolist() == [0] * 5 + [1] * 5
    train, test = load_dataset("folder", str(tmp_path))
    assert (len(train), len(test)) == (8, 2) and sorted(test.targets.tolist()) == [0, 1]
    x, _ = load_dataset("folder", str(tmp_path), augment=True)[0].get_batch(range(2))
    assert x.shape == (2, 3, 8, 10)


def test_image_folder_errors(tmp_path):
    _write_folder(tmp_path, sizes={("dog", 2): (9, 10)})
    with pytest.raises(ValueError, match=r"dog/2.png: size \(9, 10\) differs"):
        InMemoryImageFolder(str(tmp_path))
    assert InMemoryImageFolder(str(tmp_path), size=(6, 6)).data.shape == (10, 6, 6, 3)
    (tmp_path / "dog" / "3.png").write_bytes(b"not a png")
    with pytest.raises(ValueError, match="3.png: not a readable image"):
        InMemoryImageFolder(str(tmp_path), size=6)
    (tmp_path / "empty").mkdir()
    (tmp_path / "dog" / "3.png").unlink()
    with pytest.raises(FileNotFoundError, match="class 'empty' has no images"):
        InMemoryImageFolder(str(tmp_path), size=6)
    with pytest.raises(FileNotFoundError, match="no class sub-folders"):
        InMemoryImageFolder(str(tmp_path / "empty"))
