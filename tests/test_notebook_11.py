"""Notebook 11 (the 2016 Keras blog post's recipe): bottleneck .npy files, labels from file
order, the top model's weights, block 5 fine-tuned on cached activations, the saved model."""

from __future__ import annotations

import re

import keras
import numpy as np
import pandas as pd
import pytest

from tests.conftest import assert_loads_without_utils, cell_text
from tests.vgg16_notebooks import ACTIVATIONS, ATOL_FLOAT16, FEATURES, parameters, saved
from utils import data

pytestmark = [pytest.mark.notebook, pytest.mark.slow]
TOP = "cats_dogs_keras_blog_top_model.weights.h5"
FINETUNED = "cats_dogs_keras_blog_finetuned_block5"


def test_notebook_11_keras_blog(workspace, run_notebook):
    # the small split has 20 / 10 photos per class: 15 / 8 of them, chosen with the seed
    nb = run_notebook(
        "11",
        **parameters(workspace, EPOCHS=2),
        TRAIN_PER_CLASS=15,
        VALIDATION_PER_CLASS=8,
        FINE_TUNE_EPOCHS=1,
        ROUTE="cached",
        PREPROCESSING="vgg16",
        AUG_PASSES=1,
    )
    text = cell_text(nb)
    # blocks 1-4 on every photo of the split, under notebook 04's names; our rows out of them
    assert "train: (40, 4, 4, 512) computed" in text and "validation: (20, 4, 4, 512)" in text
    assert "keras_blog_vgg16_train_aug0: (30, 4, 4, 512) computed" in text
    blog = workspace.cache / "keras_blog_2016"
    train = np.load(blog / "bottleneck_features_train.npy")
    validation = np.load(blog / "bottleneck_features_validation.npy")
    assert train.shape == (30, *FEATURES) and validation.shape == (16, *FEATURES)
    # the chosen rows are the split's own features (notebook 04's file), class by class
    every = np.load(workspace.cache / "vgg16_64px" / "train_features.npy")
    paths, labels, _ = data.list_images(workspace.data / "train", ["cat", "dog"])
    rows = [i for i in range(len(paths)) if any(np.array_equal(every[i], r) for r in train)]
    assert len(rows) == 30 and list(labels[rows]) == [0] * 15 + [1] * 15
    # labels from the file order agree with the folders; the recomputed photos are their rows
    assert text.count("agree with the folders for 100.0% of the rows") == 2
    found = re.search(r"rows \[(.*)\] -> nearest saved rows \[(.*)\]", text)
    assert found and found.group(1) == found.group(2) == "0, 14, 15, 29"
    assert re.search(
        r"shuffled order: \d+\.\d% of the rebuilt training labels would be wrong", text
    )

    # the top model's weights load into the post's layers
    top = keras.Sequential(
        [
            keras.Input(FEATURES),
            keras.layers.Flatten(),
            keras.layers.Dense(256, activation="relu"),
            keras.layers.Dropout(0.5),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    top.load_weights(workspace.models / TOP)
    assert top.count_params() == 2048 * 256 + 256 + 257
    assert 0 <= top.predict(validation, verbose=0).min() <= 1

    # the fine-tuned model: raw photos, the post's flags, loads without utils
    model, info = saved(workspace, FINETUNED, "11")
    assert info["route"] == "cached" and info["optimizer"] == "SGD, momentum 0.9"
    assert info["learning_rate"] == pytest.approx(1e-4) and info["top_model_weights"] == TOP
    assert info["train_photos"] == 30 and info["validation_photos"] == 16
    vgg = model.get_layer("vgg16")
    trainable = [layer.name for layer in vgg.layers if layer.weights and layer.trainable]
    assert trainable == ["block5_conv1", "block5_conv2", "block5_conv3"]
    assert_loads_without_utils(workspace.models / f"{FINETUNED}.h5")
    # on photos = its block 5 + top model on the photos' cached float16 activations
    val_paths, _, _ = data.list_images(workspace.data / "validation", ["cat", "dog"])
    activations = np.load(workspace.cache / "vgg16_64px" / "validation_block4_pool.npy")
    block5 = [layer for layer in vgg.layers if layer.name.startswith("block5")]
    on_activations = keras.Sequential(
        [keras.Input(ACTIVATIONS), *block5, model.get_layer("top_model")]
    )
    np.testing.assert_allclose(
        model.predict(data.read_images(val_paths, 64, raw=True), verbose=0),
        on_activations.predict(activations, verbose=0),
        atol=ATOL_FLOAT16,
    )
    printed = re.search(r"largest difference in probability: (\S+)", text)
    assert printed and float(printed.group(1)) < ATOL_FLOAT16

    table = pd.read_csv(workspace.results / "11_keras_blog_2016.csv")
    assert len(table) == 2 and table["our validation accuracy, last epoch"].between(0, 1).all()
    assert list(table["the post's validation accuracy (2016)"]) == ["≈ 0.90", "≈ 0.94"]


def test_notebook_11_the_posts_route(workspace, run_notebook):
    """The defaults' route: x / 255 as in the post, block 5 fine-tuned on augmented photos;
    blocks 1-4 cached under this notebook's own names, never over notebook 04's files."""
    nb = run_notebook(
        "11",
        **parameters(workspace, EPOCHS=1),
        TRAIN_PER_CLASS=4,
        VALIDATION_PER_CLASS=2,
        FINE_TUNE_EPOCHS=1,
        ROUTE="photos",
        PREPROCESSING="rescale",
    )
    text = cell_text(nb)
    assert "keras_blog_rescale_train: (8, 4, 4, 512) computed" in text
    assert re.search(r"x / 255 \S+, preprocess_input \S+ \(\d+ times larger\)", text)
    cached = {p.name for p in (workspace.cache / "vgg16_64px").glob("*_block4_pool.npy")}
    assert cached == {
        "keras_blog_rescale_train_block4_pool.npy",
        "keras_blog_rescale_validation_block4_pool.npy",
    }
    assert np.load(
        workspace.cache / "keras_blog_2016" / "bottleneck_features_validation.npy"
    ).shape == (4, *FEATURES)
    model, info = saved(workspace, FINETUNED, "11")
    assert info["route"] == "photos" and info["preprocessing"] == "rescale"
    rescale = model.get_layer("rescale")
    assert isinstance(rescale, keras.layers.Rescaling) and rescale.scale == pytest.approx(1 / 255)
    assert_loads_without_utils(workspace.models / f"{FINETUNED}.h5")
