"""Notebook 08 executed on real dog photos from ../shared (the ten breeds with the most photos
of the 1,000-photo sample): the streaming route with InceptionV3 (random weights, 75 px) and
the cached-features route with the real VGG-16 weights (64 px), one epoch each."""

from __future__ import annotations

import subprocess
import sys

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
from utils import saving

pytestmark = [pytest.mark.notebook, pytest.mark.slow, needs_shared]

N_BREEDS = 10


def few_breeds_labels(path):
    """``labels.csv`` of the real sample restricted to its ``N_BREEDS`` largest breeds."""
    labels = pd.read_csv(DOG_BREEDS_SOURCE / "labels.csv")
    breeds = labels["breed"].value_counts().sort_index().sort_values(ascending=False, kind="stable")
    labels[labels["breed"].isin(breeds.index[:N_BREEDS])].to_csv(path, index=False)
    return path, sorted(breeds.index[:N_BREEDS])


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
    assert (split / "manifest.csv").is_file()

    path = workspace.models / "dog_breeds_inception_v3.h5"
    model, info = saving.load_model(path)
    assert info["class_names"] == breeds
    assert info["image_size"] == [75, 75] and info["epochs"] == 1
    assert info["route"] == "streaming + augmentation" and info["notebook"] == "08_dog_breeds"
    assert {"best_epoch", "train_seconds", "learning_rate"} <= info.keys()
    # raw photos -> the backbone's preprocessing -> frozen base -> the book's head
    assert [type(layer).__name__ for layer in model.layers] == ["Dense", "Functional", "Sequential"]
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
    nb = run_notebook(
        "08",
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
    assert "route: cached features" in cell_text(nb)
    folder = workspace.cache / "dog_breeds_vgg16_64px"
    for split_name in ("train", "validation", "test"):  # readable names, each with its key
        features = folder / f"{split_name}_features.npy"
        assert features.is_file() and (folder / f"{split_name}_features.key.json").is_file()

    model, info = saving.load_model(workspace.models / "dog_breeds_vgg16.h5")
    assert info["route"] == "cached features" and info["epochs"] == 10
    assert info["class_names"] == breeds
    # the saved model is the whole network: raw photos in, one probability per breed out
    assert model.input_shape == (None, 64, 64, 3) and model.output_shape == (None, N_BREEDS)
    scores = pd.read_csv(workspace.results / "dog_breeds_vgg16_test_metrics.csv", index_col=0)
    assert scores.loc["accuracy", "this run (test)"] > 1 / N_BREEDS  # real weights beat chance
    assert_loads_without_utils(*workspace.models.glob("*.h5"))
