"""Optimisers and learning-rate schedules, PyTorch's `torch.optim`."""
from . import lr_scheduler
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .nadam import NAdam
from .optimizer import Optimizer, flatten_state_dict, unflatten_state_dict
from .radam import RAdam
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "NAdam", "RAdam", "Optimizer",
           "lr_scheduler", "flatten_state_dict", "unflatten_state_dict"]
