"""Loading split folders (``root/{train,validation,test}/<class>/<file>``) for training.

Everything streams from disk with ``tf.data``: memory stays flat however many images a split
holds. Class names are the sorted subfolder names, so for cats vs dogs ``cat = 0, dog = 1`` as in
the book.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import tensorflow as tf

from utils import IMAGE_EXTENSIONS


def class_names(split_dir: str | Path) -> list[str]:
    """Sorted names of the class subfolders of one split folder."""
    split_dir = Path(split_dir)
    if not split_dir.is_dir():
        raise FileNotFoundError(
            f"{split_dir} is not a folder: build the split first with build_dataset.py"
        )
    names = sorted(p.name for p in split_dir.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not names:
        raise ValueError(f"{split_dir} has no class subfolders")
    return names


def list_images(
    split_dir: str | Path, classes: Sequence[str] | None = None
) -> tuple[list[str], np.ndarray, list[str]]:
    """Image paths (sorted per class), integer labels and class names of one split folder.

    Pass ``classes`` (for instance the training split's) so validation and test use the same
    label numbers even when a class is missing from them.
    """
    split_dir = Path(split_dir)
    classes = list(classes) if classes is not None else class_names(split_dir)
    paths: list[str] = []
    labels: list[int] = []
    for index, name in enumerate(classes):
        folder = split_dir / name
        if not folder.is_dir():
            continue
        files = sorted(
            p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS
        )
        paths += [str(p) for p in files]
        labels += [index] * len(files)
    if not paths:
        raise ValueError(f"no images found under {split_dir}")
    return paths, np.asarray(labels, dtype=np.int32), classes


def decode_image(path: tf.Tensor, image_size: tuple[int, int]) -> tf.Tensor:
    """Read one file and return a float32 RGB image in [0, 255] resized to ``image_size``."""
    raw = tf.io.read_file(path)
    image = tf.io.decode_image(raw, channels=3, expand_animations=False)
    image = tf.image.resize(image, image_size)
    image.set_shape((*image_size, 3))
    return image


def image_dataset(
    paths: Sequence[str],
    labels: Sequence[int] | np.ndarray,
    image_size: tuple[int, int] = (150, 150),
    batch_size: int = 30,
    shuffle: bool = False,
    seed: int = 42,
    augment: Callable[..., tf.Tensor] | None = None,
    preprocess: Callable[[tf.Tensor], tf.Tensor] | None = None,
) -> tf.data.Dataset:
    """A batched, prefetched ``tf.data`` pipeline of ``(image, label)`` from file paths.

    ``shuffle`` reshuffles the whole file list every epoch (training data); ``augment`` (a Keras
    layer or any ``f(images, training=True)``) runs on each batch of training images;
    ``preprocess`` (for instance a backbone's ``preprocess_input``) runs last, on every split.
    """
    image_size = tuple(image_size)
    # bytes, so a file name that is not valid UTF-8 still names its file
    files = [os.fsencode(p) for p in paths]
    ds = tf.data.Dataset.from_tensor_slices((files, np.asarray(labels)))
    if shuffle:
        ds = ds.shuffle(len(paths), seed=seed, reshuffle_each_iteration=True)
    ds = ds.map(lambda p, y: (decode_image(p, image_size), y), num_parallel_calls=tf.data.AUTOTUNE)
    ds = ds.batch(batch_size)
    if augment is not None:
        ds = ds.map(
            lambda x, y: (augment(x, training=True), y), num_parallel_calls=tf.data.AUTOTUNE
        )
    if preprocess is not None:
        ds = ds.map(lambda x, y: (preprocess(x), y), num_parallel_calls=tf.data.AUTOTUNE)
    return ds.prefetch(tf.data.AUTOTUNE)


def sample_paths(
    split_dir: str | Path, per_class: int = 5, seed: int = 42
) -> tuple[list[str], list[str]]:
    """Up to ``per_class`` random image paths of each class (seeded) and their class names."""
    paths, labels, classes = list_images(split_dir)
    rng = np.random.default_rng(seed)
    chosen, titles = [], []
    for index, name in enumerate(classes):
        members = np.flatnonzero(labels == index)
        for i in rng.permutation(members)[:per_class]:
            chosen.append(paths[i])
            titles.append(name)
    return chosen, titles


def read_images(
    paths: Sequence[str], image_size: int | Sequence[int] = 150, raw: bool = False
) -> np.ndarray:
    """A few images as one array ``(n, h, w, 3)``, decoded and resized like the pipelines.

    uint8 by default (to show); ``raw=True`` gives the float32 values a model is fed.
    """
    size = (image_size, image_size) if isinstance(image_size, int) else tuple(image_size)
    if not len(paths):
        return np.zeros((0, *size, 3), np.float32 if raw else np.uint8)
    ds = image_dataset(list(paths), np.zeros(len(paths), np.int32), size, batch_size=64)
    images = np.concatenate([x.numpy() for x, _ in ds])
    return images.astype(np.float32) if raw else np.clip(np.rint(images), 0, 255).astype(np.uint8)


def per_class_indices(labels: np.ndarray, n_per_class: int | None) -> np.ndarray:
    """Indices of the first ``n_per_class`` items of each class (all of them when ``None``)."""
    labels = np.asarray(labels)
    if n_per_class is None:
        return np.arange(len(labels))
    return np.concatenate([np.flatnonzero(labels == c)[:n_per_class] for c in np.unique(labels)])
