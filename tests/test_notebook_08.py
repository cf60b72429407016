"""Notebook 08 executed on real dog photos from ../shared (the ten breeds with the most photos
of the 1,000-photo sample): the streaming route with InceptionV3 (random weights, 75 px) and
the cached-features route with the real VGG-16 weights (64 px), one epoch each; the cached route
twice, the second run loading its features from the cache."""

from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from tests.conftest import (
    DOG_BREEDS_SOURCE,
    ROOT,
    assert_loads_without_utils,
    cell_text,
    needs_shared,
    needs_vgg_weights,
)
from utils import data, saving

pytestmark = [pytest.mark.notebook, pytest.mark.slow, needs_shared]

N_BREEDS = 10
# photo -> saved model vs the head on cached features whose block 5 ran on float16-rounded
# block4_pool activations (see tests/vgg16_notebooks.py): probabilities agree to well within this
ATOL_FLOAT16 = 1e-2


def few_breeds_labels(path):
    """``labels.csv`` of the real sample restricted to its ``N_BREEDS`` largest breeds."""
    labels = pd.read_csv(DOG_BREEDS_SOURCE / "labels.csv")
    breeds = labels["breed"].value_counts().sort_index().sort_values(ascending=False, kind="stable")
    labels[labels["breed"].isin(breeds.index[:N_BREEDS])].to_csv(path, index=False)
    return path, sorted(breeds.index[:N_BREEDS])


def cached(cache_dir, name):
    """The one array ``cache.predict`` stored under ``name``."""
    found = sorted((cache_dir / "features").glob(f"{name}-*.npy"))
    assert len(found) == 1, f"expected one cached {name}, found {[p.name for p in found]}"
    return np.load(found[0])


def test_notebook_08_streaming_inception_v3(workspace, run_notebook, tmp_path):
    labels_csv, breeds = few_breeds_labels(tmp_path / "labels.csv")
    split = tmp_path / "dog-breeds"  # missing: the notebook builds it from SOURCE_DIR
    nb = run_notebook(
        "08",
        DATA_DIR=str(split),
        SOURCE_DIR=str(DOG_BREEDS_SOURCE),
        LABELS_CSV=str(labels_csv),
        MODELS_DIR=str(workspace.models),
        RESULTS_DIR=str(workspace.results),
        CACHE_DIR=str(workspace.cache),
        BACKBONE="inception_v3",
        WEIGHTS=None,
        IMAGE_SIZE=75,
        BATCH_SIZE=16,
        EPOCHS=1,
        N_SHOW=4,
    )
    text = cell_text(nb)
    assert "route: streaming + augmentation" in text
    assert f"{N_BREEDS} breeds," in text and "Layer Trainable" in text
    assert f"belonging to {N_BREEDS} classes" in text  # image_dataset_from_directory's count
    assert (split / "manifest.csv").is_file()
    assert not (workspace.cache / "features").exists(), "the streaming route caches nothing"

    path = workspace.models / "dog_breeds_inception_v3.h5"
    model, info = saving.load_with_info(path)
    assert info["class_names"] == breeds
    assert info["image_size"] == [75, 75] and info["epochs"] == 1
    assert info["route"] == "streaming + augmentation" and info["notebook"] == "08_dog_breeds"
    assert {"best_epoch", "train_seconds", "learning_rate"} <= info.keys()
    # raw photos -> the backbone's preprocessing -> frozen InceptionV3 -> the book's head
    assert [type(layer).__name__ for layer in model.layers] == ["Dense", "Functional", "Sequential"]
    assert model.layers[1].name == "inception_v3"
    head = model.get_layer("head")
    assert [layer.units for layer in head.layers] == [512, 512, N_BREEDS]
    assert not any(type(layer).__name__ == "Dropout" for layer in head.layers)
    assert model.output_shape == (None, N_BREEDS)

    history = pd.read_csv(workspace.results / "dog_breeds_inception_v3_history.csv")
    assert len(history) == 1 and {"val_loss", "val_top5_accuracy"} <= set(history)
    scores = pd.read_csv(
        workspace.results / "dog_breeds_inception_v3_test_metrics.csv", index_col=0
    )
    ours = scores["this run (test)"]
    assert 0 <= ours["accuracy"] <= ours["top5_accuracy"] <= 1
    assert scores.loc["accuracy", "book's run (test)"] == pytest.approx(0.864)
    per_breed = pd.read_csv(workspace.results / "dog_breeds_inception_v3_per_breed.csv")
    assert len(per_breed) == N_BREEDS
    assert (workspace.results / "dog_breeds_inception_v3_predictions.png").is_file()
    assert_loads_without_utils(*workspace.models.glob("*.h5"))


@needs_vgg_weights
def test_notebook_08_cached_features_vgg16(workspace, run_notebook, tmp_path):
    labels_csv, breeds = few_breeds_labels(tmp_path / "labels.csv")
    split = tmp_path / "dog-breeds"
    subprocess.run(
        [
            sys.executable,
            "build_dataset.py",
            "dog-breeds",
            "--source",
            str(DOG_BREEDS_SOURCE),
            "--labels",
            str(labels_csv),
            "--out",
            str(split),
            "--no-progress",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    # a breed without validation photos, as in small samples: its folder is there, empty (the
    # builder writes every class folder in every split); every breed is numbered as in training
    assert sorted(p.name for p in (split / "validation").iterdir() if p.is_dir()) == breeds
    for photo in (split / "validation" / breeds[0]).iterdir():
        photo.unlink()
    parameters = dict(
        DATA_DIR=str(split),
        SOURCE_DIR=None,
        MODELS_DIR=str(workspace.models),
        RESULTS_DIR=str(workspace.results),
        CACHE_DIR=str(workspace.cache),
        BACKBONE="vgg16",
        WEIGHTS=workspace.weights,
        IMAGE_SIZE=64,
        BATCH_SIZE=16,
        EPOCHS=10,  # seconds on cached features
        USE_CACHED_FEATURES=True,
        N_SHOW=4,
    )
    text = cell_text(run_notebook("08", **parameters))
    assert "route: cached features" in text
    assert "breeds without photos: {'train': 0, 'validation': 1, 'test': 0}" in text

    # cache.predict kept one array per split: a row of 512 pooled features per photo, in the
    # order of the files (classes in order, files sorted within each)
    photos = {s: data.list_images(split / s, breeds) for s in ("train", "validation", "test")}
    features = {s: cached(workspace.cache, f"dog_breeds_vgg16_{s}_features") for s in photos}
    for s, (paths, _, _) in photos.items():
        assert features[s].shape == (len(paths), 512) and features[s].dtype == np.float32
        assert f"dog_breeds_vgg16_{s}_features: ({len(paths)}, 512) computed" in text

    model, info = saving.load_with_info(workspace.models / "dog_breeds_vgg16.h5")
    assert info["route"] == "cached features" and info["epochs"] == 10
    assert info["class_names"] == breeds
    # the saved model is the whole network: raw photos in, one probability per breed out
    assert model.input_shape == (None, 64, 64, 3) and model.output_shape == (None, N_BREEDS)
    # on the test photos it predicts what its head predicts on the cached test features, row by
    # row: the cached rows are those photos, in order
    test_paths = photos["test"][0]
    proba = model.predict(data.read_images(test_paths, 64, raw=True), verbose=0)
    head = model.get_layer("head")
    np.testing.assert_allclose(proba, head.predict(features["test"], verbose=0), atol=ATOL_FLOAT16)
    scores = pd.read_csv(workspace.results / "dog_breeds_vgg16_test_metrics.csv", index_col=0)
    assert scores.loc["accuracy", "this run (test)"] > 1 / N_BREEDS  # real weights beat chance
    assert list(scores.columns) == ["this run (test)"]  # the book's InceptionV3 figures: not here
    assert_loads_without_utils(*workspace.models.glob("*.h5"))

    # a second run loads every split's features from the cache (the base does not run) and
    # trains the same head to the same scores
    text = cell_text(run_notebook("08", **parameters))
    for s in photos:
        assert f"dog_breeds_vgg16_{s}_features: ({len(photos[s][0])}, 512) loaded" in text
    assert not re.search(r"_features: .* computed", text)
    assert len(list((workspace.cache / "features").glob("*_features-*.npy"))) == 3
    again = pd.read_csv(workspace.results / "dog_breeds_vgg16_test_metrics.csv", index_col=0)
    pd.testing.assert_frame_equal(again, scores)
