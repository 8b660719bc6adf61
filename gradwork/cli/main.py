"""The `gradwork` command: train, eval, models, summary, plot.

    gradwork train lenet5 --data mnist --epochs 10 --name lenet
    gradwork train lenet5 --data mnist --epochs 10 --name lenet --resume
    gradwork eval runs/lenet/best.safetensors
    gradwork summary vgg16 --input-size 3 224 224
    gradwork plot runs/a runs/b --output ab.png
"""
import argparse
import dataclasses
import os
import sys

from ..data import DATASETS
from ..train.config import OPTIMIZERS, PENALTIES, SCHEDULES, TrainConfig

# Data-loading and configuration errors are reported in one line, not as a traceback.
_USER_ERRORS = (ValueError, FileNotFoundError, FloatingPointError, NotADirectoryError,
                PermissionError)


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
        return 130
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
    from ..train.metrics import confusion_matrix, per_class_accuracy  # noqa: PLC0415
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
            preds.append(model(x)._data.argmax(axis=1))
            targets.append(y._data)
    preds, targets = np.concatenate(preds), np.concatenate(targets)
    matrix = confusion_matrix(preds, targets, len(classes))
    print(f"{path}: {config.model} on {config.data} ({len(targets)} test samples)")
    print(f"accuracy: {(preds == targets).mean():.4f}")
    for name, acc, n in zip(classes, per_class_accuracy(matrix), matrix.sum(axis=1)):
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


def build_parser():
    parser = argparse.ArgumentParser(prog="gradwork", description="gradwork: train, evaluate "
                                     "and inspect the models of the decks.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in (_add_train, _add_eval, _add_models, _add_summary, _add_plot):
        add(sub)
    return parser


def main(argv=None):
    """Entry point of the `gradwork` console script and `python -m gradwork`."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except _USER_ERRORS as e:
        print(f"gradwork {args.command}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"gradwork {args.command}: aborted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
