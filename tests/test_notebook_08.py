"""Notebook 08 end to end with small parameters: InceptionV3 (random weights, 75x75) streaming
with augmentation, then the cached-features route; 120 breeds, one photo each per split."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from tests.conftest import cell_text
from tests.test_breeds import BREEDS, make_source
from utils import data, saving
from utils.dataset_builder import build_dog_breeds

pytestmark = [pytest.mark.notebook, pytest.mark.slow]


@pytest.fixture(scope="module")
def breeds_source(tmp_path_factory):
    return make_source(tmp_path_factory.mktemp("nb08") / "source", per_breed=3, size=(48, 40))


def test_notebook_08_inception_v3_streaming(breeds_source, workspace, run_notebook, tmp_path):
    split = tmp_path / "dog-breeds"  # missing: the notebook builds it from SOURCE_DIR
    nb = run_notebook(
        "08",
        DATA_DIR=str(split),
        SOURCE_DIR=str(breeds_source),
        MODELS_DIR=str(workspace.models),
        RESULTS_DIR=str(workspace.results),
        CACHE_DIR=str(workspace.cache),
        BACKBONE="inception_v3",
        WEIGHTS=None,
        IMAGE_SIZE=75,
        BATCH_SIZE=16,
        EPOCHS=2,
        N_SHOW=8,
    )
    text = cell_text(nb)
    assert "120 breeds, 360 photos" in text
    assert "route: streaming + augmentation" in text
    assert (split / "manifest.csv").is_file()

    path = workspace.models / "dog_breeds_inception_v3.h5"
    model, info = saving.load_model(path)
    assert info["class_names"] == sorted(BREEDS) == data.class_names(split / "train")
    assert info["image_size"] == [75, 75] and info["epochs"] == 2
    assert {"best_epoch", "train_seconds", "backbone", "route"} <= info.keys()
    raw = np.random.default_rng(0).uniform(0, 255, (2, 75, 75, 3)).astype("float32")
    assert model.predict(raw, verbose=0).shape == (2, 120)

    history = pd.read_csv(workspace.results / "dog_breeds_inception_v3_history.csv")
    assert len(history) == 2 and "val_loss" in history
    metrics = pd.read_csv(
        workspace.results / "dog_breeds_inception_v3_test_metrics.csv", index_col=0
    )
    assert metrics.loc["accuracy", "book"] == pytest.approx(0.864)
    per_breed = pd.read_csv(workspace.results / "dog_breeds_inception_v3_per_breed.csv")
    assert len(per_breed) == 120


def test_notebook_08_cached_features_route(breeds_source, workspace, run_notebook, tmp_path):
    split = tmp_path / "dog-breeds"
    build_dog_breeds(out=split, source=breeds_source, progress=False)
    params = dict(
        DATA_DIR=str(split),
        SOURCE_DIR=None,
        MODELS_DIR=str(workspace.models),
        RESULTS_DIR=str(workspace.results),
        CACHE_DIR=str(tmp_path / "cache"),
        BACKBONE="vgg16",
        WEIGHTS=workspace.weights,  # the real VGG-16 file when ../shared has it, else random
        IMAGE_SIZE=32,
        BATCH_SIZE=32,
        EPOCHS=3,
        USE_CACHED_FEATURES=True,
        N_SHOW=4,
    )
    nb = run_notebook("08", **params)
    assert "route: cached features" in cell_text(nb)
    assert len(list((tmp_path / "cache").glob("dog_breeds_vgg16_*.npy"))) == 3

    model, info = saving.load_model(workspace.models / "dog_breeds_vgg16.h5")
    assert info["route"] == "cached features" and info["epochs"] == 3
    assert info["class_names"] == sorted(BREEDS)
    # the saved model is the whole network: raw photos in, 120 probabilities out
    assert model.input_shape == (None, 32, 32, 3) and model.output_shape == (None, 120)
    shown = re.search(r"largest difference from the evaluation: (\S+)", cell_text(nb))
    assert float(shown.group(1)) < 1e-3  # head on cached features == whole model on photos
