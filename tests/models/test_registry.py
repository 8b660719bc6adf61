import pytest

import gradwork as gw
from gradwork.models import get_model, list_models, register

EXPECTED = {
    "lenet5", "lenet5_28", "alexnet", "alexnet_paper", "zfnet", "vgg11", "vgg13", "vgg16",
    "vgg19", "vgg11_bn", "vgg13_bn", "vgg16_bn", "vgg19_bn", "googlenet", "resnet18", "resnet34",
    "resnet50", "resnet101", "resnet152", "plain18", "plain34", "plain50", "plain101",
    "plain152", "resnet8", "resnet20", "resnet32", "resnet44", "resnet56", "resnet110",
    "plain20", "plain32", "plain44", "plain56", "plain110", "resnext50_32x4d",
    "resnext101_32x8d", "resnext101_64x4d", "densenet121", "densenet169", "densenet201",
    "densenet_bc_100_12", "inception_resnet_v2", "segnet", "dcgan_generator",
    "dcgan_discriminator", "show_and_tell", "seq2seq_attention",
}


def test_list_models_is_sorted_and_complete():
    names = list_models()
    assert names == sorted(names)
    assert EXPECTED <= set(names), sorted(EXPECTED - set(names))
    assert gw.models.list_models() == names


def test_unknown_name_lists_the_valid_ones():
    with pytest.raises(ValueError, match="unknown model 'resnet19'.*resnet18.*vgg16"):
        get_model("resnet19")


def test_register_rejects_a_duplicate_name():
    with pytest.raises(ValueError, match="already registered"):
        register("lenet5")(lambda: None)


def test_get_model_passes_keyword_arguments():
    model = get_model("lenet5", num_classes=3)
    assert model.classifier[2].out_features == 3
    with pytest.raises(TypeError):
        get_model("lenet5", no_such_argument=1)


def test_every_zoo_name_is_a_constructor_on_gradwork_models():
    """As in torchvision: `gradwork.models.alexnet(num_classes=10)` (issue 12, item 4)."""
    import types
    for name in list_models():
        fn = getattr(gw.models, name, None)
        assert callable(fn) and not isinstance(fn, types.ModuleType), name
        assert fn is gw.models.registry._MODELS[name], name
    model = gw.models.alexnet(num_classes=10)
    assert model.classifier[-1].out_features == 10


def test_every_zoo_name_declares_its_input_size_and_task():
    assert set(gw.models.MODEL_SPECS) == set(list_models())
    for name in list_models():
        spec = gw.models.model_spec(name)
        assert spec.task in gw.models.TASKS, name
        assert all(isinstance(s, int) and s > 0 for s in spec.input_size), name
    assert gw.models.model_spec("alexnet_paper").input_size == (3, 227, 227)
