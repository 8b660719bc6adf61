"""`gradwork reproduce`: every claim runs in --quick mode and writes well-formed outputs; every
verdict rule is exercised both ways on synthetic results."""
import csv
import json

import pytest

from gradwork.reproduce import (
    CLAIMS,
    DOES_NOT_HOLD,
    HOLDS,
    INCONCLUSIVE,
    Verdict,
    arithmetic,
    batchnorm,
    initialisation,
    pooling,
    regularisation,
    residual,
    run_claim,
    schedule,
)


@pytest.mark.parametrize("name", list(CLAIMS))
def test_quick_run_writes_results_plot_and_verdict(name, tmp_path):
    claim = CLAIMS[name]
    verdict = run_claim(claim, quick=True, seeds=1, out=str(tmp_path), log=lambda *a: None)
    folder = tmp_path / name
    with open(folder / "results.csv") as f:
        rows = list(csv.DictReader(f))
    assert rows and all(rows[0].keys())
    assert (folder / "plot.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    record = json.loads((folder / "verdict.json").read_text())
    assert record["verdict"] == verdict.status
    assert record["rule"] == claim.rule and record["quick"] is True
    assert record["deck"].endswith(".txt") and record["paper"]
    assert not list(folder.glob("*.tmp*"))


def test_catalog_entries_are_complete():
    for claim in CLAIMS.values():
        for field in ("deck", "slide", "statement", "paper", "rule", "full_time"):
            assert getattr(claim, field), (claim.name, field)
        assert claim.decide.__doc__ or claim.rule


def test_seeds_and_data_are_validated(tmp_path):
    claim = CLAIMS["conv_arithmetic"]
    with pytest.raises(ValueError, match="--seeds"):
        run_claim(claim, seeds=0, out=str(tmp_path))
    with pytest.raises(ValueError, match="--data must be one of"):
        run_claim(claim, data="cifar10", out=str(tmp_path))


def test_verdict_status_is_checked():
    with pytest.raises(ValueError, match="status"):
        Verdict("MAYBE")


# ------------------------------------------------------------------- the rules, both ways
def test_conv_arithmetic_rule():
    rows = arithmetic.conv_arithmetic_experiment(None)
    assert arithmetic.decide_conv_arithmetic(rows).status == HOLDS
    rows[0]["layer_params"] += 1
    assert arithmetic.decide_conv_arithmetic(rows).status == DOES_NOT_HOLD


def _vgg_rows(total_values):
    rows = [{"layer": n, "deck_side": s, "side": s, "deck_values": v, "values": v,
             "deck_params": p, "weights": p, "params_with_bias": p} for n, s, _, v, p in
            arithmetic._VGG_DECK]
    rows.append({"layer": "TOTAL", "deck_values": 24e6, "values": total_values,
                 "deck_params": 138e6, "params_with_bias": 138.36e6,
                 "deck_rows_sum_values": 15.2e6})
    return rows


def test_vgg16_rule():
    assert arithmetic.decide_vgg16(_vgg_rows(24.5e6)).status == HOLDS
    assert arithmetic.decide_vgg16(_vgg_rows(15.2e6)).status == DOES_NOT_HOLD
    rows = _vgg_rows(24.5e6)
    rows[3]["side"] = 57
    verdict = arithmetic.decide_vgg16(rows)
    assert verdict.status == DOES_NOT_HOLD and "CONV3-128" in verdict.reason


def test_resnet_flops_rule():
    rows = [{"depth": d, "variant": "v1 (paper)", "input": 224, "gmacs": g + 0.05,
             "table_gmacs": g} for d, g in arithmetic._RESNET_TABLE_GMACS.items()]
    assert arithmetic.decide_resnet_flops(rows).status == HOLDS
    rows[2]["gmacs"] = 4.1
    assert arithmetic.decide_resnet_flops(rows).status == DOES_NOT_HOLD
    assert arithmetic.decide_resnet_flops([dict(r, input=32) for r in rows]).status \
        == INCONCLUSIVE


def test_inception_rule():
    naive, reduced = {"params": 900, "macs": 9000}, {"params": 300, "macs": 3000}
    assert arithmetic.decide_inception([naive, reduced]).status == HOLDS
    assert arithmetic.decide_inception([naive, {"params": 600, "macs": 3000}]).status \
        == DOES_NOT_HOLD


def _residual_rows(errs):
    return [{"seed": s, "model": m, "depth": int(m.split("-")[1]), "residual": "resnet" in m,
             "epoch": 1, "train_err": e} for s, d in enumerate(errs) for m, e in d.items()]


def test_residual_rule():
    good = {"plain-20": 0.10, "plain-56": 0.20, "resnet-20": 0.08, "resnet-56": 0.07}
    flat = {"plain-20": 0.10, "plain-56": 0.08, "resnet-20": 0.08, "resnet-56": 0.07}
    assert residual.decide_residual(_residual_rows([good, good])).status == HOLDS
    assert residual.decide_residual(_residual_rows([flat, flat])).status == DOES_NOT_HOLD
    assert residual.decide_residual(_residual_rows([good, flat])).status == INCONCLUSIVE


def _bn_rows(steps_plain, steps_bn):
    rows = []
    for bn, steps in ((False, steps_plain), (True, steps_bn)):
        for lr, step in steps.items():
            rows.append({"seed": 0, "batch_norm": bn, "base_lr": lr, "step": 10,
                         "test_err": 0.5})
            if step is not None:
                rows.append({"seed": 0, "batch_norm": bn, "base_lr": lr, "step": step,
                             "test_err": 0.05})
    return rows


def test_batchnorm_rule():
    holds = _bn_rows({0.1: 300, 2.0: None}, {0.1: 100, 2.0: 80})
    assert batchnorm.decide_batchnorm(holds).status == HOLDS
    slower = _bn_rows({0.1: 100, 2.0: None}, {0.1: 300, 2.0: None})
    assert batchnorm.decide_batchnorm(slower).status == DOES_NOT_HOLD


def _gap_rows(gaps):
    return [{"seed": s, "variant": v, "gap": g, "test_acc": 0.9} for s, d in enumerate(gaps)
            for v, g in d.items()]


def test_gap_rules():
    for module_rule, base, reg in ((regularisation.DROPOUT_OVERFITTING.decide, "no dropout",
                                    "dropout p=0.5"),
                                   (regularisation.AUGMENTATION.decide, "no augmentation",
                                    "random crops")):
        assert module_rule(_gap_rows([{base: 0.2, reg: 0.1}] * 2)).status == HOLDS
        assert module_rule(_gap_rows([{base: 0.1, reg: 0.2}] * 2)).status == DOES_NOT_HOLD


def _penalty_rows(l1_fraction):
    stats = {"none": (0.01, 20.0), "L2": (0.01, 10.0), "L1": (l1_fraction, 12.0),
             "elastic net": (l1_fraction, 11.0)}
    return [{"seed": 0, "penalty": p, "near_zero_fraction": f, "l2_norm": n, "test_err": 0.1}
            for p, (f, n) in stats.items()]


def test_penalties_rule():
    assert regularisation.decide_penalties(_penalty_rows(0.6)).status == HOLDS
    assert regularisation.decide_penalties(_penalty_rows(0.005)).status == DOES_NOT_HOLD


def _init_rows(small_ratio, good_acc):
    rows = []
    for nl in ("tanh", "relu"):
        for scheme, ratio, acc in (("N(0, 0.01²)", small_ratio, 0.1),
                                   ("Xavier", 0.8, good_acc), ("Kaiming", 0.9, good_acc)):
            for layer, std in ((1, 1.0), (10, ratio)):
                rows.append({"seed": 0, "nonlinearity": nl, "init": scheme, "layer": layer,
                             "activation_std": std, "test_acc_after_training": acc})
    return rows


def test_initialisation_rule():
    assert initialisation.decide_initialisation(_init_rows(1e-6, 0.95)).status == HOLDS
    assert initialisation.decide_initialisation(_init_rows(0.5, 0.95)).status == DOES_NOT_HOLD
    assert initialisation.decide_initialisation(_init_rows(1e-6, 0.5)).status == DOES_NOT_HOLD


def _plateau_rows(const_err, plateau_err, final_lr=0.01):
    return [{"seed": 0, "schedule": "constant", "lr": 0.1, "test_err": 0.2},
            {"seed": 0, "schedule": "constant", "lr": 0.1, "test_err": const_err},
            {"seed": 0, "schedule": "÷10 on plateau", "lr": 0.1, "test_err": 0.2},
            {"seed": 0, "schedule": "÷10 on plateau", "lr": final_lr, "test_err": plateau_err}]


def test_plateau_rule():
    assert schedule.decide_plateau(_plateau_rows(0.03, 0.02)).status == HOLDS
    assert schedule.decide_plateau(_plateau_rows(0.02, 0.03)).status == DOES_NOT_HOLD
    assert schedule.decide_plateau(_plateau_rows(0.03, 0.02, final_lr=0.1)).status \
        == DOES_NOT_HOLD


def test_pooling_rule():
    def rows(pooled, strided):
        return [{"seed": 0, "net": n, "shift": k, "relative_feature_change": c}
                for n, c in (("max pooling", pooled), ("strided conv", strided))
                for k in (1, 2, 3)]
    assert pooling.decide_pooling(rows(0.2, 0.4)).status == HOLDS
    assert pooling.decide_pooling(rows(0.4, 0.2)).status == DOES_NOT_HOLD


def test_shift_moves_the_image_and_fills_the_border():
    import numpy as np
    x = np.arange(16, dtype=np.float32).reshape(1, 1, 4, 4)
    moved = pooling._shift(x, 1, 0)
    assert np.array_equal(moved[0, 0, :, 1:], x[0, 0, :, :3])
    assert np.array_equal(moved[0, 0, :, 0], x[0, 0, :, 0])


def test_densenet_efficiency_rule():
    from gradwork.reproduce import efficiency

    def rows(dense_err, res_err):
        return [{"seed": 0, "model": "DenseNet-BC-28 (k=12)", "params": 102298,
                 "test_err": dense_err},
                {"seed": 0, "model": "ResNet-20", "params": 269434, "test_err": res_err}]
    assert efficiency.decide_efficiency(rows(0.03, 0.04)).status == HOLDS
    assert efficiency.decide_efficiency(rows(0.05, 0.04)).status == DOES_NOT_HOLD
    assert efficiency.decide_efficiency(rows(0.03, 0.04)[:1]).status == INCONCLUSIVE


def test_binary_rules():
    from gradwork.reproduce import binary

    def memory(ratio):
        return [{"model": "m", "layer": "all binary layers", "ratio": ratio},
                {"model": "m", "layer": "whole file", "ratio": ratio / 3}]
    assert binary.decide_memory(memory(31.8)).status == HOLDS
    assert binary.decide_memory(memory(25.0)).status == DOES_NOT_HOLD

    def speed(s1, s16):
        return [{"seed": 0, "channels": 512, "batch": 1, "speedup": s1},
                {"seed": 0, "channels": 512, "batch": 16, "speedup": s16}]
    assert binary.decide_speed(speed(8.0, 6.0)).status == HOLDS
    assert binary.decide_speed(speed(8.0, 3.0)).status == DOES_NOT_HOLD
    assert binary.decide_speed([]).status == INCONCLUSIVE

    def acc(f, b, x):
        return [{"seed": 0, "model": m, "test_err": 1 - a}
                for m, a in (("lenet5", f), ("bwn_lenet5", b), ("xnor_lenet5", x))]
    assert binary.decide_accuracy(acc(0.98, 0.97, 0.93)).status == HOLDS
    assert binary.decide_accuracy(acc(0.98, 0.99, 0.93)).status == DOES_NOT_HOLD
    assert binary.decide_accuracy(acc(0.98, 0.95, 0.93)).status == INCONCLUSIVE


def test_report_lists_full_runs_only(tmp_path):
    from gradwork.reproduce.report import write_report
    run_claim(CLAIMS["conv_arithmetic"], out=str(tmp_path / "runs"), log=lambda *a: None)
    run_claim(CLAIMS["inception_1x1"], quick=True, out=str(tmp_path / "runs"),
              log=lambda *a: None)
    text = open(write_report(str(tmp_path / "runs"), str(tmp_path / "R.md"))).read()
    assert "| [conv_arithmetic](runs/conv_arithmetic/plot.png) |" in text
    assert "**HOLDS** | examples = 9; disagreements = 0" in text
    assert "Not yet run in full:" in text and "`inception_1x1`" in text
