import numpy as np
import pytest
import torch

import gradwork as gw
import gradwork.nn as nn
import gradwork.nn.functional as F
from gradwork.models import ShowAndTell, get_model

from .zoo_helpers import (
    assert_round_trip,
    fit,
    needs_layers,
    sequence_log_prob,
    training_step_lowers_loss,
)

pytestmark = needs_layers("Conv2d", "AdaptiveAvgPool2d", "LSTM", "Embedding")

VOCAB, START, END = 12, 1, 2


def tiny_encoder():
    return nn.Sequential(nn.Conv2d(3, 6, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
                         nn.Flatten())


def make_model():
    return ShowAndTell(VOCAB, embed_size=8, hidden_size=16, encoder=tiny_encoder(), encoder_dim=6)


def loss_fn(logits, captions):
    return F.cross_entropy(logits.reshape(-1, VOCAB), captions[:, 1:].reshape(-1))


def test_teacher_forcing_matches_the_equations():
    # x_{−1} = W_I CNN(I), x_t = W_e S_t, p_{t+1} = softmax(W_o LSTM(x_t)), in PyTorch
    model = make_model().eval()
    images = gw.randn(3, 3, 8, 8)
    captions = gw.tensor(np.array([[START, 5, 6, 7, END]] * 3))
    logits = model(images, captions)
    assert logits.shape == (3, 4, VOCAB)
    with gw.no_grad():
        feature = torch.from_numpy(model.encode(images).numpy())
    lstm = torch.nn.LSTM(8, 16, batch_first=True)
    lstm.load_state_dict({k: torch.from_numpy(v.numpy())
                          for k, v in model.lstm.state_dict().items()})
    embed = torch.from_numpy(model.embed.weight.detach().numpy())
    words = embed[torch.from_numpy(captions.numpy()[:, :-1])]
    out, _ = lstm(torch.cat([feature[:, None], words], 1))
    w_o = torch.from_numpy(model.fc.weight.detach().numpy())
    b_o = torch.from_numpy(model.fc.bias.detach().numpy())
    expected = out[:, 1:] @ w_o.T + b_o
    np.testing.assert_allclose(logits.detach().numpy(), expected.detach().numpy(), atol=1e-5)


@pytest.fixture(scope="module")
def trained():
    """The four-image captioner, trained once for the tests that need it (seeded here: module
    fixtures run before the per-test seed)."""
    gw.manual_seed(0)
    rng = np.random.default_rng(0)
    images = gw.tensor(rng.standard_normal((4, 3, 8, 8)).astype(np.float32) * 2)
    captions = gw.tensor(np.array([[START, 3, 4, 5, END], [START, 6, 7, 8, END],
                                   [START, 9, 10, 3, END], [START, 11, 4, 6, END]]))
    model = make_model()
    training_step_lowers_loss(model, (images, captions), captions,
                              loss_fn=lambda out, c: loss_fn(out, c), lr=0.01)
    losses = fit(model, (images, captions), captions, steps=150, lr=0.03, loss_fn=loss_fn)
    return model.eval(), images, captions, losses


def test_learns_to_caption_four_images(trained, tmp_path):
    model, images, captions, losses = trained
    assert losses[-1] < 0.1, losses[::15]
    generated = model.generate(images, START, max_length=6, end_token=END).numpy()
    np.testing.assert_array_equal(generated[:, :4], captions.numpy()[:, 1:])
    assert_round_trip(model, make_model, (images, captions), tmp_path)


def caption_log_prob(model, images, tokens, end_token=END):
    """log p(tokens | image) by teacher forcing (independent of the decoders)."""
    captions = np.concatenate([np.full((len(tokens), 1), START), tokens], 1)
    with gw.no_grad():
        logits = model(images, gw.tensor(captions)).numpy()
    return sequence_log_prob(logits, tokens, end_token)


@pytest.mark.parametrize("end_token", [None, END])
def test_beam_of_one_is_greedy(end_token):
    model = make_model().eval()
    images = gw.randn(5, 3, 8, 8)
    greedy = model.generate(images, START, max_length=7, end_token=end_token).numpy()
    tokens, scores = model.beam_search(images, START, beam_size=1, max_length=7,
                                       end_token=end_token)
    np.testing.assert_array_equal(tokens.numpy(), greedy)
    np.testing.assert_allclose(scores.numpy(), caption_log_prob(model, images, greedy, end_token),
                               rtol=1e-5, atol=1e-5)


def test_beam_search_is_at_least_as_likely_as_greedy(trained):
    model, images, _, _ = trained
    greedy = model.generate(images, START, max_length=6, end_token=END).numpy()
    tokens, scores = model.beam_search(images, START, beam_size=3, max_length=6, end_token=END,
                                       return_all=True)
    assert tokens.shape[:2] == (4, 3) and scores.shape == (4, 3)
    best = tokens.numpy()[:, 0]
    for k in range(3):                        # every beam's score is its caption's likelihood
        np.testing.assert_allclose(scores.numpy()[:, k],
                                   caption_log_prob(model, images, tokens.numpy()[:, k]),
                                   rtol=1e-5, atol=1e-5)
    assert np.all(caption_log_prob(model, images, best) >=
                  caption_log_prob(model, images, greedy) - 1e-6)


def test_bad_captions_are_named():
    model = make_model()
    with pytest.raises(ValueError, match=r"show_and_tell: captions must be integer tokens"):
        model(gw.randn(2, 3, 8, 8), gw.tensor(np.array([[1], [1]])))
    with pytest.raises(ValueError, match="custom encoder"):
        ShowAndTell(VOCAB, encoder=tiny_encoder())


def test_default_encoder_is_googlenet(fast_init):
    model = get_model("show_and_tell", vocab_size=50)
    assert type(model.encoder).__name__ == "GoogLeNet" and model.image_proj.in_features == 1024
    with gw.no_grad():
        out = model.eval()(gw.zeros(2, 3, 32, 32), gw.tensor(np.array([[1, 4, 2], [1, 5, 2]])))
    assert out.shape == (2, 2, 50)
