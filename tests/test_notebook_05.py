"""Notebook 05 (frozen VGG-16 with augmentation) on its own, and after notebook 04."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from tests.conftest import assert_loads_without_utils, cell_text
from tests.vgg16_notebooks import (
    ACTIVATIONS,
    ATOL_FLOAT16,
    FEATURES,
    features_dir,
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
    cached, info = saved(workspace, "cats_dogs_tlearn_img_aug_cached_cnn", "05")
    assert info["augmented_passes"] == 2 and info["route"] == "cached augmented passes"

    # computed here (no notebook 04 ran): validation features and two augmented passes
    folder = features_dir(workspace)
    val_x = np.load(folder / "validation_features.npy")
    for k in range(2):
        assert np.load(folder / f"train_aug{k}_block4_pool.npy").shape == (40, *ACTIVATIONS)
        assert np.load(folder / f"train_aug{k}_features.npy").shape == (40, *FEATURES)
        assert np.load(folder / f"train_aug{k}_labels.npy").shape == (40,)
    a, b = (np.load(folder / f"train_aug{k}_features.npy") for k in range(2))
    assert not np.allclose(a, b), "two augmented passes must differ"

    # both saved models on photos predict what their head predicts on the cached features
    photos, _ = split_photos(workspace, "validation")
    for model in (direct, cached):
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
    """Notebook 04's cached validation activations are a cache hit in 05 (same path, same key).

    Both run with MIXED_PRECISION="auto" (the cpu profile's setting): 04 times both precisions
    and records its choice in CACHE_DIR/precision.json, 05 reads the same choice back, so
    their keys match; the saved models compute in float32 whatever the extraction used.
    """
    nb = run_notebook(
        "04",
        **parameters(workspace, EPOCHS=1, COMPARE_PER_CLASS=2, COMPARE_VALIDATION_PER_CLASS=2),
        MIXED_PRECISION="auto",
    )
    choice = json.loads((workspace.cache / "precision.json").read_text())
    (task,) = choice
    policy, speeds = choice[task]["policy"], choice[task]["items_per_second"]
    assert set(speeds) == {"float32", "mixed_bfloat16"} and speeds[policy] == max(speeds.values())
    assert f"extractor computes in {policy} (photos/s:" in cell_text(nb)
    folder = features_dir(workspace)
    path = folder / "validation_block4_pool.npy"
    written = path.stat().st_mtime_ns
    assert np.load(path).dtype == np.float16
    assert json.loads((folder / "validation_block4_pool.key.json").read_text())["precision"] == (
        policy
    )
    nb = run_notebook(
        "05",
        **parameters(workspace, EPOCHS=0),
        AUG_PASSES=1,
        CACHED_EPOCHS=1,
        MIXED_PRECISION="auto",
    )
    text = cell_text(nb)
    assert re.search(r"validation: \(20, 4, 4, 512\) loaded from the cache", text), text[-3000:]
    assert path.stat().st_mtime_ns == written
    assert "train_aug0: (40, 4, 4, 512) computed" in text
    # without the direct route, the cached model also goes under the book's name (for 07)
    model, info = saved(workspace, "cats_dogs_tlearn_img_aug_cnn", "05")
    assert info["route"] == "cached augmented passes" and info["features_precision"] == policy
    assert {v.dtype for v in model.weights} == {"float32"}
    assert model.get_layer("vgg16").dtype_policy.name == "float32"
