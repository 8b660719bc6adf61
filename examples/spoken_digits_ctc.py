"""Temporal classification on real speech (deck 004): spoken strings of 2–3 digits, made by
concatenating FSDD recordings, recognised without any alignment by a bidirectional GRU
trained with CTC (Graves et al. 2006), decoded greedily and by prefix beam search.

    python examples/spoken_digits_ctc.py --data-dir PATH/TO/fsdd/recordings [--epochs 12]

Training strings come from the training recordings (indices 5–49), test strings from the
held-out test recordings (indices 0–4). Prints and writes (OUT/ctc_results.json) the label
error rate (edit distance / reference length) and the exact-string accuracy of both decoders.
"""
import argparse
import json
import os
import time

import gradwork as gw
from gradwork import optim
from gradwork.autograd import no_grad
from gradwork.data import DataLoader
from gradwork.data.fsdd import FSDD, MFCCFeatures, SpokenDigitSequences
from gradwork.models.speech import (
    SpokenDigitCTC,
    ctc_beam_search,
    ctc_greedy_decode,
    label_error_rate,
)
from gradwork.nn.functional import ctc_loss
from gradwork.serialization import atomic_write_bytes


def evaluate(model, loader, beam_size=None):
    """Label error rate and string accuracy of greedy (and, given beam_size, beam) decoding."""
    model.eval()
    refs, hyps = [], {"greedy": []}
    if beam_size:
        hyps["beam"] = []
    with no_grad():
        for x, lengths, y, y_lengths in loader:
            lp = model(x, lengths)                                   # (T, N, 11)
            hyps["greedy"] += ctc_greedy_decode(lp, lengths)
            if beam_size:
                hyps["beam"] += ctc_beam_search(lp, lengths, beam_size)
            refs += [list(row[:n]) for row, n in zip(y.numpy(), y_lengths.numpy())]
    model.train()
    return {name: {"label_error_rate": label_error_rate(h, refs),
                   "string_accuracy": sum(a == list(b) for a, b in zip(h, refs)) / len(refs)}
            for name, h in hyps.items()}


def main():
    parser = argparse.ArgumentParser(description="CTC spoken digit strings on FSDD.")
    parser.add_argument("--data-dir", required=True, help="folder of the FSDD recordings")
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--train-strings", type=int, default=2000)
    parser.add_argument("--test-strings", type=int, default=300)
    parser.add_argument("--beam-size", type=int, default=8)
    parser.add_argument("--lr", type=float, default=0.003)
    parser.add_argument("--out", default="runs/ctc")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    gw.manual_seed(args.seed)
    start = time.perf_counter()
    train_rec, test_rec = FSDD(args.data_dir, train=True), FSDD(args.data_dir, train=False)
    features = MFCCFeatures().fit(train_rec.waveforms)
    # digit d is CTC label d + 1 (0 is the blank)
    train = SpokenDigitSequences(train_rec, args.train_strings, features, seed=args.seed,
                                 label_offset=1)
    test = SpokenDigitSequences(test_rec, args.test_strings, features, seed=args.seed + 1,
                                label_offset=1)
    train_loader = DataLoader(train, 32, shuffle=True, seed=args.seed)
    test_loader = DataLoader(test, 100)
    model = SpokenDigitCTC(num_classes=10, in_channels=features.num_features)
    opt = optim.Adam(model.parameters(), lr=args.lr)
    sched = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=args.epochs)
    history = []
    for epoch in range(1, args.epochs + 1):
        total = 0.0
        for x, lengths, y, y_lengths in train_loader:
            loss = ctc_loss(model(x, lengths), y, lengths, y_lengths)
            opt.zero_grad()
            loss.backward()
            gw.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            opt.step()
            total += float(loss.item())
        sched.step()
        result = evaluate(model, test_loader, args.beam_size if epoch == args.epochs else None)
        history.append({"epoch": epoch, "train_loss": total / len(train_loader), **result})
        print(f"epoch {epoch}: ctc loss {history[-1]['train_loss']:.4f}  test LER (greedy) "
              f"{result['greedy']['label_error_rate']:.4f}", flush=True)
    summary = {"final": history[-1], "history": history, "seconds": time.perf_counter() - start,
               "args": vars(args)}
    os.makedirs(args.out, exist_ok=True)
    atomic_write_bytes(os.path.join(args.out, "ctc_results.json"),
                       json.dumps(summary, indent=1).encode())
    final = history[-1]
    print(f"test label error rate: greedy {final['greedy']['label_error_rate']:.4f}, beam "
          f"{final['beam']['label_error_rate']:.4f} (string accuracy greedy "
          f"{final['greedy']['string_accuracy']:.4f}, beam {final['beam']['string_accuracy']:.4f})"
          f"; {summary['seconds']:.0f} s")


if __name__ == "__main__":
    main()
