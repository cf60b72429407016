"""The book's convolutional networks trained from scratch (chapter 5): basic CNN, CNN with dropout.

Both take raw RGB images in [0, 255] and scale them to [0, 1] with a ``Rescaling`` layer inside
the model (as the book's ``rescale=1./255``, but saved with the model). Two classes get the
book's head, one sigmoid unit (binary cross-entropy); more classes get a softmax head with one
unit per class (sparse categorical cross-entropy), see ``utils.training.compile_for``.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
from keras import layers


def _size(image_size: int | Sequence[int]) -> tuple[int, int]:
    if isinstance(image_size, int):
        return (image_size, image_size)
    height, width = image_size
    return (int(height), int(width))


def classifier_head(n_classes: int) -> layers.Dense:
    """One sigmoid unit for two classes (the book's head), else ``n_classes`` softmax units."""
    if n_classes < 2:
        raise ValueError(f"need at least 2 classes, got {n_classes}")
    if n_classes == 2:
        return layers.Dense(1, activation="sigmoid", name="prediction")
    return layers.Dense(n_classes, activation="softmax", name="prediction")


def _conv_blocks(filters: Sequence[int]) -> list[layers.Layer]:
    blocks: list[layers.Layer] = []
    for i, n in enumerate(filters, start=1):
        blocks += [
            layers.Conv2D(n, (3, 3), activation="relu", name=f"conv{i}"),
            layers.MaxPooling2D((2, 2), name=f"pool{i}"),
        ]
    return blocks


def basic_cnn(
    image_size: int | Sequence[int] = 150, n_classes: int = 2, name: str = "basic_cnn"
) -> keras.Sequential:
    """The book's basic CNN: three conv blocks (16, 64, 128 filters), Dense 512, the head.

    At 150x150x3 with two classes it has 19,024,513 parameters, as in the book: most of them in
    the dense layer that follows the flattened 17x17x128 feature map.
    """
    height, width = _size(image_size)
    return keras.Sequential(
        [
            keras.Input((height, width, 3), name="image"),
            layers.Rescaling(1.0 / 255, name="rescale"),
            *_conv_blocks((16, 64, 128)),
            layers.Flatten(name="flatten"),
            layers.Dense(512, activation="relu", name="dense1"),
            classifier_head(n_classes),
        ],
        name=name,
    )


def cnn_with_dropout(
    image_size: int | Sequence[int] = 150,
    n_classes: int = 2,
    dropout: float = 0.3,
    name: str = "cnn_dropout",
) -> keras.Sequential:
    """The book's regularized CNN: four conv blocks (16, 64, 128, 128), two Dense 512 layers
    each followed by dropout 0.3, the head.

    At 150x150x3 with two classes it has 3,706,113 parameters: the extra pooling step shrinks
    the flattened map to 7x7x128, so far fewer dense weights than the basic CNN.
    """
    height, width = _size(image_size)
    return keras.Sequential(
        [
            keras.Input((height, width, 3), name="image"),
            layers.Rescaling(1.0 / 255, name="rescale"),
            *_conv_blocks((16, 64, 128, 128)),
            layers.Flatten(name="flatten"),
            layers.Dense(512, activation="relu", name="dense1"),
            layers.Dropout(dropout, name="dropout1"),
            layers.Dense(512, activation="relu", name="dense2"),
            layers.Dropout(dropout, name="dropout2"),
            classifier_head(n_classes),
        ],
        name=name,
    )


BUILDERS = {"basic_cnn": basic_cnn, "cnn_dropout": cnn_with_dropout}


def build(kind: str, image_size: int | Sequence[int] = 150, n_classes: int = 2) -> keras.Model:
    """A from-scratch model by name: ``"basic_cnn"`` or ``"cnn_dropout"``."""
    try:
        return BUILDERS[kind](image_size, n_classes)
    except KeyError as err:
        raise ValueError(f"unknown model {kind!r}; choose from {sorted(BUILDERS)}") from err
