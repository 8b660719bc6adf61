import itertools

import numpy as np
import pytest

import gradwork as gw
from gradwork.models.beam_search import beam_search

END, START = 0, 99                     # START is no word: the tables give it its own row


class MarkovDecoder:
    """A toy decoder whose log-probabilities come from a table log_p[input, step, previous word]
    (V words; the previous word START reads row V)."""

    def __init__(self, log_p):
        self.log_p = log_p                                   # (N, T, V + 1, V)

    def initial_state(self):
        N = self.log_p.shape[0]
        return gw.tensor(np.arange(N)), gw.tensor(np.zeros(N, np.int64))   # input, step

    def step(self, tokens, state):
        which, t = state
        prev = np.where(tokens.numpy() == START, self.log_p.shape[2] - 1, tokens.numpy())
        log_p = self.log_p[which.numpy(), t.numpy(), prev]
        return gw.tensor(log_p), (which, gw.tensor(t.numpy() + 1))

    def score(self, i, words):
        """Σ log p over the words up to and including the first END."""
        total, prev = 0.0, self.log_p.shape[2] - 1
        for t, w in enumerate(words):
            total += self.log_p[i, t, prev, w]
            if w == END:
                break
            prev = w
        return total


def decode(decoder, beam_size, max_length, length_penalty=0.0):
    tokens, scores, _ = beam_search(decoder.step, decoder.initial_state(),
                                    decoder.log_p.shape[0], START, beam_size, max_length,
                                    end_token=END, length_penalty=length_penalty)
    return tokens.numpy(), scores.numpy()


def brute_force(decoder, i, max_length, length_penalty=0.0):
    """Every distinct output (cut after the first END, padded with END) → its ranking score."""
    V = decoder.log_p.shape[3]
    out = {}
    for words in itertools.product(range(V), repeat=max_length):
        n = words.index(END) + 1 if END in words else max_length
        key = words[:n] + (END,) * (max_length - n)
        out[key] = decoder.score(i, words) / n ** length_penalty
    return out


def test_beam_finds_what_greedy_misses():
    # words END, a, b. The likelier first word (a, 0.6) leads only to ~0.4 continuations; b (0.4)
    # is followed by b with 0.95: greedy says a a a (p 0.096), the best is b b b (p 0.361).
    p = np.full((4, 3), 1e-6)
    p[3] = [1e-6, 0.6, 0.4]                     # after START
    p[1] = [0.3, 0.4, 0.3]                      # after a
    p[2] = [0.01, 0.04, 0.95]                   # after b
    decoder = MarkovDecoder(np.log(np.broadcast_to(p, (1, 3, 4, 3))))
    truth = brute_force(decoder, 0, 3)
    best = max(truth, key=truth.get)
    assert best == (2, 2, 2)
    greedy, greedy_score = decode(decoder, 1, 3)
    assert tuple(greedy[0, 0]) == (1, 1, 1) and greedy_score[0, 0] < truth[best] - 1
    tokens, scores = decode(decoder, 2, 3)
    assert tuple(tokens[0, 0]) == best
    np.testing.assert_allclose(scores[0, 0], truth[best])


@pytest.mark.parametrize("length_penalty", [0.0, 1.0])
def test_a_beam_as_wide_as_every_sequence_ranks_them_all(length_penalty):
    # 2 inputs with their own random tables (beams must not mix rows across inputs); V = 3 and
    # 4 steps give 1 + 2 + 4 + 8 + 16 = 31 distinct outputs, so 32 beams keep all of them.
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((2, 4, 4, 3)) * 2
    decoder = MarkovDecoder(logits - np.log(np.exp(logits).sum(-1, keepdims=True)))
    tokens, scores = decode(decoder, 32, 4, length_penalty)
    for i in range(2):
        truth = brute_force(decoder, i, 4, length_penalty)
        found = {tuple(t): s for t, s in zip(tokens[i], scores[i]) if np.isfinite(s)}
        assert found.keys() == truth.keys()
        for key, s in found.items():
            np.testing.assert_allclose(s, truth[key])
        assert np.all(np.diff(scores[i]) <= 0)                  # best first


def test_narrow_beam_keeps_the_best_it_can_reach_and_pads_with_end():
    rng = np.random.default_rng(1)
    logits = rng.standard_normal((3, 5, 5, 4)) * 3
    decoder = MarkovDecoder(logits - np.log(np.exp(logits).sum(-1, keepdims=True)))
    tokens, scores = decode(decoder, 3, 5)
    assert tokens.shape[:2] == (3, 3) and tokens.shape[2] <= 5
    for i in range(3):
        for t, s in zip(tokens[i], scores[i]):
            np.testing.assert_allclose(s, decoder.score(i, t))  # score is the sequence's
            if END in t:
                assert np.all(t[list(t).index(END):] == END)
        truth = brute_force(decoder, i, 5)
        assert scores[i, 0] <= max(truth.values()) + 1e-9


def test_the_final_state_follows_the_returned_beams():
    decoder = MarkovDecoder(np.log(np.full((2, 3, 4, 3), 1 / 3)))
    _, _, (which, t) = beam_search(decoder.step, decoder.initial_state(), 2, START, 2, 3)
    assert which.numpy().tolist() == [0, 0, 1, 1] and t.numpy().tolist() == [3] * 4


@pytest.mark.parametrize("name, kwargs", [("beam_size", {"beam_size": 0}),
                                          ("max_length", {"max_length": 2.5})])
def test_bad_sizes_are_named(name, kwargs):
    decoder = MarkovDecoder(np.zeros((1, 3, 4, 3)))
    args = {"beam_size": 2, "max_length": 3} | kwargs
    with pytest.raises(ValueError, match=f"beam_search: {name} must be a positive integer"):
        beam_search(decoder.step, decoder.initial_state(), 1, START, **args)


def test_gnmt_length_normaliser():
    """lp(Y) = (5 + |Y|)^α / 6^α (Wu et al. 2016, eq. 14), worked by hand."""
    from gradwork.models.beam_search import length_normaliser
    assert length_normaliser(np.array(1.0), 0.7, "gnmt") == pytest.approx(1.0)
    assert length_normaliser(np.array(7.0), 1.0, "gnmt") == pytest.approx(2.0)
    assert length_normaliser(np.array(13.0), 0.5, "gnmt") == pytest.approx(3 ** 0.5)
    assert length_normaliser(np.array(4.0), 0.5) == pytest.approx(2.0)


def test_gnmt_length_norm_changes_the_ranking():
    """Two finished hypotheses: [END] with log p −1.0 (|Y| = 1, lp = 1) and [1, 2, END] with
    log p −1.5 (|Y| = 3, lp = (8/6)^α). α = 0.2: −1.5/1.059 = −1.42 < −1, the short one wins;
    α = 2: −1.5/1.778 = −0.84 > −1, the long one wins."""
    from gradwork.models.beam_search import beam_search
    END, START = 0, 9
    table = {(): [-1.0, -0.5, -np.inf], (1,): [-np.inf, -np.inf, -0.5],
             (1, 2): [-0.5, -np.inf, -np.inf]}

    def step(tokens, state):
        new = np.concatenate([state.numpy(), tokens.numpy()[:, None]], 1)
        logp = np.array([table.get(tuple(int(t) for t in row[1:]), [0.0, -np.inf, -np.inf])
                         for row in new])
        return gw.tensor(logp), gw.tensor(new)

    def best(alpha):
        tokens, _, _ = beam_search(step, gw.tensor(np.zeros((1, 0), np.int64)), 1, START, 2, 4,
                                   end_token=END, length_penalty=alpha, length_norm="gnmt")
        return tokens.numpy()[0, 0].tolist()
    assert best(0.0)[0] == END and best(0.2)[0] == END
    assert best(2.0)[:3] == [1, 2, END]
    with pytest.raises(ValueError, match="length_norm"):
        beam_search(step, gw.tensor(np.zeros((1, 0), np.int64)), 1, START, 2, 4,
                    length_norm="x")
