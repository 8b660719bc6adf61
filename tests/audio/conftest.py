import os

import numpy as np
import pytest

from gradwork.audio import load_wav

RECORDINGS = os.path.join(os.path.dirname(__file__), "..", "data", "fsdd_recordings")


@pytest.fixture(scope="session")
def speech():
    """Three real recordings (8 kHz mono, CC BY-SA 4.0, see tests/data/fsdd_recordings)."""
    names = ("0_george_0.wav", "7_jackson_5.wav", "1_jackson_0.wav")
    return [load_wav(os.path.join(RECORDINGS, n))[0][0] for n in names]


@pytest.fixture(scope="session")
def chirp():
    """A synthetic 0.5 s signal at 8 kHz: a linear chirp 100 → 3000 Hz plus a little noise."""
    t = np.arange(4000) / 8000.0
    rng = np.random.default_rng(0)
    return (0.5 * np.sin(2 * np.pi * (100 * t + 2900 * t ** 2 / 2 / 0.5))
            + 0.01 * rng.standard_normal(t.size)).astype(np.float32)
