"""`gradwork reproduce`: --list, a run with its verdict line, and its errors."""
import json

from gradwork.cli.main import main
from gradwork.reproduce import CLAIMS


def test_list_names_every_claim_with_deck_paper_and_time(capsys):
    assert main(["reproduce", "--list"]) == 0
    out = capsys.readouterr().out
    for claim in CLAIMS.values():
        assert claim.name in out and claim.deck in out and claim.full_time in out


def test_run_prints_the_verdict_and_writes_the_folder(tmp_path, capsys):
    assert main(["reproduce", "conv_arithmetic", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("conv_arithmetic: HOLDS (examples=9, disagreements=0)")
    record = json.loads((tmp_path / "conv_arithmetic" / "verdict.json").read_text())
    assert record["verdict"] == "HOLDS" and record["quick"] is False


def test_quick_run_is_labelled(tmp_path, capsys):
    assert main(["reproduce", "inception_1x1", "--quick", "--out", str(tmp_path)]) == 0
    assert "[quick: a pipeline check" in capsys.readouterr().out


def test_unknown_claim_and_bad_seeds_are_refused(tmp_path, capsys):
    assert main(["reproduce", "no_such_claim", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "unknown claim 'no_such_claim'" in err and "conv_arithmetic" in err
    assert main(["reproduce", "conv_arithmetic", "--data", "cifar10",
                 "--out", str(tmp_path)]) == 2
    assert "--data must be one of mnist" in capsys.readouterr().err
