"""Where the hand-copied torchvision numbers of tests/models come from, checked (issue 14 item 8).

The parameter counts in test_{alexnet,vgg,resnet,resnext,densenet,googlenet}.py are the
"Params" column of torchvision's model table (https://pytorch.org/vision/stable/models.html,
`Weights.meta["num_params"]`); the GFLOPS beside them are its "GFLOPS" column
(`Weights.meta["_ops"]`, multiply-adds of conv + linear at 224×224). Each count is generated
here from the PyTorch reference classes of torchvision_reference.py (torchvision's code,
copied), and, where torchvision is installed, from torchvision's own metadata; a copy that
drifts from either fails. The GFLOPS figures are checked against gradwork's own MAC count in
test_resnet.py / test_resnext.py."""
from pathlib import Path

import pytest
import torch

from . import test_alexnet, test_densenet, test_googlenet, test_resnet, test_resnext, test_vgg
from . import torchvision_reference as tv

COPIED = {"alexnet": 61_100_840, "googlenet": 6_624_904,
          **test_vgg.PARAMS,
          **test_densenet.PUBLISHED,
          **{k: v[0] for k, v in test_resnet.PUBLISHED.items()},
          **{k: v[0] for k, v in test_resnext.PUBLISHED.items()}}


def _reference_count(name):
    make = (lambda: tv.GoogLeNet(aux_logits=False)) if name == "googlenet" else tv.builder(name)
    with torch.device("meta"):
        model = make()
    return sum(p.numel() for p in model.parameters())


def test_the_copies_are_those_the_tests_use():
    """The alexnet and googlenet counts are written inline in their tests: same figures."""
    assert "61_100_840" in Path(test_alexnet.__file__).read_text()
    assert "6_624_904" in Path(test_googlenet.__file__).read_text()


@pytest.mark.parametrize("name", sorted(COPIED))
def test_copied_count_equals_the_generated_one(name):
    assert _reference_count(name) == COPIED[name]
    try:
        from torchvision import models as tvm  # optional: not a dependency
    except ImportError:
        return
    assert tvm.get_model_weights(name).DEFAULT.meta["num_params"] == COPIED[name]
