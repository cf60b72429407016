"""Image augmentation: the book's ``ImageDataGenerator`` settings as Keras 3 preprocessing layers.

The book (chapter 5) augments the training photos with::

    ImageDataGenerator(rescale=1./255, zoom_range=0.3, rotation_range=50,
                       width_shift_range=0.2, height_shift_range=0.2, shear_range=0.2,
                       horizontal_flip=True, fill_mode="nearest")

:func:`book_augmentation` takes the same argument names and maps each one to one layer.
Notebook 03 writes the same ``keras.Sequential`` out layer by layer and checks that it equals
this one; notebooks 05, 06 and 08 import it from here. The result runs on training batches
inside ``tf.data`` (``ds.map(lambda x, y: (aug(x, training=True), y))``, or
``utils.data.image_dataset(..., augment=aug)`` for a training pipeline) and is never part of a
saved model.
"""

from __future__ import annotations

import math

import keras
import numpy as np
from keras import layers


def book_augmentation(
    zoom_range: float = 0.3,
    rotation_range: float = 50,
    width_shift_range: float = 0.2,
    height_shift_range: float = 0.2,
    shear_range: float = 0.2,
    horizontal_flip: bool = True,
    fill_mode: str = "nearest",
    seed: int | None = None,
    interpolation: str = "bilinear",
) -> keras.Sequential:
    """Random transforms of ``ImageDataGenerator``, one Keras layer per argument.

    Notebook 03's table explains each mapping: rotation in degrees → ``RandomRotation(r / 360)``;
    shifts → ``RandomTranslation``; the shear, which the Keras 2.1 of the book read in radians,
    → ``RandomShear(x_factor=sin(shear_range))``; zoom → ``RandomZoom((-z, z), (-z, z))``; flip
    → ``RandomFlip("horizontal")``; ``fill_mode`` for every geometric layer. A zero range leaves
    its layer out. Layers run in the generator's order; ``seed`` makes the transforms repeatable
    (layer ``i`` gets ``seed + i``).
    """

    def layer_seed(i: int) -> int | None:
        return None if seed is None else int(seed) + i

    steps: list[layers.Layer] = []
    if rotation_range:
        steps.append(
            layers.RandomRotation(
                float(rotation_range) / 360.0,
                fill_mode=fill_mode,
                interpolation=interpolation,
                seed=layer_seed(0),
                name="rotation",
            )
        )
    if width_shift_range or height_shift_range:
        steps.append(
            layers.RandomTranslation(
                height_factor=float(height_shift_range),
                width_factor=float(width_shift_range),
                fill_mode=fill_mode,
                interpolation=interpolation,
                seed=layer_seed(1),
                name="shift",
            )
        )
    if shear_range:
        steps.append(
            layers.RandomShear(
                x_factor=shear_factor(shear_range),
                y_factor=0.0,
                fill_mode=fill_mode,
                interpolation=interpolation,
                seed=layer_seed(2),
                name="shear",
            )
        )
    if zoom_range:
        z = float(zoom_range)
        steps.append(
            layers.RandomZoom(
                height_factor=(-z, z),
                width_factor=(-z, z),
                fill_mode=fill_mode,
                interpolation=interpolation,
                seed=layer_seed(3),
                name="zoom",
            )
        )
    if horizontal_flip:
        steps.append(layers.RandomFlip("horizontal", seed=layer_seed(4), name="flip"))
    if not steps:
        steps.append(layers.Identity(name="identity"))
    return keras.Sequential(steps, name="book_augmentation")


def shear_factor(shear_range: float) -> float:
    """``RandomShear`` factor for a shear angle given in radians (see :func:`book_augmentation`)."""
    return abs(math.sin(float(shear_range)))


def augmented_versions(augmenter: keras.Layer, image: np.ndarray, n: int = 5) -> np.ndarray:
    """``n`` random augmentations of one image ``(h, w, 3)``, as uint8 ``(n, h, w, 3)``."""
    batch = np.repeat(np.asarray(image, dtype=np.float32)[None], n, axis=0)
    out = np.asarray(augmenter(batch, training=True))
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)
