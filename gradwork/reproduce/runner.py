"""Run one claim: experiment → results.csv → verdict (by the claim's declared rule) →
plot.png and verdict.json in OUT/NAME/, every file written atomically."""
import csv
import io
import json
import os
import platform
import time

from ..errors import check_positive_int
from ..serialization import atomic_write_bytes
from .claim import Context


def write_csv(rows, path):
    """Rows (dicts) as CSV; the columns are the union of the rows' keys, in first-seen order."""
    columns = list(dict.fromkeys(k for row in rows for k in row))
    buf = io.StringIO()
    writer = csv.DictWriter(buf, columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    atomic_write_bytes(path, buf.getvalue().encode())


def run_claim(claim, quick=False, seeds=None, data="mnist", data_dir=None, out="reproductions",
              log=print):
    """Run `claim` and write OUT/NAME/{results.csv, plot.png, verdict.json}; returns the
    `Verdict`. `seeds` is a count (default: the claim's own); `quick` runs the same code on a
    sliver of data for seconds, to check the pipeline, not the claim."""
    seeds = claim.default_seeds if seeds is None else check_positive_int("reproduce", "--seeds",
                                                                         seeds)
    if data not in claim.data_options:
        raise ValueError(f"reproduce {claim.name}: --data must be one of "
                         f"{', '.join(claim.data_options)}, got {data!r}")
    folder = os.path.join(out, claim.name)
    os.makedirs(folder, exist_ok=True)
    ctx = Context(quick=quick, seeds=tuple(range(seeds)), data=data, data_dir=data_dir, log=log)
    start = time.perf_counter()
    rows = claim.experiment(ctx)
    seconds = time.perf_counter() - start
    verdict = claim.decide(rows)
    write_csv(rows, os.path.join(folder, "results.csv"))
    claim.plot(rows, os.path.join(folder, "plot.png"), ctx)
    record = {"claim": claim.name, "deck": claim.deck, "slide": claim.slide,
              "statement": claim.statement, "paper": claim.paper, "rule": claim.rule,
              "verdict": verdict.status, "numbers": verdict.numbers, "reason": verdict.reason,
              "quick": quick, "seeds": seeds, "data": data, "seconds": round(seconds, 1),
              "machine": f"{platform.machine()}, {os.cpu_count()} cores",
              "time": time.strftime("%Y-%m-%dT%H:%M:%S")}
    atomic_write_bytes(os.path.join(folder, "verdict.json"),
                       (json.dumps(record, indent=2, default=float) + "\n").encode())
    return verdict
