"""gradwork/nn/sync_batchnorm.py in one process: BatchNorm's behaviour, and
convert_sync_batchnorm as PyTorch's (across ranks: tests/distributed/test_exactness.py)."""
import numpy as np
import torch

import gradwork as gw
from gradwork import nn


def _net(lib):
    return lib.nn.Sequential(lib.nn.Conv2d(2, 3, 3), lib.nn.BatchNorm2d(3), lib.nn.ReLU(),
                             lib.nn.Sequential(lib.nn.Flatten(), lib.nn.BatchNorm1d(27)))


def test_convert_keeps_parameters_buffers_and_keys_as_torch():
    net = _net(gw)
    net[1].eval()
    converted = nn.SyncBatchNorm.convert_sync_batchnorm(net)
    ref = torch.nn.SyncBatchNorm.convert_sync_batchnorm(_net(torch))
    assert list(converted.state_dict()) == list(ref.state_dict())
    assert [type(m).__name__ for m in converted.modules()] == \
        [type(m).__name__ for m in ref.modules()]
    assert converted[1].weight is net[1].weight and not converted[1].training
    assert converted[1].running_var is net[1].running_var


def test_without_a_process_group_it_is_batch_norm():
    x = gw.randn(4, 3, 5, 5)
    bn, sync = nn.BatchNorm2d(3), nn.SyncBatchNorm(3)
    np.testing.assert_array_equal(sync(x).detach().numpy(), bn(x).detach().numpy())
    np.testing.assert_array_equal(sync.running_var.numpy(), bn.running_var.numpy())
    assert int(sync.num_batches_tracked.item()) == 1
