"""Under `mpiexec -n K`: `gradwork train char_lm`'s trainer (build_trainer, as the CLI builds
it) on a tiny text, stopped mid-epoch by a SIGINT that reaches the last rank alone after STOP
training steps, after mid-epoch checkpoints every 2 steps (`python sequence_tasks.py TEXT_FILE
OUT NAME STOP`); imported by the tests, the same `train` gives one process's run (no process
group)."""
import os
import signal
import sys

import gradwork as gw
from gradwork import nn
from gradwork.distributed import process_group as pg
from gradwork.train.build import build_trainer
from gradwork.train.config import TrainConfig
from gradwork.train.preflight import make_run_folder

TEXT = "the cat sat on the mat; the dog sat on the log. " * 12     # 576 characters
GLOBAL_BATCH, BPTT, HIDDEN = 4, 8, 16       # 4 streams of 129 training characters: 16 windows


def char_lm_config(text_file, out, name, epochs=1, checkpoint_steps=0):
    """The run of `gradwork train char_lm --data-dir TEXT_FILE --batch-size 4 --bptt 8
    --model-args embedding_dim=8 hidden_size=16 --val-split 0.1` (char_lm's recipe)."""
    return TrainConfig(model="char_lm", data="text", data_dir=str(text_file), out=str(out),
                       name=name, epochs=epochs, batch_size=GLOBAL_BATCH, bptt=BPTT,
                       model_args={"embedding_dim": 8, "hidden_size": HIDDEN},
                       optimizer="adam", lr=2e-3, clip_grad=5.0, schedule="none",
                       val_split=0.1, progress=False, checkpoint_steps=checkpoint_steps,
                       checkpoint_minutes=0.0, recipe="char_lm")


def _interrupt_at(step, signalled):
    """CrossEntropyLoss that sends this process a SIGINT (what Ctrl-C does) in training step
    `step` when `signalled`: the trainer stops after that step, on every rank."""
    calls = []

    def loss_fn(scores, targets):
        if gw.is_grad_enabled():                                    # training steps only
            calls.append(1)
            if len(calls) == step and signalled:
                os.kill(os.getpid(), signal.SIGINT)
        return nn.functional.cross_entropy(scores, targets)
    return loss_fn


def train(config, stop=None):
    """The trainer after `fit(config.epochs)`; `stop`: a SIGINT in that training step, on the
    last rank only (one process: on it)."""
    trainer, _ = build_trainer(config)
    if stop is not None:
        last = not pg.is_initialized() or pg.get_rank() == pg.get_world_size() - 1
        trainer.loss_fn = _interrupt_at(stop, last)
    if trainer.is_main:
        make_run_folder(os.path.join(config.out, config.name))
    trainer.fit(config.epochs)
    return trainer


if __name__ == "__main__":
    text_file, out, name, stop = sys.argv[1:]
    pg.init_process_group("mpi")
    with pg.abort_all_on_error():
        trainer = train(char_lm_config(text_file, out, name, checkpoint_steps=2), int(stop))
        assert trainer.stopped and trainer.step == int(stop), (trainer.stopped, trainer.step)
