"""benchmarks/scaling.py: the fits on synthetic curves, and the --quick run end to end (tiny
sizes; no timing is asserted)."""
import math

import pytest

from benchmarks import scaling


def test_linear_fit_and_exponent_recover_known_curves():
    xs = [16, 64, 256]
    a, b = scaling.linear_fit(xs, [0.5 + 0.01 * x for x in xs])
    assert a == pytest.approx(0.5) and b == pytest.approx(0.01)
    assert scaling.loglog_exponent(xs, [3 * x ** 1.5 for x in xs]) == pytest.approx(1.5)
    assert scaling.loglog_exponent(xs, [1.0, 0.0, 2.0]) is None
    fits = scaling.slopes(xs, [2 + 0.03 * x for x in xs], [1 + 0.02 * x for x in xs])
    assert fits["slope_ratio"] == pytest.approx(1.5)
    assert fits["gradwork_intercept"] == pytest.approx(2)
    assert fits["torch_exponent"] < 1                     # a fixed part bends the log-log line
    assert scaling.slopes(xs, [1, 2, 3], [3, 2, 1])["slope_ratio"] is None


def test_full_run_points_are_loadable_by_spec():
    """interleave's and memory's workers find each full-size point by name."""
    from benchmarks.interleave import load
    point = load("benchmarks.scaling:seq_1024")
    assert point.size == (1024, 32) and point.kind == "lstm"
    assert [load(f"benchmarks.scaling:depth_{n}").size[0] for n in (20, 56, 110)] == [3, 9, 18]


def test_quick_run_end_to_end(tmp_path, capsys):
    results = scaling.main(["--quick", "--out", str(tmp_path)])
    assert set(results) == set(scaling.AXES)
    for name, (rows, fits) in results.items():
        assert [r["x"] for r in rows] == list(scaling.AXES[name].quick_xs)
        for r in rows:
            assert r["gradwork_s"] > 0 and r["torch_s"] > 0
            assert math.isfinite(r["gradwork_mib"]) and math.isfinite(r["torch_mib"])
        assert set(fits) == {"s", "mib"} and fits["s"]["gradwork_slope"] is not None
        assert (tmp_path / f"scaling_{name}.png").stat().st_size > 1000
    out = capsys.readouterr().out
    assert "| batch | s/step per batch size |" in out and "| seq | MiB per" in out


def test_cpu_clock_mode_runs(tmp_path):
    """--cpu (CPU seconds at one thread) on the quick sizes of one axis."""
    rows, fits = scaling.main(["--quick", "--cpu", "--axis", "seq", "--out", str(tmp_path)])["seq"]
    assert (tmp_path / "scaling_cpu_seq.png").exists()
    assert all(r["cpu"] and r["gradwork_s"] > 0 and r["torch_s"] > 0 for r in rows)
    assert fits["s"]["torch_slope"] is not None
