import numpy as np
import pytest

import gradwork as gw
import gradwork.nn.functional as F
from gradwork.models import Seq2SeqAttention, get_model

from .zoo_helpers import (
    assert_round_trip,
    fit,
    needs_layers,
    sequence_log_prob,
    training_step_lowers_loss,
)

pytestmark = needs_layers("LSTM", "LSTMCell", "Embedding", "AdditiveAttention")

PAD, START, END, VOCAB = 0, 1, 2, 10


def make_model():
    return Seq2SeqAttention(VOCAB, VOCAB, embed_size=12, hidden_size=16)


def loss_fn(logits, tgt):
    return F.cross_entropy(logits.reshape(-1, VOCAB), tgt[:, 1:].reshape(-1))


def reversal_task(n, length=5, seed=0):
    src = np.random.default_rng(seed).integers(3, VOCAB, (n, length))
    tgt = np.concatenate([np.full((n, 1), START), src[:, ::-1], np.full((n, 1), END)], 1)
    return gw.tensor(src), gw.tensor(tgt)


def test_shapes_and_attention_distribution():
    model = make_model().eval()
    src, tgt = reversal_task(3)
    assert model(src, tgt).shape == (3, 6, VOCAB)
    tokens, weights = model.translate(src, START, max_length=4)
    assert tokens.shape == (3, 4) and weights.shape == (3, 4, 5)
    np.testing.assert_allclose(weights.numpy().sum(-1), 1, rtol=1e-5)


def test_padded_source_positions_are_ignored():
    model = make_model().eval()
    src, tgt = reversal_task(2, length=6)
    lengths = gw.tensor(np.array([6, 4]))
    padded = src.numpy().copy()
    padded[1, 4:] = PAD
    other = padded.copy()
    other[1, 4:] = 7                    # different junk after the end: same result
    with gw.no_grad():
        a = model(gw.tensor(padded), tgt, src_lengths=lengths).numpy()
        b = model(gw.tensor(other), tgt, src_lengths=lengths).numpy()
        _, weights = model.translate(gw.tensor(padded), START, max_length=3, src_lengths=lengths)
    np.testing.assert_allclose(a, b, atol=1e-6)
    assert np.all(weights.numpy()[1, :, 4:] == 0)


@pytest.fixture(scope="module")
def trained():
    """The reversal model, trained once for the tests that need it (seeded here: module
    fixtures run before the per-test seed)."""
    gw.manual_seed(0)
    src, tgt = reversal_task(16)
    model = make_model()
    training_step_lowers_loss(model, (src, tgt), tgt, loss_fn=loss_fn, lr=0.01)
    losses = fit(model, (src, tgt), tgt, steps=120, lr=0.02, loss_fn=loss_fn)
    return model.eval(), src, tgt, losses


def test_learns_to_reverse_sequences(trained, tmp_path):
    model, src, tgt, losses = trained
    assert losses[-1] < 0.2, losses[::12]
    tokens, _ = model.translate(src, START, max_length=6, end_token=END)
    accuracy = (tokens.numpy()[:, :5] == tgt.numpy()[:, 1:6]).mean()
    assert accuracy > 0.9, accuracy
    assert_round_trip(model, make_model, (src, tgt), tmp_path)


def translation_log_prob(model, src, tokens, src_lengths=None, end_token=END):
    """log p(tokens | src) by teacher forcing (independent of the decoders)."""
    tgt = np.concatenate([np.full((len(tokens), 1), START), tokens], 1)
    with gw.no_grad():
        logits = model(src, gw.tensor(tgt), src_lengths=src_lengths).numpy()
    return sequence_log_prob(logits, tokens, end_token)


@pytest.mark.parametrize("end_token", [None, END])
def test_beam_of_one_is_greedy(end_token):
    model = make_model().eval()
    src, _ = reversal_task(4, length=6, seed=3)
    lengths = gw.tensor(np.array([6, 4, 5, 2]))
    greedy, greedy_weights = model.translate(src, START, max_length=7, end_token=end_token,
                                             src_lengths=lengths)
    tokens, weights, scores = model.beam_search(src, START, beam_size=1, max_length=7,
                                                end_token=end_token, src_lengths=lengths)
    np.testing.assert_array_equal(tokens.numpy(), greedy.numpy())
    np.testing.assert_allclose(weights.numpy(), greedy_weights.numpy(), atol=1e-6)
    np.testing.assert_allclose(scores.numpy(),
                               translation_log_prob(model, src, greedy.numpy(), lengths, end_token),
                               rtol=1e-5, atol=1e-5)


def test_beam_search_is_at_least_as_likely_as_greedy(trained):
    model, src, _, _ = trained
    greedy, _ = model.translate(src, START, max_length=7, end_token=END)
    tokens, weights, scores = model.beam_search(src, START, beam_size=3, max_length=7,
                                                end_token=END, return_all=True)
    assert tokens.shape[:2] == (16, 3) and weights.shape[:3] == tokens.shape
    np.testing.assert_allclose(weights.numpy().sum(-1), 1, rtol=1e-5)
    for k in range(3):                       # every beam's score is its translation's likelihood
        np.testing.assert_allclose(scores.numpy()[:, k],
                                   translation_log_prob(model, src, tokens.numpy()[:, k]),
                                   rtol=1e-5, atol=1e-5)
    assert np.all(translation_log_prob(model, src, tokens.numpy()[:, 0]) >=
                  translation_log_prob(model, src, greedy.numpy()) - 1e-6)


def test_beam_weights_are_the_chosen_beams_attention():
    model = make_model().eval()
    src, _ = reversal_task(2, seed=5)
    tokens, weights, _ = model.beam_search(src, START, beam_size=3, max_length=4,
                                           return_all=True)
    for k in range(3):                       # replay beam k by teacher forcing
        h, state = model.encode(src)
        prev = gw.tensor(np.full(2, START))
        for i in range(4):
            with gw.no_grad():
                _, state, alpha = model.step(prev, state, h)
            np.testing.assert_allclose(weights.numpy()[:, k, i], alpha.numpy(), atol=1e-6)
            prev = gw.tensor(tokens.numpy()[:, k, i])


def test_bad_tokens_are_named():
    model = make_model()
    with pytest.raises(ValueError, match=r"seq2seq_attention: tgt must be integer tokens"):
        model(gw.tensor(np.ones((2, 3), np.int64)), gw.tensor(np.ones((2, 1), np.int64)))
    with pytest.raises(ValueError, match=r"seq2seq_attention: src must be integer tokens"):
        model(gw.randn(2, 3), gw.tensor(np.ones((2, 3), np.int64)))
    assert get_model("seq2seq_attention", src_vocab_size=7, tgt_vocab_size=9).out.out_features == 9
