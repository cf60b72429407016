"""Notebooks 02 and 03 end to end on the small real split (the ``workspace`` fixture).

What the notebooks write out in Keras is checked through what they print and save: the book's
parameter counts, the reloaded best models and their sidecars, the augmentation applied to the
training split only, and every saved ``.h5`` loading without ``utils``.
"""

from __future__ import annotations

import inspect
import json
import re

import pandas as pd
import pytest

from tests.conftest import assert_loads_without_utils, cell_text
from utils import augment

pytestmark = [pytest.mark.notebook, pytest.mark.slow]

SMALL = {"EPOCHS": 2, "IMAGE_SIZE": 64, "BATCH_SIZE": 8}
# the book's ImageDataGenerator settings are the defaults of utils.augment.book_augmentation
BOOK_AUGMENTATION = {
    name: parameter.default
    for name, parameter in inspect.signature(augment.book_augmentation).parameters.items()
    if name not in ("seed", "interpolation")
}


def book_params(kind: str, image_size: int, n_classes: int = 2) -> int:
    """Parameters of the book's CNNs, counted by hand: 3x3 convolutions (valid) each followed
    by 2x2 pooling, Flatten, Dense 512 (x2 for the dropout CNN), one sigmoid unit."""
    filters = {"basic": (16, 64, 128), "dropout": (16, 64, 128, 128)}[kind]
    total, channels, size = 0, 3, image_size
    for f in filters:
        total += 9 * channels * f + f
        channels, size = f, (size - 2) // 2
    total += size * size * channels * 512 + 512
    if kind == "dropout":
        total += 512 * 512 + 512
    outputs = 1 if n_classes == 2 else n_classes
    return total + 512 * outputs + outputs


def test_hand_count_matches_the_book():
    assert book_params("basic", 150) == 19_024_513
    assert book_params("dropout", 150) == 3_706_113


def parameters(workspace, **extra) -> dict:
    return {
        "DATA_DIR": str(workspace.data),
        "MODELS_DIR": str(workspace.models),
        "RESULTS_DIR": str(workspace.results),
        **SMALL,
        **extra,
    }


def assert_saved(workspace, name: str, notebook: str, params: int) -> dict:
    """The reloaded best model, its sidecar, the CSVLogger history and the curves."""
    model = workspace.models / f"{name}.h5"
    assert model.is_file(), f"{model} missing"
    info = json.loads(model.with_suffix(".json").read_text())
    assert info["class_names"] == ["cat", "dog"]
    assert info["image_size"] == [SMALL["IMAGE_SIZE"]] * 2
    assert info["params"] == params
    assert info["epochs"] == SMALL["EPOCHS"] and 1 <= info["best_epoch"] <= SMALL["EPOCHS"]
    assert info["train_seconds"] > 0
    assert info["notebook"] == notebook
    assert info["batch_size"] == SMALL["BATCH_SIZE"] and info["seed"] == 42
    log = pd.read_csv(workspace.results / f"{name}_history.csv")  # CSVLogger: epochs from 0
    assert list(log["epoch"]) == list(range(SMALL["EPOCHS"]))
    assert {"accuracy", "val_accuracy", "loss", "val_loss"} <= set(log.columns)
    assert info["best_val_loss"] == pytest.approx(log["val_loss"].min(), rel=1e-4)
    assert (workspace.results / f"{name}_history.png").is_file()
    return info


def assert_reloaded_best(summary: pd.DataFrame, infos: dict[str, dict]) -> None:
    """The summary's validation figures come from the reloaded best epoch: its validation loss
    is the lowest of the history (so the validation photos were not augmented either: random
    transforms would give another loss on the second pass)."""
    assert "test_accuracy" not in summary.columns  # the test split is notebook 07's
    for name, info in infos.items():
        row = summary.loc[name]
        assert row["val_loss"] == pytest.approx(info["best_val_loss"], rel=1e-3, abs=1e-4)
        assert row["val_accuracy"] == pytest.approx(info["best_epoch_val_accuracy"], abs=1e-4)
        assert row["best_epoch"] == info["best_epoch"] and row["params"] == info["params"]


def assert_describes_the_run(text: str, label: str, info: dict) -> None:
    """The sentences about the curves are printed from this run's history: the gap line
    carries the sidecar's ``train_val_gap`` and the kept epoch, and the validation-loss line
    says whether the loss turned up before the last epoch."""
    gap_line = (
        rf"{label}: train-validation accuracy gap at the kept epoch \((\d+)\): ([+-]\d\.\d{{3}})"
    )
    (match,) = re.findall(gap_line, text)
    assert int(match[0]) == info["best_epoch"]
    assert float(match[1]) == pytest.approx(info["train_val_gap"], abs=5e-4)
    best, epochs = info["best_epoch"], info["epochs"]
    if best < epochs:
        assert f"{label}: validation loss turned up after epoch {best} of {epochs}" in text
    else:
        assert (
            f"{label}: validation loss was still at its lowest at the last epoch ({epochs})" in text
        )


def comparison_sentence(label: str, value: float, other_label: str, other: float) -> str:
    difference = round(100 * (value - other), 1)
    side = "above" if difference > 0 else "below"
    how = f"{abs(difference)} points {side}" if difference else "level with"  # never "0.0 points"
    start = f"validation accuracy of the {label} is {value:.3f}"
    return f"{start}, {how} the {other_label}'s ({other:.3f})"


def test_notebook_02_trains_reloads_and_saves_both_cnns(workspace, run_notebook):
    nb = run_notebook("02", **parameters(workspace))
    size = SMALL["IMAGE_SIZE"]
    basic, dropout = book_params("basic", size), book_params("dropout", size)
    text = cell_text(nb)
    assert f"basic CNN at {size} px: {basic:,} parameters" in text
    assert f"CNN with dropout at {size} px: {dropout:,} parameters" in text

    infos = {
        "cats_dogs_basic_cnn": assert_saved(workspace, "cats_dogs_basic_cnn", "02", basic),
        "cats_dogs_cnn_dropout": assert_saved(workspace, "cats_dogs_cnn_dropout", "02", dropout),
    }
    for info in infos.values():
        assert info["learning_rate"] == pytest.approx(1e-3)
    assert not any((workspace.models / "checkpoints").iterdir())  # .keras checkpoints removed
    summary = pd.read_csv(workspace.results / "02_cnn_from_scratch_summary.csv", index_col=0)
    assert list(summary.index) == list(infos)
    assert_reloaded_best(summary, infos)
    assert_loads_without_utils(*(workspace.models / f"{name}.h5" for name in infos))

    # the sentences that depend on numbers are printed from this run's numbers
    assert_describes_the_run(text, "basic CNN", infos["cats_dogs_basic_cnn"])
    assert_describes_the_run(text, "dropout CNN", infos["cats_dogs_cnn_dropout"])
    basic_acc, dropout_acc = summary["val_accuracy"]
    assert comparison_sentence("dropout CNN", dropout_acc, "basic CNN", basic_acc) in text
    for name, info in infos.items():
        assert f"{name}: train-validation accuracy gap {info['train_val_gap']:+.3f}" in text
    # book figures only in columns that name their split
    assert "book_val_accuracy" in text and "book_test_accuracy" in text
    assert "book_val_accuracy" not in summary.columns  # the saved summary is this run's only


def test_notebook_02_at_the_books_size_under_mirrored_strategy(workspace, run_notebook):
    """150 px: the counts the notebook prints are the book's; DISTRIBUTE splits the CPU."""
    nb = run_notebook(
        "02", **parameters(workspace, IMAGE_SIZE=150, EPOCHS=1, DISTRIBUTE="mirrored:2")
    )
    text = cell_text(nb)
    assert "MirroredStrategy over 2 devices" in text
    assert "basic CNN at 150 px: 19,024,513 parameters" in text
    assert "CNN with dropout at 150 px: 3,706,113 parameters" in text
    for name in ("cats_dogs_basic_cnn", "cats_dogs_cnn_dropout"):
        assert (workspace.models / f"{name}.h5").is_file()


def code_cell(nb, marker: str) -> str:
    (source,) = [c.source for c in nb.cells if c.cell_type == "code" and marker in c.source]
    return source


def test_notebook_03_augments_the_training_split_only(workspace, run_notebook, tmp_path):
    previews = tmp_path / "previews"
    # a notebook-02 summary in RESULTS_DIR (made-up figures) to compare with
    earlier = {"params": 1, "epochs": 2, "best_epoch": 1, "val_loss": 0.7, "train_val_gap": 0.1}
    pd.DataFrame(
        [
            {"model": "cats_dogs_basic_cnn", **earlier, "val_accuracy": 0.5},
            {"model": "cats_dogs_cnn_dropout", **earlier, "val_accuracy": 0.55},
        ]
    ).set_index("model").to_csv(workspace.results / "02_cnn_from_scratch_summary.csv")
    nb = run_notebook("03", **parameters(workspace, PREVIEW_DIR=str(previews), N_PREVIEWS=2))
    text = cell_text(nb)
    size = SMALL["IMAGE_SIZE"]
    params = book_params("dropout", size)
    assert f"CNN with dropout at {size} px: {params:,} parameters" in text

    # the pipeline written in the notebook is augment.book_augmentation, layer for layer
    comparison = [
        out["data"]["text/plain"]
        for cell in nb.cells
        for out in cell.get("outputs", [])
        if "same as augment.book_augmentation()" in out.get("data", {}).get("text/plain", "")
    ]
    assert len(comparison) == 1
    assert comparison[0].count("True") == 5 and "False" not in comparison[0]
    for layer in ("RandomRotation", "RandomTranslation", "RandomShear", "RandomZoom"):
        assert layer in comparison[0]

    # where it is applied: mapped over the training batches only, visibly in the cells...
    assert 'shuffle=split == "train"' in code_cell(nb, "train_ds, val_ds = (")
    augment_cell = code_cell(nb, "augmentation(x, training=True)")
    assert "train_ds = train_ds.map(" in augment_cell and "val_ds" not in augment_cell
    # ...and in effect: the reloaded best model's validation loss is the history's
    info = assert_saved(workspace, "cats_dogs_cnn_img_aug", "03", params)
    assert info["learning_rate"] == pytest.approx(1e-4)
    assert info["augmentation"] == BOOK_AUGMENTATION
    summary = pd.read_csv(workspace.results / "03_cnn_augmentation_summary.csv", index_col=0)
    assert list(summary.index) == ["cats_dogs_cnn_img_aug"]
    assert_reloaded_best(summary, {"cats_dogs_cnn_img_aug": info})
    assert_describes_the_run(text, "augmented CNN", info)
    augmented = summary.loc["cats_dogs_cnn_img_aug", "val_accuracy"]
    assert comparison_sentence("augmented CNN", augmented, "dropout CNN", 0.55) in text
    assert (
        f"cats_dogs_cnn_img_aug: train-validation accuracy gap {info['train_val_gap']:+.3f}" in text
    )
    assert "book_val_accuracy" in text
    # whether the book's ranking appeared is printed from the three validation accuracies
    assert (
        "validation accuracy in this run: basic CNN 0.500, dropout CNN 0.550, "
        f"augmented CNN {augmented:.3f}"
    ) in text
    verdict = "holds" if augmented > 0.55 else "does not hold"
    assert f"the book's ranking (basic < dropout < augmented): {verdict} in this run" in text

    assert (workspace.results / "cats_dogs_augmented_samples.png").is_file()
    written = sorted(p.name for p in previews.iterdir())
    assert written == [f"{label}_{i:02d}.jpg" for label in ("cat", "dog") for i in range(2)]
    assert_loads_without_utils(workspace.models / "cats_dogs_cnn_img_aug.h5")


def test_notebook_03_under_mirrored_strategy(workspace, run_notebook):
    """DISTRIBUTE="mirrored:2" splits the CPU in two; the model is built under the strategy."""
    size = 48
    nb = run_notebook(
        "03",
        **parameters(workspace, IMAGE_SIZE=size, EPOCHS=1, N_PREVIEWS=1, DISTRIBUTE="mirrored:2"),
    )
    text = cell_text(nb)
    assert "MirroredStrategy over 2 devices" in text
    assert f"CNN with dropout at {size} px: {book_params('dropout', size):,} parameters" in text
    info = json.loads((workspace.models / "cats_dogs_cnn_img_aug.json").read_text())
    assert info["epochs"] == 1 and info["image_size"] == [size, size]
    assert_loads_without_utils(workspace.models / "cats_dogs_cnn_img_aug.h5")
