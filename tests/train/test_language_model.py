"""train/language_model.py: truncated BPTT on Trainer's machinery, perplexity, checkpoints and
an exact resume of a language model (issue 17, item 7)."""
import math
import os
import signal

import numpy as np
import pytest

import gradwork as gw
from gradwork import nn
from gradwork.data.text import BPTTBatches, CharVocabulary
from gradwork.errors import CheckpointError
from gradwork.models.char_lm import CharRNN
from gradwork.train import load_checkpoint
from gradwork.train.language_model import LanguageModelTrainer, load_language_model

TEXT = "the cat sat on the mat; the dog sat on the log. " * 30          # 1,440 characters


def _run(seed=0, text=TEXT, cell="lstm", run_dir=None, loss_fn=None, **kwargs):
    gw.manual_seed(seed)
    vocab = CharVocabulary.from_text(text)
    ids = vocab.encode(text)
    train, val = BPTTBatches(ids[:1200], 4, 12), BPTTBatches(ids[1200:], 2, 12)
    model = CharRNN(len(vocab), embedding_dim=8, hidden_size=32, cell=cell)
    opt = gw.optim.Adam(model.parameters(), lr=0.02)
    config = {"model": "char_lm", "val_split": 0.17,
              "model_args": {"embedding_dim": 8, "hidden_size": 32, "cell": cell}}
    trainer = LanguageModelTrainer(model, opt, train, val, vocab, progress=False,
                                   run_dir=run_dir, clip_grad=5.0, loss_fn=loss_fn,
                                   config=config, **kwargs)
    return trainer, model, vocab


def _unigram_perplexity(text):
    p = np.unique(list(text), return_counts=True)[1] / len(text)
    return math.exp(-(p * np.log(p)).sum())


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_it_learns_a_repetitive_text_far_below_the_unigram_perplexity(cell):
    trainer, _, _ = _run(cell=cell)
    history = trainer.fit(4)
    unigram = _unigram_perplexity(TEXT)                     # ≈ 10.5: letter frequencies only
    val = trainer.evaluate(trainer.val_loader)
    assert val["perplexity"] == pytest.approx(math.exp(val["loss"]))
    assert history[-1]["val_perplexity"] == pytest.approx(val["perplexity"])
    assert val["perplexity"] < 0.3 * unigram, (val["perplexity"], unigram)


def test_the_state_is_carried_across_windows_and_detached_between_them():
    trainer, model, _ = _run()
    model.double()
    it = iter(trainer.train_loader)
    x1, y1 = next(it)
    trainer._forward(x1, y1)
    carried = [h.detach().numpy().copy() for h in trainer._hidden]          # window k's last
    seen = []
    original = model.rnn.forward

    def spy(x, hx=None, lengths=None):
        seen.append(hx)
        return original(x, hx, lengths)
    model.rnn.forward = spy
    x2, y2 = next(it)
    model.zero_grad()
    loss, _, _ = trainer._forward(x2, y2)
    loss.backward()
    grads = {k: p.grad.numpy().copy() for k, p in model.named_parameters()}
    for h, expected in zip(seen[0], carried):
        assert not h.requires_grad                                          # detached
        np.testing.assert_array_equal(h.numpy(), expected)                  # carried
    # the same window from a constant state with that value: the same gradient, so none of it
    # flowed back into window k
    model.zero_grad()
    logits, _ = model(x2, tuple(gw.tensor(h) for h in carried))
    nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), y2.reshape(-1)).backward()
    for k, p in model.named_parameters():
        np.testing.assert_allclose(grads[k], p.grad.numpy(), rtol=1e-12, atol=1e-15, err_msg=k)
    # and the state restarts from zero with the next epoch
    list(it)
    assert trainer.train_loader.state_dict()["batch"] == 0
    trainer._hidden = tuple(gw.tensor(h) for h in carried)
    seen.clear()
    trainer.train_epoch(2)
    assert seen[0] is None and seen[1] is not None and len(seen) == len(trainer.train_loader)


def _interrupt_at(step):
    calls = []

    def loss_fn(scores, targets):
        calls.extend([1] if gw.is_grad_enabled() else [])                  # training steps only
        if len(calls) == step and gw.is_grad_enabled():
            os.kill(os.getpid(), signal.SIGINT)                             # what Ctrl-C does
        return nn.functional.cross_entropy(scores, targets)
    return loss_fn


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_ctrl_c_mid_epoch_then_resume_ends_bit_identical(tmp_path, cell):
    trainer, model, _ = _run(cell=cell)
    trainer.fit(2)
    expected = {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}

    run = str(tmp_path / "run")
    first, _, _ = _run(cell=cell, run_dir=run, loss_fn=_interrupt_at(33))  # 25 windows an epoch
    first.fit(2)
    assert first.stopped and first.step == 33 and first.epoch == 1
    arrays, info = load_checkpoint(run)
    assert info["rng"]["loader"]["batch"] == 8 and "extra.hidden.0" in arrays   # state kept
    assert ("extra.hidden.1" in arrays) == (cell == "lstm")                     # (h, c) or h

    gw.manual_seed(123)                                 # the resumed process starts elsewhere
    second, model, _ = _run(cell=cell, run_dir=run)
    second.resume(run)
    second.fit(2)
    assert second.step == 50
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v.detach().numpy(), expected[k], err_msg=k)
    files = set(os.listdir(run))
    assert {"last.safetensors", "best.safetensors", "metrics.csv", "vocabulary.json"} <= files
    _, best = load_checkpoint(os.path.join(run, "best"))
    losses = [row["val_loss"] for row in second.history]
    assert best["best_loss"] == min(losses) and best["epoch"] == 1 + int(np.argmin(losses))
    loaded, vocab, _ = load_language_model(run)
    assert vocab.chars == second.vocabulary.chars and not loaded.training


def test_resuming_a_carried_state_of_another_number_of_streams_is_refused(tmp_path):
    run = str(tmp_path / "run")
    first, _, _ = _run(run_dir=run, loss_fn=_interrupt_at(3))         # 4 streams, mid-epoch
    first.fit(1)
    assert first.stopped and load_checkpoint(run)[0]["extra.hidden.0"].shape[1] == 4
    second, _, _ = _run(run_dir=run)
    second.train_loader = BPTTBatches(second.train_loader.streams.reshape(-1)[:1000], 2, 12)
    with pytest.raises(CheckpointError, match="state of 4 streams, but the batches have 2"):
        second.resume(run)


def test_resuming_on_another_text_is_refused(tmp_path):
    run = str(tmp_path / "run")
    trainer, _, _ = _run(run_dir=run)
    trainer.fit(1)
    other, _, _ = _run(run_dir=run, text=TEXT.replace("d", "D"))
    with pytest.raises(CheckpointError, match="vocabulary.*text file changed"):
        other.resume(run)
