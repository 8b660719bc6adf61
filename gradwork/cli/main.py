"""The `gradwork` command: train, eval, models, summary, plot.

    gradwork train lenet5 --data mnist --epochs 10 --name lenet
    gradwork train lenet5 --data mnist --epochs 10 --name lenet --resume
    gradwork eval runs/lenet/best.safetensors
    gradwork summary vgg16 --input-size 3 224 224
    gradwork plot runs/a runs/b --output ab.png
    gradwork export lenet5 --checkpoint runs/lenet/best.safetensors --onnx lenet5.onnx
"""
import argparse
import dataclasses
import errno
import os
import sys

from ..data import DATASETS
from ..errors import GradworkError
from ..train.config import OPTIMIZERS, PENALTIES, SCHEDULES, TrainConfig

# Data-loading and configuration errors are reported in one line, not as a traceback.
_USER_ERRORS = (ValueError, FileNotFoundError, FloatingPointError, NotADirectoryError,
                PermissionError, GradworkError)
EX_IOERR = 74                         # sysexits.h: a disk full while writing


def _positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def _add_train(sub):
    p = sub.add_parser("train", help="train a model; the run lives in OUT/NAME/",
                       description="Train MODEL on a data set. Writes OUT/NAME/config.json, "
                       "metrics.csv, TensorBoard events, last/best checkpoints and curves.png.")
    p.add_argument("model", help="a zoo name (see `gradwork models`) or module:function, a "
                   "constructor taking num_classes (and in_channels)")
    p.add_argument("--data", default="mnist", choices=list(DATASETS),
                   help="data set (default: mnist, the 5,000 bundled digits)")
    p.add_argument("--data-dir", help="folder with the data set's files (mnist: the IDX files; "
                   "needed for the others)")
    p.add_argument("--epochs", type=_positive_int, default=20, help="epochs (default 20)")
    p.add_argument("--batch-size", type=_positive_int, default=64, help="batch size (default 64)")
    p.add_argument("--lr", type=float, default=0.05, help="learning rate (default 0.05)")
    p.add_argument("--momentum", type=float, default=0.9,
                   help="momentum for sgd and rmsprop (default 0.9)")
    p.add_argument("--weight-decay", type=float, default=0.0,
                   help="the optimizer's weight decay (default 0)")
    p.add_argument("--optimizer", default="sgd", choices=OPTIMIZERS, help="default sgd")
    p.add_argument("--schedule", default="cosine", choices=SCHEDULES,
                   help="learning-rate schedule, stepped per epoch; plateau watches the "
                   "validation loss (default cosine)")
    p.add_argument("--step-size", type=int, default=0,
                   help="step: epochs between decays (default: a third of --epochs)")
    p.add_argument("--milestones", type=_positive_int, nargs="+", default=[],
                   help="multistep: epochs at which to decay (default: 50%% and 75%%)")
    p.add_argument("--gamma", type=float, default=0.1,
                   help="decay factor of step/multistep/plateau (default 0.1)")
    p.add_argument("--patience", type=int, default=2,
                   help="plateau: epochs without improvement before decaying (default 2)")
    p.add_argument("--augment", action=argparse.BooleanOptionalAction, default=True,
                   help="random crops of the padded image (+ flips where they keep the class; "
                   "default on, --no-augment to turn off)")
    p.add_argument("--clip-grad", type=float, help="clip the gradients' global norm to this")
    p.add_argument("--penalty", default="none", choices=PENALTIES,
                   help="weight penalty added to the loss (deck 002; default none)")
    p.add_argument("--penalty-strength", type=float, default=1e-4,
                   help="λ of the penalty (default 1e-4)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--name", help="run name (default: a timestamp); --resume needs it")
    p.add_argument("--out", default="runs", help="folder of runs (default runs)")
    p.add_argument("--resume", action="store_true",
                   help="continue OUT/NAME from its last checkpoint (its saved settings are "
                   "used; --epochs may extend it)")
    p.add_argument("--limit-train", type=_positive_int,
                   help="use only the first N training samples")
    p.add_argument("--limit-test", type=_positive_int, help="use only the first N test samples")
    p.add_argument("--pad", type=int, help="zero-pad images by N pixels per side (default: "
                   "to the model's input_size, e.g. 28→32 for lenet5)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--checkpoint-steps", type=int, default=0, metavar="N",
                   help="also checkpoint inside an epoch every N steps (default 0: off)")
    p.add_argument("--checkpoint-minutes", type=float, default=10.0, metavar="M",
                   help="also checkpoint inside an epoch every M minutes (default 10; 0: off)")
    p.set_defaults(func=cmd_train)


def _config_from_args(args):
    fields = {f.name for f in dataclasses.fields(TrainConfig)}
    values = {k: v for k, v in vars(args).items() if k in fields}
    return TrainConfig(**values, progress=not args.no_progress)


def cmd_train(args):
    from ..train.build import build_trainer, run_dir  # noqa: PLC0415 (heavy imports on demand)
    from ..train.checkpoint import load_checkpoint  # noqa: PLC0415
    config = _config_from_args(args)
    if args.resume:
        if not args.name:
            raise ValueError("--resume needs --name, the run to continue")
        folder = run_dir(config)
        _, info = load_checkpoint(folder)
        saved = TrainConfig.from_dict(info["config"])
        ignored = [k for k, v in config.to_dict().items()
                   if k not in ("epochs", "resume", "progress") and saved.to_dict()[k] != v]
        if ignored:
            print(f"resuming {folder} with its saved settings; ignoring --{', --'.join(ignored)}",
                  file=sys.stderr)
        config = dataclasses.replace(saved, epochs=config.epochs, resume=True,
                                     progress=config.progress)
    else:
        folder = run_dir(config)
        if os.path.exists(os.path.join(folder, "last.safetensors")):
            raise ValueError(f"{folder} already holds a trained run: pass --resume to continue "
                             "it, or another --name")
    trainer = build_trainer(config)
    if args.resume:
        trainer.resume(folder)
    print(f"run folder: {folder}", file=sys.stderr)
    history = trainer.fit(config.epochs)
    if trainer.stopped:
        print(f"stopped; checkpoint in {folder}. Continue with: gradwork train {config.model} "
              f"--name {os.path.basename(folder)} --out {config.out} --resume", file=sys.stderr)
        return 128 + int(trainer.stop_signal or 2)          # 130 for SIGINT, 143 for SIGTERM
    if history:
        last = history[-1]
        print(f"test accuracy: {last.get('val_acc1', float('nan')):.4f} "
              f"(top-5 {last.get('val_acc5', float('nan')):.4f}) after {last['epoch']} epochs")
    return 0


def _add_eval(sub):
    p = sub.add_parser("eval", help="evaluate a checkpoint on a test set",
                       description="Accuracy, per-class accuracy and a confusion-matrix PNG of "
                       "a checkpoint (its run's model and data set unless --data is given).")
    p.add_argument("checkpoint", help="a .safetensors checkpoint or a run folder (uses last)")
    p.add_argument("--data", choices=list(DATASETS), help="data set (default: the run's)")
    p.add_argument("--data-dir", help="folder with the data set's files (default: the run's)")
    p.add_argument("--batch-size", type=_positive_int, default=256, help="default 256")
    p.add_argument("--limit-test", type=_positive_int, help="use only the first N test samples")
    p.add_argument("--output", help="confusion matrix PNG (default: beside the checkpoint)")
    p.set_defaults(func=cmd_eval)


def cmd_eval(args):
    from ..autograd import no_grad  # noqa: PLC0415
    from ..backend import np  # noqa: PLC0415
    from ..train import checkpoint as ckpt  # noqa: PLC0415
    from ..train.build import build_model_and_data  # noqa: PLC0415
    from ..train.metrics import confusion_matrix, per_class_accuracy, predict  # noqa: PLC0415
    from ..train.plots import plot_confusion_matrix  # noqa: PLC0415
    path = ckpt.resolve(args.checkpoint)
    arrays, info = ckpt.load_checkpoint(path)
    if not info.get("config"):
        raise ValueError(f"{path}: the checkpoint has no run configuration to rebuild its model")
    config = TrainConfig.from_dict(info["config"])
    config = dataclasses.replace(config, data=args.data or config.data,
                                 data_dir=args.data_dir if args.data else
                                 (args.data_dir or config.data_dir),
                                 augment=False, limit_test=args.limit_test,
                                 batch_size=args.batch_size)
    model, _, loader, classes = build_model_and_data(config)
    ckpt.restore(arrays, info, model)
    model.eval()
    preds, targets = [], []
    with no_grad():
        for x, y in loader:
            preds.append(predict(model(x)))                # -1: a non-finite row
            targets.append(y.data)
    preds, targets = np.concatenate(preds), np.concatenate(targets)
    matrix = confusion_matrix(preds, targets, len(classes))
    totals = np.bincount(targets, minlength=len(classes))
    print(f"{path}: {config.model} on {config.data} ({len(targets)} test samples)")
    print(f"accuracy: {(preds == targets).mean():.4f}")
    if (preds < 0).any():
        print(f"non-finite predictions (counted as wrong): {int((preds < 0).sum())}")
    for name, acc, n in zip(classes, per_class_accuracy(matrix, totals), totals):
        print(f"  {name:>16}: {acc:.4f}  ({n} samples)")
    output = args.output or os.path.join(os.path.dirname(path), "confusion_matrix.png")
    plot_confusion_matrix(matrix, classes, output,
                          title=f"{config.model} on {config.data}")
    print(f"confusion matrix: {output}")
    return 0


def _add_models(sub):
    p = sub.add_parser("models", help="list the model zoo",
                       description="List the registered model names (for train and summary).")
    p.set_defaults(func=cmd_models)


def cmd_models(args):
    from ..models import list_models  # noqa: PLC0415
    print("\n".join(list_models()))
    return 0


def _add_summary(sub):
    p = sub.add_parser("summary", help="per-layer shapes, parameters, mult-adds, memory",
                       description="Deck 002's VGG table for any model: per layer its output "
                       "shape, parameters, multiply-adds (conv/linear only) and activation "
                       "memory, then the totals.")
    p.add_argument("model", help="a zoo name or module:function")
    p.add_argument("--input-size", type=_positive_int, nargs="+", metavar="N",
                   help="one input's shape without the batch, e.g. 3 224 224 (default: the "
                   "model's declared in_channels × input_size, e.g. 1 32 32 for lenet5)")
    p.add_argument("--num-classes", type=_positive_int,
                   help="classes of the model's output (default: the model's own default)")
    p.add_argument("--batch-size", type=_positive_int, default=1, help="default 1")
    p.set_defaults(func=cmd_summary)


def cmd_summary(args):
    from ..tools.summary import summary  # noqa: PLC0415
    from ..train.build import build_model  # noqa: PLC0415
    model = build_model(args.model, args.num_classes,
                        args.input_size[0] if args.input_size else None)
    input_size = args.input_size or _declared_input_size(model, args.model)
    print(f"{args.model}, input {tuple(input_size)}, batch {args.batch_size}")
    print(summary(model, input_size, args.batch_size))
    return 0


def _declared_input_size(model, name):
    """(C, H, W) from a model that declares `in_channels` and `input_size` (lenet5, alexnet)."""
    size, channels = getattr(model, "input_size", None), getattr(model, "in_channels", None)
    if size is None or channels is None:
        raise ValueError(f"summary: model {name!r} declares no input size; pass --input-size, "
                         "e.g. --input-size 3 224 224")
    return [channels, size, size]


def _add_plot(sub):
    p = sub.add_parser("plot", help="overlay the curves of several runs",
                       description="Loss and accuracy curves of the runs (their metrics.csv) "
                       "in one PNG.")
    p.add_argument("runs", nargs="+", help="run folders")
    p.add_argument("--output", default="runs.png", help="PNG to write (default runs.png)")
    p.set_defaults(func=cmd_plot)


def cmd_plot(args):
    from ..train.plots import plot_runs  # noqa: PLC0415
    print(plot_runs(args.runs, args.output))
    return 0


def _add_reproduce(sub):
    p = sub.add_parser("reproduce", help="run a claim of the decks: results, plot, verdict",
                       description="Run one of the decks' claims as an experiment: writes "
                       "OUT/NAME/results.csv, plot.png and verdict.json and prints HOLDS, "
                       "DOES NOT HOLD or INCONCLUSIVE with the numbers it rests on. The "
                       "verdict rule of each claim is declared in its code before it runs.")
    p.add_argument("claim", nargs="?", help="the claim's name (see --list)")
    p.add_argument("--list", action="store_true", help="list the claims and exit")
    p.add_argument("--quick", action="store_true",
                   help="the same code on a sliver of data, in seconds: checks the pipeline, "
                   "not the claim")
    p.add_argument("--seeds", type=_positive_int, help="seeds to run (default: the claim's)")
    p.add_argument("--data", default="mnist", choices=list(DATASETS),
                   help="data set for training claims (default: the bundled digits)")
    p.add_argument("--data-dir", help="folder with the data set's files")
    p.add_argument("--out", default="reproductions", help="folder of results (default "
                   "reproductions)")
    p.set_defaults(func=cmd_reproduce)


def cmd_reproduce(args):
    from ..reproduce import CLAIMS, get_claim, run_claim  # noqa: PLC0415
    if args.list or not args.claim:
        for c in CLAIMS.values():
            print(f"{c.name}\n    {c.statement}\n    deck {c.deck}, \"{c.slide}\"; "
                  f"{c.paper}\n    full run: {c.full_time}")
        return 0
    claim = get_claim(args.claim)
    verdict = run_claim(claim, quick=args.quick, seeds=args.seeds, data=args.data,
                        data_dir=args.data_dir, out=args.out,
                        log=lambda msg: print(msg, file=sys.stderr))
    note = " [quick: a pipeline check on a sliver, not evidence]" if args.quick else ""
    print(verdict.line(claim.name) + note)
    print(f"results: {os.path.join(args.out, claim.name)}", file=sys.stderr)
    return 0


def _add_export(sub):
    p = sub.add_parser("export", help="write a model (and its checkpoint's weights) as ONNX",
                       description="Trace a zoo model on a zero input and write it as an ONNX "
                       "file checked by onnx.checker (needs the onnx extra).")
    p.add_argument("model", help="a zoo name or module:function")
    p.add_argument("--checkpoint", help="a training checkpoint or run folder, or a "
                   ".safetensors state dict (default: the model's initial weights)")
    p.add_argument("--onnx", required=True, metavar="PATH", help="the .onnx file to write")
    p.add_argument("--input-size", type=_positive_int, nargs="+", metavar="N",
                   help="one input's shape without the batch (default: the model's declared)")
    p.add_argument("--num-classes", type=_positive_int, help="default: the checkpoint's run, "
                   "else the model's own")
    p.add_argument("--batch-size", type=_positive_int, default=1, help="traced batch, default 1")
    p.add_argument("--dynamic-batch", action="store_true", help="leave the batch axis free")
    p.add_argument("--opset", type=int, default=17, help="ONNX opset version, default 17")
    p.set_defaults(func=cmd_export)


def cmd_export(args):
    from .. import onnx, randn  # noqa: PLC0415
    from ..serialization import load  # noqa: PLC0415
    from ..train import checkpoint as ckpt  # noqa: PLC0415
    from ..train.build import build_model  # noqa: PLC0415
    state, num_classes = None, args.num_classes
    if args.checkpoint:
        try:
            arrays, info = ckpt.load_checkpoint(args.checkpoint)
            state = {k[len("model."):]: v for k, v in arrays.items() if k.startswith("model.")}
            data = (info.get("config") or {}).get("data")
            if num_classes is None and data:
                from ..data import dataset_info  # noqa: PLC0415
                num_classes = dataset_info(data).num_classes
        except ValueError:                          # not a training checkpoint: a state dict
            state = load(args.checkpoint)
    channels = args.input_size[0] if args.input_size else None
    model = build_model(args.model, num_classes, channels)
    if state is not None:
        model.load_state_dict(state)
    input_size = args.input_size or _declared_input_size(model, args.model)
    dynamic = {"input": {0: "batch"}, "output": {0: "batch"}} if args.dynamic_batch else None
    proto = onnx.export(model, randn(args.batch_size, *input_size), args.onnx,
                        opset_version=args.opset, dynamic_axes=dynamic)
    print(f"{args.onnx}: {args.model}, input {tuple(input_size)}, opset {args.opset}, "
          f"{len(proto.graph.node)} nodes")
    return 0


def build_parser():
    parser = argparse.ArgumentParser(prog="gradwork", description="gradwork: train, evaluate "
                                     "and inspect the models of the decks.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in (_add_train, _add_eval, _add_models, _add_summary, _add_plot,
                _add_reproduce, _add_export):
        add(sub)
    return parser


def main(argv=None):
    """Entry point of the `gradwork` console script and `python -m gradwork`."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except OSError as e:
        if e.errno not in (errno.ENOSPC, errno.EDQUOT) and not isinstance(e, _USER_ERRORS):
            raise
        text = e.strerror if isinstance(e, GradworkError) and e.strerror else e
        print(f"gradwork {args.command}: error: {text}", file=sys.stderr)
        return EX_IOERR if e.errno in (errno.ENOSPC, errno.EDQUOT) else 2
    except _USER_ERRORS as e:
        print(f"gradwork {args.command}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"gradwork {args.command}: aborted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
