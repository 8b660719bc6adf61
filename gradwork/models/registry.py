"""The model registry: the one place that knows the zoo's names, what each model takes as input
and which trainer it needs.

`@register("name")` on each constructor fills name → constructor (no introspection);
`MODEL_SPECS` below declares, per name, the model's natural input (one sample's shape without
the batch: (C, H, W) for images, the paper's size) and its task, which says how it is trained:

    classification   images → class scores; `gradwork train` trains it (cross-entropy)
    segmentation     images → per-pixel class scores
    gan              a DCGAN half (noise → image, image → real/fake): `train_gan`
    seq2seq          token sequences → token sequences (teacher forcing)
    captioning       image + caption tokens → next-token scores
    language_model   character ids → next-character scores; `gradwork train` (truncated BPTT)
    tagging          token ids → one label per time step; `gradwork train` (framewise)

`get_model`, `list_models` and `model_spec` are what the CLI, the trainer and `summary` ask.
"""
import math
from dataclasses import dataclass

_MODELS = {}

TASKS = ("classification", "segmentation", "gan", "seq2seq", "captioning", "language_model",
         "tagging")


@dataclass(frozen=True)
class ModelSpec:
    """What the zoo knows about a model besides its constructor."""
    input_size: tuple               # one sample's natural input shape (no batch)
    task: str = "classification"
    tokens: bool = False            # the input is token ids (int64), not images
    note: str = ""                  # where the input size comes from


_IMAGENET = ModelSpec((3, 224, 224), note="ImageNet crops")
_CIFAR = ModelSpec((3, 32, 32), note="CIFAR images")

MODEL_SPECS = {
    "lenet5": ModelSpec((1, 32, 32), note="LeCun et al. 1998: 28×28 digits in a 32×32 field"),
    "lenet5_28": ModelSpec((1, 28, 28), note="MNIST digits, C1 pads by 2"),
    "alexnet": _IMAGENET,
    "alexnet_paper": ModelSpec((3, 227, 227), note="Krizhevsky et al. 2012: (227 − 11)/4 + 1 = 55"),
    "zfnet": _IMAGENET,
    **{f"vgg{d}{bn}": _IMAGENET for d in (11, 13, 16, 19) for bn in ("", "_bn")},
    "googlenet": _IMAGENET,
    "googlenet_paper": _IMAGENET,
    **{f"{kind}{d}": _IMAGENET for kind in ("resnet", "plain") for d in (18, 34, 50, 101, 152)},
    **{f"{kind}{d}": _CIFAR for kind in ("resnet", "plain") for d in (8, 20, 32, 44, 56, 110)},
    **{name: _IMAGENET for name in ("resnext50_32x4d", "resnext101_32x8d", "resnext101_64x4d",
                                    "densenet121", "densenet169", "densenet201")},
    "densenet_bc_100_12": _CIFAR,
    "inception_resnet_v2": ModelSpec((3, 299, 299), note="Szegedy et al. 2016"),
    "segnet": ModelSpec((3, 360, 480), "segmentation",
                        note="CamVid frames (Badrinarayanan et al. 2017)"),
    "dcgan_generator": ModelSpec((100,), "gan", note="the noise vector z"),
    "dcgan_discriminator": ModelSpec((3, 64, 64), "gan", note="Radford et al. 2016"),
    "show_and_tell": ModelSpec((3, 224, 224), "captioning",
                               note="an image and a caption of 16 tokens"),
    "seq2seq_attention": ModelSpec((16,), "seq2seq", tokens=True,
                                   note="source and target sentences of 16 tokens"),
    "gnmt": ModelSpec((16,), "seq2seq", tokens=True,
                      note="source and target sentences of 16 tokens"),
    "bwn_lenet5": ModelSpec((1, 32, 32), note="LeNet-5's field (Rastegari et al. 2016 layers)"),
    "xnor_lenet5": ModelSpec((1, 32, 32), note="LeNet-5's field (Rastegari et al. 2016 layers)"),
    **{f"{kind}_resnet{d}": _CIFAR for kind in ("bwn", "xnor") for d in (8, 20)},
    "bwn_alexnet": _IMAGENET,
    "xnor_alexnet": _IMAGENET,
    **{name: ModelSpec((63, 39), note="1 s of 8 kHz speech: 63 frames of 13 MFCCs + Δ + ΔΔ")
       for name in ("digit_gru", "digit_lstm")},
    "char_lm": ModelSpec((64,), "language_model", tokens=True,
                         note="a window of 64 characters (--bptt)"),
    "bilstm_tagger": ModelSpec((20,), "tagging", tokens=True,
                               note="a sequence of 20 symbols (data/tagging.py)"),
}


# Bytes of activations a forward pass keeps per byte of input, at the natural input size
# (`summary(model).activation_bytes / input bytes`, batch 1, measured over the zoo, rounded up).
# Activations grow with the batch and, for convolutions, with the image's area, so
# input bytes × this ratio estimates a forward pass's memory before the model is built (a lower
# bound: the parameters come on top).
ACTIVATION_PER_INPUT_BYTE = {
    "alexnet": 9, "alexnet_paper": 12, "dcgan_discriminator": 26, "dcgan_generator": 3934,
    "densenet121": 258, "densenet169": 305, "densenet201": 384, "densenet_bc_100_12": 3267,
    "googlenet": 54, "googlenet_paper": 54, "inception_resnet_v2": 191, "lenet5": 16,
    "lenet5_28": 20, "plain101": 296, "plain110": 1025, "plain152": 422, "plain18": 49,
    "plain20": 185, "plain32": 297, "plain34": 74, "plain44": 409, "plain50": 194, "plain56": 521,
    "plain8": 73, "resnet101": 316, "resnet110": 1029, "resnet152": 442, "resnet18": 51,
    "resnet20": 189, "resnet32": 301, "resnet34": 76, "resnet44": 413, "resnet50": 214,
    "resnet56": 525, "resnet8": 77, "resnext101_32x8d": 615, "resnext101_64x4d": 615,
    "resnext50_32x4d": 280, "segnet": 527, "seq2seq_attention": 1831, "show_and_tell": 54,
    "vgg11": 111, "vgg11_bn": 160, "vgg13": 175, "vgg13_bn": 256, "vgg16": 192, "vgg16_bn": 282,
    "vgg19": 209, "vgg19_bn": 308, "zfnet": 29, "bwn_lenet5": 16, "xnor_lenet5": 16,
    "bwn_resnet8": 80, "bwn_resnet20": 192, "xnor_resnet8": 66, "xnor_resnet20": 140,
    "bwn_alexnet": 16, "xnor_alexnet": 12, "digit_gru": 5, "digit_lstm": 5,
    "char_lm": 357, "bilstm_tagger": 146, "gnmt": 2889,
}


def estimate_forward_bytes(name, batch_size=1, input_size=None):
    """Bytes of activations a forward pass of `name` keeps on its example inputs (computed from
    their shapes, nothing allocated): their bytes × ACTIVATION_PER_INPUT_BYTE[name]."""
    nbytes = sum(math.prod(shape) * (8 if kind == "tokens" else 4)
                 for shape, kind in example_shapes(name, batch_size, input_size))
    return nbytes * ACTIVATION_PER_INPUT_BYTE[name]

def register(name):
    """Decorator: make `fn(**kwargs) -> Module` available as `get_model(name, **kwargs)`."""
    if not isinstance(name, str) or not name:
        raise TypeError(f"register: name must be a non-empty string, got {name!r}")

    def add(fn):
        if name in _MODELS:
            raise ValueError(f"register: model name {name!r} is already registered "
                             f"(by {_MODELS[name].__module__}.{_MODELS[name].__name__})")
        _MODELS[name] = fn
        return fn
    return add


def register_residual_and_plain(depth, build, residual_doc, plain_doc):
    """Register `resnet{depth}` and `plain{depth}` (the same net without shortcuts, for the
    decks' residual-vs-plain comparison) as `build(depth, plain=…, **kwargs)`; returns both
    constructors. The docs are formatted with `depth`."""
    def resnet(**kwargs):
        return build(depth, **kwargs)

    def plain(**kwargs):
        return build(depth, plain=True, **kwargs)

    for fn, kind, doc in ((resnet, "resnet", residual_doc), (plain, "plain", plain_doc)):
        fn.__name__ = fn.__qualname__ = f"{kind}{depth}"
        fn.__doc__ = doc.format(depth=depth, n=(depth - 2) // 6)
        register(f"{kind}{depth}")(fn)
    return resnet, plain


def list_models():
    """The registered model names, sorted."""
    return sorted(_MODELS)


def _check_name(where, name):
    if name not in _MODELS:
        raise ValueError(f"{where}: unknown model {name!r}; valid names are: "
                         + ", ".join(list_models()))


def get_model(name, **kwargs):
    """Build the registered model `name` with the constructor's keyword arguments."""
    _check_name("get_model", name)
    return _MODELS[name](**kwargs)


def model_spec(name):
    """The `ModelSpec` of the registered model `name` (natural input size, task)."""
    _check_name("model_spec", name)
    if name not in MODEL_SPECS:
        raise KeyError(f"model_spec: {name!r} is registered but declares no input size and task "
                       "in gradwork/models/registry.py's MODEL_SPECS")
    return MODEL_SPECS[name]


def example_shapes(name, batch_size=1, input_size=None):
    """[(shape, "images" or "tokens"), ...]: the forward's positional arguments for model
    `name` at its natural size (or `input_size`): images (float32), token ids (int64), or
    both (an image and a caption of 16 tokens for captioning; source and target sentences of
    the same length for seq2seq)."""
    spec = model_spec(name)
    size = (batch_size, *(input_size or spec.input_size))
    if spec.tokens:
        return [(size, "tokens")] * (2 if spec.task == "seq2seq" else 1)
    if spec.task == "captioning":
        return [(size, "images"), ((batch_size, 16), "tokens")]
    return [(size, "images")]


def example_inputs(name, batch_size=1, input_size=None):
    """Zero Tensors of `example_shapes(name, batch_size, input_size)`."""
    from ..autograd import Tensor
    from ..backend import np
    return tuple(Tensor(np.zeros(shape, np.int64 if kind == "tokens" else np.float32))
                 for shape, kind in example_shapes(name, batch_size, input_size))
