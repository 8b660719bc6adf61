"""The `gradwork` command: train, eval, models, summary, plot.

    gradwork train lenet5 --data mnist --epochs 10 --name lenet
    gradwork train --name lenet --resume
    gradwork train --model-from my_nets.py:small_cnn --name mine
    gradwork eval runs/lenet/best.safetensors
    gradwork summary vgg16
    gradwork plot runs/a runs/b
    gradwork export lenet5 --checkpoint runs/lenet/best.safetensors --onnx lenet5.onnx
    gradwork train char_lm --data-dir book.txt --name lm && gradwork sample runs/lm
"""
import argparse
import dataclasses
import errno
import json
import os
import sys
import time

from ..data import DATASETS
from ..errors import (
    ArgumentError,
    GradworkError,
    check_nonnegative,
    check_nonnegative_int,
    check_positive,
    check_positive_int,
    check_probability,
    plural,
)
from ..train.config import (
    OPTIMIZERS,
    PENALTIES,
    RECIPES,
    SCHEDULES,
    TASK_RECIPES,
    TrainConfig,
    defaults,
)

# Data-loading and configuration errors are reported in one line, not as a traceback.
_USER_ERRORS = (ValueError, FloatingPointError, OSError, GradworkError)
EX_IOERR = 74                         # sysexits.h: a disk full while writing

_DEFAULTS = defaults()
_MODEL_FROM_HELP = ("your own model constructor, FILE.py:FUNCTION or package.module:FUNCTION, "
                    "taking num_classes (and in_channels). This EXECUTES that file; gradwork "
                    "never runs code because a run folder names it, so pass it again to "
                    "--resume or eval such a run")


def _arg_type(parse, check, expected):
    """An argparse type: `parse` the text, then a validator of gradwork.errors (one owner per
    rule); its message, without a helper's name, is what argparse prints after the flag."""
    def convert(text):
        try:
            return check(None, "value", parse(text))
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {expected}, got {text!r}") from None
    return convert


POSITIVE_INT = _arg_type(int, check_positive_int, "a positive integer")
NONNEGATIVE_INT = _arg_type(int, check_nonnegative_int, "a non-negative integer")
POSITIVE = _arg_type(float, check_positive, "a positive number")
NONNEGATIVE = _arg_type(float, check_nonnegative, "a number ≥ 0")
FRACTION = _arg_type(float, lambda w, n, v: check_probability(w, n, v, inclusive_high=False),
                     "a fraction in [0, 1)")


def _option(p, flag, help_text, **kwargs):
    """A train option whose default is TrainConfig's (shown in the help, filled in later, so
    that an option the user gave can be told from one left to its default)."""
    field = flag.lstrip("-").replace("-", "_")
    default = _DEFAULTS[field]
    shown = "off" if default is None else " ".join(map(str, default)) \
        if isinstance(default, list) else default
    p.add_argument(flag, default=argparse.SUPPRESS,
                   help=f"{help_text} (default: {shown})".replace("%", "%%"), **kwargs)


def _add_train(sub):
    p = sub.add_parser("train", help="train a model; the run lives in OUT/NAME/",
                       description="Train MODEL on a data set. Writes OUT/NAME/config.json, "
                       "metrics.csv, TensorBoard events, last/best checkpoints, curves.png and "
                       "test.json. On --resume the run folder's saved settings are used.")
    p.add_argument("model", nargs="?", help="a zoo name (see `gradwork models`); with "
                   "--resume, taken from the run folder")
    p.add_argument("--model-from", metavar="FILE.py:FUNCTION", help=_MODEL_FROM_HELP)
    _option(p, "--data", "data set (mnist: the 5,000 bundled digits)", choices=list(DATASETS))
    _option(p, "--data-dir", "folder with the data set's files (mnist: the IDX files; needed "
            "for the others)")
    _option(p, "--epochs", "epochs; on --resume a larger value extends the run (recorded in "
            "OUT/NAME/changes.jsonl)", type=POSITIVE_INT)
    _option(p, "--batch-size", "batch size", type=POSITIVE_INT)
    _option(p, "--lr", "learning rate", type=POSITIVE)
    _option(p, "--momentum", "momentum for sgd and rmsprop", type=FRACTION)
    _option(p, "--weight-decay", "the optimizer's weight decay", type=NONNEGATIVE)
    _option(p, "--recipe", "a deck's training recipe as the defaults, your options on top: "
            "alexnet = SGD 0.9, wd 5e-4, batch 128, lr 0.01 ÷10 on a validation plateau; "
            "resnet = SGD 0.9, wd 1e-4, batch 256, lr 0.1 ÷10 on a plateau; char_lm = Adam "
            "2e-3, clip 5, batch 32, 10 epochs (a language model's default); tagger = Adam "
            "1e-2, batch 32, 10 epochs (a tagger's default)",
            choices=tuple(RECIPES))
    _option(p, "--optimizer", "optimizer", choices=OPTIMIZERS)
    _option(p, "--schedule", "learning-rate schedule, stepped per epoch; plateau watches the "
            "validation loss", choices=SCHEDULES)
    _option(p, "--step-size", "step: epochs between decays (0: a third of --epochs)",
            type=NONNEGATIVE_INT)
    _option(p, "--milestones", "multistep: epochs at which to decay (none: 50% and 75%)",
            type=POSITIVE_INT, nargs="+")
    _option(p, "--gamma", "decay factor of step/multistep/plateau", type=POSITIVE)
    _option(p, "--patience", "plateau: epochs without improvement before decaying",
            type=NONNEGATIVE_INT)
    _option(p, "--augment", "random crops of the padded image (+ flips where they keep the "
            "class); --no-augment to turn off", action=argparse.BooleanOptionalAction)
    _option(p, "--clip-grad", "clip the gradients' global norm to this", type=POSITIVE)
    _option(p, "--penalty", "weight penalty added to the loss (deck 002)", choices=PENALTIES)
    _option(p, "--penalty-strength", "λ of the penalty", type=NONNEGATIVE)
    _option(p, "--seed", "random seed (initialisation, data order, validation split)",
            type=NONNEGATIVE_INT)
    _option(p, "--val-split", "fraction of the training set held out (per class, seeded) for "
            "validation, which picks best.safetensors and drives plateau; 0: validate on the "
            "test set", type=FRACTION)
    _option(p, "--name", "run name (off: a timestamp); --resume needs it")
    _option(p, "--out", "folder of runs")
    p.add_argument("--resume", action="store_true",
                   help="continue OUT/NAME from its last checkpoint with its saved settings; "
                   "an option that contradicts them is refused")
    _option(p, "--limit-train", "use only the first N training samples", type=POSITIVE_INT)
    _option(p, "--limit-test", "use only the first N test samples", type=POSITIVE_INT)
    _option(p, "--pad", "zero-pad images by N pixels per side (off: to the model's input_size, "
            "e.g. 28→32 for lenet5)", type=NONNEGATIVE_INT)
    _option(p, "--workers", "DataLoader worker processes reading and decoding the data in "
            "parallel with training (the batches are the same for any number; 0: a thread)",
            type=NONNEGATIVE_INT)
    _option(p, "--model-args", "keyword arguments of the zoo constructor, e.g. cell=gru "
            "hidden_size=128 (numbers, true/false or text)", nargs="+", metavar="KEY=VALUE",
            type=_key_value, action=_KeyValues)
    _option(p, "--bptt", "language models: steps per window of truncated BPTT (the state is "
            "carried across windows, the gradient is not)", type=POSITIVE_INT)
    _option(p, "--device", "where to train: cpu, or cuda / cuda:N (a GPU through CuPy: pip "
            "install gradwork[cuda]); not a saved setting: a run may resume on another machine",
            type=_device, metavar="DEVICE")
    _option(p, "--sync-batchnorm", "under mpiexec -n K: BatchNorm layers normalise with the "
            "global batch's statistics (nn.SyncBatchNorm.convert_sync_batchnorm, PyTorch's "
            "--sync-bn); in one process it is BatchNorm, with a note",
            action=argparse.BooleanOptionalAction)
    p.add_argument("--no-progress", action="store_true",
                   help="no progress bar (one line per epoch is still printed)")
    _option(p, "--checkpoint-steps", "also checkpoint inside an epoch every N steps (0: off)",
            type=NONNEGATIVE_INT, metavar="N")
    _option(p, "--checkpoint-minutes", "also checkpoint inside an epoch every M minutes (0: off)",
            type=NONNEGATIVE, metavar="M")
    p.add_argument("--dist-timeout", type=POSITIVE, metavar="SECONDS",
                   help="under `mpiexec -n K` (K > 1: data-parallel, --batch-size is the global "
                   "batch): abort every rank when a collective operation waits longer than this "
                   "(a rank died or hangs; default $GRADWORK_DIST_TIMEOUT or 1800)")
    p.set_defaults(func=cmd_train)


def _device(text):
    kind, sep, index = text.partition(":")
    if kind not in ("cpu", "cuda") or (sep and not (kind == "cuda" and index.isdigit())):
        raise argparse.ArgumentTypeError(f"must be cpu, cuda or cuda:N, got {text!r}")
    if sep and int(index) > 0:          # Module.to moves to CuPy's current device
        raise argparse.ArgumentTypeError(f"{text}: gradwork trains on CuPy's current GPU; "
                                         f"choose it with CUDA_VISIBLE_DEVICES={index} and "
                                         "--device cuda")
    return text


def _require_device(config):
    """Refuse --device cuda up front (before a run folder exists) without a GPU backend."""
    if config.device != "cpu":
        from .. import cuda
        try:
            cuda.require(f"--device {config.device}")
        except RuntimeError as e:
            raise ArgumentError(str(e)) from None


def _key_value(text):
    """KEY=VALUE → (key, value): an int, a float, true/false, or the text."""
    key, sep, value = text.partition("=")
    if not sep or not key.isidentifier():
        raise argparse.ArgumentTypeError(f"must be KEY=VALUE, got {text!r}")
    for parse in (int, float):
        try:
            return key, parse(value)
        except ValueError:
            pass
    return key, {"true": True, "false": False}.get(value.lower(), value)


class _KeyValues(argparse.Action):
    def __call__(self, parser, namespace, values, option_string=None):
        setattr(namespace, self.dest, dict(values))


_FIELDS = {f.name for f in dataclasses.fields(TrainConfig)}
_NOT_SETTINGS = {"name", "out", "resume", "progress", "model", "model_from", "workers",
                 "device"}


def _given(args):
    """The TrainConfig fields the user gave on the command line."""
    return {k: v for k, v in vars(args).items() if k in _FIELDS - _NOT_SETTINGS}


def _new_config(args):
    if args.model is None and args.model_from is None:
        raise ArgumentError("train: name a zoo MODEL (see `gradwork models`) or your own with "
                            "--model-from FILE.py:FUNCTION")
    if args.model is not None and args.model_from is not None:
        raise ArgumentError("train: give a zoo MODEL or --model-from, not both")
    given = _given(args)
    given["recipe"] = given.get("recipe") or _task_recipe(args.model)
    recipe = RECIPES[given["recipe"]] if given["recipe"] else {}
    values = {**_DEFAULTS, **recipe, **given, "name": getattr(args, "name", None),
              "out": getattr(args, "out", _DEFAULTS["out"]), "progress": not args.no_progress,
              "model_from": args.model_from,
              "workers": getattr(args, "workers", _DEFAULTS["workers"]),
              "device": getattr(args, "device", _DEFAULTS["device"])}
    return TrainConfig(model=args.model or args.model_from, **values)


def _task_recipe(name):
    """The recipe of a zoo model's task (TASK_RECIPES: a language model's Adam and clipping),
    or None."""
    from ..models import list_models, model_spec
    if name not in list_models():
        return None
    return TASK_RECIPES.get(model_spec(name).task)


def _resume_config(args, folder):
    """(config, saved epochs): the run folder's saved configuration (its checkpoint's), with
    this command's folder, progress and --model-from; an option that contradicts it is
    refused, except --epochs above the saved count, which extends the run (recorded in
    changes.jsonl by the caller)."""
    from ..train.checkpoint import load_checkpoint
    _, info = load_checkpoint(folder)
    # a run saved before --val-split existed validated on the test set: it goes on doing so
    saved = TrainConfig.from_dict({"val_split": 0.0, **info["config"]})
    given = _given(args)
    if args.model is not None and args.model != saved.model:
        given["model"] = args.model
    epochs = given.pop("epochs", saved.epochs)
    if epochs < saved.epochs:
        given["epochs"] = epochs
    conflicts = [f"--{k.replace('_', '-')} {v} (the run has {getattr(saved, k)!r})"
                 for k, v in given.items() if getattr(saved, k) != v]
    if conflicts:
        raise ArgumentError(f"--resume continues {folder} with its saved settings; refusing "
                            f"{', '.join(conflicts)}. Drop these options, or start a new run "
                            "with another --name")
    if saved.model_from is not None and args.model_from is None:
        raise ArgumentError(f"the run's model {saved.model_from!r} is code of your own; gradwork "
                            "never runs code because a run folder names it. To run it, pass "
                            f"--model-from {saved.model_from}")
    if saved.model_from is None and args.model_from is not None:
        raise ArgumentError(f"--model-from: the run trains the zoo's {saved.model}, not your "
                            "own model")
    config = dataclasses.replace(saved, epochs=epochs, resume=True,
                                 progress=not args.no_progress, name=os.path.basename(folder),
                                 out=os.path.dirname(folder), model_from=args.model_from,
                                 workers=getattr(args, "workers", saved.workers),
                                 device=getattr(args, "device", _DEFAULTS["device"]))
    return config, saved.epochs


def _record_extension(folder, old, new):
    """An explicit --epochs extension, appended to the run's changes.jsonl."""
    print(f"extending {folder} from {old} to {new} epochs (recorded in changes.jsonl)",
          file=sys.stderr)
    with open(os.path.join(folder, "changes.jsonl"), "a") as f:
        f.write(json.dumps({"time": time.strftime("%Y-%m-%dT%H:%M:%S"), "field": "epochs",
                            "from": old, "to": new}) + "\n")


def _run_folder(args):
    out = getattr(args, "out", _DEFAULTS["out"])
    name = getattr(args, "name", None)
    if args.resume and not name:
        raise ArgumentError("--resume needs --name, the run to continue")
    return os.path.join(out, name or time.strftime("%Y%m%d-%H%M%S"))


def cmd_train(args):
    from ..distributed import process_group as pg
    folder = _join_process_group(args, _run_folder(args))
    if not pg.is_initialized():
        return _train(args, folder)
    with pg.abort_all_on_error():               # one rank's error stops every rank at once
        return _train(args, folder)


def _train(args, folder):
    from ..train.build import build_trainer
    from ..train.preflight import make_run_folder
    from ..train.runlock import RunLock
    if args.resume:
        config, saved_epochs = _resume_config(args, folder)
    else:
        config = dataclasses.replace(_new_config(args), name=os.path.basename(folder),
                                     out=os.path.dirname(folder))
    _refuse_trained(config, folder)
    _require_device(config)
    trainer, test_loader = build_trainer(config)       # refuses a bad model or data: no folder
    if not trainer.is_main:
        return _train_other_rank(trainer, config, folder)
    created = not os.path.isdir(folder)
    make_run_folder(folder)
    try:
        with RunLock(folder):
            _refuse_trained(config, folder)             # another process may have finished it
            if config.resume:
                trainer.resume(folder)
                if config.epochs > saved_epochs:
                    _record_extension(folder, saved_epochs, config.epochs)
            print(f"run folder: {folder}", file=sys.stderr)
            trainer.fit(config.epochs)
            if trainer.stopped:
                more = f" --model-from {config.model_from}" if config.model_from else ""
                print(f"stopped; checkpoint in {folder}. Continue with: gradwork train --name "
                      f"{config.name} --out {config.out}{more} --resume", file=sys.stderr)
                return 128 + int(trainer.stop_signal or 2)   # 130 SIGINT, 143 SIGTERM
            if test_loader is None:                     # a language model: perplexity
                trainer.report(folder)
            else:
                _report_test(trainer, test_loader, folder, config)
    finally:
        if created and os.path.isdir(folder) and not os.listdir(folder):
            os.rmdir(folder)                            # a failed start leaves nothing behind
    return 0


def _join_process_group(args, folder):
    """Under `mpiexec -n K` with K > 1, join the ranks (data-parallel training); every rank
    then uses rank 0's run folder (a timestamped name could differ by a second)."""
    from ..distributed import process_group as pg
    if pg.launched_world_size() <= 1 and args.dist_timeout is None:
        return folder
    pg.init_process_group("mpi", timeout=args.dist_timeout)
    return pg.broadcast_object(folder, src=0)


def _train_other_rank(trainer, config, folder):
    """Ranks 1..K−1: the same training steps, no folder, no logs, no output."""
    if config.resume:
        trainer.resume(folder)
    trainer.fit(config.epochs)
    return 128 + int(trainer.stop_signal or 2) if trainer.stopped else 0


def _refuse_trained(config, folder):
    if not config.resume and os.path.exists(os.path.join(folder, "last.safetensors")):
        raise ArgumentError(f"{folder} already holds a trained run: pass --resume to continue "
                            "it, or another --name")


def _report_test(trainer, test_loader, folder, config):
    """Test accuracy, once, of the final model and of the best-on-validation one (test.json)."""
    from ..serialization import atomic_write_bytes
    from ..train import checkpoint as ckpt
    results = {"final": {"epoch": trainer.epoch, **trainer.evaluate(test_loader)}}
    if os.path.exists(os.path.join(folder, "best.safetensors")):
        arrays, info = ckpt.load_checkpoint(os.path.join(folder, "best"))
        ckpt.restore(arrays, info, trainer.model)
        results["best"] = {"epoch": info["epoch"], **trainer.evaluate(test_loader)}
    results["validation"] = "test set" if config.val_split == 0 else \
        f"{config.val_split:g} of the training set"
    atomic_write_bytes(os.path.join(folder, "test.json"), json.dumps(results, indent=1).encode())
    final = results["final"]
    print(f"test accuracy: {final['acc1']:.4f} (top-5 {final['acc5']:.4f}), final model after "
          f"{plural(final['epoch'], 'epoch')}")
    if "best" in results:
        best = results["best"]
        print(f"test accuracy: {best['acc1']:.4f} (top-5 {best['acc5']:.4f}), best model on "
              f"validation (epoch {best['epoch']})")
    if config.val_split == 0:
        print("note: --val-split 0: the validation numbers (and the best model) were chosen on "
              "this test set")


def _add_eval(sub):
    p = sub.add_parser("eval", help="evaluate a checkpoint on a test set",
                       description="Accuracy, per-class accuracy and a confusion-matrix PNG of "
                       "a checkpoint (its run's model and data set unless --data is given).")
    p.add_argument("checkpoint", help="a .safetensors checkpoint or a run folder (uses last)")
    p.add_argument("--model-from", metavar="FILE.py:FUNCTION", help=_MODEL_FROM_HELP)
    p.add_argument("--data", choices=list(DATASETS), help="data set (default: the run's)")
    p.add_argument("--data-dir", help="folder with the data set's files (default: the run's)")
    p.add_argument("--batch-size", type=POSITIVE_INT, default=256, help="default 256")
    p.add_argument("--limit-test", type=POSITIVE_INT, help="use only the first N test samples")
    p.add_argument("--output", help="confusion matrix PNG (default: beside the checkpoint)")
    p.set_defaults(func=cmd_eval)


def cmd_eval(args):
    from ..autograd import no_grad
    from ..backend import np
    from ..train import checkpoint as ckpt
    from ..train.build import build_model_and_data
    from ..train.metrics import confusion_matrix, per_class_accuracy, predict
    from ..train.plots import plot_confusion_matrix
    path = ckpt.resolve(args.checkpoint)
    arrays, info = ckpt.load_checkpoint(path)
    if not info.get("config"):
        raise ValueError(f"{path}: the checkpoint has no run configuration to rebuild its model")
    config = TrainConfig.from_dict(info["config"])
    if config.model_from is not None and args.model_from is None:
        raise ArgumentError(f"the checkpoint's model {config.model_from!r} is code of your own; "
                            "gradwork never runs code because a file names it. To run it, pass "
                            f"--model-from {config.model_from}")
    config = dataclasses.replace(config, data=args.data or config.data,
                                 data_dir=args.data_dir if args.data else
                                 (args.data_dir or config.data_dir),
                                 augment=False, limit_test=args.limit_test,
                                 batch_size=args.batch_size, val_split=0.0,
                                 model_from=args.model_from if config.model_from else None)
    model, _, _, loader, classes = build_model_and_data(config)
    ckpt.restore(arrays, info, model)
    model.eval()
    preds, targets = [], []
    with no_grad():
        for x, y in loader:
            preds.append(predict(model(x)))                # -1: a non-finite row
            targets.append(y._data)
    preds, targets = np.concatenate(preds), np.concatenate(targets)
    matrix = confusion_matrix(preds, targets, len(classes))
    totals = np.bincount(targets, minlength=len(classes))
    print(f"{path}: {config.model} on {config.data} ({len(targets)} test samples)")
    print(f"accuracy: {(preds == targets).mean():.4f}")
    if (preds < 0).any():
        print(f"non-finite predictions (counted as wrong): {int((preds < 0).sum())}")
    for name, acc, n in zip(classes, per_class_accuracy(matrix, totals), totals):
        print(f"  {name:>16}: {acc:.4f}  ({plural(int(n), 'sample')})")
    output = args.output or os.path.join(os.path.dirname(path), "confusion_matrix.png")
    plot_confusion_matrix(matrix, classes, output,
                          title=f"{config.model} on {config.data}")
    print(f"confusion matrix: {output}")
    return 0


def _add_models(sub):
    p = sub.add_parser("models", help="list the model zoo",
                       description="The registered model names (for train and summary), each "
                       "with its natural input size and task (`gradwork train` trains the "
                       "classification models).")
    p.set_defaults(func=cmd_models)


def cmd_models(args):
    from ..models import list_models, model_spec
    for name in list_models():
        spec = model_spec(name)
        size = "×".join(map(str, spec.input_size)) + (" tokens" if spec.tokens else "")
        print(f"{name:<22} {size:<14} {spec.task}")
    return 0


def _add_summary(sub):
    p = sub.add_parser("summary", help="per-layer shapes, parameters, mult-adds, memory",
                       description="Deck 002's VGG table for any model: per layer its output "
                       "shape, parameters, multiply-adds (conv/linear only) and activation "
                       "memory, then the totals.")
    p.add_argument("model", nargs="?", help="a zoo name")
    p.add_argument("--model-from", metavar="FILE.py:FUNCTION", help=_MODEL_FROM_HELP)
    p.add_argument("--input-size", type=POSITIVE_INT, nargs="+", metavar="N",
                   help="one input's shape without the batch, e.g. 3 224 224 (default: the "
                   "model's natural size from the zoo's registry, e.g. 1 32 32 for lenet5)")
    p.add_argument("--num-classes", type=POSITIVE_INT,
                   help="classes of the model's output (default: the model's own default)")
    p.add_argument("--batch-size", type=POSITIVE_INT, default=1, help="default 1")
    p.set_defaults(func=cmd_summary)


def cmd_summary(args):
    from ..models import example_inputs, model_spec
    from ..tools.summary import summary
    from ..train.build import build_model
    if (args.model is None) == (args.model_from is None):
        raise ArgumentError("summary: name a zoo MODEL or --model-from FILE.py:FUNCTION")
    name = args.model or args.model_from
    if args.model_from is not None and not args.input_size:
        raise ArgumentError("summary: a model of your own needs --input-size, e.g. "
                            "--input-size 1 28 28")
    input_size = tuple(args.input_size or model_spec(name).input_size)
    if args.model_from is None:
        _refuse_too_large(name, args.batch_size, input_size)
        inputs = example_inputs(name, args.batch_size, input_size)
    in_channels = input_size[0] if len(input_size) == 3 else None
    model = build_model(name if args.model_from is None else None, args.num_classes,
                        in_channels, args.model_from)
    if args.model_from is not None:
        from ..autograd import Tensor
        from ..backend import np
        inputs = (Tensor(np.zeros((args.batch_size, *input_size), np.float32)),)
    print(f"{name}, input {input_size}, batch {args.batch_size}")
    print(summary(model, input_size, args.batch_size, inputs=inputs))
    return 0


def _refuse_too_large(name, batch_size, input_size):
    """Refuse, before anything is built or allocated, inputs whose forward pass would not fit
    in this machine's memory (the registry's estimate, a lower bound)."""
    from ..models import estimate_forward_bytes
    need = estimate_forward_bytes(name, batch_size, input_size)
    try:
        have = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return
    if need > have:
        raise ArgumentError(f"{name} at input {input_size}, batch {batch_size} needs at least "
                            f"{need / 2**30:.1f} GiB for its forward pass (estimate); this "
                            f"machine has {have / 2**30:.1f} GiB. Use a smaller --input-size "
                            "or --batch-size")


def _add_plot(sub):
    p = sub.add_parser("plot", help="overlay the curves of several runs",
                       description="Loss and accuracy curves of the runs (their metrics.csv) "
                       "in one PNG.")
    p.add_argument("runs", nargs="+", help="run folders")
    p.add_argument("--out", "--output", dest="output", help="PNG to write (default: "
                   "curves-compared.png in the first run's folder)")
    p.set_defaults(func=cmd_plot)


def cmd_plot(args):
    from ..train.plots import plot_runs
    runs = []
    for run in args.runs:
        if os.path.isfile(os.path.join(run, "metrics.csv")):
            runs.append(run)
        else:
            print(f"gradwork plot: skipping {run}: no metrics.csv (not a run folder, or no "
                  "epoch finished yet)", file=sys.stderr)
    if not runs:
        raise ArgumentError("plot: none of the folders holds a metrics.csv")
    output = args.output or os.path.join(runs[0], "curves-compared.png")
    print(plot_runs(runs, output))
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
    p.add_argument("--seeds", type=POSITIVE_INT, help="seeds to run (default: the claim's)")
    p.add_argument("--data", default="mnist", choices=list(DATASETS),
                   help="data set for training claims (default: the bundled digits)")
    p.add_argument("--data-dir", help="folder with the data set's files")
    p.add_argument("--out", default="reproductions", help="folder of results (default "
                   "reproductions)")
    p.set_defaults(func=cmd_reproduce)


def cmd_reproduce(args):
    from ..reproduce import CLAIMS, get_claim, run_claim
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


def _add_sample(sub):
    p = sub.add_parser("sample", help="generate text from a trained language model",
                       description="Draw characters one at a time from a language model's "
                       "run (e.g. `gradwork train char_lm`): each from softmax(logits / T), "
                       "seeded, after reading the prompt. Prints the prompt and what follows.")
    p.add_argument("checkpoint", help="a run folder (uses best, else last) or a checkpoint")
    p.add_argument("--prompt", help="text to start from; its characters must be in the "
                   "run's vocabulary (default: a newline, or the vocabulary's first character)")
    p.add_argument("--length", type=POSITIVE_INT, default=200,
                   help="characters to generate (default 200)")
    p.add_argument("--temperature", type=NONNEGATIVE, default=1.0,
                   help="T in softmax(logits / T): 0 = always the most likely character, 1 = "
                   "the model's distribution, higher = more random (default 1)")
    p.add_argument("--seed", type=NONNEGATIVE_INT, default=0, help="default 0")
    p.set_defaults(func=cmd_sample)


def cmd_sample(args):
    from ..models.char_lm import sample
    from ..train.language_model import load_language_model
    model, vocabulary, _ = load_language_model(args.checkpoint)
    prompt = args.prompt
    if prompt is None:
        prompt = "\n" if "\n" in vocabulary.index else vocabulary.chars[0]
    if not prompt:
        raise ArgumentError("--prompt must hold at least one character")
    unknown = sorted(set(prompt) - set(vocabulary.index))
    if unknown:
        raise ArgumentError(f"--prompt has characters the run's text never had: "
                            f"{''.join(unknown)!r} (its vocabulary: "
                            f"{''.join(vocabulary.chars)!r})")
    print(sample(model, vocabulary, prompt, args.length, args.temperature, args.seed))
    return 0


def _add_export(sub):
    p = sub.add_parser("export", help="write a model (and its checkpoint's weights) as ONNX",
                       description="Trace a zoo model on a zero input and write it as an ONNX "
                       "file checked by onnx.checker (needs the onnx extra).")
    p.add_argument("model", nargs="?", help="a zoo name (see `gradwork models`)")
    p.add_argument("--model-from", metavar="FILE.py:FUNCTION", help=_MODEL_FROM_HELP)
    p.add_argument("--checkpoint", help="a training checkpoint or run folder, or a "
                   ".safetensors state dict (default: the model's initial weights)")
    p.add_argument("--onnx", required=True, metavar="PATH", help="the .onnx file to write")
    p.add_argument("--input-size", type=POSITIVE_INT, nargs="+", metavar="N",
                   help="one input's shape without the batch (default: the model's declared)")
    p.add_argument("--num-classes", type=POSITIVE_INT, help="default: the checkpoint's run, "
                   "else the model's own")
    p.add_argument("--batch-size", type=POSITIVE_INT, default=1, help="traced batch, default 1")
    p.add_argument("--dynamic-batch", action="store_true", help="leave the batch axis free")
    p.add_argument("--opset", type=int, default=17, help="ONNX opset version, default 17")
    p.set_defaults(func=cmd_export)


def cmd_export(args):
    from .. import onnx, randn
    from ..models import model_spec
    from ..serialization import load
    from ..train import checkpoint as ckpt
    from ..train.build import build_model
    state, num_classes = None, args.num_classes
    if args.checkpoint:
        try:
            arrays, info = ckpt.load_checkpoint(args.checkpoint)
            state = {k[len("model."):]: v for k, v in arrays.items() if k.startswith("model.")}
            data = (info.get("config") or {}).get("data")
            if num_classes is None and data:
                from ..data import dataset_info
                num_classes = dataset_info(data).num_classes
        except ValueError:                          # not a training checkpoint: a state dict
            state = load(args.checkpoint)
    if (args.model is None) == (args.model_from is None):
        raise ArgumentError("export: name a zoo MODEL or --model-from FILE.py:FUNCTION")
    if args.model_from is not None and not args.input_size:
        raise ArgumentError("export: a model of your own needs --input-size, e.g. "
                            "--input-size 1 28 28")
    input_size = tuple(args.input_size or model_spec(args.model).input_size)
    channels = input_size[0] if len(input_size) == 3 else None
    model = build_model(args.model, num_classes, channels, args.model_from)
    if state is not None:
        model.load_state_dict(state)
    dynamic = {"input": {0: "batch"}, "output": {0: "batch"}} if args.dynamic_batch else None
    proto = onnx.export(model, randn(args.batch_size, *input_size), args.onnx,
                        opset_version=args.opset, dynamic_axes=dynamic)
    print(f"{args.onnx}: {args.model or args.model_from}, input {input_size}, opset {args.opset}, "
          f"{len(proto.graph.node)} nodes")
    return 0


def build_parser():
    parser = argparse.ArgumentParser(prog="gradwork", description="gradwork: train, evaluate "
                                     "and inspect the models of the decks.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in (_add_train, _add_eval, _add_models, _add_summary, _add_plot,
                _add_reproduce, _add_export, _add_sample):
        add(sub)
    return parser


def main(argv=None):
    """Entry point of the `gradwork` console script and `python -m gradwork`."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except BrokenPipeError:                 # `gradwork models | head`
        return 0
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
