"""Optimisers and learning-rate schedules, PyTorch's `torch.optim`."""
from . import lr_scheduler
from .adam import Adam, AdamW
from .optimizer import Optimizer, flatten_state_dict, unflatten_state_dict
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["SGD", "Adam", "AdamW", "RMSprop", "Optimizer", "lr_scheduler",
           "flatten_state_dict", "unflatten_state_dict"]
