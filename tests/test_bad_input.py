"""The bad-input catalogue: one named case per bad input a user can hand gradwork, with the
error class it must raise (one of gradwork.errors' named classes, or the built-in PyTorch
raises there) and the words its message must contain: the public name, the argument, what
was expected and what came."""
import gzip
import math
import pickle
import struct
import zlib

import numpy as np
import pytest

import gradwork as gw
import gradwork.nn as nn
import gradwork.nn.functional as F
from gradwork import optim
from gradwork.data import (
    CIFAR10,
    DataLoader,
    ImageFolder,
    InMemoryImageFolder,
    TensorDataset,
    read_idx,
)
from gradwork.errors import ArgumentError, DataFormatError, DTypeError, NonFiniteError, ShapeError
from gradwork.optim import lr_scheduler

NAN, INF = float("nan"), float("inf")


def _ints(*shape):
    return gw.tensor(np.ones(shape, np.int64))


def _param():
    return [nn.Parameter(np.zeros(2, np.float32))]


def _sched(cls, *args, **kw):
    return lambda tmp: cls(optim.SGD(_param(), lr=0.1), *args, **kw)


def _clip_nan(tmp):
    p = nn.Parameter(np.zeros(3, np.float32))
    p.grad = gw.tensor(np.array([1.0, NAN, 2.0], np.float32))
    return nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)


def _file(name, data):
    def write(tmp):
        path = tmp / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return str(path)
    return write


def _idx(data, name="x-idx1-ubyte", **kw):
    return lambda tmp: read_idx(_file(name, data)(tmp), **kw)


def _cifar(name, data):
    sub = "cifar-10-batches-py" if name == "test_batch" else "cifar-10-batches-bin"
    return lambda tmp: (_file(f"{sub}/{name}", data)(tmp), CIFAR10(str(tmp), train=False))


def _safetensors(header, data=b""):
    head = header if isinstance(header, bytes) else header.encode()
    raw = struct.pack("<Q", len(head)) + head + data
    return lambda tmp: gw.load(_file("w.safetensors", raw)(tmp))


def _png_header(width, height):
    """A grayscale PNG that declares width × height pixels and holds one row."""
    def chunk(kind, data):
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0\0")) \
        + chunk(b"IEND", b"")


def _image_folder(data, **kw):
    return lambda tmp: (_file("cls/a.png", data)(tmp), InMemoryImageFolder(str(tmp), **kw))


def _streamed_image(data, **kw):
    """The streaming reader decodes in __getitem__: the same checks, when the sample is read."""
    return lambda tmp: (_file("cls/a.png", data)(tmp), ImageFolder(str(tmp), **kw)[0])


_BOMB = gzip.compress(bytes([0, 0, 8, 1]) + struct.pack(">I", 4) + bytes(1 << 20))
_HUGE_IDX = bytes([0, 0, 8, 3]) + struct.pack(">3I", 1 << 16, 1 << 16, 1 << 16) + bytes(10)

CASES = [
    # ---- integer input into floating layers: PyTorch's dtype errors, no silent promotion
    ("Linear int64 input", lambda t: nn.Linear(3, 4)(_ints(2, 3)), DTypeError,
     ["linear", "mat1 and mat2 must have the same dtype", "Long and Float"]),
    ("Linear int32 input", lambda t: F.linear(gw.tensor(np.ones((2, 3), np.int32)),
                                              gw.randn(4, 3)), DTypeError, ["Int and Float"]),
    ("Linear bool input", lambda t: nn.Linear(3, 4)(gw.tensor(np.ones((2, 3), bool))),
     DTypeError, ["Bool and Float"]),
    ("Conv2d int64 input", lambda t: nn.Conv2d(3, 4, 3)(_ints(1, 3, 5, 5)), DTypeError,
     ["conv2d", "Input type (Long) and weight type (Float) should be the same"]),
    ("Conv1d int64 input", lambda t: nn.Conv1d(3, 4, 3)(_ints(1, 3, 5)), DTypeError,
     ["conv1d", "Input type (Long)"]),
    ("ConvTranspose2d int64 input", lambda t: nn.ConvTranspose2d(3, 4, 3)(_ints(1, 3, 5, 5)),
     DTypeError, ["conv_transpose2d", "Long"]),
    ("RNN int64 input", lambda t: nn.RNN(3, 4)(_ints(2, 1, 3)), DTypeError,
     ["RNN", "int64", "float32"]),
    ("LSTM int64 input", lambda t: nn.LSTM(3, 4)(_ints(2, 1, 3)), DTypeError, ["LSTM", "int64"]),
    ("GRU int64 input", lambda t: nn.GRU(3, 4)(_ints(2, 1, 3)), DTypeError, ["GRU", "int64"]),
    ("BatchNorm1d int64 input", lambda t: nn.BatchNorm1d(3)(_ints(2, 3)), DTypeError,
     ["batch_norm", "not implemented for 'Long'"]),
    # ---- layer arguments: one rule (gradwork.errors), the layer and argument named
    ("Linear in_features 0", lambda t: nn.Linear(0, 3), ArgumentError,
     ["Linear: in_features must be a positive integer, got 0"]),
    ("Linear out_features 2.5", lambda t: nn.Linear(3, 2.5), ArgumentError,
     ["Linear: out_features", "got 2.5"]),
    ("Conv2d out_channels 0", lambda t: nn.Conv2d(3, 0, 3), ArgumentError,
     ["Conv2d", "out_channels must be a positive integer"]),
    ("conv2d groups 0", lambda t: F.conv2d(gw.randn(1, 3, 5, 5), gw.randn(3, 3, 3, 3), groups=0),
     ArgumentError, ["conv2d: groups must be a positive integer, got 0"]),
    ("Embedding dim 0", lambda t: nn.Embedding(10, 0), ArgumentError,
     ["Embedding: embedding_dim must be a positive integer"]),
    ("LSTM hidden_size 0", lambda t: nn.LSTM(3, 0), ArgumentError,
     ["LSTM: hidden_size must be a positive integer"]),
    ("GRU dropout 1.5", lambda t: nn.GRU(3, 4, dropout=1.5), ArgumentError,
     ["GRU: dropout must be in [0, 1], got 1.5"]),
    ("BatchNorm2d num_features 0", lambda t: nn.BatchNorm2d(0), ArgumentError,
     ["BatchNorm2d: num_features must be a positive integer"]),
    ("BatchNorm2d momentum 1.5", lambda t: nn.BatchNorm2d(3, momentum=1.5), ArgumentError,
     ["BatchNorm2d: momentum must be in [0, 1], got 1.5"]),
    ("BatchNorm2d eps 0", lambda t: nn.BatchNorm2d(3, eps=0), ArgumentError,
     ["BatchNorm2d: eps must be a finite number > 0, got 0"]),
    ("Dropout p 1.5", lambda t: nn.Dropout(1.5), ArgumentError, ["dropout: p must be in [0, 1]"]),
    ("dropout p nan", lambda t: F.dropout(gw.randn(3), NAN), ArgumentError,
     ["dropout: p must be a finite number, got nan"]),
    ("split split_size 0", lambda t: gw.randn(4).split(0), ArgumentError,
     ["split: split_size must be a positive integer, got 0"]),
    ("set_num_threads 0", lambda t: gw.set_num_threads(0), ArgumentError,
     ["set_num_threads: n must be a positive integer, got 0"]),
    ("DataLoader batch_size 0",
     lambda t: DataLoader(TensorDataset(np.zeros((2, 1))), batch_size=0), ArgumentError,
     ["DataLoader: batch_size must be a positive integer, got 0"]),
    ("DataLoader seed -1", lambda t: DataLoader(TensorDataset(np.zeros((2, 1))), seed=-1),
     ArgumentError, ["DataLoader: seed must be a non-negative integer, got -1"]),
    # ---- losses
    ("mse_loss (N, 1) vs (N,)", lambda t: F.mse_loss(gw.randn(4, 1), gw.randn(4)), ShapeError,
     ["mse_loss", "target size (4,)", "input size (4, 1)"]),
    ("l1_loss (N,) vs (N, 1)", lambda t: F.l1_loss(gw.randn(4), gw.randn(4, 1)), ShapeError,
     ["l1_loss", "target size (4, 1)", "input size (4,)"]),
    ("huber_loss shapes", lambda t: F.huber_loss(gw.randn(3, 2), gw.randn(2)), ShapeError,
     ["huber_loss", "(2,)", "(3, 2)"]),
    ("mse_loss reduction 'avg'", lambda t: F.mse_loss(gw.randn(2), gw.randn(2), reduction="avg"),
     ArgumentError, ["mse_loss: reduction must be one of 'none', 'mean', 'sum', got 'avg'"]),
    ("cross_entropy label_smoothing 1.5",
     lambda t: F.cross_entropy(gw.randn(2, 3), gw.tensor(np.array([0, 1])), label_smoothing=1.5),
     ArgumentError, ["cross_entropy: label_smoothing must be in [0, 1], got 1.5"]),
    # ---- gradient clipping
    ("clip_grad_norm_ NaN norm", _clip_nan, NonFiniteError,
     ["The total norm of order 2.0 for gradients from `parameters` is non-finite",
      "error_if_nonfinite=False"]),
    ("clip_grad_norm_ max_norm -1", lambda t: nn.utils.clip_grad_norm_(_param(), -1.0),
     ArgumentError, ["clip_grad_norm_: max_norm must be a finite number >= 0, got -1.0"]),
    # ---- optimisers: PyTorch's ValueError wording, NaN and inf refused too
    ("SGD lr -1", lambda t: optim.SGD(_param(), lr=-1), ArgumentError,
     ["SGD: Invalid learning rate: -1", "lr must be a finite number >= 0"]),
    ("SGD lr nan", lambda t: optim.SGD(_param(), lr=NAN), ArgumentError,
     ["SGD: Invalid learning rate: nan"]),
    ("SGD lr inf", lambda t: optim.SGD(_param(), lr=INF), ArgumentError,
     ["SGD: Invalid learning rate: inf"]),
    ("SGD momentum -0.5", lambda t: optim.SGD(_param(), lr=0.1, momentum=-0.5), ArgumentError,
     ["SGD: Invalid momentum value: -0.5"]),
    ("SGD weight_decay -1e-4", lambda t: optim.SGD(_param(), lr=0.1, weight_decay=-1e-4),
     ArgumentError, ["SGD: Invalid weight_decay value: -0.0001"]),
    ("SGD nesterov without momentum", lambda t: optim.SGD(_param(), lr=0.1, nesterov=True),
     ArgumentError, ["SGD: Nesterov momentum requires a momentum and zero dampening"]),
    ("Adam eps 0", lambda t: optim.Adam(_param(), eps=0), ArgumentError,
     ["Adam: Invalid epsilon value: 0", "eps must be a finite number > 0"]),
    ("Adam beta1 1.0", lambda t: optim.Adam(_param(), betas=(1.0, 0.999)), ArgumentError,
     ["Adam: Invalid beta parameter at index 0: 1.0", "in [0, 1)"]),
    ("Adam beta2 -0.1", lambda t: optim.Adam(_param(), betas=(0.9, -0.1)), ArgumentError,
     ["Invalid beta parameter at index 1: -0.1"]),
    ("Adam betas of one", lambda t: optim.Adam(_param(), betas=(0.9,)), ArgumentError,
     ["Adam: betas must be a pair (beta1, beta2)"]),
    ("AdamW lr nan", lambda t: optim.AdamW(_param(), lr=NAN), ArgumentError,
     ["AdamW: Invalid learning rate: nan"]),
    ("RMSprop alpha 1.5", lambda t: optim.RMSprop(_param(), alpha=1.5), ArgumentError,
     ["RMSprop: Invalid alpha value: 1.5", "in [0, 1]"]),
    ("RMSprop eps 0", lambda t: optim.RMSprop(_param(), eps=0.0), ArgumentError,
     ["RMSprop: Invalid epsilon value: 0.0"]),
    ("param group lr -1", lambda t: optim.SGD([{"params": _param(), "lr": -1}], lr=0.1),
     ArgumentError, ["SGD: Invalid learning rate: -1"]),
    # ---- schedulers
    ("StepLR step_size 0", _sched(lr_scheduler.StepLR, 0), ArgumentError,
     ["StepLR: step_size must be a positive integer, got 0"]),
    ("StepLR gamma nan", _sched(lr_scheduler.StepLR, 2, gamma=NAN), ArgumentError,
     ["StepLR: gamma must be a finite number, got nan"]),
    ("MultiStepLR milestone 2.5", _sched(lr_scheduler.MultiStepLR, [2.5]), ArgumentError,
     ["MultiStepLR: each of milestones must be a non-negative integer, got 2.5"]),
    ("ExponentialLR gamma 0", _sched(lr_scheduler.ExponentialLR, 0.0), ArgumentError,
     ["ExponentialLR: gamma must be a finite number > 0, got 0.0"]),
    ("CosineAnnealingLR T_max 0", _sched(lr_scheduler.CosineAnnealingLR, 0), ArgumentError,
     ["CosineAnnealingLR: T_max must be a positive integer, got 0"]),
    ("CosineAnnealingLR eta_min -1", _sched(lr_scheduler.CosineAnnealingLR, 5, eta_min=-1),
     ArgumentError, ["CosineAnnealingLR: eta_min must be a finite number >= 0, got -1"]),
    ("ReduceLROnPlateau factor 1.0", _sched(lr_scheduler.ReduceLROnPlateau, factor=1.0),
     ArgumentError, ["ReduceLROnPlateau: Factor should be < 1.0", "got 1.0"]),
    ("ReduceLROnPlateau factor -0.5", _sched(lr_scheduler.ReduceLROnPlateau, factor=-0.5),
     ArgumentError, ["factor must be in [0, 1), got -0.5"]),
    ("ReduceLROnPlateau mode 'up'", _sched(lr_scheduler.ReduceLROnPlateau, mode="up"),
     ArgumentError, ["ReduceLROnPlateau: mode must be one of 'min', 'max', got 'up'"]),
    ("ReduceLROnPlateau patience -1", _sched(lr_scheduler.ReduceLROnPlateau, patience=-1),
     ArgumentError, ["ReduceLROnPlateau: patience must be a non-negative integer, got -1"]),
    ("ReduceLROnPlateau min_lr nan", _sched(lr_scheduler.ReduceLROnPlateau, min_lr=NAN),
     ArgumentError, ["ReduceLROnPlateau: min_lr must be a finite number, got nan"]),
    # ---- IDX files
    ("IDX bad magic", _idx(b"PK\x03\x04rest"), DataFormatError,
     ["x-idx1-ubyte: not an IDX file (bad magic number 504b0304)"]),
    ("IDX empty", _idx(b""), DataFormatError, ["not an IDX file", "empty"]),
    ("IDX truncated header", _idx(bytes([0, 0, 8, 3, 0, 0])), DataFormatError,
     ["truncated IDX header (6 bytes, 16 expected)"]),
    ("IDX truncated data", _idx(bytes([0, 0, 8, 1]) + struct.pack(">I", 10) + bytes(4)),
     DataFormatError, ["truncated: shape (10,) needs 10 bytes of data, found 4"]),
    ("IDX too long", _idx(bytes([0, 0, 8, 1]) + struct.pack(">I", 2) + bytes(4)),
     DataFormatError, ["too long: shape (2,) needs 2 bytes of data, found 4"]),
    ("IDX declares 256 TiB", _idx(_HUGE_IDX), DataFormatError,
     ["declares shape (65536, 65536, 65536)", "MAX_IDX_BYTES"]),
    ("IDX over max_bytes", _idx(bytes([0, 0, 8, 1]) + struct.pack(">I", 100) + bytes(100),
                                max_bytes=50), DataFormatError, ["100 bytes", "50-byte limit"]),
    ("gzip IDX bomb", _idx(_BOMB, "bomb-idx1-ubyte.gz"), DataFormatError,
     ["too long (gzipped): shape (4,) needs 4 bytes"]),
    ("gzip IDX truncated", _idx(gzip.compress(bytes([0, 0, 8, 1]) + struct.pack(">I", 9)
                                              + bytes(9))[:-12], "t-idx1-ubyte.gz"),
     DataFormatError, ["corrupt or truncated gzip file"]),
    # ---- CIFAR batches
    ("CIFAR pickle 2 GB length", _cifar("test_batch", b"\x80\x02B" + struct.pack("<I", 2 ** 31 - 1)
                                        + b"."), DataFormatError,
     ["test_batch: corrupt or truncated pickle", "BINBYTES at byte 2 declares 2147483647 bytes"]),
    ("CIFAR pickle memo 2**32", _cifar("test_batch", b"\x80\x02]r\xff\xff\xff\xff."),
     DataFormatError, ["corrupt or truncated pickle", "memo index 4294967295"]),
    ("CIFAR pickle global", _cifar("test_batch", pickle.dumps(print, protocol=2)),
     DataFormatError, ["test_batch: unsafe pickle", "refusing to load", "print"]),
    ("CIFAR pickle not a dict", _cifar("test_batch", pickle.dumps([1, 2], protocol=2)),
     DataFormatError, ["test_batch: expected a dict, got list"]),
    ("CIFAR pickle labels not ints",
     _cifar("test_batch", pickle.dumps({b"data": np.zeros((1, 3072), np.uint8),
                                        b"labels": [b"cat"]}, protocol=2)),
     DataFormatError, ["'labels' must be a list of integers"]),
    ("CIFAR binary partial record", _cifar("test_batch.bin", bytes(3073 + 7)), DataFormatError,
     ["test_batch.bin: 3080 bytes is not a whole number of 3073-byte records"]),
    # ---- safetensors headers
    ("safetensors header past the end", lambda t: gw.load(_file(
        "h.safetensors", struct.pack("<Q", 10 ** 9) + b"{}")(t)), DataFormatError,
     ["h.safetensors is not a valid safetensors file", "declares 1000000000 bytes"]),
    ("safetensors header not JSON", _safetensors("{nope"), DataFormatError,
     ["is not a valid safetensors file", "not JSON"]),
    ("safetensors unknown dtype",
     _safetensors('{"w":{"dtype":"F99","shape":[1],"data_offsets":[0,4]}}', bytes(4)),
     DataFormatError, ["tensor 'w': unknown dtype 'F99'"]),
    ("safetensors shape vs bytes",
     _safetensors('{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}', bytes(8)),
     DataFormatError, ["tensor 'w': data_offsets [0, 8] hold 8 bytes", "need 12"]),
    ("safetensors offsets past the data",
     _safetensors('{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}', bytes(8)),
     DataFormatError, ["the tensors cover 16 bytes of data, the file holds 8"]),
    ("safetensors overlap",
     _safetensors('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},'
                  '"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}', bytes(12)),
     DataFormatError, ["tensor 'b': data_offsets start at 4, expected 8 (overlap)"]),
    ("safetensors negative shape",
     _safetensors('{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}}'), DataFormatError,
     ["tensor 'w': shape must be a list of integers >= 0"]),
    # ---- image folders
    ("ImageFolder mode CMYK", _image_folder(b"", mode="CMYK"), ArgumentError,
     ["InMemoryImageFolder: mode must be one of 'RGB', 'L', got 'CMYK'"]),
    ("ImageFolder 10000×4000 PNG", _image_folder(_png_header(10000, 4000)), DataFormatError,
     ["a.png: declares 10000×4000 pixels, more than MAX_IMAGE_PIXELS"]),
    ("ImageFolder 100000² PNG", _image_folder(_png_header(100000, 100000)), DataFormatError,
     ["a.png: declares more pixels than MAX_IMAGE_PIXELS", "decompression bomb"]),
    ("ImageFolder not an image", _image_folder(b"GIF89a\x00"), DataFormatError,
     ["a.png: not a readable image"]),
    ("streamed ImageFolder 10000×4000 PNG", _streamed_image(_png_header(10000, 4000)),
     DataFormatError, ["a.png: declares 10000×4000 pixels, more than MAX_IMAGE_PIXELS"]),
    ("streamed ImageFolder not an image", _streamed_image(b"GIF89a\x00"), DataFormatError,
     ["a.png: not a readable image"]),
    ("streamed ImageFolder on_error", _streamed_image(b"", on_error="ignore"), ArgumentError,
     ["ImageFolder: on_error must be one of 'raise', 'skip', got 'ignore'"]),
]


@pytest.mark.parametrize("make, error, words", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input(tmp_path, make, error, words):
    with pytest.raises(error) as info:
        make(tmp_path)
    message = str(info.value)
    for w in words:
        assert w in message, f"{w!r} not in {message!r}"


def test_the_catalogue_is_large_and_uniquely_named():
    names = [c[0] for c in CASES]
    assert len(names) >= 60 and len(set(names)) == len(names)


def test_named_errors_are_the_builtins_pytorch_users_catch():
    assert issubclass(DTypeError, TypeError) and issubclass(ShapeError, ValueError)
    assert issubclass(ArgumentError, ValueError) and issubclass(DataFormatError, ValueError)
    assert issubclass(NonFiniteError, RuntimeError) and math.isnan(NAN)
