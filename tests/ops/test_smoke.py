import torch

import gradwork as gw
from tests.helpers import check_op


def test_matmul_broadcast():
    check_op(lambda a, b: a @ b, lambda a, b: a @ b, shapes=[(2, 1, 3, 4), (5, 4, 2)])


def test_linear():
    check_op(lambda x, w, b: gw.nn.functional.linear(x, w, b),
             lambda x, w, b: torch.nn.functional.linear(x, w, b), shapes=[(3, 2, 4), (5, 4), (5,)])


def test_cross_entropy():
    import numpy as np
    y = np.array([1, 0, 3])
    check_op(lambda x: gw.nn.functional.cross_entropy(x, gw.tensor(y), label_smoothing=0.1),
             lambda x: torch.nn.functional.cross_entropy(x, torch.tensor(y), label_smoothing=0.1),
             shapes=[(3, 5)], dtypes=(np.float64, np.float32))
