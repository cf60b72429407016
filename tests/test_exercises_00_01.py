"""The "Try it" exercises of notebooks 00 and 01: each answer that states a fixed outcome is
checked here without running the notebook (random weights, tiny generated photo folders)."""

from __future__ import annotations

from pathlib import Path

import jupytext
import keras
import numpy as np
import pytest

from tests.conftest import ROOT, write_image
from utils import pretrained
from utils.dataset_builder import build_cats_vs_dogs
from utils.split_folder import DatasetError, read_manifest, split_counts

BLOCK5 = 7_079_424  # three 3 x 3 convolutions of 512 -> 512 channels


def book_head(shape: tuple[int, ...], units: int = 512, dropout: float = 0.3, layers: int = 2):
    """Notebook 00's head (two dense layers of 512) or, with units=256 and layers=1, the
    Keras blog's head of exercise 3."""
    dense = []
    for _ in range(layers):
        dense += [keras.layers.Dense(units, activation="relu"), keras.layers.Dropout(dropout)]
    return keras.Sequential(
        [
            keras.Input(shape),
            keras.layers.Flatten(),
            *dense,
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )


def block_params(base: keras.Model, block: str) -> int:
    return sum(layer.count_params() for layer in base.layers if layer.name.startswith(block))


# --------------------------------------------------------------------------- notebook 00


@pytest.mark.parametrize(("size", "side", "head_params"), [(224, 7, 13_108_737), (32, 1, 525_825)])
def test_exercise_00_image_size_changes_the_head_not_the_base(size, side, head_params):
    base = keras.applications.VGG16(include_top=False, weights=None, input_shape=(size, size, 3))
    assert base.output_shape[1:] == (side, side, 512)
    assert block_params(base, "block5") == BLOCK5  # the same at every input size
    # frozen base + book head: only the head trains
    assert book_head(base.output_shape[1:]).count_params() == head_params


def test_exercise_00_fine_tuning_blocks_3_to_5():
    base = keras.applications.VGG16(include_top=False, weights=None, input_shape=(150, 150, 3))
    model = keras.Sequential([base, book_head(base.output_shape[1:])])
    for layer in base.layers:  # the notebook's freeze loop with the new strategy
        layer.trainable = layer.name.startswith(("block3", "block4", "block5"))
    counts = pretrained.param_counts(model)
    assert counts == {"trainable_params": 18_912_513, "frozen_params": 260_160}
    assert block_params(base, "block1") + block_params(base, "block2") == 260_160


def test_exercise_00_keras_blog_head():
    shape = (4, 4, 512)  # block5_pool at 150 px (notebook 00's own test checks 2 x 2 at 64)
    assert book_head(shape, units=256, dropout=0.5, layers=1).count_params() == 2_097_665
    assert book_head(shape).count_params() == 4_457_985  # the book's head, for comparison


def test_exercise_00_vgg19_base():
    base = keras.applications.VGG19(include_top=False, weights=None, input_shape=(150, 150, 3))
    convolutions = [layer for layer in base.layers if isinstance(layer, keras.layers.Conv2D)]
    assert len(convolutions) == 16
    assert base.count_params() == 20_024_384
    assert block_params(base, "block5") == 9_439_232
    assert f"{block_params(base, 'block5') / base.count_params():.0%}" == "47%"


# --------------------------------------------------------------------------- notebook 01


def kaggle_folder(root: Path, per_class: int) -> Path:
    """A Kaggle-style flat folder: cat.N.jpg and dog.N.jpg, ``per_class`` of each."""
    for i in range(per_class):
        write_image(root / f"cat.{i}.jpg", color=(200, 60, 40))
        write_image(root / f"dog.{i}.jpg", color=(40, 60, 200))
    return root


def per_class(out: Path) -> dict[str, list[int]]:
    counts = split_counts(out)
    return {c: counts.loc[c, ["train", "validation", "test"]].tolist() for c in ("cat", "dog")}


def photos_in_two_splits(out: Path) -> int:
    """The notebook's check: a photo is its file name (which starts with its class)."""
    return int(read_manifest(out)["file"].str.rsplit("/", n=1).str[-1].duplicated().sum())


def test_exercise_01_blog_split_without_test(tmp_path):
    source = kaggle_folder(tmp_path / "train", 8)
    out = tmp_path / "cats-vs-dogs-blog"
    build_cats_vs_dogs(out, source, train=4, validation=2, test=0, progress=False)
    assert per_class(out) == {"cat": [4, 2, 0], "dog": [4, 2, 0]}
    for cls in ("cat", "dog"):  # the test folders exist, empty
        assert (out / "test" / cls).is_dir() and not any((out / "test" / cls).iterdir())
    assert photos_in_two_splits(out) == 0


def test_exercise_01_another_seed_same_counts_other_photos(tmp_path):
    source = kaggle_folder(tmp_path / "train", 20)
    train = {}
    for seed in (42, 7):
        out = tmp_path / f"seed{seed}"
        build_cats_vs_dogs(out, source, train=6, validation=3, test=3, seed=seed, progress=False)
        assert per_class(out) == {"cat": [6, 3, 3], "dog": [6, 3, 3]}
        assert photos_in_two_splits(out) == 0
        manifest = read_manifest(out)
        train[seed] = set(manifest.loc[manifest["split"] == "train", "file"])
    # 6 of 20 photos per class: the same draw for one class is a 1-in-38,760 chance
    assert train[42] != train[7]


def test_exercise_01_asking_for_more_than_there_is(tmp_path, capsys):
    source = kaggle_folder(tmp_path / "train", 5)
    params = {"SOURCE_DIR": str(source), "TRAIN": 4, "VALIDATION": 1, "TEST": 1, "SEED": 42}

    # the draw cell of notebook 01, run as it is written
    notebook = jupytext.read(ROOT / "notebooks" / "01_datasets.py")
    draw = next(c.source for c in notebook.cells if "rng.choice" in c.source)
    exec(draw, {"np": np, "Path": Path, **params})
    printed = capsys.readouterr().out
    assert "No draw here" in printed and "with 6 photos per class" in printed

    out = tmp_path / "cats-vs-dogs-big"
    with pytest.raises(DatasetError, match="not enough image files: need 6 per class"):
        build_cats_vs_dogs(out, source, train=4, validation=1, test=1, progress=False)
    assert not out.exists()  # nothing half-built left behind
