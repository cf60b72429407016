"""`DISTRIBUTE="mirrored:2"` in the training notebooks 04, 05, 06 and 08: every model trains
under a MirroredStrategy over two logical CPU devices, and the saved models load.

Each test executes one notebook on the small real split with tiny parameters, in a fresh
kernel (the CPU must be split before TensorFlow touches a device), from an empty workspace.
"""

from __future__ import annotations

import pytest

from tests.conftest import DOG_BREEDS_SOURCE, assert_loads_without_utils, cell_text, needs_shared
from tests.test_notebook_08 import few_breeds_labels
from tests.vgg16_notebooks import parameters

pytestmark = [pytest.mark.notebook, pytest.mark.slow]
MIRRORED = "MirroredStrategy over 2 devices"


def assert_saved(workspace, *names: str) -> None:
    paths = [workspace.models / f"{name}.h5" for name in names]
    for path in paths:
        assert path.is_file() and path.with_suffix(".json").is_file(), path
    assert_loads_without_utils(*paths)


def test_notebook_06_mirrored(workspace, run_notebook):
    nb = run_notebook(
        "06",
        **parameters(workspace, EPOCHS=1, STEPS_PER_EPOCH=1, VALIDATION_PER_CLASS=3),
        WARMUP_EPOCHS=1,
        CACHED_WARMUP_EPOCHS=1,
        CACHED_EPOCHS=1,
        AUG_PASSES=1,
        DISTRIBUTE="mirrored:2",
    )
    assert MIRRORED in cell_text(nb)
    assert_saved(
        workspace,
        "cats_dogs_tlearn_finetune_img_aug_cnn",
        "cats_dogs_tlearn_finetune_block5_sgd_cnn",
    )


def test_notebook_04_mirrored(workspace, run_notebook):
    nb = run_notebook(
        "04",
        **parameters(workspace, EPOCHS=1, COMPARE_PER_CLASS=2, COMPARE_VALIDATION_PER_CLASS=2),
        DISTRIBUTE="mirrored:2",
    )
    assert MIRRORED in cell_text(nb)
    assert_saved(workspace, "cats_dogs_tlearn_basic_cnn")


def test_notebook_05_mirrored(workspace, run_notebook):
    nb = run_notebook(
        "05",
        **parameters(workspace, EPOCHS=1, STEPS_PER_EPOCH=1, VALIDATION_PER_CLASS=3),
        AUG_PASSES=1,
        CACHED_EPOCHS=1,
        DISTRIBUTE="mirrored:2",
    )
    assert MIRRORED in cell_text(nb)
    assert_saved(workspace, "cats_dogs_tlearn_img_aug_cnn", "cats_dogs_tlearn_img_aug_cached_cnn")


@needs_shared
def test_notebook_08_mirrored(workspace, run_notebook, tmp_path):
    """The streaming route: InceptionV3 (random weights, 75 px) on augmented photos, tf.data."""
    labels_csv, _ = few_breeds_labels(tmp_path / "labels.csv")
    nb = run_notebook(
        "08",
        DATA_DIR=str(tmp_path / "dog-breeds"),  # missing: the notebook builds it
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
        DISTRIBUTE="mirrored:2",
    )
    text = cell_text(nb)
    assert MIRRORED in text and "route: streaming + augmentation" in text
    assert_saved(workspace, "dog_breeds_inception_v3")
