import numpy as np
import pytest

import gradwork as gw


@pytest.fixture(autouse=True)
def _seed():
    gw.manual_seed(0)
    np.random.seed(0)
    yield
