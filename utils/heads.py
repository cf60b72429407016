"""Classifier heads on top of a pretrained base, whole models that take raw images, linear probes.

Every model built here takes raw RGB images in [0, 255]: ``Input -> preprocessing layer -> base
-> head``. The preprocessing is the backbone's own (``BackbonePreprocess``) or, for the book's
comparison, a ``Rescaling(1/255)`` layer. The head is a nested ``Sequential`` named ``head``, so
the same head can be trained on cached features and then put on the base.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np
import tensorflow as tf
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from utils.layers import BackbonePreprocess


def book_head(
    input_shape: Sequence[int],
    units: int = 512,
    dropout: float = 0.3,
    n_classes: int = 2,
    name: str = "head",
) -> keras.Sequential:
    """The book's head: Flatten -> Dense 512 -> Dropout 0.3 -> Dense 512 -> Dropout 0.3 -> out.

    The output is one sigmoid unit for two classes (as in the book), a softmax otherwise.
    """
    out = (
        keras.layers.Dense(1, activation="sigmoid", name="output")
        if n_classes == 2
        else keras.layers.Dense(n_classes, activation="softmax", name="output")
    )
    return keras.Sequential(
        [
            keras.Input(shape=tuple(input_shape)),
            keras.layers.Flatten(name="flatten"),
            keras.layers.Dense(units, activation="relu", name="dense_1"),
            keras.layers.Dropout(dropout, name="dropout_1"),
            keras.layers.Dense(units, activation="relu", name="dense_2"),
            keras.layers.Dropout(dropout, name="dropout_2"),
            out,
        ],
        name=name,
    )


def preprocess_layer(preprocess: str = "vgg16") -> keras.layers.Layer:
    """``"rescale"``: the book's x/255; otherwise a backbone's own ``preprocess_input``."""
    if preprocess == "rescale":
        return keras.layers.Rescaling(1.0 / 255, name="rescale")
    return BackbonePreprocess(preprocess, name="preprocess")


def transfer_model(
    base: keras.Model, head: keras.Model, preprocess: str = "vgg16", name: str = "transfer"
) -> keras.Model:
    """``Input (raw [0, 255]) -> preprocessing -> base -> head`` as one model.

    The base runs in inference mode (``training=False``) even while its top blocks are
    fine-tuned, as Keras' transfer-learning guide recommends (it matters for batch norm).
    """
    inputs = keras.Input(shape=base.input_shape[1:], name="image")
    x = preprocess_layer(preprocess)(inputs)
    x = base(x, training=False)
    outputs = head(x)
    return keras.Model(inputs, outputs, name=name)


def parts(model: keras.Model) -> tuple[keras.Model, keras.Model]:
    """The base and the head of a model built by :func:`transfer_model` (also once reloaded)."""
    nested = [layer for layer in model.layers if isinstance(layer, keras.Model)]
    head = next((m for m in nested if m.name == "head"), None)
    base = next((m for m in nested if m.name != "head"), None)
    if base is None or head is None:
        raise ValueError(f"{model.name} is not base + head (nested models: {nested})")
    return base, head


def array_dataset(
    x: np.ndarray, y: np.ndarray, batch_size: int = 30, shuffle: bool = False, seed: int = 42
) -> tf.data.Dataset:
    """Batches of in-memory arrays (cached features), reshuffled each epoch when ``shuffle``."""
    ds = tf.data.Dataset.from_tensor_slices((x, np.asarray(y)))
    if shuffle:
        ds = ds.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def predict_labels(model: keras.Model, x, batch_size: int = 64) -> np.ndarray:
    """Integer class predictions of a sigmoid or softmax model."""
    probs = np.concatenate(
        [
            np.asarray(model(x[i : i + batch_size], training=False))
            for i in range(0, len(x), batch_size)
        ]
    )
    return (probs[:, 0] > 0.5).astype(int) if probs.shape[-1] == 1 else probs.argmax(-1)


def accuracy(model: keras.Model, x, y, batch_size: int = 64) -> float:
    """Accuracy of a model on arrays (features or images)."""
    return float(np.mean(predict_labels(model, x, batch_size) == np.asarray(y).reshape(-1)))


def linear_probe(
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_val: np.ndarray,
    y_val: np.ndarray,
    cs: Sequence[float] = (0.01, 0.1, 1.0),
    seed: int = 42,
) -> tuple[Pipeline, dict[float, float]]:
    """Standardised logistic regression on (pooled) features, ``C`` picked on validation.

    Returns the pipeline refitted on the training set with the best ``C``, and the validation
    accuracy of every ``C`` tried.
    """
    scores: dict[float, float] = {}
    best = None
    for c in cs:
        pipe = make_pipeline(
            StandardScaler(), LogisticRegression(C=c, max_iter=3000, random_state=seed)
        )
        pipe.fit(x_train, y_train)
        scores[c] = float(pipe.score(x_val, y_val))
        if best is None or scores[c] > scores[best[0]]:
            best = (c, pipe)
    return best[1], scores


def probe_accuracy(
    x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray, y_test: np.ndarray,
    c: float = 0.1, seed: int = 42,
) -> float:  # fmt: skip
    """Test accuracy of a standardised logistic regression with a fixed ``C`` (comparisons)."""
    pipe = make_pipeline(
        StandardScaler(), LogisticRegression(C=c, max_iter=3000, random_state=seed)
    )
    return float(pipe.fit(x_train, y_train).score(x_test, y_test))


def training_facts(info: dict) -> dict:
    """The training facts of a sidecar (``utils.saving.load_info``), without the model's own."""
    return {k: v for k, v in info.items() if k not in ("class_names", "image_size", "params")}
