"""Notebook 11 (the 2016 Keras blog post's recipe): bottleneck .npy files, labels from file
order, the top model's weights, block 5 fine-tuned on cached activations, the saved model."""

from __future__ import annotations

import re

import keras
import numpy as np
import pandas as pd
import pytest

from tests.conftest import assert_loads_without_utils, cell_text
from tests.vgg16_notebooks import (
    ACTIVATIONS,
    ATOL_FLOAT16,
    FEATURES,
    SIZE,
    from_cache,
    notebook_04_features,
    parameters,
)
from tests.vgg16_notebooks import saved as saved_model
from utils import data

pytestmark = [pytest.mark.notebook, pytest.mark.slow]
TOP = "cats_dogs_keras_blog_top_model.weights.h5"
FINETUNED = "cats_dogs_keras_blog_finetuned_block5"


def stored_names(workspace) -> set[str]:
    """The names of the arrays cache.predict stored (``train_features``, ...)."""
    return {p.name.rsplit("-", 1)[0] for p in (workspace.cache / "features").glob("*.npy")}


def test_notebook_11_keras_blog(workspace, run_notebook):
    # notebook 04's validation features are in the cache before 11 runs
    primed = notebook_04_features(workspace, "validation")
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
    # VGG-16 over every photo of each folder (notebook 04's extractor, so 04's results load);
    # block4_pool comes from the same pass, stored on its way to block 5
    assert "train_features: (40, 2, 2, 512) computed" in text
    assert "validation_features: (20, 2, 2, 512) loaded from the cache" in text
    for split, n in (("train", 40), ("validation", 20)):
        assert f"{split}_block4_pool: ({n}, 4, 4, 512) loaded from the cache" in text
    assert "train_post_aug0: (40, 4, 4, 512) computed" in text
    assert stored_names(workspace) == {
        "train_features",
        "train_features.block4_pool",
        "validation_features",
        "validation_features.block4_pool",
        "train_post_aug0",
    }
    np.testing.assert_array_equal(from_cache(workspace, "validation_features"), primed)

    # the post's .npy files are run-private, under RESULTS_DIR; nothing of them in the cache
    blog = workspace.results / "keras_blog_2016"
    train = np.load(blog / "bottleneck_features_train.npy")
    validation = np.load(blog / "bottleneck_features_validation.npy")
    assert train.shape == (30, *FEATURES) and validation.shape == (16, *FEATURES)
    assert [p.name for p in workspace.cache.iterdir()] == ["features"]
    # the chosen rows are the folder's own features, class by class, in listing order
    every = from_cache(workspace, "train_features")
    paths, labels, _ = data.list_images(workspace.data / "train", ["cat", "dog"])
    rows = [i for i in range(len(paths)) if any(np.array_equal(every[i], r) for r in train)]
    assert len(rows) == 30 and list(labels[rows]) == [0] * 15 + [1] * 15
    np.testing.assert_array_equal(train, every[rows])
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
    model, info = saved_model(workspace, FINETUNED, "11")
    assert info["route"] == "cached" and info["optimizer"] == "SGD, momentum 0.9"
    assert info["learning_rate"] == pytest.approx(1e-4) and info["top_model_weights"] == TOP
    assert info["train_photos"] == 30 and info["validation_photos"] == 16
    assert info["augmented_passes"] == 1 and info["features_precision"] == "float32"
    vgg = model.get_layer("vgg16")
    trainable = [layer.name for layer in vgg.layers if layer.weights and layer.trainable]
    assert trainable == ["block5_conv1", "block5_conv2", "block5_conv3"]
    assert_loads_without_utils(workspace.models / f"{FINETUNED}.h5")
    # on photos = its block 5 + top model on the photos' cached float16 activations
    val_paths, _, _ = data.list_images(workspace.data / "validation", ["cat", "dog"])
    activations = from_cache(workspace, "validation_features.block4_pool")
    assert activations.shape == (20, *ACTIVATIONS) and activations.dtype == np.float16
    block5 = [layer for layer in vgg.layers if layer.name.startswith("block5")]
    on_activations = keras.Sequential(
        [keras.Input(ACTIVATIONS), *block5, model.get_layer("top_model")]
    )
    np.testing.assert_allclose(
        model.predict(data.read_images(val_paths, SIZE, raw=True), verbose=0),
        on_activations.predict(activations, verbose=0),
        atol=ATOL_FLOAT16,
    )
    printed = re.search(r"largest difference in probability: (\S+)", text)
    assert printed and float(printed.group(1)) < ATOL_FLOAT16

    table = pd.read_csv(workspace.results / "11_keras_blog_2016.csv")
    assert len(table) == 2 and table["our validation accuracy, last epoch"].between(0, 1).all()
    assert list(table["the post's validation accuracy (2016)"]) == ["≈ 0.90", "≈ 0.94"]
    assert list(table["route"]) == ["cached features", "cached block4_pool, augmented passes: 1"]


def test_notebook_11_the_posts_route(workspace, run_notebook):
    """The defaults' route: x / 255 as in the post, block 5 fine-tuned on augmented photos;
    here under the bfloat16 policy run_all.py may pass. The x / 255 extractor is another model
    than notebook 04's: its features are computed and stored beside, never in place of, 04's."""
    nb = run_notebook(
        "11",
        **parameters(workspace, EPOCHS=1),
        TRAIN_PER_CLASS=4,
        VALIDATION_PER_CLASS=2,
        FINE_TUNE_EPOCHS=1,
        ROUTE="photos",
        PREPROCESSING="rescale",
        MIXED_PRECISION="mixed_bfloat16",
    )
    text = cell_text(nb)
    assert "train_features: (40, 2, 2, 512) computed" in text
    assert "validation_features: (20, 2, 2, 512) computed" in text
    scales = re.findall(r"mean \|block4_pool\| on \d+ photos behind (.+): (\S+)", text)
    assert [name for name, _ in scales] == ["x / 255", "preprocess_input"]
    assert re.search(r"preprocess_input: \d+ times larger", text)
    assert float(scales[1][1]) > float(scales[0][1])
    # the photos route computes no augmented pass and reads no block4_pool on its own
    assert stored_names(workspace) == {
        "train_features",
        "train_features.block4_pool",
        "validation_features",
        "validation_features.block4_pool",
    }
    blog = workspace.results / "keras_blog_2016"
    assert np.load(blog / "bottleneck_features_validation.npy").shape == (4, *FEATURES)
    model, info = saved_model(workspace, FINETUNED, "11")
    assert info["route"] == "photos" and info["preprocessing"] == "rescale"
    assert info["features_precision"] == "mixed_bfloat16" and info["augmented_passes"] is None
    rescale = model.get_layer("rescale")
    assert isinstance(rescale, keras.layers.Rescaling) and rescale.scale == pytest.approx(1 / 255)
    vgg = model.get_layer("vgg16")
    assert vgg.get_layer("block5_conv1").dtype_policy.name == "mixed_bfloat16"
    assert {v.dtype for v in model.weights} == {"float32"}  # bfloat16 computes, float32 keeps
    assert_loads_without_utils(workspace.models / f"{FINETUNED}.h5")
    table = pd.read_csv(workspace.results / "11_keras_blog_2016.csv")
    assert list(table["route"]) == ["cached features", "photos, augmented every epoch"]
