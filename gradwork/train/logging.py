"""Run logs: `metrics.csv` (one row per epoch) and TensorBoard event files, written without
TensorBoard or protobuf installed.

An event file is a sequence of TFRecords: uint64 length, uint32 masked CRC32C of the length,
the bytes, uint32 masked CRC32C of the bytes (little-endian). Each record is a protobuf
`Event{1: double wall_time, 2: int64 step, 3: string file_version, 5: Summary summary}` with
`Summary{1: repeated Value{1: string tag, 2: float simple_value}}`, encoded by hand below.
"""
import csv
import io
import os
import socket
import struct
import time

from ..serialization import atomic_write_bytes


def write_csv(path, rows):
    """Write `rows` (dicts) as CSV with the union of their keys as header, atomically."""
    fields = []
    for row in rows:
        fields += [k for k in row if k not in fields]
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    atomic_write_bytes(path, buf.getvalue().encode())


def read_csv(path):
    """Rows of a metrics.csv as dicts of floats (empty cells become None)."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no metrics file {path}")
    with open(path, newline="") as f:
        return [{k: (float(v) if v not in ("", None) else None) for k, v in row.items()}
                for row in csv.DictReader(f)]


# ------------------------------------------------------------------ CRC32C (Castagnoli)
def _crc_table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_CRC_TABLE = _crc_table()


def crc32c(data):
    crc = 0xFFFFFFFF
    for byte in data:
        crc = _CRC_TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked_crc32c(data):
    """TFRecord's mask: rotate right by 15 and add a constant."""
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def tfrecord(data):
    length = struct.pack("<Q", len(data))
    return (length + struct.pack("<I", masked_crc32c(length)) + data
            + struct.pack("<I", masked_crc32c(data)))


# ------------------------------------------------------------------ protobuf, by hand
def _varint(n):
    n &= 0xFFFFFFFFFFFFFFFF                  # int64 two's complement for negative steps
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _field_bytes(number, payload):          # wire type 2: length-delimited
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def encode_event(wall_time, step=0, file_version=None, scalars=None):
    """An `Event` message; `scalars` is a dict tag → float."""
    out = _varint(1 << 3 | 1) + struct.pack("<d", wall_time)
    if step:
        out += _varint(2 << 3 | 0) + _varint(int(step))
    if file_version is not None:
        out += _field_bytes(3, file_version.encode())
    if scalars:
        summary = b"".join(
            _field_bytes(1, _field_bytes(1, tag.encode())
                         + _varint(2 << 3 | 5) + struct.pack("<f", float(value)))
            for tag, value in scalars.items())
        out += _field_bytes(5, summary)
    return out


class SummaryWriter:
    """Scalars for TensorBoard (`tensorboard --logdir runs`), PyTorch's
    `torch.utils.tensorboard.SummaryWriter` subset: `add_scalar`, `add_scalars`, `flush`,
    `close`. Records are appended; TensorBoard skips a record cut short by a crash."""

    def __init__(self, log_dir):
        os.makedirs(log_dir, exist_ok=True)
        name = (f"events.out.tfevents.{int(time.time())}.{socket.gethostname()}."
                f"{os.getpid()}.{time.monotonic_ns() % 10**9}")
        self.path = os.path.join(log_dir, name)
        self._file = open(self.path, "ab")
        self._file.write(tfrecord(encode_event(time.time(), file_version="brain.Event:2")))
        self.flush()

    def add_scalar(self, tag, scalar_value, global_step=0, walltime=None):
        self.add_scalars({tag: scalar_value}, global_step, walltime)

    def add_scalars(self, values, global_step=0, walltime=None):
        """Several tags at one step, in one record."""
        if self._file is None:
            raise ValueError(f"SummaryWriter: {self.path} is closed")
        event = encode_event(walltime or time.time(), global_step, scalars=values)
        self._file.write(tfrecord(event))

    def flush(self):
        if self._file is not None:
            self._file.flush()

    def close(self):
        if self._file is not None:
            self._file.close()
            self._file = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
