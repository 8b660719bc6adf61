"""Show and Tell (Vinyals, Toshev, Bengio & Erhan 2015, "Show and tell: a neural image caption
generator", §3.1 eqs. 10–12), deck 002's "Image captioning".

A CNN encodes the image; its feature, projected to the word-embedding size, is the LSTM's
input at step −1; the caption's words follow, each embedded by W_e:

    x_{−1} = W_I CNN(I),   x_t = W_e S_t (t = 0 … N−1),   p_{t+1} = softmax(W_o LSTM(x_t))

Training maximises Σ_t log p_t(S_t) (teacher forcing). `forward(images, captions)` takes
captions (N, T) that start with the start token and returns logits (N, T − 1, vocab) for the
targets captions[:, 1:]; `generate` decodes greedily and `beam_search` keeps the k most
probable captions (the paper's beams are of size 20; greedy is beam size 1). The default
encoder is the paper's: GoogLeNet (with BN, torchvision's layout) without its classifier (1024
features); any module mapping images to (N, encoder_dim) can replace it.
"""
from .. import backend, nn
from ..autograd import Tensor, no_grad
from ..ops import cat, log_softmax, stack
from .beam_search import beam_search
from .googlenet import GoogLeNet
from .registry import register


class ShowAndTell(nn.Module):
    """`encoder`, `image_proj` (W_I), `embed` (W_e), `lstm`, `fc` (W_o)."""

    def __init__(self, vocab_size, embed_size=512, hidden_size=512, num_layers=1, dropout=0.0,
                 encoder=None, encoder_dim=None):
        super().__init__()
        if encoder is None:
            encoder = GoogLeNet(aux_logits=False)
            encoder.fc = nn.Identity()
            encoder_dim = 1024
        elif encoder_dim is None:
            raise ValueError("ShowAndTell: give encoder_dim (the width of the encoder's output) "
                             "with a custom encoder")
        self.vocab_size = vocab_size
        self.encoder = encoder
        self.image_proj = nn.Linear(encoder_dim, embed_size)
        self.embed = nn.Embedding(vocab_size, embed_size)
        self.lstm = nn.LSTM(embed_size, hidden_size, num_layers, batch_first=True)
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(hidden_size, vocab_size)

    def encode(self, images):
        """x_{−1} = W_I CNN(I): (N, embed_size)."""
        return self.image_proj(self.encoder(images))

    def forward(self, images, captions):
        if not isinstance(captions, Tensor) or captions.ndim != 2 or captions.shape[1] < 2 or \
                captions.dtype.kind not in "iu":
            got = (f"{captions.dtype} {tuple(captions.shape)}" if isinstance(captions, Tensor)
                   else type(captions).__name__)
            raise ValueError(f"show_and_tell: captions must be integer tokens (N, T) with T ≥ 2 "
                             f"(start token first), got {got}")
        if captions.shape[0] != images.shape[0]:
            raise ValueError(f"show_and_tell: {images.shape[0]} images but {captions.shape[0]} "
                             "captions")
        words = self.embed(captions[:, :-1])                      # (N, T−1, E)
        x = cat([self.encode(images).unsqueeze(1), words], 1)     # (N, T, E)
        out, _ = self.lstm(x)                                     # (N, T, H)
        return self.fc(self.dropout(out[:, 1:]))                  # (N, T−1, V)

    def generate(self, images, start_token, max_length=20, end_token=None):
        """Greedy decoding → (N, ≤ max_length) int64 tokens following the start token; once a
        sequence emits `end_token` it keeps emitting it, and decoding stops when all have."""
        with no_grad():
            _, state = self.lstm(self.encode(images).unsqueeze(1))     # consume x_{−1}
            xp = backend.array_module(images._data)
            token = Tensor(xp.full((images.shape[0],), start_token, dtype="int64"))
            tokens, done = [], xp.zeros(images.shape[0], dtype=bool)
            for _ in range(max_length):
                out, state = self.lstm(self.embed(token.unsqueeze(1)), state)
                best = self.fc(out[:, 0]).argmax(-1)._data                # (N,)
                if end_token is not None:
                    best = xp.where(done, end_token, best)
                    done |= best == end_token
                token = Tensor(best)
                tokens.append(token)
                if done.all():
                    break
            return stack(tokens, 1)

    def beam_search(self, images, start_token, beam_size=3, max_length=20, end_token=None,
                    length_penalty=0.0, return_all=False):
        """Beam search (see `models.beam_search`) → the best caption per image (N, ≤ max_length)
        int64, padded with `end_token` like `generate`, and its score (N,): Σ_t log p_t(S_t)
        over the words up to the end token, / length^length_penalty. With return_all, the
        beam_size best, best first: (N, k, ≤ max_length) and (N, k)."""
        def step(tokens, state):
            out, state = self.lstm(self.embed(tokens.unsqueeze(1)), state)
            return log_softmax(self.fc(out[:, 0]), -1), state

        with no_grad():
            _, state = self.lstm(self.encode(images).unsqueeze(1))     # consume x_{−1}
        tokens, scores, _ = beam_search(step, state, images.shape[0], start_token, beam_size,
                                        max_length, end_token, length_penalty,
                                        batch_dim=1)                 # (h, c): (layers, N, H)
        return (tokens, scores) if return_all else (tokens[:, 0], scores[:, 0])


@register("show_and_tell")
def show_and_tell(vocab_size=10000, **kwargs):
    """Show and Tell with the GoogLeNet encoder (vocab_size 10,000 unless given)."""
    return ShowAndTell(vocab_size, **kwargs)
