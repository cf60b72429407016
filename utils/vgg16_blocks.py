"""VGG-16 cut at ``block4_pool``: blocks 1-4 computed once and cached, block 5 on the cache.

Notebook 04 writes these steps out; 05, 06, 07 and 10 call them. The files and their keys are
04's (``CACHE_DIR/vgg16_{size}px/{name}_block4_pool.npy``, ``{name}_labels.npy``,
``{name}_features.npy``), so what one notebook computed is a cache hit for the others.
"""

from __future__ import annotations

import time
from pathlib import Path

import keras
import numpy as np

from utils import cache, data, precision, pretrained, training


def extractor_for(base: keras.Model, policy="float32", preprocess=None) -> keras.Sequential:
    """Photo → VGG-16 preprocessing (``preprocess``, else a new one) → blocks 1-4, computing in
    ``policy``: a copy of ``base``'s weights, so fine-tuning ``base`` later leaves it as it is."""
    shape = base.input_shape[1:]
    with precision.global_policy(policy):
        vgg = keras.applications.VGG16(include_top=False, weights=None, input_shape=shape)
    vgg.set_weights(base.get_weights())
    blocks1_4 = keras.Model(vgg.input, vgg.get_layer("block4_pool").output, name="vgg16_blocks1_4")
    preprocess = preprocess or pretrained.preprocessing_layer("vgg16")
    layers = [keras.Input(shape=shape), preprocess, blocks1_4]
    return keras.Sequential(layers, name="vgg16_extractor")


def block5_of(base: keras.Model) -> keras.Sequential:
    """``base``'s own ``block5_*`` layers (same objects, same weights) on ``block4_pool``."""
    layers = [layer for layer in base.layers if layer.name.startswith("block5")]
    shape = base.get_layer("block4_pool").output.shape[1:]
    return keras.Sequential([keras.Input(shape=shape), *layers], name="vgg16_block5")


class Blocks:
    """Notebook 04's extractor, its precision choice, block 5 and the two cached steps."""

    def __init__(self, base, setting, sample, cache_dir, batch_size: int = 30):
        """``setting``: MIXED_PRECISION; ``sample``: a few raw photos to time the policies on."""
        size = base.input_shape[1]
        extractors = {}
        self.precision, self.speeds = precision.choose(
            setting,
            {
                p: lambda p=p: extractors.setdefault(p, extractor_for(base, p)).predict_on_batch(
                    sample
                )
                for p in precision.POLICIES
            },
            items=len(sample),
            memo=Path(cache_dir) / "precision.json",
            task=f"vgg16 blocks 1-4, {size} px",
        )
        self.extractor = extractors.get(self.precision) or extractor_for(base, self.precision)
        speeds = f"(photos/s: {self.speeds})" if self.speeds else ""
        print(f"extractor computes in {self.precision}", speeds)
        self.block5 = block5_of(base)
        self.image_size, self.batch_size = size, batch_size
        self.features_dir = Path(cache_dir) / f"vgg16_{size}px"

    def activations(self, name, paths, labels, augmentation=None) -> np.ndarray:
        """Blocks 1-4 on photos (optionally augmented), from ``{name}_block4_pool.npy`` or
        computed and saved there in float16 (with ``{name}_labels.npy``)."""
        path = self.features_dir / f"{name}_block4_pool.npy"
        key = cache.key(
            model=cache.weights_fingerprint(self.extractor),  # now: a fine-tuned base differs
            files=cache.files_fingerprint(paths),
            image_size=self.image_size,
            precision=self.precision,
            augmentation=None if augmentation is None else augmentation.get_config(),
        )
        start = time.perf_counter()
        how = "loaded from the cache"
        if (activations := cache.load(path, key)) is None:
            size = (self.image_size, self.image_size)
            photos = data.image_dataset(paths, labels, size, self.batch_size, augment=augmentation)
            activations = self.extractor.predict(photos, verbose=0).astype("float16")
            cache.save(path, activations, key)
            cache.save(self.features_dir / f"{name}_labels.npy", np.asarray(labels), key)
            how = "computed"
        seconds = time.perf_counter() - start
        print(f"{name}: {activations.shape} {how} in {seconds:.1f} s -> {path}")
        return activations

    def features(self, name: str, activations: np.ndarray) -> np.ndarray:
        """Block 5 on cached activations, saved beside them as ``{name}_features.npy``."""
        path = self.features_dir / f"{name}_features.npy"
        key = cache.key(
            block5=cache.weights_fingerprint(self.block5),
            activations=cache.array_fingerprint(activations),
        )
        if (features := cache.load(path, key)) is None:
            features = self.block5.predict(activations, batch_size=64, verbose=0)
            cache.save(path, features, key)
        return features


def book_head(input_shape, n_classes: int) -> keras.Sequential:
    """The book's dense head as notebook 04 writes it out: Flatten, 2 x (Dense 512, Dropout 0.3)."""
    layers = keras.layers
    return keras.Sequential(
        [keras.Input(shape=tuple(input_shape)), layers.Flatten()]
        + [layers.Dense(512, activation="relu"), layers.Dropout(0.3)]
        + [layers.Dense(512, activation="relu"), layers.Dropout(0.3)]
        + [training.output_layer(n_classes)],
        name="head",
    )
