"""Notebook 05 (frozen VGG-16 with augmentation) on its own, and after notebook 04."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from tests.conftest import assert_loads_without_utils, cell_text
from tests.vgg16_notebooks import (
    ACTIVATIONS,
    ATOL_FLOAT16,
    FEATURES,
    from_cache,
    parameters,
    saved,
    split_photos,
    trainable_flags,
)

pytestmark = [pytest.mark.notebook, pytest.mark.slow]


def test_notebook_05_augmentation_routes(workspace, run_notebook):
    nb = run_notebook(
        "05",
        **parameters(workspace, EPOCHS=1, STEPS_PER_EPOCH=1, VALIDATION_PER_CLASS=3),
        AUG_PASSES=2,
        CACHED_EPOCHS=1,
    )
    direct, info = saved(workspace, "cats_dogs_tlearn_img_aug_cnn", "05")
    assert info["route"] == "direct" and info["learning_rate"] == pytest.approx(2e-5)
    assert info["epochs"] == 1 and info["validation_photos"] == 6
    assert not any(trainable_flags(direct).values())
    assert "book_augmentation" in cell_text(nb), "the trained model holds the augmentation"
    cached_model, info = saved(workspace, "cats_dogs_tlearn_img_aug_cached_cnn", "05")
    assert info["augmented_passes"] == 2 and info["route"] == "cached augmented passes"

    # computed here (no notebook 04 ran): validation features and two augmented passes
    val_x = from_cache(workspace, "validation_features")
    a, b = (from_cache(workspace, f"train_aug{k}_features") for k in range(2))
    assert a.shape == b.shape == (40, *FEATURES) and val_x.shape == (20, *FEATURES)
    assert from_cache(workspace, "train_aug0_features.block4_pool").shape == (40, *ACTIVATIONS)
    assert not np.allclose(a, b), "two augmented passes must differ"

    # both saved models on photos predict what their head predicts on the cached features
    photos, _ = split_photos(workspace, "validation")
    for model in (direct, cached_model):
        np.testing.assert_allclose(
            model.predict(photos, verbose=0),
            model.get_layer("head").predict(val_x, verbose=0),
            atol=ATOL_FLOAT16,
        )
    assert_loads_without_utils(
        workspace.models / "cats_dogs_tlearn_img_aug_cnn.h5",
        workspace.models / "cats_dogs_tlearn_img_aug_cached_cnn.h5",
    )
    routes = pd.read_csv(workspace.results / "05_vgg16_augmentation_routes.csv")
    assert len(routes) == 2 and routes["validation_accuracy"].between(0, 1).all()
    assert not any("test" in c for c in routes.columns)


def test_notebook_05_reuses_04_activations(workspace, run_notebook):
    """What notebook 04 computed is a cache hit in 05 when the extractor is the same (here both
    compute in bfloat16, a policy run_all.py may choose): 05 loads the validation features and
    computes only its augmented pass; the saved model computes in the policy of its base."""
    run_notebook(
        "04",
        **parameters(workspace, EPOCHS=1, COMPARE_PER_CLASS=2, COMPARE_VALIDATION_PER_CLASS=2),
        MIXED_PRECISION="mixed_bfloat16",
    )
    (path,) = (workspace.cache / "features").glob("validation_features-*.npy")
    written = path.stat().st_mtime_ns
    nb = run_notebook(
        "05",
        **parameters(workspace, EPOCHS=0),
        AUG_PASSES=1,
        CACHED_EPOCHS=1,
        MIXED_PRECISION="mixed_bfloat16",
    )
    text = cell_text(nb)
    assert re.search(r"validation_features: \(20, 2, 2, 512\) loaded from the cache", text)
    assert path.stat().st_mtime_ns == written
    assert "train_aug0_features: (40, 2, 2, 512) computed" in text
    # without the direct route, the cached model also goes under the book's name (for 07)
    model, info = saved(workspace, "cats_dogs_tlearn_img_aug_cnn", "05")
    assert info["route"] == "cached augmented passes"
    assert info["features_precision"] == "mixed_bfloat16"
    assert {v.dtype for v in model.weights} == {"float32"}  # bfloat16 computes, float32 keeps
    assert model.get_layer("vgg16").get_layer("block1_conv1").dtype_policy.name == "mixed_bfloat16"
    assert model.get_layer("head").dtype_policy.name == "float32"
