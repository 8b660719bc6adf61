"""gradwork.Generator (gradwork/random.py): seeding repeats a stream, a private generator
leaves the global one alone, and the APIs that take generator= in PyTorch take it here."""
import numpy as np
import pytest

import gradwork as gw

CALLS = {
    "randn": lambda g: gw.randn(2, 3, generator=g),
    "rand": lambda g: gw.rand(4, generator=g),
    "randint": lambda g: gw.randint(0, 10, (5,), generator=g),
    "randperm": lambda g: gw.randperm(6, generator=g),
    "normal": lambda g: gw.normal(0.0, 1.0, (3,), generator=g),
    "bernoulli": lambda g: gw.bernoulli(gw.full((4,), 0.5), generator=g),
    "normal_": lambda g: gw.zeros(3).normal_(generator=g),
    "uniform_": lambda g: gw.zeros(3).uniform_(-1, 1, generator=g),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_generator_argument_repeats_and_leaves_the_global_stream_alone(name):
    gw.manual_seed(7)
    expected_global = gw.rand(3).numpy()
    gw.manual_seed(7)
    a = CALLS[name](gw.Generator().manual_seed(123)).numpy()
    b = CALLS[name](gw.Generator().manual_seed(123)).numpy()
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(gw.rand(3).numpy(), expected_global)


def test_manual_seed_returns_the_default_generator_and_state_round_trips():
    g = gw.manual_seed(5)
    assert g is gw.default_generator and gw.initial_seed() == 5
    state = g.get_state()
    x = gw.randn(3).numpy()
    g.set_state(state)
    np.testing.assert_array_equal(gw.randn(3).numpy(), x)
    own = gw.Generator()
    assert own.manual_seed(1) is own and own.initial_seed() == 1 and own.device == "cpu"


def test_bad_generators_and_seeds_are_named():
    with pytest.raises(TypeError, match="randn: generator must be a gradwork.Generator"):
        gw.randn(2, generator=np.random.default_rng())
    with pytest.raises(TypeError, match="seed must be an int"):
        gw.Generator().manual_seed(1.5)
