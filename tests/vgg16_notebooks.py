"""Shared by the tests of the VGG-16 notebooks (04-07, 10, 11): parameters and checks.

With ../shared the base has the real VGG-16 weights, otherwise random ones from a file.
64 x 64 photos give 2 x 2 x 512 bottleneck features; epochs and steps are turned down. Every
test starts from an empty workspace (models, results, cache), so each runs on its own.
"""

from __future__ import annotations

import json

import keras
import numpy as np

from utils import cache, data, pretrained

SIZE = 64
FEATURES = (2, 2, 512)  # VGG-16's block5_pool output for 64 x 64 photos
ACTIVATIONS = (4, 4, 512)  # its block4_pool output, cached in float16
VGG16_PARAMS = 14_714_688
PREPROCESS_PARAMS = 12  # the frozen Dense(3) computing vgg16.preprocess_input
# The book's head on 2 x 2 x 512 features: Flatten, Dense 512, Dense 512, one sigmoid unit.
HEAD_PARAMS = (2048 * 512 + 512) + (512 * 512 + 512) + (512 + 1)
ATOL = 1e-4  # float32: photo -> model vs the same arithmetic in another order
# photo -> saved model vs the head on features that block 5 computed from the float16-rounded
# block4_pool activations (relative rounding <= 2**-11): measured below 2e-3 on the test split's
# photos (random and ImageNet weights); 1e-2 leaves room for other heads.
ATOL_FLOAT16 = 1e-2


def parameters(workspace, **extra) -> dict:
    return {
        "DATA_DIR": str(workspace.data),
        "MODELS_DIR": str(workspace.models),
        "RESULTS_DIR": str(workspace.results),
        "CACHE_DIR": str(workspace.cache),
        "WEIGHTS": workspace.weights,
        "IMAGE_SIZE": SIZE,
        "BATCH_SIZE": 8,
        **extra,
    }


def saved(workspace, name: str, notebook: str) -> tuple[keras.Model, dict]:
    """A saved model, loaded with plain Keras, and its sidecar; checks what every one holds."""
    path = workspace.models / f"{name}.h5"
    assert path.is_file(), f"{path} missing"
    info = json.loads(path.with_suffix(".json").read_text())
    assert info["class_names"] == ["cat", "dog"] and info["notebook"] == notebook
    assert info["image_size"] == [SIZE, SIZE]
    assert {"epochs", "best_epoch", "train_seconds", "learning_rate"} <= info.keys()
    return keras.models.load_model(path, compile=False), info


def trainable_flags(model: keras.Model) -> dict[str, bool]:
    """Trainable flag of every VGG-16 layer with weights, read from a (reloaded) model."""
    base = model.get_layer("vgg16")
    return {layer.name: layer.trainable for layer in base.layers if layer.weights}


def split_photos(workspace, split: str) -> tuple[np.ndarray, np.ndarray]:
    paths, labels, _ = data.list_images(workspace.data / split, ["cat", "dog"])
    return data.read_images(paths, SIZE, raw=True), labels


def from_cache(workspace, name: str) -> np.ndarray:
    """The one array ``cache.predict`` stored under ``name`` (``train_features``, ...)."""
    found = sorted((workspace.cache / "features").glob(f"{name}-*.npy"))
    assert len(found) == 1, f"expected one cached {name}, found {[p.name for p in found]}"
    return np.load(found[0])


def notebook_04_features(workspace, split: str, size: int = SIZE) -> np.ndarray:
    """A split's bottleneck features as notebook 04 computes them (VGG-16 built under the
    float32 policy, frozen, behind its preprocessing layer) through ``cache.predict``: what
    10 and 11 find in the cache after 04."""
    shape = (size, size, 3)
    keras.mixed_precision.set_global_policy("float32")
    weights = pretrained.weights_file("vgg16", workspace.weights)
    conv_base = keras.applications.VGG16(include_top=False, weights=weights, input_shape=shape)
    conv_base.trainable = False
    preprocess = pretrained.preprocessing_layer("vgg16")
    extractor = keras.Sequential([keras.Input(shape=shape), preprocess, conv_base])
    ds = keras.utils.image_dataset_from_directory(
        workspace.data / split, image_size=(size, size), batch_size=8, shuffle=False
    )
    return cache.predict(extractor, ds, f"{split}_features", workspace.cache)


def block5_and_head(model: keras.Model) -> keras.Sequential:
    """A saved VGG-16 model's own block 5 and head, applied to block4_pool activations."""
    base = model.get_layer("vgg16")
    block5 = [layer for layer in base.layers if layer.name.startswith("block5")]
    return keras.Sequential([keras.Input(ACTIVATIONS), *block5, model.get_layer("head")])
