"""docs/REPRODUCTIONS.md from the verdict.json files of full runs, so that the table shows
exactly what the runs measured:

    python -m gradwork.reproduce.report docs/reproductions docs/REPRODUCTIONS.md
"""
import json
import os
import sys

from ..serialization import atomic_write_bytes
from .catalog import CLAIMS
from .claim import _fmt

_HEAD = """# Reproductions of the decks' claims

Each row is a full run of `gradwork reproduce NAME` (no `--quick`), written by
`python -m gradwork.reproduce.report docs/reproductions docs/REPRODUCTIONS.md` from the run's
`verdict.json`; the run's `results.csv` (every number, per seed) and `plot.png` are in
`docs/reproductions/NAME/`. The verdict rule of each claim is declared in its code
(`gradwork/reproduce/`) before the run; DOES NOT HOLD at this scale is a reported result, not
a failure.

| claim | deck, slide | the claim | command | verdict | numbers | run time |
|---|---|---|---|---|---|---|
"""


def _row(record, folder):
    numbers = "; ".join(f"{k} = {_fmt(v)}" for k, v in record["numbers"].items())
    if record.get("reason"):
        numbers += f" — {record['reason']}"
    seeds = f" --seeds {record['seeds']}" if record["seeds"] != 1 else ""
    plot = os.path.join(folder, record["claim"], "plot.png")
    return (f"| [{record['claim']}]({plot}) | {record['deck'][:3]}, {record['slide']} | "
            f"{record['statement']} | `gradwork reproduce {record['claim']}{seeds}` | "
            f"**{record['verdict']}** | {numbers} | {record['seconds']:.0f} s |\n")


def write_report(folder, path):
    """Write the table of the full runs found in `folder` (quick runs are left out)."""
    rows, missing = [], []
    for name in CLAIMS:
        verdict = os.path.join(folder, name, "verdict.json")
        if not os.path.exists(verdict):
            missing.append(name)
            continue
        with open(verdict) as f:
            record = json.load(f)
        if record["quick"]:
            missing.append(name)
            continue
        rows.append(_row(record, os.path.relpath(folder, os.path.dirname(path) or ".")))
    text = _HEAD + "".join(rows)
    if missing:
        text += "\nNot yet run in full: " + ", ".join(f"`{m}`" for m in missing) + ".\n"
    notes = os.path.join(folder, "NOTES.md")        # how the runs were made, what changed
    if os.path.exists(notes):
        with open(notes) as f:
            text += "\n" + f.read()
    atomic_write_bytes(path, text.encode())
    return path


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: python -m gradwork.reproduce.report RUNS_FOLDER OUTPUT.md")
    print(write_report(sys.argv[1], sys.argv[2]))
