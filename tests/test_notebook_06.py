"""Notebook 06 (fine-tuning VGG-16) executed on its own on the small split."""

from __future__ import annotations

import keras
import pandas as pd
import pytest

from tests.conftest import assert_loads_without_utils, cell_text
from tests.vgg16_notebooks import (
    HEAD_PARAMS,
    parameters,
    saved,
    trainable_flags,
)

pytestmark = [pytest.mark.notebook, pytest.mark.slow]


def test_notebook_06_fine_tuning(workspace, run_notebook):
    nb = run_notebook(
        "06",
        **parameters(workspace, EPOCHS=1, STEPS_PER_EPOCH=1, VALIDATION_PER_CLASS=3),
        WARMUP_EPOCHS=1,
        SLIDES_EPOCHS=1,
    )
    text = cell_text(nb)
    assert "train: (40, 2, 2, 512) computed" in text, "06 runs without notebook 04"
    book, info = saved(workspace, "cats_dogs_tlearn_finetune_img_aug_cnn", "06")
    assert info["unfrozen_blocks"] == ["block4", "block5"]
    assert info["learning_rate"] == pytest.approx(1e-5) and info["warmup_epochs"] == 1
    flags = trainable_flags(book)
    assert len(flags) == 13
    assert not any(v for k, v in flags.items() if k.startswith(("block1", "block2", "block3")))
    assert all(v for k, v in flags.items() if k.startswith(("block4", "block5")))

    slides, info = saved(workspace, "cats_dogs_tlearn_finetune_block5_sgd_cnn", "06")
    assert info["unfrozen_blocks"] == ["block5"] and info["learning_rate"] == pytest.approx(1e-4)
    assert [k for k, v in trainable_flags(slides).items() if v] == [
        "block5_conv1",
        "block5_conv2",
        "block5_conv3",
    ]
    # the slides' variant starts from the warm-up head of step 1, not from notebook 04's model
    start = keras.models.load_model(
        workspace.models / "checkpoints" / "cats_dogs_tlearn_finetune_warmup_head.keras"
    )
    assert start.count_params() == HEAD_PARAMS
    assert_loads_without_utils(
        workspace.models / "cats_dogs_tlearn_finetune_img_aug_cnn.h5",
        workspace.models / "cats_dogs_tlearn_finetune_block5_sgd_cnn.h5",
    )
    table = pd.read_csv(workspace.results / "06_vgg16_fine_tuning.csv")
    assert len(table) == 3 and table["best_epoch_val_accuracy"].between(0, 1).all()
    assert not any("test" in c for c in table.columns)
