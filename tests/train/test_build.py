"""gradwork.train.build: the validation split, the padding to a model's input size, the
auxiliary-loss weighting and which models `gradwork train` accepts."""
import numpy as np
import pytest

import gradwork as gw
from gradwork.data import Subset
from gradwork.models import GoogLeNetOutputs
from gradwork.train.build import AuxiliaryLoss, build_data, check_trainable, split_validation
from gradwork.train.config import TrainConfig


def _config(**kwargs):
    return TrainConfig("lenet5", **{"limit_train": 300, "limit_test": 20, **kwargs})


def test_validation_is_a_seeded_stratified_part_of_the_training_set():
    """Issue 12, item 3: validation used to be the test set."""
    train, val, test, _ = build_data(_config(val_split=0.2))
    assert val is not test
    train_idx, val_idx = train.dataset.indices, val.dataset.indices
    assert len(train_idx) + len(val_idx) == 300 and not set(train_idx) & set(val_idx)
    targets = np.asarray(train.dataset.dataset.dataset.targets)[:300]
    counts, held = np.bincount(targets, minlength=10), np.bincount(targets[val_idx], minlength=10)
    np.testing.assert_array_equal(held, np.round(0.2 * counts))             # per class
    assert split_validation(train.dataset.dataset, 0.2, 0) == (train_idx, val_idx)
    assert split_validation(train.dataset.dataset, 0.2, 1) != (train_idx, val_idx)


def test_validation_images_are_not_augmented():
    _, val, test, _ = build_data(_config(val_split=0.2, augment=True))
    x1, _ = next(iter(val))
    x2, _ = next(iter(val))
    np.testing.assert_array_equal(x1.numpy(), x2.numpy())
    assert isinstance(val.dataset, Subset)


def test_val_split_0_validates_on_the_test_set():
    _, val, test, _ = build_data(_config(val_split=0.0))
    assert val is test


@pytest.mark.parametrize("augment", [False, True])
def test_alexnet_paper_gets_227_pixels_from_28(augment):
    """Issue 12, item 6: (227 − 28) is odd; the padding used to give 226."""
    config = TrainConfig("alexnet_paper", limit_train=4, limit_test=4, val_split=0,
                         augment=augment, batch_size=4)
    train, _, test, _ = build_data(config, model_input_size=227)
    assert next(iter(train))[0].shape == (4, 1, 227, 227)
    assert next(iter(test))[0].shape == (4, 1, 227, 227)


def test_auxiliary_losses_are_weighted_0_3():
    """Szegedy et al. 2015, §5; evaluation (a plain output) is plain cross-entropy."""
    gw.manual_seed(0)
    main, aux2, aux1 = (gw.randn(4, 3) for _ in range(3))
    y = gw.tensor([0, 1, 2, 1])
    ce = gw.nn.CrossEntropyLoss()
    loss = AuxiliaryLoss()(GoogLeNetOutputs(main, aux2, aux1), y)
    expected = ce(main, y).item() + 0.3 * (ce(aux1, y).item() + ce(aux2, y).item())
    assert loss.item() == pytest.approx(expected, rel=1e-6)
    assert AuxiliaryLoss()(main, y).item() == pytest.approx(ce(main, y).item())


def test_only_classification_models_and_zoo_names_are_trained():
    check_trainable("googlenet")
    with pytest.raises(ValueError, match="dcgan_discriminator is a gan model"):
        check_trainable("dcgan_discriminator")
    with pytest.raises(ValueError, match="unknown model 'resnet19'"):
        check_trainable("resnet19")
    with pytest.raises(ValueError, match="--model-from pkg.mod:fn"):
        check_trainable("pkg.mod:fn")
