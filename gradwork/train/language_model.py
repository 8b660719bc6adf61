"""Training a character-level language model with truncated BPTT, on `Trainer`'s machinery
(run folder, progress bar, metrics.csv, TensorBoard, checkpoints, Ctrl-C, exact resume).

What differs from a classifier: the batches are `data.text.BPTTBatches` windows; the hidden
state a window ends with starts the next one, detached (Williams & Peng 1990; as PyTorch's
word_language_model `repackage_hidden`), and is reset at each epoch's start; the loss is the
mean cross-entropy per character and the report is perplexity = exp(loss) on the held-out tail
of the text; `best` is the checkpoint of the lowest validation loss. The vocabulary is saved in
every checkpoint (and in vocabulary.json), the carried state in mid-epoch ones, so that
sampling and an exact resume need nothing but the run folder.

Data-parallel (`mpiexec -n K`): rank r trains on streams [r·N/K, (r + 1)·N/K) of the global
(N, L) layout (`BPTTBatches(num_replicas=K, rank=r)`) and carries their state; a mid-epoch
checkpoint holds the state of all N streams, gathered from the ranks (a collective: every rank
takes part in each mid-epoch write, which rank 0 alone performs), and a resume takes this
rank's rows of it, so a run written with K ranks resumes with any K'.
"""
import dataclasses
import json
import math
import os

from ..autograd import Tensor
from ..backend import np
from ..data.text import BPTTBatches, CharVocabulary, read_text, split_text
from ..errors import ArgumentError, CheckpointError
from ..nn import CrossEntropyLoss
from ..serialization import atomic_write_bytes
from . import checkpoint as ckpt
from . import preflight
from .trainer import Trainer, _progress_write

# validation windows are read by at most this many streams (PyTorch's eval_batch_size)
EVAL_STREAMS = 10


def _states(hidden):
    """The hidden state as a tuple of Tensors: LSTM (h, c), GRU (h,)."""
    return tuple(hidden) if isinstance(hidden, (tuple, list)) else (hidden,)


def detach_hidden(hidden):
    """The same state cut from the graph of the window that computed it (so that backward
    stops at the window's start): `repackage_hidden` of PyTorch's word_language_model."""
    if hidden is None:
        return None
    states = tuple(h.detach() for h in _states(hidden))
    return states if isinstance(hidden, (tuple, list)) else states[0]


class LanguageModelTrainer(Trainer):
    """`Trainer` for a model `(ids (N, T), hidden) → (logits (N, T, V), hidden)` on
    `BPTTBatches`; `vocabulary`: the `CharVocabulary` of the text. Other arguments: Trainer's."""

    def __init__(self, model, optimizer, train_batches, val_batches=None, vocabulary=None,
                 **kwargs):
        kwargs.setdefault("loss_fn", CrossEntropyLoss())
        super().__init__(model, optimizer, train_batches, val_batches, **kwargs)
        self.vocabulary = vocabulary
        self.best_loss = None                   # the lowest validation (or training) loss
        self._hidden = None                     # the state carried to the next window
        self._gathered = None                   # data-parallel: every stream's state, to write

    @property
    def _data_parallel(self):
        return self.train_model is not self.model

    # ------------------------------------------------------------------ the loop
    def train_epoch(self, epochs):
        if self.train_loader.state_dict()["batch"] == 0:
            self._hidden = None                 # an epoch starts from the zero state
        self._gathered = None
        done = super().train_epoch(epochs)
        if not done and self._data_parallel:    # stopped mid-epoch: rank 0 writes `last` next
            self._gathered = self._carried_state()      # (fit), with every rank's streams
        return done

    def _mid_epoch_checkpoint_due(self):
        """Trainer's rule; data-parallel, rank 0's decision (its folder, its clock) on every
        rank (one all-reduce), since every rank takes part in the write's gather."""
        due = super()._mid_epoch_checkpoint_due()       # False on ranks without a folder
        if not self._data_parallel:
            return due
        from ..distributed.process_group import ReduceOp, allreduce_array
        flag = allreduce_array(np.array([int(due)], np.int64), ReduceOp.MAX,
                               "checkpoint agreement")
        return bool(flag[0])

    def _forward(self, x, y):
        """Window k + 1 starts from window k's last state, detached; the scores are the
        (N·T, V) next-character logits."""
        logits, hidden = self.net(x, detach_hidden(self._hidden))
        self._hidden = hidden
        scores, targets = logits.reshape(-1, logits.shape[-1]), y.reshape(-1)   # (N·T, V), (N·T,)
        return self.loss_fn(scores, targets), scores, targets

    def evaluate(self, batches):
        """{"loss", "perplexity", "acc1", "acc5"} over `batches` (mean per character), the
        state carried from window to window from zero; the training state is kept aside."""
        kept, self._hidden = self._hidden, None
        try:
            result = super().evaluate(batches)
        finally:
            self._hidden = kept
        return {**result, "perplexity": perplexity(result["loss"])}

    # ------------------------------------------------------------------ logs
    def _log_epoch(self, train, val, lr):
        super()._log_epoch(train, val, lr)
        row = self.history[-1]
        row["train_perplexity"] = perplexity(train.loss)
        line = f"perplexity: train {row['train_perplexity']:.3f}"
        if val is not None:
            row["val_perplexity"] = val["perplexity"]
            line += f" | validation {val['perplexity']:.3f}"
        _progress_write(line)
        if self.run_dir is not None:
            from .logging import write_csv
            write_csv(os.path.join(self.run_dir, "metrics.csv"), self.history)
        if self._writer is not None:
            self._writer.add_scalars({f"{split}/perplexity": row[f"{split}_perplexity"]
                                      for split in ("train", "val")
                                      if f"{split}_perplexity" in row}, self.step)
            self._writer.flush()

    # ------------------------------------------------------------------ checkpoints
    def _checkpoint(self, acc):
        """`last` every epoch; `best` when the validation loss (training loss without
        validation) is the lowest so far."""
        if self.run_dir is None:
            return
        row = self.history[-1]
        loss = row.get("val_loss", row["train_loss"])
        is_best = self.best_loss is None or loss < self.best_loss
        self.best_loss = loss if is_best else self.best_loss
        self.best_acc = max(acc, self.best_acc)
        blob, text = self._encode()
        self._write("last", blob, text)
        if is_best:
            self._write("best", blob, text)

    def save(self, name="last"):
        """Trainer's; data-parallel, call it on every rank: each takes part in gathering the
        carried state, rank 0 writes."""
        if self._data_parallel:
            if self._gathered is None:
                self._gathered = self._carried_state()
            if not self.is_main:
                self._gathered = None
                return
        super().save(name)

    def _carried_state(self):
        """The carried state as arrays (num_layers, N, H) of every stream (None at an epoch's
        start): data-parallel, the ranks' (num_layers, N/K, H) all-gathered along the stream
        axis in rank order (a collective), so that stream i is row i of the global layout."""
        if self._hidden is None:
            return None
        states = [h._data for h in _states(self._hidden)]
        if not self._data_parallel:
            return states
        from ..distributed.process_group import allgather_array
        return [np.ascontiguousarray(np.moveaxis(allgather_array(np.moveaxis(a, 1, 0)), 0, 1))
                for a in states]

    def _encode(self):
        """Trainer's checkpoint + the vocabulary, the best loss, and mid-epoch the carried
        state of every stream (arrays `extra.hidden.<i>`, (num_layers, N, H))."""
        extra = {}
        if self._hidden is not None and self.train_loader.state_dict()["batch"] > 0:
            states = self._gathered if self._data_parallel else self._carried_state()
            if states is None:
                raise RuntimeError("LanguageModelTrainer: a data-parallel mid-epoch checkpoint "
                                   "needs every rank's state: call save() on every rank")
            extra = {f"hidden.{i}": a for i, a in enumerate(states)}
        self._gathered = None
        return super()._encode(vocabulary=self.vocabulary.chars, best_loss=self.best_loss,
                               hidden_is_tuple=isinstance(self._hidden, (tuple, list)),
                               extra_arrays=extra)

    def resume(self, path):
        info = super().resume(path)
        saved = CharVocabulary(info.get("vocabulary") or ["?"])
        if saved != self.vocabulary:
            raise CheckpointError(f"{path}: the run's vocabulary ({len(saved)} characters) is "
                                  f"not the text's ({len(self.vocabulary)}): the text file "
                                  "changed since the run started; resume with the same file")
        self.best_loss = info.get("best_loss")
        arrays, _ = ckpt.load_checkpoint(path)
        states = [arrays[f"extra.hidden.{i}"] for i in range(2) if f"extra.hidden.{i}" in arrays]
        streams = getattr(self.train_loader, "batch_size", None)
        if states and streams is not None and states[0].shape[1] != streams:
            raise CheckpointError(f"{path}: the checkpoint carries the state of "
                                  f"{states[0].shape[1]} streams, but the batches have {streams} "
                                  "(--batch-size): resume with the run's batch size")
        rows = getattr(self.train_loader, "streams_of_rank", slice(None))     # this rank's
        states = [Tensor(np.ascontiguousarray(a[:, rows])).to(self.device) for a in states]
        self._hidden = None if not states else \
            tuple(states) if info.get("hidden_is_tuple") else states[0]
        return info

    def _write_config(self):
        super()._write_config()
        if self.run_dir is not None:                       # for people; checkpoints hold it too
            atomic_write_bytes(os.path.join(self.run_dir, "vocabulary.json"),
                               json.dumps(self.vocabulary.chars, ensure_ascii=False).encode())

    def _preflight(self):
        if self.run_dir is not None:
            removed = preflight.check_run_folder(self.run_dir)
            if removed and self.progress:
                _progress_write(f"removed {len(removed)} temp file(s) of an interrupted write")

    # ------------------------------------------------------------------ the report
    def report(self, folder):
        """Validation perplexity of the final model and of `best` → perplexity.json."""
        if self.val_loader is None:
            print(f"training perplexity: {self.history[-1]['train_perplexity']:.3f} "
                  "(no validation part: --val-split 0)")
            return
        results = {"final": {"epoch": self.epoch, **self.evaluate(self.val_loader)}}
        best = os.path.join(folder, "best")
        if os.path.exists(best + ".safetensors"):
            arrays, info = ckpt.load_checkpoint(best)
            ckpt.restore(arrays, info, self.model)
            results["best"] = {"epoch": info["epoch"], **self.evaluate(self.val_loader)}
        results["validation"] = f"the last {self.config['val_split']:g} of the text"
        atomic_write_bytes(os.path.join(folder, "perplexity.json"),
                           json.dumps(results, indent=1).encode())
        for which, r in results.items():
            if which != "validation":
                print(f"validation perplexity: {r['perplexity']:.3f} (loss {r['loss']:.4f} nats "
                      f"per character), {which} model (epoch {r['epoch']})")


def perplexity(loss):
    """exp(mean cross-entropy per character, in nats); inf past float range."""
    return math.exp(loss) if loss < 700 else math.inf


def build_language_model_trainer(config):
    """(trainer, None): a language model on the text file `config.data_dir` (None: the
    bundled text), its last `config.val_split` held out; the vocabulary is the file's."""
    from ..distributed import process_group as pg
    from .build import data_parallel, task_model, trainer_options
    if config.data not in ("mnist", "text"):            # mnist: the option left to its default
        raise ArgumentError(f"{config.model} is a language model: it trains on a text file "
                            f"(--data-dir FILE.txt, or the bundled text), not --data "
                            f"{config.data}")
    config = dataclasses.replace(config, data="text")
    text = read_text(config.data_dir)
    vocabulary = CharVocabulary.from_text(text)
    train_ids, val_ids = split_text(vocabulary.encode(text), config.val_split)
    ranks = {"num_replicas": pg.get_world_size(), "rank": pg.get_rank()} \
        if data_parallel() else {}
    train = BPTTBatches(train_ids, config.batch_size, config.bptt, **ranks)   # this rank's
    val = None
    if len(val_ids):
        streams = min(EVAL_STREAMS, config.batch_size, len(val_ids) // (config.bptt + 1))
        if streams == 0:
            raise ArgumentError(f"the validation part (the last {config.val_split:g} of the "
                                f"text, {len(val_ids)} characters) is shorter than one window "
                                f"of bptt + 1 = {config.bptt + 1}; use a larger --val-split, "
                                "a smaller --bptt, or --val-split 0")
        val = BPTTBatches(val_ids, streams, config.bptt)
    model, optimizer = task_model(config, vocab_size=len(vocabulary))
    trainer = LanguageModelTrainer(model, optimizer, train, val, vocabulary,
                                   **trainer_options(config, optimizer))
    return trainer, None


def load_language_model(path):
    """(model, vocabulary, info) of a language-model checkpoint (a run folder reads `best`,
    else `last`), weights restored, in eval mode."""
    from ..models import get_model, model_spec
    path = ckpt.resolve(path, best=True)
    arrays, info = ckpt.load_checkpoint(path)
    config = info.get("config") or {}
    name = config.get("model")
    if not info.get("vocabulary") or name is None or \
            model_spec(name).task != "language_model":
        raise ArgumentError(f"{ckpt.resolve(path)}: not a language model's checkpoint (model "
                            f"{name!r}); sampling needs a run of e.g. `gradwork train char_lm`")
    vocabulary = CharVocabulary(info["vocabulary"])
    model = get_model(name, vocab_size=len(vocabulary), **config.get("model_args", {}))
    ckpt.restore(arrays, info, model)
    model.eval()
    return model, vocabulary, info
