"""Every claim `gradwork reproduce` knows, in the order `--list` prints them."""
from .adding import ADDING_PROBLEM
from .arithmetic import CONV_ARITHMETIC, INCEPTION_1X1, RESNET_FLOPS, VGG16_TABLE
from .batchnorm import BATCHNORM_SPEED
from .binary import BINARY_ACCURACY, BINARY_MEMORY, XNOR_SPEED
from .copy_memory import COPY_MEMORY
from .counting import LSTM_COUNTS
from .ctc_labelling import CTC_LABELLING
from .efficiency import DENSENET_EFFICIENCY
from .gradients import GRADIENT_CLIPPING, VANISHING_GRADIENTS
from .initial_state import LEARNED_INITIAL_STATE
from .initialisation import INITIALISATION
from .lstm_variants import LSTM_VARIANTS
from .pooling import POOLING_INVARIANCE
from .regularisation import AUGMENTATION, DROPOUT_OVERFITTING, PENALTIES
from .residual import RESIDUAL_VS_PLAIN
from .schedule import PLATEAU
from .sequential_mnist import SEQUENTIAL_MNIST
from .translation import ATTENTION_LONG_SENTENCES

CLAIMS = {c.name: c for c in (CONV_ARITHMETIC, VGG16_TABLE, RESNET_FLOPS, INCEPTION_1X1,
                              RESIDUAL_VS_PLAIN, BATCHNORM_SPEED, DROPOUT_OVERFITTING,
                              AUGMENTATION, PENALTIES, INITIALISATION, PLATEAU,
                              POOLING_INVARIANCE, DENSENET_EFFICIENCY,
                              BINARY_MEMORY, XNOR_SPEED, BINARY_ACCURACY,
                              VANISHING_GRADIENTS, ADDING_PROBLEM,
                              GRADIENT_CLIPPING, LSTM_COUNTS,
                              ATTENTION_LONG_SENTENCES, COPY_MEMORY,
                              LEARNED_INITIAL_STATE, LSTM_VARIANTS,
                              SEQUENTIAL_MNIST, CTC_LABELLING)}


def get_claim(name):
    """The claim called `name`; an unknown name is refused with the list of known ones."""
    if name not in CLAIMS:
        raise ValueError(f"reproduce: unknown claim {name!r}; known claims: "
                         + ", ".join(CLAIMS))
    return CLAIMS[name]
