import os

# Tests run two xdist workers on two cores: one BLAS/OpenMP thread each, set before NumPy or
# PyTorch load their thread pools (oversubscribed OpenBLAS slows some matmuls by orders of
# magnitude).
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402 - after the thread variables are set
import pytest  # noqa: E402 - likewise
import torch  # noqa: E402 - likewise

import gradwork as gw  # noqa: E402 - likewise

torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _seed():
    gw.manual_seed(0)
    np.random.seed(0)
    yield
