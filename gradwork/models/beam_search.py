"""Beam search over an autoregressive decoder (Sutskever, Vinyals & Le 2014, §3.2), as Show and
Tell (Vinyals et al. 2015, §3.1) and attention-based translation (Bahdanau et al. 2015, §4.2)
decode. The bookkeeping is here once; each model only supplies its decoder step.

Each input keeps the k most probable prefixes (beams). Every step extends every beam b by
every word w and scores the candidate by its total log-probability

    score(b, w) = score(b) + log p(w | b, input)

and the k best of the k·V candidates survive. A beam that has emitted the end token is
finished: its only extension is the end token again, at no cost, so it keeps its score and
competes with the live beams. Decoding stops when every beam is finished or after
`max_length` steps. The final k are ranked by score / length^α (α = `length_penalty`, as in
Hugging Face's `generate`; α = 0, the default, ranks by total log-probability as the papers
do), the length counting the words up to and including the end token; length_norm="gnmt"
divides instead by GNMT's lp(Y) = (5 + |Y|)^α / 6^α (Wu et al. 2016, eq. 14), which is 1 at
|Y| = 1 and grows more slowly with |Y| than |Y|^α. Beam size 1 is greedy
decoding, ties going to the lower word index as `argmax` does.
"""
from ..autograd import Tensor, no_grad
from ..backend import array_module
from ..ops import index_select


def _select(state, rows, dim):
    """Rows `rows` along `dim` of every Tensor in a nested tuple (None stays None)."""
    if state is None:
        return None
    if isinstance(state, (tuple, list)):
        return type(state)(_select(s, rows, dim) for s in state)
    return index_select(state, dim, rows)


def _first_array(state):
    if isinstance(state, (tuple, list)):
        return next(a for a in map(_first_array, state) if a is not None)
    return None if state is None else state._data


def _check_positive(name, value):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"beam_search: {name} must be a positive integer, got {value!r}")


def length_normaliser(length, alpha, form="power"):
    """|Y|^α ("power"), or GNMT's lp(Y) = (5 + |Y|)^α / 6^α ("gnmt", Wu et al. 2016 eq. 14)."""
    return ((5.0 + length) / 6.0) ** alpha if form == "gnmt" else length ** alpha


def beam_search(step, state, batch_size, start_token, beam_size, max_length, end_token=None,
                length_penalty=0.0, context=(), batch_dim=0, length_norm="power"):
    """Decode `batch_size` inputs with `beam_size` beams each.

    step(tokens (B,), state, *context) → (log-probabilities (B, V), new state), where
    B = batch_size · beam_size and row i·k + j is beam j of input i. `state` (a Tensor or
    nested tuple of Tensors, batch along `batch_dim`) and `context` (Tensors or None with the
    batch on dim 0, read but never changed by `step`, e.g. an encoder's annotations) are given
    for the batch_size inputs and repeated k times here.

    Returns tokens (N, k, L) int64 (finished beams padded with `end_token`), scores (N, k)
    float64, best first, and the final state of those beams (rows as above).
    """
    _check_positive("beam_size", beam_size)
    _check_positive("max_length", max_length)
    if length_norm not in ("power", "gnmt"):
        raise ValueError(f"beam_search: length_norm must be 'power' or 'gnmt', got "
                         f"{length_norm!r}")
    N, k = batch_size, beam_size
    xp = array_module(_first_array(state))
    with no_grad():
        repeat = xp.repeat(xp.arange(N), k)                  # (N·k,): each input k times
        state = _select(state, repeat, batch_dim)
        context = _select(tuple(context), repeat, 0)
        scores = xp.full((N, k), -xp.inf)
        scores[:, 0] = 0.0                                   # one live beam to start from
        tokens = xp.zeros((N, k, 0), dtype=xp.int64)
        lengths = xp.zeros((N, k), dtype=xp.int64)
        finished = xp.zeros((N, k), dtype=bool)
        last = xp.full(N * k, start_token, dtype=xp.int64)
        for _ in range(max_length):
            log_probs, state = step(Tensor(last), state, *context)
            log_probs = log_probs._data.astype(xp.float64).reshape(N, k, -1)   # (N, k, V)
            V = log_probs.shape[2]
            if end_token is not None:
                stay = xp.full(V, -xp.inf)
                stay[end_token] = 0.0
                log_probs = xp.where(finished[..., None], stay, log_probs)
            candidates = (scores[..., None] + log_probs).reshape(N, k * V)
            # a stable sort of −score puts the lower index first among ties, like argmax
            best = xp.argsort(-candidates, axis=1, kind="stable")[:, :k]      # (N, k)
            scores = xp.take_along_axis(candidates, best, 1)
            beam, word = best // V, best % V
            was_finished = xp.take_along_axis(finished, beam, 1)
            lengths = xp.take_along_axis(lengths, beam, 1) + ~was_finished
            finished = was_finished | (word == end_token if end_token is not None else False)
            tokens = xp.concatenate([xp.take_along_axis(tokens, beam[..., None], 1),
                                     word[..., None]], 2)                     # (N, k, t+1)
            state = _select(state, (xp.arange(N)[:, None] * k + beam).reshape(-1), batch_dim)
            last = word.reshape(-1)
            if finished.all():
                break
        ranked = scores / length_normaliser(lengths.astype(xp.float64), length_penalty,
                                            length_norm)
        order = xp.argsort(-ranked, axis=1, kind="stable")                    # (N, k)
        tokens = xp.take_along_axis(tokens, order[..., None], 1)
        state = _select(state, (xp.arange(N)[:, None] * k + order).reshape(-1), batch_dim)
        return Tensor(tokens), Tensor(xp.take_along_axis(ranked, order, 1)), state
