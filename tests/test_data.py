"""utils.data: class order, labels, streaming pipelines, arrays."""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import make_class_folders, split_pipelines, write_image
from utils import data

COLORS = {"dog": (40, 60, 200), "cat": (200, 60, 40)}


@pytest.fixture
def split(tmp_path):
    for name in ("train", "validation", "test"):
        make_class_folders(tmp_path / name, COLORS, per_class=5, size=(40, 30))
    return tmp_path


def test_class_names_sorted_cat_is_zero(split):
    assert data.class_names(split / "train") == ["cat", "dog"]


def test_class_names_missing_folder_says_build_first(tmp_path):
    with pytest.raises(FileNotFoundError, match="build_dataset.py"):
        data.class_names(tmp_path / "nope")


def test_list_images_labels_follow_given_classes(split):
    paths, labels, classes = data.list_images(split / "test", ["cat", "dog", "zebra"])
    assert classes == ["cat", "dog", "zebra"]
    assert len(paths) == 10
    assert labels.tolist() == [0] * 5 + [1] * 5
    assert all("/cat/" in p for p in paths[:5])


def test_list_images_ignores_non_images(split):
    (split / "train" / "cat" / "notes.txt").write_text("not an image")
    paths, _, _ = data.list_images(split / "train")
    assert not any(p.endswith(".txt") for p in paths)


def test_image_dataset_shapes_and_range(split):
    paths, labels, _ = data.list_images(split / "train")
    ds = data.image_dataset(paths, labels, image_size=(24, 32), batch_size=4)
    x, y = next(iter(ds))
    assert x.shape == (4, 24, 32, 3) and x.dtype.name == "float32"
    assert 0 <= float(x.numpy().min()) and float(x.numpy().max()) <= 255
    assert sum(int(b[1].shape[0]) for b in ds) == 10


def test_grayscale_and_alpha_become_rgb(tmp_path):
    gray = write_image(tmp_path / "a" / "g.png", mode="L")
    rgba = write_image(tmp_path / "a" / "r.png", mode="RGBA")
    ds = data.image_dataset([str(gray), str(rgba)], [0, 0], image_size=(16, 16), batch_size=2)
    x, _ = next(iter(ds))
    assert x.shape == (2, 16, 16, 3)


def test_training_split_reshuffles_each_epoch_and_others_do_not(split):
    datasets, classes = split_pipelines(split, image_size=(8, 8), batch_size=10, seed=1)
    assert classes == ["cat", "dog"]

    def order(ds):
        return np.concatenate([y.numpy() for _, y in ds]).tolist()

    train_epochs = [order(datasets["train"]) for _ in range(4)]
    assert len({tuple(o) for o in train_epochs}) > 1, "training order never changes"
    assert order(datasets["validation"]) == [0] * 5 + [1] * 5
    assert order(datasets["test"]) == order(datasets["test"])


def test_augment_runs_on_training_split_only(split):
    calls = []

    def mark(x, training=False):
        calls.append(training)
        return x * 0.0

    datasets, _ = split_pipelines(split, image_size=(8, 8), batch_size=10, augment=mark)
    assert calls and all(calls), "the augmentation runs in training mode"
    assert float(next(iter(datasets["train"]))[0].numpy().max()) == 0.0
    assert float(next(iter(datasets["validation"]))[0].numpy().max()) > 0.0
    assert float(next(iter(datasets["test"]))[0].numpy().max()) > 0.0


def test_read_images_raw_is_what_the_pipeline_feeds(split):
    paths, labels, _ = data.list_images(split / "validation")
    raw = data.read_images(paths, 12, raw=True)
    fed = np.concatenate([x.numpy() for x, _ in data.image_dataset(paths, labels, (12, 12), 4)])
    assert raw.dtype == np.float32 and raw.shape == (10, 12, 12, 3)
    np.testing.assert_array_equal(raw, fed)
    assert data.read_images([], 12).shape == (0, 12, 12, 3)


def test_per_class_indices():
    labels = np.array([0, 1, 0, 1, 0, 2])
    assert data.per_class_indices(labels, 2).tolist() == [0, 2, 1, 3, 5]
    assert data.per_class_indices(labels, None).tolist() == list(range(6))


def test_sample_paths_seeded_and_per_class(split):
    first = data.sample_paths(split / "train", per_class=2, seed=3)
    assert first == data.sample_paths(split / "train", per_class=2, seed=3)
    paths, titles = first
    assert titles == ["cat", "cat", "dog", "dog"]
    assert all(f"/{t}/" in p for p, t in zip(paths, titles, strict=True))


def test_read_images(split):
    paths, _ = data.sample_paths(split / "train", per_class=1)
    images = data.read_images(paths, (10, 14))
    assert images.shape == (2, 10, 14, 3) and images.dtype == np.uint8
    assert images[0, ..., 0].mean() > images[0, ..., 2].mean()  # the cat is reddish
