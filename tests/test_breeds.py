"""utils.breeds and the dog-breed pipelines: 120 breeds in a stable order, augmentation on
training photos only, shuffling every epoch, the swappable backbone, flat memory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.conftest import ROOT, write_image
from utils import breeds, data
from utils.dataset_builder import build_dog_breeds

PREFIXES = ["wire-haired", "afghan", "Boston", "cairn", "chow", "irish", "kerry", "lhasa", "toy",
            "scotch", "great", "west"]  # fmt: skip
SUFFIXES = ["hound", "terrier", "bull", "setter", "spaniel", "retriever", "pug", "collie", "apso",
            "wolfhound"]  # fmt: skip
BREEDS = [f"{p}_{s}" for p in PREFIXES for s in SUFFIXES]  # 120, listed unsorted


def make_source(root: Path, per_breed: int = 3, size=(40, 32), seed: int = 0) -> Path:
    """A Kaggle-style source: ``train/<id>.jpg`` and a ``labels.csv`` in shuffled order."""
    rng = np.random.default_rng(seed)
    rows = []
    for b, breed in enumerate(BREEDS):
        color = tuple(int(v) for v in rng.integers(0, 255, 3))
        for i in range(per_breed):
            image_id = f"{b:03d}{i}{rng.integers(1e9):09d}"
            write_image(root / "train" / f"{image_id}.jpg", size=size, color=color)
            rows.append((image_id, breed))
    order = rng.permutation(len(rows))
    labels = pd.DataFrame([rows[i] for i in order], columns=["id", "breed"])
    labels.to_csv(root / "labels.csv", index=False)
    return root


@pytest.fixture(scope="module")
def breed_split(tmp_path_factory) -> Path:
    """A 120-breed split with one photo per breed in train, validation and test."""
    base = tmp_path_factory.mktemp("breeds")
    make_source(base / "source")
    build_dog_breeds(out=base / "split", source=base / "source", progress=False)
    return base / "split"


# ------------------------------------------------------------------------------------ classes
def test_class_names_are_the_120_breeds_sorted(breed_split):
    names = data.class_names(breed_split / "train")
    assert len(names) == 120 == len(set(BREEDS))
    assert names == sorted(BREEDS)  # code-point order: "Boston_..." before "afghan_..."
    assert names[0].startswith("Boston")


def test_labels_follow_the_training_class_order_in_every_split(breed_split):
    names = data.class_names(breed_split / "train")
    for split in data.SPLITS:
        paths, labels, classes = data.list_images(breed_split / split, names)
        assert classes == names
        assert all(Path(p).parent.name == names[y] for p, y in zip(paths, labels, strict=True))


def test_class_order_is_stable_across_rebuilds(tmp_path, breed_split):
    source = breed_split.parent / "source"
    labels = pd.read_csv(source / "labels.csv", dtype=str).sample(frac=1.0, random_state=7)
    labels.to_csv(tmp_path / "shuffled.csv", index=False)
    build_dog_breeds(
        out=tmp_path / "again", source=source, labels=tmp_path / "shuffled.csv", progress=False
    )
    assert data.class_names(tmp_path / "again" / "train") == data.class_names(breed_split / "train")
    a = pd.read_csv(breed_split / "manifest.csv")
    b = pd.read_csv(tmp_path / "again" / "manifest.csv")
    pd.testing.assert_frame_equal(a, b)


def test_sidecar_keeps_the_breed_order(tmp_path, breed_split):
    import keras

    from utils import saving

    names = data.class_names(breed_split / "train")
    model = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Flatten(),
                              keras.layers.Dense(120, activation="softmax")])  # fmt: skip
    saving.save_model(model, tmp_path / "m.h5", names, epochs=0, best_epoch=0, train_seconds=0)
    assert saving.load_info(tmp_path / "m.h5")["class_names"] == names


def test_breed_counts(breed_split):
    counts = breeds.breed_counts(breed_split)
    assert len(counts) == 120
    assert counts[["train", "validation", "test"]].sum().tolist() == [120, 120, 120]
    assert (counts["total"] == 3).all()
    fig = breeds.plot_breed_counts(counts)
    assert len(fig.axes) == 2


# ------------------------------------------------------------------------------------ pipelines
def _batches(ds):
    xs, ys = zip(*[(x.numpy(), y.numpy()) for x, y in ds], strict=True)
    return np.concatenate(xs), np.concatenate(ys)


def test_validation_and_test_photos_are_never_augmented(breed_split):
    size = (32, 32)
    datasets, names = data.split_datasets(
        breed_split, size, batch_size=16, augment=breeds.dog_augmentation(seed=1)
    )
    for split in ("validation", "test"):
        paths, labels, _ = data.list_images(breed_split / split, names)
        plain_x, plain_y = _batches(data.image_dataset(paths, labels, size, 16))
        x, y = _batches(datasets[split])
        np.testing.assert_array_equal(y, plain_y)
        np.testing.assert_array_equal(x, plain_x)  # bit for bit: no random transform


def test_only_the_training_pipeline_calls_the_augmentation(breed_split):
    def marker(x, training=False):
        return x + 1000.0  # impossible for a real pixel

    datasets, _ = data.split_datasets(breed_split, (16, 16), batch_size=32, augment=marker)
    assert _batches(datasets["train"])[0].min() >= 1000
    for split in ("validation", "test"):
        assert _batches(datasets[split])[0].max() <= 255


def test_training_augmentation_changes_the_photos(breed_split):
    paths, labels, _ = data.list_images(breed_split / "train")
    plain, _ = _batches(data.image_dataset(paths[:8], labels[:8], (32, 32), 8))
    augmented, _ = _batches(
        data.image_dataset(paths[:8], labels[:8], (32, 32), 8, augment=breeds.dog_augmentation(3))
    )
    assert np.abs(augmented - plain).mean() > 1.0


def test_training_pipeline_reshuffles_every_epoch(breed_split):
    datasets, _ = data.split_datasets(breed_split, (8, 8), batch_size=32, seed=5)
    first, second = (_batches(datasets["train"])[1] for _ in range(2))
    assert sorted(first) == sorted(second) == list(range(120))
    assert list(first) != sorted(first)
    assert list(first) != list(second)
    # validation keeps its file order, so predictions line up with the file list
    val_labels = _batches(datasets["validation"])[1]
    assert list(val_labels) == sorted(val_labels)


def test_dog_augmentation_is_the_books():
    aug = breeds.dog_augmentation()
    assert [layer.name for layer in aug.layers] == ["rotation", "shift", "flip"]
    assert aug.get_layer("rotation").factor[1] == pytest.approx(30 / 360)


# ------------------------------------------------------------------------------------ backbones
def test_backbone_choice_and_default_sizes():
    assert breeds.image_size_for("inception_v3") == 299
    assert breeds.image_size_for("vgg16") == 224
    assert breeds.image_size_for("vgg16", 96) == 96
    mobile = breeds.backbone_choice("mobilenet_v2")  # not in utils.pretrained: keras.applications
    assert (mobile.constructor, mobile.preprocess, mobile.in_registry) == (
        "MobileNetV2", "mobilenet_v2", False,
    )  # fmt: skip
    assert breeds.backbone_choice("efficientnet_b3").default_size == 300
    with pytest.raises(ValueError, match="unknown backbone"):
        breeds.backbone_choice("alexnet")


def test_inception_v3_model_random_weights_small_input():
    import keras

    from utils.layers import BackbonePreprocess

    base = breeds.load_pooled_base("inception_v3", weights=None, image_size=75)
    model = breeds.breed_model(base, 120, "inception_v3")
    assert model.input_shape == (None, 75, 75, 3) and model.output_shape == (None, 120)
    assert isinstance(model.layers[1], BackbonePreprocess)
    assert model.layers[1].backbone == "inception_v3"
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    assert trainable == (2048 * 512 + 512) + (512 * 512 + 512) + (512 * 120 + 120)
    head = model.get_layer("head")
    assert [type(layer).__name__ for layer in head.layers] == [
        "Flatten", "Dense", "Dropout", "Dense", "Dropout", "Dense",
    ]  # fmt: skip
    raw = np.random.default_rng(0).uniform(0, 255, (2, 75, 75, 3)).astype("float32")
    proba = np.asarray(model(raw, training=False))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    assert isinstance(base, keras.Model) and not base.trainable


def test_missing_weights_file_is_a_clear_error(tmp_path):
    from utils.pretrained import WeightsUnavailableError

    with pytest.raises(WeightsUnavailableError, match="WEIGHTS"):
        breeds.load_pooled_base("inception_v3", weights=tmp_path / "nope.h5", image_size=75)


# ------------------------------------------------------------------------------------ the split
def test_ensure_split_builds_when_missing(tmp_path, breed_split):
    out = breeds.ensure_split(tmp_path / "built", breed_split.parent / "source", seed=42)
    assert (out / "manifest.csv").is_file()
    assert breeds.ensure_split(out) == out  # an existing split is reused, no source needed


def test_ensure_split_without_source_says_how_to_build(tmp_path):
    with pytest.raises(FileNotFoundError, match="build_dataset.py dog-breeds"):
        breeds.ensure_split(tmp_path / "none", tmp_path / "absent")


# ------------------------------------------------------------------------------------ results
NAMES = ["akita", "beagle", "corgi", "dingo"]


def test_top_k_and_titles():
    proba = np.array([[0.1, 0.6, 0.2, 0.1], [0.5, 0.1, 0.3, 0.1], [0.05, 0.15, 0.1, 0.7]])
    top = breeds.top_k(proba, NAMES, k=2)
    assert top[0] == [("beagle", 0.6), ("corgi", 0.2)]
    titles, colors = breeds.prediction_titles([1, 2, 0], proba, NAMES, k=2)
    assert titles[0].splitlines() == ["true: beagle", "beagle 60%", "corgi 20%"]
    assert colors == ["green", "darkorange", "red"]


def test_most_confused_pairs_and_breeds():
    y_true = [0, 0, 0, 1, 1, 2, 2, 2, 3]
    y_pred = [1, 1, 0, 0, 1, 3, 2, 2, 3]
    pairs = breeds.most_confused(y_true, y_pred, NAMES, top=5)
    assert pairs.iloc[0][["true", "predicted", "count"]].tolist() == ["akita", "beagle", 2]
    assert pairs.iloc[0]["share"] == pytest.approx(2 / 3)
    assert len(pairs) == 3 and pairs["count"].tolist() == [2, 1, 1]
    assert breeds.confused_breeds(pairs) == ["akita", "beagle", "corgi", "dingo"]
    fig = breeds.plot_confusion_among(y_true, y_pred, NAMES, ["akita", "beagle"])
    assert fig.axes


def test_sample_indices_prefers_distinct_classes():
    labels = np.repeat(np.arange(10), 5)
    picked = breeds.sample_indices(labels, 8, seed=1)
    assert len(set(labels[picked])) == 8 and list(labels[picked]) == sorted(labels[picked])
    assert len(breeds.sample_indices(labels, 20, seed=1)) == 20
    np.testing.assert_array_equal(picked, breeds.sample_indices(labels, 8, seed=1))


def test_repeat_files():
    paths, labels = breeds.repeat_files(["a", "b"], [0, 1], 3)
    assert paths == ["a", "b"] * 3 and labels.tolist() == [0, 1] * 3


# ------------------------------------------------------------------------------------ memory
MEMORY_CHILD = """
import json, sys
import psutil
from utils import breeds, data
root, times, keep = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "keep"
paths, labels, _ = data.list_images(root)
paths, labels = breeds.repeat_files(paths, labels, times)
augment = None if keep else breeds.dog_augmentation(42)
ds = data.image_dataset(paths, labels, (128, 128), 16, shuffle=True, augment=augment)
process = psutil.Process()
held, n, start, peak = [], 0, None, 0
for x, y in ds:
    n += int(y.shape[0])
    if keep:  # the book's way: every decoded image stays in memory
        held.append(x.numpy())
    rss = process.memory_info().rss / 2**20
    start = rss if start is None else start  # after tracing and the first batch
    peak = max(peak, rss)
print(json.dumps({"images": n, "growth_mib": peak - start, "peak_mib": breeds.peak_rss_mib()}))
"""


def _measure(root: Path, times: int, keep: bool = False) -> dict:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
    out = subprocess.run(
        [sys.executable, "-c", MEMORY_CHILD, str(root), str(times), "keep" if keep else "stream"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True, timeout=600,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_streaming_memory_does_not_grow_with_the_number_of_images(tmp_path):
    """Memory while streaming 10x the files stays within bounds that keeping them would break.

    Each run is a fresh process iterating the training pipeline (shuffled, augmented) once; it
    reports its peak RSS (``ru_maxrss``) and how far its RSS rose during the loop, from the
    first batch on. 64 files at 128x128 are 12 MiB as float32, 640 files 120 MiB: streaming
    10x must add less than 60 MiB of loop growth and 100 MiB of peak RSS, while holding the
    decoded batches (the book's in-memory arrays) shows up as at least 90 MiB of loop growth,
    so the bound does see growth.
    """
    for i in range(64):
        write_image(tmp_path / f"c{i % 4}" / f"{i:03d}.jpg", size=(64, 48),
                    color=(60 * (i % 4), 90, 160))  # fmt: skip
    one = _measure(tmp_path, 1)
    ten = _measure(tmp_path, 10)
    kept = _measure(tmp_path, 10, keep=True)
    assert (one["images"], ten["images"], kept["images"]) == (64, 640, 640)
    assert ten["growth_mib"] - one["growth_mib"] < 60, f"streaming grew: {one} -> {ten}"
    assert ten["peak_mib"] - one["peak_mib"] < 100, f"peak RSS grew: {one} -> {ten}"
    assert kept["growth_mib"] > 90, f"the bound cannot see growth: {kept}"
