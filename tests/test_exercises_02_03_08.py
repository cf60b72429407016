"""The outcomes that the "Try it" exercises of notebooks 02, 03 and 08 state as facts, checked
without running the notebooks: each test builds what the changed parameter or cell would build
(written as in the notebook, random weights, small inputs) and checks the exercise's answer.

Exercises whose answer only says what to compare (curves, gaps) have no test here.
"""

from __future__ import annotations

import math

import jupytext
import keras
import numpy as np
import pandas as pd
import pytest
import tensorflow as tf
from keras import layers
from sklearn.metrics import accuracy_score, top_k_accuracy_score

from tests.conftest import ROOT
from utils import augment, pretrained

RNG = np.random.default_rng(0)


# --- notebook 02 ---------------------------------------------------------------------------


def cnn(kind: str, image_size: int, dropout: bool = True) -> keras.Sequential:
    """Notebook 02's basic CNN or dropout CNN, two classes (one sigmoid unit)."""
    filters_per_block = (16, 64, 128) if kind == "basic" else (16, 64, 128, 128)
    stack: list = [keras.Input(shape=(image_size, image_size, 3)), layers.Rescaling(1.0 / 255)]
    for filters in filters_per_block:
        stack += [layers.Conv2D(filters, (3, 3), activation="relu"), layers.MaxPooling2D((2, 2))]
    stack += [layers.Flatten(), layers.Dense(512, activation="relu")]
    if kind == "dropout":
        stack += [layers.Dropout(0.3)] if dropout else []
        stack += [layers.Dense(512, activation="relu")]
        stack += [layers.Dropout(0.3)] if dropout else []
    stack += [layers.Dense(1, activation="sigmoid")]
    return keras.Sequential(stack)


def counts_by_layer(model: keras.Model) -> list[tuple[str, int]]:
    return [(type(layer).__name__, layer.count_params()) for layer in model.layers]


def test_exercise_02_the_books_models_are_what_the_exercises_start_from():
    assert cnn("basic", 150).count_params() == 19_024_513
    assert cnn("dropout", 150).count_params() == 3_706_113


@pytest.mark.parametrize(
    ("batch_size", "iterations", "last"), [(30, 100, 30), (50, 60, 50), (32, 94, 24)]
)
def test_exercise_02_iterations_per_epoch(batch_size, iterations, last):
    """3,000 training photos in batches: rounded up, the last batch takes what is left (as
    ``image_dataset_from_directory``, which batches without dropping the remainder)."""
    batches = tf.data.Dataset.range(3000).batch(batch_size)
    assert len(batches) == iterations == math.ceil(3000 / batch_size)
    assert next(iter(batches.skip(iterations - 1))).shape[0] == last
    assert iterations * 30 == {30: 3000, 50: 1800, 32: 2820}[batch_size]  # updates in 30 epochs


def test_exercise_02_where_the_weights_are():
    basic, dropout = cnn("basic", 150), cnn("dropout", 150)
    first_dense = {
        name: next(layer for layer in model.layers if isinstance(layer, layers.Dense))
        for name, model in (("basic", basic), ("dropout", dropout))
    }
    assert first_dense["basic"].count_params() == 18_940_416 == 36_992 * 512 + 512
    assert first_dense["dropout"].count_params() == 3_211_776 == 6_272 * 512 + 512
    assert round(100 * 18_940_416 / basic.count_params(), 1) == 99.6
    assert round(100 * 3_211_776 / dropout.count_params(), 1) == 86.7
    convolutions = sum(n for kind, n in counts_by_layer(basic) if kind == "Conv2D")
    assert convolutions / basic.count_params() < 0.005


def test_exercise_02_smaller_photos_change_only_the_first_dense_layer():
    for kind, total_64 in (("basic", 2_443_905), ("dropout", 756_993)):
        at_150, at_64 = counts_by_layer(cnn(kind, 150)), counts_by_layer(cnn(kind, 64))
        changed = [i for i, (a, b) in enumerate(zip(at_150, at_64, strict=True)) if a != b]
        first_dense = [layer_type for layer_type, _ in at_150].index("Dense")
        assert changed == [first_dense]
        assert cnn(kind, 64).count_params() == total_64


def test_exercise_02_dropout_has_no_weights():
    assert cnn("dropout", 150, dropout=False).count_params() == 3_706_113


# --- notebook 03 ---------------------------------------------------------------------------


def notebook_03_augmentation(book: dict) -> keras.Sequential:
    """Notebook 03's ``augmentation`` cell, as it is written there, run on ``book``."""
    cells = jupytext.read(ROOT / "notebooks" / "03_cnn_augmentation.py").cells
    cell = next(c.source for c in cells if c.source.startswith("augmentation = keras.Sequential"))
    namespace = {"keras": keras, "layers": layers, "math": math, "book": book}
    exec(cell, namespace)
    return namespace["augmentation"]


def notebook_03_book() -> dict:
    """Notebook 03's ``book`` dict (the book's ImageDataGenerator arguments), from its cell."""
    cells = jupytext.read(ROOT / "notebooks" / "03_cnn_augmentation.py").cells
    cell = next(c.source for c in cells if c.source.startswith("book = {"))
    namespace = {"pd": pd}
    exec(cell, namespace)
    return namespace["book"]


def same_as_shared(augmentation: keras.Sequential) -> list[bool]:
    """The notebook's "same as augment.book_augmentation()" column."""
    shared = augment.book_augmentation()
    return [
        {**mine.get_config(), "seed": None} == {**theirs.get_config(), "seed": None}
        for mine, theirs in zip(augmentation.layers, shared.layers, strict=True)
    ]


def test_exercise_03_augmentation_is_the_identity_at_inference():
    photos = RNG.uniform(0, 255, (3, 32, 32, 3)).astype("float32")
    versions = notebook_03_augmentation(notebook_03_book())(photos, training=False)
    np.testing.assert_allclose(np.asarray(versions), photos)


def test_exercise_03_a_wider_rotation_changes_only_the_rotation_row():
    assert same_as_shared(notebook_03_augmentation(notebook_03_book())) == [True] * 5
    wider = notebook_03_augmentation({**notebook_03_book(), "rotation_range": 90})
    assert same_as_shared(wider) == [False, True, True, True, True]
    assert type(wider.layers[0]).__name__ == "RandomRotation"


def test_exercise_03_validation_batch_size_changes_the_batches_not_the_scores():
    photos = RNG.uniform(0, 255, (1000, 4, 4, 3)).astype("float32")
    labels = RNG.integers(0, 2, 1000).astype("float32")
    model = keras.Sequential(
        [
            keras.Input(shape=(4, 4, 3)),
            layers.Rescaling(1.0 / 255),
            layers.Flatten(),
            layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(loss="binary_crossentropy", metrics=["accuracy"])
    scores = {}
    for batch_size, batches in ((20, 50), (30, 34)):
        dataset = tf.data.Dataset.from_tensor_slices((photos, labels)).batch(batch_size)
        assert len(dataset) == batches
        scores[batch_size] = model.evaluate(dataset, return_dict=True, verbose=0)
    assert scores[20]["accuracy"] == pytest.approx(scores[30]["accuracy"], abs=1e-6)
    assert scores[20]["loss"] == pytest.approx(scores[30]["loss"], rel=1e-5)


# --- notebook 08 ---------------------------------------------------------------------------

N_BREEDS = 120
SHAPE = (75, 75, 3)  # the smallest input InceptionV3 takes; the head does not depend on it


def book_head(features: int) -> keras.Sequential:
    """Notebook 08's head: Dense 512 -> Dense 512 -> Dense 120 softmax."""
    return keras.Sequential(
        [
            keras.Input(shape=(features,)),
            layers.Dense(512, activation="relu"),
            layers.Dense(512, activation="relu"),
            layers.Dense(N_BREEDS, activation="softmax"),
        ],
        name="head",
    )


@pytest.mark.parametrize(
    ("backbone", "channels", "head_params"),
    [
        ("inception_v3", 2048, 1_373_304),
        ("xception", 2048, 1_373_304),
        ("resnet50", 2048, 1_373_304),
        ("vgg16", 512, 586_872),
        ("vgg19", 512, 586_872),
    ],
)
def test_exercise_08_the_head_behind_another_backbone(backbone, channels, head_params):
    base = pretrained.constructor(backbone)(
        include_top=False, pooling="avg", weights=None, input_shape=SHAPE
    )
    assert base.output_shape[-1] == channels
    assert book_head(channels).count_params() == head_params
    assert head_params == channels * 512 + 512 + 512 * 512 + 512 + 512 * N_BREEDS + N_BREEDS


def test_exercise_08_only_the_head_trains_on_either_route():
    base = keras.applications.InceptionV3(
        include_top=False, pooling="avg", weights=None, input_shape=SHAPE
    )
    base.trainable = False
    head = book_head(base.output_shape[-1])
    model = keras.Sequential(
        [keras.Input(shape=SHAPE), pretrained.preprocessing_layer("inception_v3"), base, head]
    )
    streaming = pretrained.param_counts(model)["trainable_params"]  # the whole model trains
    cached = pretrained.param_counts(head)["trainable_params"]  # the head alone trains
    assert streaming == cached == 1_373_304
    table = pretrained.layer_table(model).set_index("Layer Name")
    assert table.loc["head", "Params"] == 1_373_304


@pytest.mark.filterwarnings("ignore:'k' .* will result in a perfect score")
def test_exercise_08_top_k_accuracy():
    labels = RNG.integers(0, N_BREEDS, 300)
    proba = RNG.dirichlet(np.ones(N_BREEDS), 300).astype("float32")
    every = range(N_BREEDS)
    top = {k: top_k_accuracy_score(labels, proba, k=k, labels=every) for k in (1, 5, 10, 120)}
    assert top[1] == accuracy_score(labels, proba.argmax(axis=1))
    assert top[1] <= top[5] <= top[10] <= top[120] == 1.0
    # the Keras metric of the compile cell, with k = 1, is the `accuracy` column
    top1 = keras.metrics.SparseTopKCategoricalAccuracy(1)
    accuracy = keras.metrics.SparseCategoricalAccuracy()
    for metric in (top1, accuracy):
        metric.update_state(labels, proba)
    assert float(top1.result()) == pytest.approx(float(accuracy.result()))
    assert float(top1.result()) == pytest.approx(top[1])
