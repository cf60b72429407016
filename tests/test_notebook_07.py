"""Notebook 07 end to end on models trained on the small workspace split.

In a full run, notebooks 02-06 (tested before this file) have filled ``workspace.models``. Run
alone, the fixture trains two tiny models on the same photos for one epoch, built like the saved
ones: a flat CNN and ``Input → BackbonePreprocess → nested base → nested head`` (for Grad-CAM).
"""

from __future__ import annotations

import time
from pathlib import Path

import keras
import pandas as pd
import pytest

from tests.conftest import cell_text
from utils import data
from utils.layers import BackbonePreprocess
from utils.saving import load_info, save_model

pytestmark = [pytest.mark.notebook, pytest.mark.slow]

SIZE = 48
BOOK_FILES = {
    "cats_dogs_basic_cnn.h5": "Basic CNN",
    "cats_dogs_cnn_dropout.h5": "CNN + dropout",
    "cats_dogs_cnn_img_aug.h5": "CNN + augmentation",
    "cats_dogs_tlearn_basic_cnn.h5": "VGG-16 features",
    "cats_dogs_tlearn_img_aug_cnn.h5": "VGG-16 features + augmentation",
    "cats_dogs_tlearn_finetune_img_aug_cnn.h5": "VGG-16 fine-tuned + augmentation",
}
FINE_TUNED = "cats_dogs_tlearn_finetune_img_aug_cnn.h5"
METRICS = ["accuracy", "precision", "recall", "f1", "roc_auc"]


def _flat_cnn() -> keras.Model:
    return keras.Sequential(
        [
            keras.Input((SIZE, SIZE, 3)),
            keras.layers.Rescaling(1 / 255),
            keras.layers.Conv2D(4, 3, activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Conv2D(8, 3, activation="relu"),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(1, activation="sigmoid"),
        ],
        name="tiny_cnn",
    )


def _nested_transfer_like() -> keras.Model:
    base_in = keras.Input((SIZE, SIZE, 3))
    x = keras.layers.Conv2D(4, 3, activation="relu", name="block1_conv1")(base_in)
    x = keras.layers.MaxPooling2D(name="block1_pool")(x)
    x = keras.layers.Conv2D(8, 3, activation="relu", name="block2_conv1")(x)
    base = keras.Model(base_in, keras.layers.MaxPooling2D(name="block2_pool")(x), name="vgg16")
    head = keras.Sequential(
        [
            keras.Input(base.output_shape[1:]),
            keras.layers.Flatten(),
            keras.layers.Dense(8, activation="relu"),
            keras.layers.Dense(1, activation="sigmoid", name="output"),
        ],
        name="head",
    )
    inputs = keras.Input((SIZE, SIZE, 3), name="image")
    outputs = head(base(BackbonePreprocess("vgg16")(inputs), training=False))
    return keras.Model(inputs, outputs, name="tiny_transfer")


def _train_and_save(model: keras.Model, ds, path: Path, class_names) -> None:
    model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"])
    start = time.perf_counter()
    model.fit(ds, epochs=1, verbose=0, shuffle=False)
    save_model(
        model, path, class_names, epochs=1, best_epoch=1,
        train_seconds=round(time.perf_counter() - start, 2),
    )  # fmt: skip


@pytest.fixture(scope="module")
def models_dir(workspace, tmp_path_factory) -> Path:
    """``workspace.models`` when earlier notebooks saved models there, else two tiny ones."""
    if any((workspace.models / name).is_file() for name in BOOK_FILES):
        return workspace.models
    folder = tmp_path_factory.mktemp("models_07")
    keras.utils.set_random_seed(42)
    datasets, class_names = data.split_datasets(
        workspace.data, (SIZE, SIZE), batch_size=8, splits=("train",)
    )
    _train_and_save(_flat_cnn(), datasets["train"], folder / "cats_dogs_basic_cnn.h5", class_names)
    _train_and_save(_nested_transfer_like(), datasets["train"], folder / FINE_TUNED, class_names)
    # a head trained on features: not an image classifier, to be skipped with a note
    head = keras.Sequential([keras.Input((2, 2, 8)), keras.layers.Flatten(), keras.layers.Dense(1)])
    save_model(head, folder / "cats_dogs_features_head.h5", class_names, epochs=1)
    return folder


def _expected_rows(models_dir: Path) -> tuple[set[str], int]:
    """Labels that must be in the table (the book's models present) and the most rows."""
    present = {label for name, label in BOOK_FILES.items() if (models_dir / name).is_file()}
    return present, len(list(models_dir.glob("*.h5")))


def test_notebook_07_evaluates_every_model(workspace, models_dir, run_notebook):
    results = workspace.results
    nb = run_notebook(
        "07",
        DATA_DIR=str(workspace.data),
        MODELS_DIR=str(models_dir),
        RESULTS_DIR=str(results),
        BATCH_SIZE=8,
        N_MISTAKES=4,
        GRADCAM_IMAGES=2,
    )
    text = cell_text(nb)
    table = pd.read_csv(results / "07_model_evaluation.csv")
    must, most = _expected_rows(models_dir)
    assert must <= set(table["model"]) and len(must) <= len(table) <= most
    for column in METRICS:
        assert table[column].between(0, 1).all(), column
    assert table["f1"].is_monotonic_decreasing
    assert (table["params"] > 0).all() and (table["epochs"] >= 1).all()
    assert (table["train_seconds"] > 0).all()
    n_test = len(data.list_images(workspace.data / "test")[0])
    assert (table["test_images"] == n_test).all()
    # each row is the model's own numbers: check one against its sidecar
    row = table.set_index("model").loc[sorted(must)[0]]
    name = next(n for n, label in BOOK_FILES.items() if label == sorted(must)[0])
    assert row["params"] == load_info(models_dir / name)["params"]
    if "Basic CNN" in must:
        assert table.set_index("model").loc["Basic CNN", "book_accuracy"] == 0.78

    markdown = (results / "07_model_evaluation.md").read_text().strip().splitlines()
    assert len(markdown) == 2 + len(table)
    assert markdown[0].startswith("| model") and "roc_auc" in markdown[0]

    for figure in (
        "07_model_evaluation",
        "07_confusion_matrices",
        "07_roc_worst_best",
        "07_roc_all",
    ):
        assert (results / f"{figure}.png").is_file(), figure
    assert "weighted avg" in text and "Predicted:" in text
    if (models_dir / FINE_TUNED).is_file():
        assert (results / "07_gradcam.png").is_file()
        assert "last convolution layer" in text
    if models_dir != workspace.models:
        assert "not trained yet (skipped): CNN + dropout" in text
        assert "skipped cats_dogs_features_head.h5" in text and "not RGB images" in text
        assert len(table) == 2


def test_notebook_07_without_the_gradcam_model_skips_with_a_note(
    workspace, models_dir, run_notebook, tmp_path
):
    only = tmp_path / "models"
    only.mkdir()
    source = next(p for p in sorted(models_dir.glob("*.h5")) if p.name in BOOK_FILES)
    for suffix in (".h5", ".json"):
        (only / source.with_suffix(suffix).name).write_bytes(
            source.with_suffix(suffix).read_bytes()
        )
    nb = run_notebook(
        "07",
        DATA_DIR=str(workspace.data),
        MODELS_DIR=str(only),
        RESULTS_DIR=str(tmp_path / "results"),
        GRADCAM_MODEL="absent.h5",
        SAMPLE_IMAGE=Path(data.list_images(workspace.data / "test")[0][0]).name,
    )
    text = cell_text(nb)
    assert "Grad-CAM skipped: absent.h5" in text
    assert not (tmp_path / "results" / "07_gradcam.png").exists()
    assert len(pd.read_csv(tmp_path / "results" / "07_model_evaluation.csv")) == 1
