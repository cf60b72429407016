"""Notebook 06 (fine-tuning VGG-16): the book's route on photos, block 5 from cached activations."""

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
    HEAD_PARAMS,
    SIZE,
    block5_and_head,
    from_cache,
    parameters,
    saved,
    split_photos,
    trainable_flags,
)
from utils import pretrained

pytestmark = [pytest.mark.notebook, pytest.mark.slow]
BOOK = "cats_dogs_tlearn_finetune_img_aug_cnn"
CACHED = "cats_dogs_tlearn_finetune_block5_sgd_cnn"


def test_notebook_06_fine_tuning(workspace, run_notebook):
    nb = run_notebook(
        "06",
        **parameters(workspace, EPOCHS=1, STEPS_PER_EPOCH=1, VALIDATION_PER_CLASS=3),
        WARMUP_EPOCHS=1,
        CACHED_EPOCHS=1,
        AUG_PASSES=1,
    )
    text = cell_text(nb)
    assert "train_features: (40, 2, 2, 512) computed" in text, "06 runs without 04 and 05"
    assert "train_aug0_block4_pool: (40, 4, 4, 512) computed" in text
    book, info = saved(workspace, BOOK, "06")
    assert info["unfrozen_blocks"] == ["block4", "block5"] and info["route"] == "direct"
    assert info["learning_rate"] == pytest.approx(1e-5) and info["warmup_epochs"] == 1
    flags = trainable_flags(book)
    assert len(flags) == 13
    assert not any(v for k, v in flags.items() if k.startswith(("block1", "block2", "block3")))
    assert all(v for k, v in flags.items() if k.startswith(("block4", "block5")))

    cached, info = saved(workspace, CACHED, "06")
    assert info["unfrozen_blocks"] == ["block5"] and info["learning_rate"] == pytest.approx(1e-4)
    assert info["route"] == "cached block4_pool activations" and info["augmented_passes"] == 1
    assert info["features_precision"] == "float32"
    assert [k for k, v in trainable_flags(cached).items() if v] == [
        "block5_conv1",
        "block5_conv2",
        "block5_conv3",
    ]
    # the saved model on photos = its block 5 + head on the cached activations (float16)
    photos, labels = split_photos(workspace, "validation")
    activations = from_cache(workspace, "validation_features.block4_pool")
    assert activations.shape == (len(labels), *ACTIVATIONS)
    on_photos = cached.predict(photos, verbose=0)
    np.testing.assert_allclose(
        on_photos, block5_and_head(cached).predict(activations, verbose=0), atol=ATOL_FLOAT16
    )
    printed = re.search(r"largest difference in probability: (\S+)", text)
    assert printed and float(printed.group(1)) < ATOL_FLOAT16
    # block 5 really trained: not the ImageNet (or initial) weights any more
    fresh = keras.applications.VGG16(
        include_top=False,
        weights=pretrained.weights_file("vgg16", workspace.weights),
        input_shape=(SIZE, SIZE, 3),
    )
    trained = cached.get_layer("vgg16").get_layer("block5_conv3").get_weights()[0]
    assert not np.allclose(trained, fresh.get_layer("block5_conv3").get_weights()[0])
    np.testing.assert_array_equal(
        cached.get_layer("vgg16").get_layer("block4_conv3").get_weights()[0],
        fresh.get_layer("block4_conv3").get_weights()[0],
    )
    # the book's route starts from the warm-up head of step 1, the cached' from a GAP head
    warmup = pd.read_csv(workspace.results / "cats_dogs_tlearn_finetune_warmup.csv")
    assert len(warmup) == 1 and book.get_layer("head").count_params() == HEAD_PARAMS
    assert cached.get_layer("head").count_params() == 512 + 1
    assert_loads_without_utils(workspace.models / f"{BOOK}.h5", workspace.models / f"{CACHED}.h5")
    table = pd.read_csv(workspace.results / "06_vgg16_fine_tuning.csv")
    assert len(table) == 3 and table["best_epoch_val_accuracy"].between(0, 1).all()
    assert not any("test" in c for c in table.columns)


def test_notebook_06_reuses_05_activations(workspace, run_notebook):
    """What 05 computed (validation features, its augmented pass through blocks 1-4) is a cache
    hit in 06, which computes only what 05 did not (cpu-profile shape: no route on photos, so
    the cached route's model also goes under the book's name)."""
    run_notebook("05", **parameters(workspace, EPOCHS=0), AUG_PASSES=1, CACHED_EPOCHS=1)
    store = workspace.cache / "features"
    written = {p.name: p.stat().st_mtime_ns for p in store.glob("*.npy")}
    nb = run_notebook(
        "06", **parameters(workspace, EPOCHS=0), WARMUP_EPOCHS=1, CACHED_EPOCHS=1, AUG_PASSES=1
    )
    text = cell_text(nb)
    for name in ("validation_features", "validation_block4_pool", "train_aug0_block4_pool"):
        assert re.search(rf"{name}: \(\d+, \d, \d, 512\) loaded from the cache", text), name
    assert "train_features: (40, 2, 2, 512) computed" in text  # 05 needed no plain train pass
    assert {p: (store / p).stat().st_mtime_ns for p in written} == written, "05's files kept"
    model, info = saved(workspace, BOOK, "06")
    assert info["route"] == "cached block4_pool activations"
    assert (workspace.models / f"{CACHED}.h5").is_file()
    assert len(pd.read_csv(workspace.results / "06_vgg16_fine_tuning.csv")) == 2
