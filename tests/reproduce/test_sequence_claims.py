"""The sequence claims' verdict rules, both ways, on synthetic results; their measuring code
on tiny cases (the quick runs are in test_claims.py, which runs every registered claim)."""
import numpy as np
import pytest
import torch

import gradwork as gw
from gradwork.backend import manual_seed
from gradwork.reproduce import DOES_NOT_HOLD, HOLDS, INCONCLUSIVE, adding, gradients
from gradwork.reproduce.sequence_training import (
    SequenceRegressor,
    cell_like,
    gradient_norms,
    tcn_shape,
)


def _grad_rows(small, large, rnn_trained, lstm_trained, seeds=1):
    rows = []
    for s in range(seeds):
        for model, phase, ratio in (("tanh RNN ρ=0.9", "initialisation", small),
                                    ("tanh RNN ρ=1.5", "initialisation", large),
                                    ("LSTM", "initialisation", 1e-20),
                                    ("tanh RNN ρ=0.9", "trained", rnn_trained),
                                    ("LSTM", "trained", lstm_trained),
                                    ("GRU", "trained", 1e-2)):
            rows += [{"seed": s, "model": model, "phase": phase, "t": 1, "relative": ratio},
                     {"seed": s, "model": model, "phase": phase, "t": 100, "relative": 1.0}]
    return rows


def test_vanishing_rule():
    decide = gradients.decide_vanishing
    assert decide(_grad_rows(1e-7, 100.0, 1e-12, 1e-2, seeds=2)).status == HOLDS
    assert decide(_grad_rows(1e-2, 100.0, 1e-12, 1e-2)).status == DOES_NOT_HOLD
    assert decide(_grad_rows(1e-7, 0.5, 1e-12, 1e-2)).status == DOES_NOT_HOLD
    assert decide(_grad_rows(1e-7, 100.0, 1e-2, 1e-3)).status == DOES_NOT_HOLD
    assert decide(_grad_rows(1e-7, 100.0, 1e-4, 1e-2)).status == INCONCLUSIVE


def test_set_spectral_radius():
    layer = SequenceRegressor("RNN", 2, 16).body
    gradients.set_spectral_radius(layer, 0.7, seed=3)
    radius = np.abs(np.linalg.eigvals(layer.weight_hh_l0.detach().numpy())).max()
    assert radius == pytest.approx(0.7, 1e-4)


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_gradient_norms_match_torch(kind):
    """‖∂L/∂h_t‖ from the unrolled cell equals PyTorch's on the same weights and inputs."""
    manual_seed(0)
    layer = SequenceRegressor(kind, 2, 5).body
    x = np.random.default_rng(1).standard_normal((7, 3, 2)).astype(np.float32)
    ours = gradient_norms(cell_like(layer, kind), x)
    cell = {"RNN": torch.nn.RNNCell, "LSTM": torch.nn.LSTMCell, "GRU": torch.nn.GRUCell}[kind](
        2, 5)
    with torch.no_grad():
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            weight = getattr(layer, name + "_l0").detach().numpy()
            getattr(cell, name).copy_(torch.from_numpy(weight))
    hs, state = [], None
    for t in range(7):
        state = cell(torch.from_numpy(x[t]), state)
        h = state[0] if isinstance(state, tuple) else state
        h.retain_grad()
        hs.append(h)
    v = torch.from_numpy(np.random.default_rng(0).standard_normal(5).astype(np.float32))
    (hs[-1] * v).sum().backward()
    theirs = [float(h.grad.norm(dim=1).mean()) for h in hs]
    np.testing.assert_allclose(ours, theirs, rtol=1e-4)


def test_tcn_shape_covers_the_sequence():
    for seq_len in (10, 50, 200, 1000):
        levels, kernel = tcn_shape(seq_len)
        assert 1 + 2 * (kernel - 1) * (2 ** levels - 1) >= seq_len


def _adding_rows(mses):
    return [{"seed": 0, "T": t, "model": k, "step": 1, "test_mse": v}
            for (t, k), v in mses.items()]


def test_adding_rule():
    good = {(t, k): (0.167 if k == "RNN" else 0.001) for t in (50, 200)
            for k in ("RNN", "LSTM", "GRU", "TCN")}
    assert adding.decide_adding(_adding_rows(good)).status == HOLDS
    assert adding.decide_adding(_adding_rows({**good, (200, "RNN"): 0.005})).status \
        == DOES_NOT_HOLD
    assert adding.decide_adding(_adding_rows({**good, (200, "TCN"): 0.2})).status \
        == DOES_NOT_HOLD
    assert adding.decide_adding(_adding_rows({**good, (200, "LSTM"): 0.05})).status \
        == INCONCLUSIVE


def test_adding_rule_reads_the_longest_t_and_not_the_regularised_rnn():
    good = {(t, k): (0.167 if k.startswith("RNN") else 0.001) for t in (50, 200, 400)
            for k in ("RNN", "LSTM", "GRU", "TCN", "RNN+Ω")}
    verdict = adding.decide_adding(_adding_rows({**good, (400, "RNN+Ω"): 0.001}))
    assert verdict.status == HOLDS and verdict.numbers["seed0_T400_RNN+Ω"] == 0.001
    assert adding.decide_adding(_adding_rows({**good, (400, "RNN"): 0.005})).status \
        == DOES_NOT_HOLD
    assert adding.decide_adding(_adding_rows({**good, (400, "GRU"): 0.05})).status \
        == INCONCLUSIVE


def test_train_adding_with_the_pascanu_regulariser():
    """λ = 0 changes nothing; λ > 0 reports Ω and changes only what W_hh's gradient drives;
    a model without exactly one vanilla RNN is refused."""
    from gradwork.errors import ArgumentError
    from gradwork.reproduce.sequence_training import train_adding
    runs, models = [], []
    for omega in (None, 0.0, 0.5):
        manual_seed(0)
        models.append(SequenceRegressor("RNN", 2, 8))
        runs.append(train_adding(models[-1], 12, steps=6, lr=1e-2, seed=0, clip=1.0,
                                 eval_every=3, n_test=16, pascanu_omega=omega))
    assert "omega" not in runs[0][-1] and runs[1][-1]["omega"] > 0
    assert [r["test_mse"] for r in runs[0]] == [r["test_mse"] for r in runs[1]]
    assert runs[2][-1]["test_mse"] != runs[0][-1]["test_mse"]
    with pytest.raises(ArgumentError, match="exactly one nn.RNN, got 0"):
        train_adding(SequenceRegressor("LSTM", 2, 8), 12, steps=1, lr=1e-2, seed=0,
                     pascanu_omega=1.0)


def _clip_rows(diverged_without, diverged_with, seeds=4):
    rows = []
    for s in range(seeds):
        for label, n in (("no clipping", diverged_without), ("clip ‖g‖ ≤ 1", diverged_with)):
            rows.append({"seed": s, "clipping": label, "step": 1, "train_mse": 0.5,
                         "diverged": False})
            rows.append({"seed": s, "clipping": label, "step": 2, "train_mse": 0.2,
                         "diverged": s < n})
    return rows


def test_clipping_rule():
    decide = gradients.decide_clipping
    verdict = decide(_clip_rows(3, 0))
    assert verdict.status == HOLDS and verdict.numbers["diverged_without"] == 0.75
    assert decide(_clip_rows(2, 2)).status == DOES_NOT_HOLD
    assert decide(_clip_rows(0, 0)).status == INCONCLUSIVE
    assert decide(_clip_rows(1, 0)).status == INCONCLUSIVE


def test_training_stops_at_divergence_and_clipping_bounds_the_step():
    """An exploding RNN under large-lr SGD: without clipping the run is flagged diverged and
    stops; with clipping every step is bounded, so the loss stays finite."""
    from gradwork.reproduce.sequence_training import train_adding
    runs = []
    for clip in (None, 1.0):
        manual_seed(0)
        model = SequenceRegressor("RNN", 2, 16)
        gradients.set_spectral_radius(model.body, 3.0, seed=0)
        runs.append(train_adding(model, 20, steps=30, lr=0.5, seed=0, clip=clip, sgd=True,
                                 eval_every=5, n_test=32))
    assert runs[0][-1]["diverged"] and runs[0][-1]["step"] < 30
    assert not any(r["diverged"] for r in runs[1]) and runs[1][-1]["step"] == 30


def test_anbn_next_character_sets():
    from gradwork.reproduce.counting import anbn_example
    tokens, sets = anbn_example(2)       # S a a b b
    assert tokens.tolist() == [0, 1, 1, 2, 2]
    assert sets.tolist() == [[1, 0, 0], [1, 1, 0], [1, 1, 0], [0, 1, 0], [0, 0, 1]]


def test_anbncn_next_character_sets():
    from gradwork.reproduce.counting import counting_example
    tokens, sets = counting_example(2, letters=3)       # S a a b b c c
    assert tokens.tolist() == [0, 1, 1, 2, 2, 3, 3]
    assert sets.tolist() == [[1, 0, 0, 0], [1, 1, 0, 0], [1, 1, 0, 0], [0, 1, 0, 0],
                             [0, 0, 1, 0], [0, 0, 1, 0], [0, 0, 0, 1]]
    tokens, sets = counting_example(1, letters=3)       # S a b c
    assert sets.tolist() == [[1, 0, 0, 0], [1, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]


def test_accepts_checks_every_position():
    from gradwork.reproduce.counting import accepts, anbn_example

    class Oracle:                         # right for n ≤ 3, wrong at the last step beyond
        letters = 2

        def __call__(self, tokens):
            n = (tokens.shape[1] - 1) // 2
            logits = np.where(anbn_example(n)[1] > 0.5, 1.0, -1.0)
            if n > 3:
                logits[-1] = -logits[-1]
            return gw.tensor(logits[None])
    assert [accepts(Oracle(), n) for n in (1, 3, 4)] == [True, True, False]


def _count_rows(lstm, gru, seeds=1, languages=("anbn",)):
    return [{"seed": s, "language": lang, "model": m, "kind": "acceptance", "n": 1,
             "accepted": True, "train_max_n": 20, "largest_n": v} for s in range(seeds)
            for lang in languages for m, v in (("LSTM", lstm), ("GRU", gru))]


def test_counting_rule():
    from gradwork.reproduce.counting import decide_counting
    both = ("anbn", "anbncn")
    verdict = decide_counting(_count_rows(150, 25, seeds=2, languages=both))
    assert verdict.status == HOLDS and verdict.numbers["seed1_anbncn_gru_largest_n"] == 25
    assert decide_counting(_count_rows(25, 40)).status == DOES_NOT_HOLD
    assert decide_counting(_count_rows(18, 10)).status == INCONCLUSIVE
    one_fails = _count_rows(150, 25, languages=both)
    one_fails[-1]["largest_n"] = 150                    # the GRU matches it on aⁿbⁿcⁿ
    assert decide_counting(one_fails).status == DOES_NOT_HOLD


def test_translation_task_reverses_and_maps():
    from gradwork.reproduce import translation as tr
    table = tr.dictionary()
    assert sorted(table[3:]) == list(range(3, tr._VOCAB)) and list(table[:3]) == [0, 1, 2]
    src, tgt = tr.translation_batch(np.random.default_rng(0), 2, 5)
    assert tgt.shape == (2, 7) and (tgt[:, 0] == tr.START).all() and (tgt[:, -1] == tr.END).all()
    np.testing.assert_array_equal(tgt[:, 1:-1], table[src[:, ::-1]])


def _att_rows(none_short, none_long, bahdanau_long, gnmt_long):
    rows = [{"seed": 0, "model": m, "length": n, "bleu": b}
            for m, n, b in (("no attention", 4, none_short), ("no attention", 24, none_long),
                            ("Bahdanau", 4, 1.0), ("Bahdanau", 24, bahdanau_long),
                            ("GNMT", 4, 1.0), ("GNMT", 24, gnmt_long))]
    return rows


def test_attention_rule():
    from gradwork.reproduce.translation import decide_attention
    assert decide_attention(_att_rows(0.9, 0.2, 0.9, 0.8)).status == HOLDS
    assert decide_attention(_att_rows(0.9, 0.5, 0.4, 0.9)).status == DOES_NOT_HOLD
    assert decide_attention(_att_rows(0.9, 0.8, 0.95, 0.95)).status == INCONCLUSIVE


def test_attention_rule_only_reports_the_gnmt_shaped_model():
    from gradwork.reproduce.translation import decide_attention
    extra = [{"seed": 0, "model": "GNMT model, 3 + 3 layers", "length": n, "bleu": 0.0}
             for n in (4, 24)]
    verdict = decide_attention(_att_rows(0.9, 0.2, 0.9, 0.8) + extra)
    assert verdict.status == HOLDS and verdict.numbers["seed0_gnmt_model_len24"] == 0.0


def test_reference_tcn_init_keeps_the_weight_norm_identity():
    """v ~ U(±1/√fan_in) and g = ‖v‖ per output channel, so the effective weight is v."""
    manual_seed(0)
    tcn = SequenceRegressor("TCN", 2, 8, tcn_levels=2, tcn_kernel=3).body
    conv = tcn.network[1].conv2
    v, g = conv.weight_v.detach().numpy(), conv.weight_g.detach().numpy().reshape(-1)
    bound = 1 / np.sqrt(v.shape[1] * v.shape[2])
    assert np.abs(v).max() <= bound and np.abs(v).max() > 0.5 * bound
    np.testing.assert_allclose(g, np.sqrt((v.astype(np.float64) ** 2).sum(axis=(1, 2))),
                               rtol=1e-5)
    assert tcn.network[0].downsample.weight.detach().numpy().std() < 0.05      # N(0, 0.01) kept


def _copy_rows(tcn, lstm, gru, seeds=1):
    return [{"seed": s, "model": k, "step": 1, "baseline": 0.173, "test_loss": v}
            for s in range(seeds) for k, v in (("TCN", tcn), ("LSTM", lstm), ("GRU", gru))]


def test_copy_memory_rule():
    from gradwork.reproduce.copy_memory import decide_copy
    assert decide_copy(_copy_rows(0.001, 0.17, 0.16, seeds=2)).status == HOLDS
    assert decide_copy(_copy_rows(0.05, 0.04, 0.16)).status == DOES_NOT_HOLD
    assert decide_copy(_copy_rows(0.05, 0.17, 0.16)).status == INCONCLUSIVE


def test_copy_memory_baseline_and_tagger_shapes():
    from gradwork.reproduce import copy_memory as cm
    assert cm.baseline(100) == pytest.approx(10 * np.log(8) / 120)
    x = cm.one_hot(np.array([[1, 0, 9]]), 10)
    assert x.shape == (1, 3, 10) and x.detach().numpy().sum() == 3
    for kind in ("TCN", "LSTM", "GRU"):
        manual_seed(0)
        assert cm._model(kind, 5).forward(cm.one_hot(np.zeros((2, 25), int), 10)).shape \
            == (2, 25, 10)


def _h0_rows(losses, seeds=2):
    """losses: kind → (zero, learned) per seed."""
    return [{"seed": s, "model": k, "initial_state": state, "step": 1, "test_loss": v[s][i]}
            for k, v in losses.items() for s in range(seeds)
            for i, state in enumerate(("zero h0", "learned h0"))]


def test_learned_initial_state_rule():
    from gradwork.reproduce.initial_state import decide_initial_state as decide
    better, worse, mixed = [(0.5, 0.4)] * 2, [(0.4, 0.5)] * 2, [(0.5, 0.4), (0.4, 0.5)]
    assert decide(_h0_rows({"RNN": better, "LSTM": better})).status == HOLDS
    assert decide(_h0_rows({"RNN": better, "LSTM": worse})).status == DOES_NOT_HOLD
    assert decide(_h0_rows({"RNN": mixed, "LSTM": mixed})).status == DOES_NOT_HOLD
    assert decide(_h0_rows({"RNN": better, "LSTM": mixed})).status == INCONCLUSIVE


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_learned_initial_state_models_start_identical(kind):
    """Same weights, h0 = 0: the two models' outputs agree before training."""
    from gradwork.reproduce import initial_state as st
    x, y = st.first_steps_batch(np.random.default_rng(0), 5)
    assert y.tolist() == x.detach().numpy()[:, 0].argmax(axis=1).tolist()
    zero, learned = st._model(kind, False, 3), st._model(kind, True, 3)
    assert learned.body.learn_initial_state and not zero.body.learn_initial_state
    np.testing.assert_allclose(zero(x).detach().numpy(), learned(x).detach().numpy(),
                               rtol=1e-6)


def _variant_rows(plain, peephole, coupled):
    return [{"seed": 0, "variant": v, "step": 1, "test_mse": m}
            for v, m in (("plain", plain), ("peephole", peephole), ("coupled", coupled))]


def test_lstm_variants_rule():
    from gradwork.reproduce.lstm_variants import decide_variants as decide
    assert decide(_variant_rows(0.002, 0.003, 0.0015)).status == HOLDS
    assert decide(_variant_rows(0.002, 0.009, 0.003)).status == HOLDS       # within 0.01
    assert decide(_variant_rows(0.002, 0.05, 0.003)).status == DOES_NOT_HOLD
    assert decide(_variant_rows(0.16, 0.165, 0.167)).status == INCONCLUSIVE


def test_lstm_variants_are_matched_in_size():
    from gradwork.reproduce import lstm_variants as lv
    target = lv.count(lv.VariantRegressor(32))
    for options in lv._VARIANTS.values():
        model = lv.VariantRegressor(lv.matched_hidden(options, target), **options)
        assert abs(lv.count(model) - target) / target < 0.03
    assert lv.matched_hidden({"coupled": True}, target) > 32
