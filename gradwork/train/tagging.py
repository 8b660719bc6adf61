"""Training a framewise tagger (deck 004, segment classification) on `Trainer`'s machinery:
the loss is the cross-entropy per real frame (padding carries `IGNORE_INDEX` and is left out,
as PyTorch's `CrossEntropyLoss(ignore_index=-100)`), and the accuracy is per real frame.
"""
import dataclasses

from .. import backend
from ..data import DataLoader, Subset
from ..data.tagging import IGNORE_INDEX, ContextTagging
from ..errors import ArgumentError
from ..nn import CrossEntropyLoss
from .trainer import Trainer

TRAIN_SEQUENCES, TEST_SEQUENCES = 4000, 1000      # the task's default sizes (--limit-*)


class TaggingTrainer(Trainer):
    """`Trainer` for a model ids (N, T) → logits (N, T, C) with labels (N, T), padded frames
    labelled `ignore_index`: loss and accuracy over the real frames."""

    def __init__(self, model, optimizer, train_loader, val_loader=None, ignore_index=IGNORE_INDEX,
                 **kwargs):
        kwargs.setdefault("loss_fn", CrossEntropyLoss(ignore_index=ignore_index))
        super().__init__(model, optimizer, train_loader, val_loader, **kwargs)
        self.ignore_index = ignore_index

    def _forward(self, x, y):
        """Loss: mean cross-entropy over the real frames of the batch; the meter counts those
        frames' (F, C) scores and (F,) labels, so an epoch's numbers are per frame."""
        out = self.net(x)                                                # (N, T, C)
        scores, targets = out.reshape(-1, out.shape[-1]), y.reshape(-1)  # (N·T, C), (N·T,)
        labels = targets.cpu().numpy()                                   # host copies
        real = labels != self.ignore_index
        loss = self.loss_fn(scores, targets)
        if self.train_model is not self.model and self.model.training:
            loss = self._global_frame_mean(loss, int(real.sum()))
        return loss, scores.detach().cpu().numpy()[real], labels[real]

    def _global_frame_mean(self, loss, frames):
        """Data-parallel: rank r's mean ℓ̄_r over its F_r real frames, with the gradient of
        K·F_r/F · ℓ̄_r (F = Σ_r F_r, one all-reduce), so that DDP's mean over the K ranks is
        the gradient of the global batch's mean per frame Σ_r F_r·ℓ̄_r / F, as one process
        computes it (the ranks' shares hold different numbers of real frames). Its value stays
        ℓ̄_r: the epoch's sums (Σ_r ℓ̄_r·F_r) stay per frame."""
        from ..distributed.process_group import allreduce_array, get_world_size
        total = allreduce_array(backend.np.array([frames], backend.np.int64),
                                what="real-frame count all-reduce")[0]
        c = get_world_size() * frames / max(int(total), 1)
        return loss * c + (loss * (1.0 - c)).detach()


def build_tagging_trainer(config):
    """(trainer, test_loader): the zoo tagger `config.model` on the context-tagging task
    (data/tagging.py), `config.limit_train` / `limit_test` sequences (default 4,000 / 1,000)
    generated from `config.seed`, `config.val_split` of the training ones held out."""
    from .build import split_validation, task_model, train_loader, trainer_options
    if config.data not in ("mnist", "context-tagging"):  # mnist: the option left to its default
        raise ArgumentError(f"{config.model} is a tagger: it trains on its generated "
                            f"context-tagging task, not --data {config.data}")
    config = dataclasses.replace(config, data="context-tagging")
    train = ContextTagging(config.limit_train or TRAIN_SEQUENCES, seed=(config.seed, 0))
    test = ContextTagging(config.limit_test or TEST_SEQUENCES, seed=(config.seed, 1))
    batch = max(config.batch_size, 256)
    test_loader = DataLoader(test, batch, seed=config.seed)
    val_loader = test_loader
    if config.val_split > 0:
        keep, held = split_validation(train, config.val_split, config.seed)
        val_loader = DataLoader(Subset(train, held), batch, seed=config.seed)
        train = Subset(train, keep)
    train_batches = train_loader(train, config)       # this rank's share of a global batch
    model, optimizer = task_model(config, num_classes=len(ContextTagging.classes),
                                  vocab_size=test.num_symbols + 1)
    trainer = TaggingTrainer(model, optimizer, train_batches, val_loader,
                             **trainer_options(config, optimizer))
    return trainer, test_loader
