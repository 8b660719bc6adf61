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


# ------------------------------------------- attention options: GNMT, Luong general, none
def make_variant(attention):
    return Seq2SeqAttention(VOCAB, VOCAB, embed_size=12, hidden_size=16, attention=attention)


@pytest.mark.parametrize("attention", ["gnmt", "general", "fixed", None])
def test_attention_variants_learn_to_reverse(attention):
    gw.manual_seed(0)
    src, tgt = reversal_task(16)
    model = make_variant(attention)
    assert model(src, tgt).shape == (16, 6, VOCAB)
    losses = fit(model, (src, tgt), tgt, steps=120, lr=0.02, loss_fn=loss_fn)
    assert losses[-1] < 0.5 * losses[0], losses[::12]
    tokens, weights, _ = model.eval().beam_search(src, START, beam_size=2, max_length=6,
                                                  end_token=END)
    greedy, greedy_weights = model.translate(src, START, max_length=6, end_token=END)
    assert tokens.shape[0] == 16 and greedy.shape[0] == 16
    if attention in (None, "fixed"):
        assert weights is None and greedy_weights is None
    else:
        np.testing.assert_allclose(greedy_weights.numpy().sum(-1), 1, rtol=1e-5)


def test_gnmt_attends_from_the_previous_output():
    """Δ^(i−1) = o_{i−1} = [s_{i−1}; c_{i−1}]: the score network's query at step i is the
    vector the output layer read at step i − 1 (and [s_0; 0] at the first step)."""
    model = make_variant("gnmt").eval()
    src, _ = reversal_task(3, seed=2)
    seen = []
    original = model.attention.forward
    model.attention.forward = lambda q, *a, **k: (seen.append(q.numpy()), original(q, *a, **k))[1]
    with gw.no_grad():
        h, state = model.encode(src)
        np.testing.assert_array_equal(state[2].numpy()[:, 16:], 0)
        prev, outputs = gw.tensor(np.full(3, START)), []
        for _ in range(3):
            _, state, _ = model.step(prev, state, h)
            outputs.append(state[2].numpy())
    for i in (1, 2):
        np.testing.assert_array_equal(seen[i], outputs[i - 1])
    assert seen[0].shape == (3, 48)


def test_without_attention_the_decoder_sees_only_the_initial_state():
    model = make_variant(None).eval()
    src, tgt = reversal_task(2, seed=4)
    with gw.no_grad():
        h, state = model.encode(src)
        a, _, _ = model.step(tgt[:, 0], state, h)
        b, _, _ = model.step(tgt[:, 0], state, h * 0 + 5)      # other annotations: no effect
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert not hasattr(model, "attention")


def test_fixed_context_is_the_encoders_final_states_at_every_step():
    """Cho et al. 2014: c = [→h_S; ←h_1] at every step, whatever the other annotations."""
    model = make_variant("fixed").eval()
    src, tgt = reversal_task(2, seed=6)
    with gw.no_grad():
        h, state = model.encode(src)
        np.testing.assert_allclose(state[2].numpy()[:, :16], h.numpy()[:, -1, :16], atol=1e-6)
        np.testing.assert_allclose(state[2].numpy()[:, 16:], h.numpy()[:, 0, 16:], atol=1e-6)
        a, state1, _ = model.step(tgt[:, 0], state, h)
        b, _, _ = model.step(tgt[:, 0], state, h * 0 + 5)
    np.testing.assert_array_equal(state1[2].numpy(), state[2].numpy())
    np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_bad_attention_is_named():
    with pytest.raises(ValueError, match="attention must be one of"):
        make_variant("luong")
