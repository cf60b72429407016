"""Notebooks 02 and 03 end to end on the small shared workspace split, one epoch each."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from tests.conftest import cell_text

pytestmark = [pytest.mark.notebook, pytest.mark.slow]

SMALL = {"EPOCHS": 1, "IMAGE_SIZE": 64, "BATCH_SIZE": 8}


def workspace_parameters(workspace) -> dict:
    return {
        "DATA_DIR": str(workspace.data),
        "MODELS_DIR": str(workspace.models),
        "RESULTS_DIR": str(workspace.results),
        **SMALL,
    }


def assert_saved(workspace, name: str, notebook: str) -> dict:
    model = workspace.models / f"{name}.h5"
    assert model.is_file(), f"{model} missing"
    info = json.loads(model.with_suffix(".json").read_text())
    assert info["class_names"] == ["cat", "dog"]
    assert info["image_size"] == [SMALL["IMAGE_SIZE"]] * 2
    assert info["epochs"] == 1 and info["best_epoch"] == 1 and info["train_seconds"] > 0
    assert info["notebook"] == notebook
    history = pd.read_csv(workspace.results / f"{name}_history.csv")
    assert list(history["epoch"]) == [1]
    assert {"accuracy", "val_accuracy", "loss", "val_loss"} <= set(history.columns)
    assert (workspace.results / f"{name}_history.png").is_file()
    return info


def test_notebook_02_trains_and_saves_both_models(workspace, run_notebook):
    nb = run_notebook("02", **workspace_parameters(workspace))
    for name in ("cats_dogs_basic_cnn", "cats_dogs_cnn_dropout"):
        assert_saved(workspace, name, "02")
    summary = pd.read_csv(workspace.results / "02_cnn_from_scratch_summary.csv")
    assert list(summary["model"]) == ["cats_dogs_basic_cnn", "cats_dogs_cnn_dropout"]
    assert summary["test_accuracy"].between(0, 1).all()
    assert summary["reloaded_same_predictions"].all()
    assert "test_accuracy" in cell_text(nb)


def test_notebook_03_trains_with_augmentation_and_writes_previews(
    workspace, run_notebook, tmp_path
):
    previews = tmp_path / "previews"
    nb = run_notebook("03", **workspace_parameters(workspace), PREVIEW_DIR=str(previews))
    info = assert_saved(workspace, "cats_dogs_cnn_img_aug", "03")
    assert info["learning_rate"] == pytest.approx(1e-4)
    assert len(info["augmentation"]) == 5
    written = sorted(p.name for p in previews.iterdir())
    assert written == [f"{label}_{i:02d}.jpg" for label in ("cat", "dog") for i in range(5)]
    assert (workspace.results / "cats_dogs_augmented_samples.png").is_file()
    summary = pd.read_csv(workspace.results / "03_cnn_augmentation_summary.csv")
    # notebook 02's models, when present in the workspace, are compared too
    assert "cats_dogs_cnn_img_aug" in set(summary["model"])
    assert summary["test_accuracy"].between(0, 1).all()
    assert "RandomShear" in cell_text(nb)
