"""A character-level recurrent language model (deck 004, "language modeling"; Karpathy's
char-rnn; Sutskever, Martens & Hinton 2011) and sampling from it with a temperature.

    x_t = E[c_t],  h_t = LSTM/GRU(x_t, h_{t−1}),  p(c_{t+1} | c_≤t) = softmax(W h_t + b)

trained on −log p of the next character (cross-entropy); perplexity = exp(mean cross-entropy
per character). Sampling draws c_{t+1} ~ softmax(logits / T): T → 0 is the argmax, T = 1 the
model's distribution, T > 1 flatter (Hinton, Vinyals & Dean 2015 use the same softened softmax).
"""
import math

from .. import nn
from ..autograd import Tensor, no_grad
from ..backend import np
from ..errors import ArgumentError, check_choice, check_nonnegative, check_positive_int
from .registry import register

_CELLS = {"lstm": nn.LSTM, "gru": nn.GRU}


class CharRNN(nn.Module):
    """ids (N, T) int64 → (logits (N, T, V), hidden): Embedding → LSTM or GRU (`cell`,
    `num_layers`, dropout between layers and before the decoder) → Linear over the vocabulary.
    `hidden` (the RNN's (h, c) or h, (num_layers, N, H)) carries the state across calls."""

    def __init__(self, vocab_size, embedding_dim=64, hidden_size=256, num_layers=1,
                 cell="lstm", dropout=0.0):
        super().__init__()
        check_positive_int("CharRNN", "vocab_size", vocab_size)
        check_choice("CharRNN", "cell", cell, tuple(_CELLS))
        self.vocab_size, self.cell = vocab_size, cell
        self.embedding = nn.Embedding(vocab_size, embedding_dim)
        self.rnn = _CELLS[cell](embedding_dim, hidden_size, num_layers, batch_first=True,
                                dropout=dropout)
        self.dropout = nn.Dropout(dropout)
        self.decoder = nn.Linear(hidden_size, vocab_size)

    def forward(self, x, hidden=None):
        out, hidden = self.rnn(self.embedding(x), hidden)               # (N, T, H)
        return self.decoder(self.dropout(out)), hidden                  # (N, T, V)


@register("char_lm")
def char_lm(vocab_size=128, **kwargs):
    """Character-level language model: embedding 64 → 1-layer LSTM of 256 → softmax over the
    vocabulary (`cell="gru"` for a GRU). `gradwork train char_lm --data-dir FILE.txt`."""
    return CharRNN(vocab_size, **kwargs)


def temperature_probabilities(logits, temperature):
    """softmax(logits / T) in float64 over the last axis; T = 0 puts all mass on the argmax
    (the first, on ties), the limit T → 0."""
    z = np.asarray(logits, dtype=np.float64)
    if temperature == 0:
        p = np.zeros_like(z)
        np.put_along_axis(p, z.argmax(axis=-1)[..., None], 1.0, axis=-1)
        return p
    z = z / temperature
    z = np.exp(z - z.max(axis=-1, keepdims=True))
    return z / z.sum(axis=-1, keepdims=True)


def sample_next(logits, temperature, rng):
    """One draw from softmax(logits / T) per row of `logits` (V,) or (N, V), by inverting the
    cumulative distribution at `rng.random()` (one uniform per row, so a seed fixes the text)."""
    p = temperature_probabilities(logits, temperature)
    cdf = np.cumsum(p, axis=-1)
    u = rng.random(p.shape[:-1] + (1,)) * cdf[..., -1:]
    return np.minimum((cdf <= u).sum(axis=-1), p.shape[-1] - 1)


def generate(model, prompt_ids, length, temperature=1.0, seed=0):
    """`length` ids drawn one at a time after the prompt (1-D ids, at least one), each fed
    back as the next input; the prompt is read in one pass to set the state. Eval mode, no
    gradients; seeded by `seed` (a NumPy generator of its own)."""
    check_positive_int("generate", "length", length)
    check_nonnegative("generate", "temperature", temperature)
    prompt_ids = np.asarray(prompt_ids, dtype=np.int64).reshape(-1)
    if prompt_ids.size == 0:
        raise ArgumentError("generate: the prompt must hold at least one character")
    if not math.isfinite(temperature):
        raise ArgumentError(f"generate: temperature must be finite, got {temperature}")
    rng = np.random.default_rng(seed)
    was_training = model.training
    model.eval()
    out = []
    try:
        with no_grad():
            logits, hidden = model(Tensor(prompt_ids[None, :]))
            for _ in range(length):
                nxt = int(sample_next(logits.numpy()[0, -1], temperature, rng))
                out.append(nxt)
                logits, hidden = model(Tensor(np.array([[nxt]], np.int64)), hidden)
    finally:
        model.train(was_training)
    return np.array(out, np.int64)


def sample(model, vocabulary, prompt, length=200, temperature=1.0, seed=0):
    """The prompt followed by `length` characters drawn from the model at `temperature`
    (`vocabulary`: the `data.text.CharVocabulary` the model was trained with)."""
    ids = generate(model, vocabulary.encode(prompt), length, temperature, seed)
    return prompt + vocabulary.decode(ids)
