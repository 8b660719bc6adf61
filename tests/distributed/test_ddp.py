"""gradwork/distributed/ddp.py's bucket assignment (the reduction itself: test_exactness.py)."""
import numpy as np

from gradwork import nn
from gradwork.distributed.ddp import FIRST_BUCKET_BYTES, _assign_buckets


def test_buckets_reverse_order_first_one_small_then_the_cap():
    layers = [nn.Linear(512, 512) for _ in range(4)]         # 1 MiB weight, 2 KiB bias each
    params = [p for m in layers for p in m.parameters()]
    buckets = _assign_buckets(params, cap_bytes=3 * FIRST_BUCKET_BYTES)
    flat = [p for b in buckets for p in b.params]
    assert [id(p) for p in flat] == [id(p) for p in reversed(params)]
    sizes = [sum(p._data.nbytes for p in b.params) for b in buckets]
    assert sizes[0] >= FIRST_BUCKET_BYTES and len(buckets[0].params) == 2   # bias, weight
    assert all(s >= 3 * FIRST_BUCKET_BYTES for s in sizes[1:-1])
    assert all(b.buffer.size == sum(p._data.size for p in b.params) for b in buckets)


def test_buckets_split_by_dtype():
    a, b = nn.Linear(3, 2), nn.Linear(3, 2).double()
    buckets = _assign_buckets(list(a.parameters()) + list(b.parameters()), 25 * 2 ** 20)
    assert sorted(str(k.buffer.dtype) for k in buckets) == ["float32", "float64"]
    assert all(np.dtype(k.buffer.dtype) == k.params[0]._data.dtype for k in buckets)
