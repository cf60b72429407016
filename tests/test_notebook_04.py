"""Notebook 04 (VGG-16 as a frozen feature extractor) executed on the small split."""

from __future__ import annotations

import keras
import numpy as np
import pandas as pd
import pytest

from tests.conftest import assert_loads_without_utils, cell_text
from tests.vgg16_notebooks import (
    ACTIVATIONS,
    ATOL_FLOAT16,
    FEATURES,
    HEAD_PARAMS,
    PREPROCESS_PARAMS,
    VGG16_PARAMS,
    from_cache,
    parameters,
    saved,
    split_photos,
    trainable_flags,
)

pytestmark = [pytest.mark.notebook, pytest.mark.slow]


def test_notebook_04_feature_extractor(workspace, run_notebook):
    nb = run_notebook(
        "04", **parameters(workspace, EPOCHS=2, COMPARE_PER_CLASS=5, COMPARE_VALIDATION_PER_CLASS=5)
    )
    text = cell_text(nb)
    name = "cats_dogs_tlearn_basic_cnn"
    model, info = saved(workspace, name, "04")
    assert info["epochs"] == 2 and info["learning_rate"] == pytest.approx(1e-4)
    assert info["features_precision"] == "float32"
    assert not any(trainable_flags(model).values()), "the base must be frozen"
    assert "Layer Trainable" in text and "block5_conv3" in text
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    frozen = sum(int(np.prod(w.shape)) for w in model.non_trainable_weights)
    assert (trainable, frozen) == (HEAD_PARAMS, VGG16_PARAMS + PREPROCESS_PARAMS)
    assert f"trainable weights: {HEAD_PARAMS:,}" in text

    # cache.predict kept the bottleneck features (float32) and the shared blocks 1-4
    # activations (float16), and nothing of the test split
    for split, n in (("train", 40), ("validation", 20)):
        x = from_cache(workspace, f"{split}_features")
        a = from_cache(workspace, f"{split}_features.block4_pool")
        assert x.shape == (n, *FEATURES) and x.dtype == np.float32
        assert a.shape == (n, *ACTIVATIONS) and a.dtype == np.float16
    assert not list((workspace.cache / "features").glob("test*")), "04 must not touch test"
    assert "train_features: (40, 2, 2, 512) computed" in text

    # the saved model on photos predicts what the best head predicts on the cached features
    head = keras.models.load_model(workspace.models / "checkpoints" / f"{name}_head.keras")
    photos, labels = split_photos(workspace, "validation")
    np.testing.assert_array_equal(
        labels, np.load(workspace.results / "cats_dogs_vgg16_labels_validation.npy")
    )
    features = from_cache(workspace, "validation_features")
    np.testing.assert_allclose(
        model.predict(photos, verbose=0), head.predict(features, verbose=0), atol=ATOL_FLOAT16
    )
    np.testing.assert_allclose(
        np.load(workspace.results / "cats_dogs_vgg16_pooled_validation.npy"),
        features.mean(axis=(1, 2)),
    )
    assert_loads_without_utils(workspace.models / f"{name}.h5")

    results = pd.read_csv(workspace.results / "04_vgg16_feature_extractor.csv")
    assert len(results) == 2 and results["validation_accuracy"].between(0, 1).all()
    assert not any("test" in c for c in results.columns)
    assert "cross-validated on training photos" in text
    comparison = pd.read_csv(workspace.results / "04_preprocessing_comparison.csv", index_col=0)
    assert list(comparison.index) == ["vgg16.preprocess_input", "x / 255 (book)"]
    assert (comparison["validation_photos"] == 10).all()
