"""Notebook 07 end to end on the small split, with small models each test saves itself.

The models are built like the course's (no training: scoring is what 07 teaches): a Sequential
CNN with ``Rescaling`` and ``raw photo → preprocessing_layer("vgg16") → VGG16 → head`` at 64 px,
plus a dense head on features, which 07 must skip. Nothing depends on other notebooks' runs.
"""

from __future__ import annotations

from pathlib import Path

import keras
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score, f1_score

from tests.conftest import cell_text
from utils import data, pretrained
from utils.saving import save_model

pytestmark = [pytest.mark.notebook, pytest.mark.slow]

SIZE = 64
CNN = "cats_dogs_cnn_dropout.h5"
FINE_TUNED = "cats_dogs_tlearn_finetune_img_aug_cnn.h5"


def _cnn() -> keras.Model:
    return keras.Sequential(
        [
            keras.Input((SIZE, SIZE, 3)),
            keras.layers.Rescaling(1 / 255),
            keras.layers.Conv2D(4, 3, activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Conv2D(8, 3, activation="relu"),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )


def _vgg16_model(weights) -> keras.Model:
    base = keras.applications.VGG16(include_top=False, weights=weights, input_shape=(SIZE, SIZE, 3))
    base.trainable = False
    inputs = keras.Input((SIZE, SIZE, 3))
    x = pretrained.preprocessing_layer("vgg16")(inputs)
    x = base(x, training=False)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dense(8, activation="relu")(x)
    return keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(x))


def _save_models(folder: Path, weights, with_vgg16: bool = True) -> None:
    keras.utils.set_random_seed(0)
    classes = ["cat", "dog"]
    facts = {"epochs": 2, "best_epoch": 1, "train_seconds": 1.5, "notebook": "test"}
    save_model(_cnn(), folder / CNN, classes, **facts)
    if with_vgg16:
        save_model(_vgg16_model(weights), folder / FINE_TUNED, classes, **facts)
        head = keras.Sequential(
            [keras.Input((2, 2, 512)), keras.layers.Flatten(), keras.layers.Dense(1)]
        )
        save_model(head, folder / "cats_dogs_tlearn_basic_cnn_head.h5", classes, epochs=1)


def test_notebook_07_scores_every_model(workspace, run_notebook):
    _save_models(workspace.models, workspace.weights)
    nb = run_notebook(
        "07",
        DATA_DIR=str(workspace.data),
        MODELS_DIR=str(workspace.models),
        RESULTS_DIR=str(workspace.results),
        BATCH_SIZE=8,
        N_MISTAKES=4,
        GRADCAM_IMAGES=2,
    )
    text = cell_text(nb)
    results = workspace.results
    table = pd.read_csv(results / "07_model_evaluation.csv").set_index("model")
    assert sorted(table.index) == ["CNN + dropout", "VGG-16 fine-tuned + augmentation"]
    assert "not trained yet (skipped): Basic CNN" in text
    assert "skipped cats_dogs_tlearn_basic_cnn_head.h5" in text and "not RGB images" in text
    assert table["f1"].is_monotonic_decreasing
    # the book's figures, each in the column of its split
    assert table.loc["CNN + dropout", "book validation accuracy"] == 0.78
    assert table.loc["CNN + dropout", "book test accuracy"] == 0.78
    assert table.loc["VGG-16 fine-tuned + augmentation", "book test accuracy"] == 0.96
    assert "book_accuracy" not in table.columns

    # one row recomputed from the saved model with scikit-learn
    paths, y, _ = data.list_images(workspace.data / "test")
    model = keras.models.load_model(workspace.models / CNN, compile=False)
    y_pred = model.predict(data.read_images(paths, SIZE, raw=True), verbose=0)[:, 0] > 0.5
    row = table.loc["CNN + dropout"]
    assert row["accuracy"] == pytest.approx(accuracy_score(y, y_pred), abs=1e-6)
    assert row["f1"] == pytest.approx(f1_score(y, y_pred, average="weighted", zero_division=0))
    assert row["test_images"] == len(y) and row["params"] == model.count_params()
    assert row["epochs"] == 2 and row["train_seconds"] == 1.5
    for column in ("accuracy", "precision", "recall", "f1", "roc_auc"):
        assert table[column].between(0, 1).all(), column

    markdown = (results / "07_model_evaluation.md").read_text().strip().splitlines()
    assert len(markdown) == 2 + len(table) and "book validation accuracy" in markdown[0]
    for figure in (
        "07_model_evaluation",
        "07_best_model_confusion_matrix",
        "07_best_model_roc",
        "07_confusion_matrices",
        "07_roc_worst_best",
        "07_roc_all",
        "07_gradcam",
    ):
        assert (results / f"{figure}.png").is_file(), figure
    assert "weighted avg" in text and "Predicted:" in text
    assert "last convolution layer vgg16/block5_conv3" in text
    source = "\n".join(cell.source for cell in nb.cells)
    for call in (
        "keras.models.load_model(",
        "model.predict(test_ds",
        "evaluation.to_labels(",
        "classification_report(",
        "ConfusionMatrixDisplay.from_predictions(",
        "RocCurveDisplay.from_predictions(",
    ):
        assert call in source, call


def test_notebook_07_without_the_gradcam_model_skips_with_a_note(workspace, run_notebook):
    _save_models(workspace.models, None, with_vgg16=False)
    sample = Path(data.list_images(workspace.data / "test")[0][0]).name
    nb = run_notebook(
        "07",
        DATA_DIR=str(workspace.data),
        MODELS_DIR=str(workspace.models),
        RESULTS_DIR=str(workspace.results),
        SAMPLE_IMAGE=sample,
    )
    text = cell_text(nb)
    assert "Grad-CAM skipped: cats_dogs_tlearn_finetune_img_aug_cnn.h5" in text
    assert not (workspace.results / "07_gradcam.png").exists()
    assert len(pd.read_csv(workspace.results / "07_model_evaluation.csv")) == 1
    assert sample in text  # the photo every model predicts
