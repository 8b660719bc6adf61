"""models/char_lm.py: the character-level language model and temperature sampling (issue 17,
item 7)."""
import numpy as np
import pytest
import torch

import gradwork as gw
from gradwork.data.text import CharVocabulary
from gradwork.errors import ArgumentError
from gradwork.models.char_lm import (
    CharRNN,
    generate,
    sample,
    sample_next,
    temperature_probabilities,
)


def _torch_char_rnn(model):
    """The same network in PyTorch, with the gradwork model's weights (PyTorch's names)."""
    E, H, V = model.embedding.embedding_dim, model.rnn.hidden_size, model.vocab_size
    cell = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[model.cell]
    ref = torch.nn.ModuleDict({"embedding": torch.nn.Embedding(V, E),
                               "rnn": cell(E, H, model.rnn.num_layers, batch_first=True),
                               "decoder": torch.nn.Linear(H, V)}).double()
    ref.load_state_dict({k: torch.tensor(v.numpy(), dtype=torch.float64)
                         for k, v in model.state_dict().items()})
    return ref


@pytest.mark.parametrize("cell, layers", [("lstm", 1), ("gru", 2)])
def test_logits_and_state_equal_pytorch(cell, layers):
    gw.manual_seed(0)
    model = CharRNN(11, embedding_dim=5, hidden_size=7, num_layers=layers, cell=cell)
    model.double()
    ref = _torch_char_rnn(model)
    x = np.random.default_rng(0).integers(0, 11, (3, 6))
    logits, hidden = model(gw.tensor(x))
    out, ref_hidden = ref["rnn"](ref["embedding"](torch.tensor(x)))
    expected = ref["decoder"](out).detach().numpy()
    np.testing.assert_allclose(logits.detach().numpy(), expected, atol=1e-10)
    h = hidden[0] if cell == "lstm" else hidden
    ref_h = ref_hidden[0] if cell == "lstm" else ref_hidden
    np.testing.assert_allclose(h.detach().numpy(), ref_h.detach().numpy(), atol=1e-10)


def test_a_carried_state_continues_the_sequence_exactly():
    """Reading x in two calls, the second from the first's state, is reading it in one."""
    gw.manual_seed(1)
    model = CharRNN(9, embedding_dim=4, hidden_size=6).double()
    x = gw.tensor(np.random.default_rng(1).integers(0, 9, (2, 10)))
    whole, _ = model(x)
    first, state = model(x[:, :4])
    second, _ = model(x[:, 4:], state)
    np.testing.assert_allclose(np.concatenate([first.detach().numpy(), second.detach().numpy()], 1),
                               whole.detach().numpy(), atol=1e-12)


def test_temperature_zero_is_the_argmax_and_small_temperatures_tend_to_it():
    logits = np.array([[0.3, 2.0, -1.0, 1.9], [5.0, 5.0, 1.0, 0.0]])
    p0 = temperature_probabilities(logits, 0)
    np.testing.assert_array_equal(p0, [[0, 1, 0, 0], [1, 0, 0, 0]])     # first on ties
    np.testing.assert_allclose(temperature_probabilities(logits[:1], 1e-3), p0[:1], atol=1e-12)
    rng = np.random.default_rng(0)
    assert (sample_next(np.tile(logits[0], (500, 1)), 0, rng) == 1).all()
    p1 = temperature_probabilities(logits, 1.0)
    np.testing.assert_allclose(p1, torch.softmax(torch.tensor(logits), -1).numpy(), rtol=1e-12)


@pytest.mark.parametrize("temperature", [1.0, 2.0, 0.5])
def test_draws_follow_softmax_of_logits_over_temperature(temperature):
    logits = np.array([1.0, 0.0, -0.5, 2.0, 0.3])
    n = 40_000
    draws = sample_next(np.tile(logits, (n, 1)), temperature, np.random.default_rng(7))
    freq = np.bincount(draws, minlength=5) / n
    p = torch.softmax(torch.tensor(logits) / temperature, -1).numpy()
    # 4.5 standard errors of a binomial proportion: fails by chance about once in 10^5 runs
    np.testing.assert_array_less(np.abs(freq - p), 4.5 * np.sqrt(p * (1 - p) / n) + 1e-12)


def test_generation_is_seeded_and_greedy_follows_the_argmax():
    gw.manual_seed(2)
    model = CharRNN(6, embedding_dim=4, hidden_size=8)
    prompt = np.array([1, 2, 3])
    a, b = generate(model, prompt, 20, 1.0, seed=3), generate(model, prompt, 20, 1.0, seed=3)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, generate(model, prompt, 20, 1.0, seed=4))
    greedy = generate(model, prompt, 5, 0.0)
    seq = list(prompt)
    for _ in range(5):                       # the argmax of the whole re-read sequence
        logits, _ = model(gw.tensor(np.array([seq])))
        seq.append(int(logits.detach().numpy()[0, -1].argmax()))
    np.testing.assert_array_equal(greedy, seq[3:])
    assert model.training                    # generation leaves the mode as it found it


def test_sample_returns_the_prompt_and_text_and_refuses_bad_arguments():
    vocab = CharVocabulary.from_text("abc ")
    model = CharRNN(len(vocab), hidden_size=8)
    text = sample(model, vocab, "ab", 12, 0.7, seed=0)
    assert text.startswith("ab") and len(text) == 14 and set(text) <= set("abc ")
    with pytest.raises(ArgumentError, match="outside the vocabulary"):
        sample(model, vocab, "xyz")
    with pytest.raises(ArgumentError, match="temperature"):
        generate(model, [0], 5, -1.0)
    with pytest.raises(ArgumentError, match="at least one"):
        generate(model, [], 5)
    with pytest.raises(ArgumentError, match="cell"):
        CharRNN(5, cell="rnn")
