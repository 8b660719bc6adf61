"""MFCC extraction of the FSDD recordings: gradwork.audio.mfcc vs librosa.feature.mfcc, in the
same process, alternating in blocks so that the machine's load swings hit both sides.

    python -m benchmarks.audio --data-dir PATH/TO/fsdd/recordings [--rounds 3]

The recordings are read once (not timed); each side then computes the MFCCs of every
recording one call at a time, with the same settings (8 kHz, n_fft 256, hop 128, 40 Slaney
mels, 13 MFCCs: the features of data/fsdd.py), and the outputs are checked to agree. Prints
each side's seconds per pass (median over rounds) and the ratio gradwork / librosa.
"""
import argparse
import os
import statistics
import sys
import time

import numpy as np

SETTINGS = dict(sr=8000, n_mfcc=13, n_fft=256, hop_length=128, n_mels=40)


def _one_pass(fn, waveforms):
    start = time.perf_counter()
    out = [fn(w) for w in waveforms]
    return time.perf_counter() - start, out


def main(argv=None):
    import librosa  # a benchmark-only reference

    from gradwork.audio import load_wav, mfcc
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True, help="folder of the FSDD .wav files")
    parser.add_argument("--rounds", type=int, default=3, help="timed passes per side")
    parser.add_argument("--limit", type=int, help="only the first N recordings")
    args = parser.parse_args(argv)
    names = sorted(f for f in os.listdir(args.data_dir) if f.endswith(".wav"))[:args.limit]
    waveforms = [load_wav(os.path.join(args.data_dir, f))[0][0] for f in names]
    sides = {"gradwork": lambda w: mfcc(w, **SETTINGS),
             "librosa": lambda w: librosa.feature.mfcc(y=w, **SETTINGS)}
    for fn in sides.values():                                   # warm-up (imports, caches)
        _one_pass(fn, waveforms[:20])
    times = {name: [] for name in sides}
    outs = {}
    for _ in range(args.rounds):
        for name, fn in sides.items():
            seconds, outs[name] = _one_pass(fn, waveforms)
            times[name].append(seconds)
    worst = max(float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-9))
                for a, b in zip(outs["gradwork"], outs["librosa"]))
    med = {name: statistics.median(t) for name, t in times.items()}
    print(f"MFCC of {len(waveforms)} FSDD recordings ({SETTINGS}), {args.rounds} rounds:")
    for name in sides:
        print(f"  {name:>8}: {med[name]:.3f} s per pass (rounds: "
              f"{', '.join(f'{t:.3f}' for t in times[name])})")
    print(f"  ratio gradwork / librosa: {med['gradwork'] / med['librosa']:.3f} "
          f"(largest relative difference of the outputs: {worst:.1e})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
