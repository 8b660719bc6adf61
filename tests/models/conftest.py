import pytest

from .zoo_helpers import zero_init


@pytest.fixture
def fast_init():
    """Build models with zero weights instead of random ones (see zoo_helpers.zero_init)."""
    with zero_init():
        yield
