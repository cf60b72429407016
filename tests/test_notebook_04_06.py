"""Notebooks 04, 05, 06 end to end on the small shared workspace split, in that order.

With ../shared the base has the real VGG-16 weights, otherwise random ones (``WEIGHTS=None``).
64 x 64 photos give 2 x 2 x 512 bottleneck features; epochs and steps are turned down.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from tests.conftest import cell_text
from utils import features, heads, saving

pytestmark = [pytest.mark.notebook, pytest.mark.slow]

SIZE = 64


def parameters(workspace, **extra) -> dict:
    return {
        "DATA_DIR": str(workspace.data),
        "MODELS_DIR": str(workspace.models),
        "RESULTS_DIR": str(workspace.results),
        "CACHE_DIR": str(workspace.cache),
        "WEIGHTS": workspace.weights,
        "IMAGE_SIZE": SIZE,
        "BATCH_SIZE": 8,
        **extra,
    }


def max_differences(nb) -> list[float]:
    return [float(v) for v in re.findall(r"max difference ([0-9.e+-]+)", cell_text(nb))]


def saved(workspace, name: str, notebook: str):
    path = workspace.models / f"{name}.h5"
    assert path.is_file(), f"{path} missing"
    info = json.loads(path.with_suffix(".json").read_text())
    assert info["class_names"] == ["cat", "dog"] and info["notebook"] == notebook
    assert info["image_size"] == [SIZE, SIZE]
    assert {"epochs", "best_epoch", "train_seconds"} <= info.keys()
    model, _ = saving.load_model(path)
    return model, info


def trainable_flags(model) -> dict[str, bool]:
    base, _ = heads.parts(model)
    return {layer.name: layer.trainable for layer in base.layers if layer.weights}


def cache_files(workspace, prefix: str) -> list:
    return sorted(workspace.cache.glob(f"{prefix}_*.npy"))


def test_notebook_04_feature_extractor(workspace, run_notebook):
    nb = run_notebook(
        "04",
        **parameters(workspace, EPOCHS=2, COMPARE_PER_CLASS=5, COMPARE_TEST_PER_CLASS=5),
        BENCHMARK_IMAGES=16,
    )
    text = cell_text(nb)
    model, info = saved(workspace, "cats_dogs_tlearn_basic_cnn", "04")
    assert info["epochs"] == 2 and info["learning_rate"] == pytest.approx(1e-4)
    assert not any(trainable_flags(model).values()), "the base must be frozen"
    assert "Layer Trainable" in text and "block5_conv3" in text
    # one cache entry per split, reused by the second call
    for split in ("train", "validation", "test"):
        assert len(cache_files(workspace, f"vgg16_{split}")) == 1
    assert "cache hit: True" in text
    # the saved model, reloaded, predicts on photos what the head predicts on cached features
    test_paths = sorted(str(p) for p in (workspace.data / "test").rglob("*.jpg"))
    photos = features.load_images(test_paths, SIZE)
    head, _ = saving.load_model(workspace.models / "cats_dogs_tlearn_basic_cnn_head.h5")
    cached = np.load(cache_files(workspace, "vgg16_test")[0])
    np.testing.assert_allclose(
        model.predict(photos, verbose=0), head.predict(cached, verbose=0), atol=1e-5
    )
    assert max(max_differences(nb)) < 1e-5
    results = pd.read_csv(workspace.results / "04_vgg16_feature_extractor.csv")
    assert results["test_accuracy"].between(0, 1).all() and len(results) == 2
    comparison = pd.read_csv(workspace.results / "04_preprocessing_comparison.csv", index_col=0)
    assert list(comparison.index) == ["vgg16.preprocess_input", "x / 255 (book)"]
    bench = pd.read_csv(workspace.results / "04_extraction_benchmark.csv", index_col=0)
    assert list(bench.index) == ["float32", "mixed_bfloat16"] and (bench["ratio"] > 0).all()


def test_notebook_05_augmentation_routes(workspace, run_notebook):
    nb = run_notebook(
        "05",
        **parameters(workspace, EPOCHS=1, STEPS_PER_EPOCH=1, VALIDATION_PER_CLASS=3),
        AUG_PASSES=2,
        CACHED_EPOCHS=1,
    )
    direct, info = saved(workspace, "cats_dogs_tlearn_img_aug_cnn", "05")
    assert info["route"] == "direct" and info["learning_rate"] == pytest.approx(2e-5)
    assert not any(trainable_flags(direct).values())
    cached, info = saved(workspace, "cats_dogs_tlearn_img_aug_cached_cnn", "05")
    assert info["augmented_passes"] == 2
    assert max(max_differences(nb)) < 1e-5
    # validation and test features came from notebook 04's cache, not a second extraction
    for split in ("validation", "test"):
        assert len(cache_files(workspace, f"vgg16_{split}")) == 1
    assert len(cache_files(workspace, "vgg16_train_aug0")) == 1
    assert len(cache_files(workspace, "vgg16_train_aug1")) == 1
    routes = pd.read_csv(workspace.results / "05_vgg16_augmentation_routes.csv")
    assert len(routes) == 2 and routes["test_accuracy"].between(0, 1).all()


def test_notebook_06_fine_tuning(workspace, run_notebook):
    nb = run_notebook(
        "06",
        **parameters(workspace, EPOCHS=1, STEPS_PER_EPOCH=1, VALIDATION_PER_CLASS=3),
        WARMUP_EPOCHS=1,
        TEST_PER_CLASS=3,
        SLIDES_EPOCHS=1,
    )
    model, info = saved(workspace, "cats_dogs_tlearn_finetune_img_aug_cnn", "06")
    assert info["unfrozen_from"] == "block4" and info["learning_rate"] == pytest.approx(1e-5)
    flags = trainable_flags(model)
    assert not any(v for k, v in flags.items() if k[:6] in ("block1", "block2", "block3"))
    assert all(v for k, v in flags.items() if k[:6] in ("block4", "block5"))
    slides, info = saved(workspace, "cats_dogs_tlearn_finetune_block5_sgd_cnn", "06")
    assert info["started_from"] == "cats_dogs_tlearn_basic_cnn.h5"
    assert [k for k, v in trainable_flags(slides).items() if v] == [
        "block5_conv1",
        "block5_conv2",
        "block5_conv3",
    ]
    diffs = max_differences(nb)
    assert len(diffs) == 2 and max(diffs) < 1e-5, "a reloaded model predicts differently"
    table = pd.read_csv(workspace.results / "06_vgg16_fine_tuning.csv")
    assert len(table) == 2 and table["test_accuracy"].between(0, 1).all()
