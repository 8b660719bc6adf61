"""`gradwork train --recipe`: the decks' recipes as defaults, the user's options on top."""
import json

import pytest

from gradwork.cli.main import main
from gradwork.train.config import RECIPES, TrainConfig

MLP = "tests.cli.tiny_models:mlp"
SMALL = ["--limit-train", "256", "--limit-test", "100", "--no-progress", "--epochs", "1"]


def test_recipe_sets_the_defaults_and_the_users_options_win(tmp_path):
    assert main(["train", "--model-from", MLP, "--name", "r", "--out", str(tmp_path),
                 "--recipe", "resnet", "--lr", "0.05", *SMALL]) == 0
    config = json.loads((tmp_path / "r" / "config.json").read_text())
    assert config["recipe"] == "resnet"
    assert (config["weight_decay"], config["schedule"], config["batch_size"]) == \
        (1e-4, "plateau", 256)                                   # from the recipe
    assert config["lr"] == 0.05                                  # the user's option wins


def test_recipes_are_the_decks():
    assert RECIPES["alexnet"]["weight_decay"] == 5e-4 and RECIPES["alexnet"]["lr"] == 0.01
    assert RECIPES["resnet"]["weight_decay"] == 1e-4 and RECIPES["resnet"]["lr"] == 0.1
    for recipe in (RECIPES["alexnet"], RECIPES["resnet"]):      # deck 002's (the others: tasks')
        assert recipe["schedule"] == "plateau" and recipe["gamma"] == 0.1
        assert recipe["optimizer"] == "sgd" and recipe["momentum"] == 0.9


def test_unknown_recipe_is_refused():
    with pytest.raises(ValueError, match="recipe must be one of 'alexnet', 'resnet'"):
        TrainConfig(model="lenet5", recipe="vgg")
