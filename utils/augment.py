"""Image augmentation: the book's ``ImageDataGenerator`` settings as Keras 3 preprocessing layers.

The book (chapter 5) augments the training photos with::

    ImageDataGenerator(rescale=1./255, zoom_range=0.3, rotation_range=50,
                       width_shift_range=0.2, height_shift_range=0.2, shear_range=0.2,
                       horizontal_flip=True, fill_mode="nearest")

:func:`book_augmentation` takes the same argument names and maps each one to one layer.
Notebook 03 writes the same ``keras.Sequential`` out layer by layer and checks that it equals
this one; notebooks 05, 06 and 08 import it from here. The result runs on training batches
inside ``tf.data`` (``ds.map(lambda x, y: (aug(x, training=True), y))``, or
``utils.data.split_datasets(..., augment=aug)``, which applies it to the training split only)
and is never part of a saved model.
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

    A zero range (or ``horizontal_flip=False``) leaves its layer out, so all zeros is the
    identity. The mapping, each drawn independently per image:

    - ``rotation_range`` (degrees, uniform in ``[-r, r]``) → ``RandomRotation(r / 360)``: Keras
      expresses the angle as a fraction of a full turn, so 50 becomes 50/360, i.e. ±50°.
    - ``width_shift_range`` / ``height_shift_range`` (fractions of the size, uniform in
      ``[-s, s]``) → ``RandomTranslation(height_factor, width_factor)``, same meaning.
    - ``shear_range`` → ``RandomShear(x_factor=sin(shear_range))``, along x only like the
      generator. Today's ``ImageDataGenerator`` reads ``shear_range`` in degrees, where 0.2 is
      a no-op (it moves pixels by about half a pixel on a 150-pixel image); the Keras 2.1 the
      book ran on read it in radians ("Shear angle in counter-clockwise direction as radians"),
      ±0.2 rad ≈ ±11.5°, a visible shear. We keep the book's actual effect: the generator's
      shear matrix shifts rows by ``sin(angle)`` times their height, and ``RandomShear``'s
      factor is that same shift as a fraction of the image, so ``x_factor = sin(0.2) ≈ 0.199``.
      (``RandomShear`` pivots on the image corner rather than the centre, which adds a shift
      of at most half that amount.)
    - ``zoom_range`` (zoom factors uniform in ``[1 - z, 1 + z]``, independently per axis, above
      1 zooming out) → ``RandomZoom(height_factor=(-z, z), width_factor=(-z, z))``: Keras draws
      ``1 + factor`` per axis with positive meaning zoom out, the same convention.
    - ``horizontal_flip`` → ``RandomFlip("horizontal")`` (half the images mirrored).
    - ``fill_mode`` → the ``fill_mode`` of every geometric layer (``"nearest"`` repeats edge
      pixels into the space a transform opens up).

    The generator composed all geometric transforms into one resampling; here each layer
    resamples once (bilinear), which blurs a little more. Layers run in the generator's order:
    rotation, shift, shear, zoom, then flip. ``seed`` makes the sequence of transforms
    repeatable (each layer gets ``seed + i``).
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
