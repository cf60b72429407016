"""Notebook 09 executed on real MNIST digits from ../shared (300 eights and sixes at 32 x 32,
3 folds) with the real VGG-16 weights: the article's comparison, the permutation test and the
variants, every feature set scored on the same folds; run twice, the second run loading every
feature set from the cache."""

from __future__ import annotations

import keras
import numpy as np
import pandas as pd
import pytest
import tensorflow as tf
from sklearn.model_selection import train_test_split

from tests.conftest import MNIST_NPZ, VGG16_WEIGHTS, cell_text, needs_shared, needs_vgg_weights

pytestmark = [pytest.mark.notebook, pytest.mark.slow, needs_shared, needs_vgg_weights]


def test_notebook_09_negative_transfer(run_notebook, tmp_path):
    results, cache = tmp_path / "results", tmp_path / "cache"
    parameters = dict(
        MNIST_PATH=str(MNIST_NPZ),
        WEIGHTS=str(VGG16_WEIGHTS),
        N_SAMPLES=300,
        IMAGE_SIZE=32,
        FOLDS=3,
        N_PERMUTATIONS=3,
        BATCH_SIZE=64,
        CACHE_DIR=str(cache),
        RESULTS_DIR=str(results),
    )
    nb = run_notebook("09", **parameters)
    text = cell_text(nb)
    assert "13701 images of the digits (8, 6)" in text
    assert "300 images of 28x28 pixels" in text
    assert "negative transfer in this run:" in text and "p-value" in text

    folds = pd.read_csv(results / "09_negative_transfer_folds.csv", header=[0, 1], index_col=0)
    assert list(folds.index) == ["1", "2", "3", "mean", "std"]
    pixels = folds[("raw pixels", "accuracy")].iloc[:3].to_numpy()
    vgg = folds[("VGG-16, the article's pipeline", "accuracy")].iloc[:3].to_numpy()
    paired = folds[("VGG-16 minus pixels", "accuracy")].iloc[:3].to_numpy()
    np.testing.assert_allclose(paired, vgg - pixels)  # the same folds for both feature sets
    # the verdict follows the rule the notebook teaches: beyond the spread, or noise
    mean, spread = paired.mean(), paired.std(ddof=1)
    expected = "no clear difference" if abs(mean) <= spread else ("yes" if mean < 0 else "no:")
    assert f"negative transfer in this run: {expected}" in text

    variants = pd.read_csv(results / "09_negative_transfer_variants.csv").set_index("features")
    assert list(variants.index[:2]) == ["raw pixels", "VGG-16, the article's pipeline"]
    for layer in ("block3_pool", "block4_pool", "block5_pool", "block5_average"):
        assert f"VGG-16 preprocessing, {layer}" in variants.index
    assert "VGG-16 random weights, block5_pool" in variants.index
    assert variants.loc["raw pixels", "dim"] == 784
    # at 32 x 32 block 5 is 1 x 1 x 512 and block 4 is 2 x 2 x 512
    assert variants.loc["VGG-16, the article's pipeline", "dim"] == 512
    assert variants.loc["VGG-16 preprocessing, block4_pool", "dim"] == 2048
    # raw pixels tell real 8s from 6s far better than chance, even on 300 digits
    assert variants.loc["raw pixels", "accuracy"] > 0.9
    for figure in ("09_digits", "09_permutation_test", "09_negative_transfer_variants"):
        assert (results / f"{figure}.png").is_file()

    # cache.predict kept one array per feature set, named readably: a row per digit
    shapes = {
        "vgg16_x255_block5_pool": 512,  # at 32 x 32 block 5 is 1 x 1 x 512
        "vgg16_preprocess_block3_pool": 4 * 4 * 256,
        "vgg16_preprocess_block4_pool": 2 * 2 * 512,
        "vgg16_preprocess_block5_pool": 512,
        "vgg16_preprocess_block5_average": 512,
        "vgg16_random_block5_pool": 512,
    }
    features = {name: cached(cache, f"mnist_8_vs_6_{name}") for name in shapes}
    for name, dim in shapes.items():
        assert features[name].shape == (300, dim), name
        assert f"mnist_8_vs_6_{name}: (300, {dim}) computed" in text
    # blocks 1-4 ran once for the block-4 and block-5 feature sets, as the notebook says
    for name in ("block5_pool", "block5_average"):
        assert f"vgg16_preprocess_{name}: (300, 512) computed from the stored block4_pool" in text

    # the cached rows are VGG-16 on the sampled digits, in order: grey copied into R, G and B,
    # resized, divided by 255 (block 5 ran on block4_pool activations rounded to float16)
    digits = sampled_digits()[:16]
    photos = tf.image.resize(np.repeat(digits[..., None], 3, axis=-1).astype("float32"), (32, 32))
    base = keras.applications.VGG16(
        include_top=False, weights=str(VGG16_WEIGHTS), input_shape=(32, 32, 3)
    )
    expected = base.predict(np.asarray(photos) / 255.0, verbose=0).reshape(len(digits), -1)
    got = features["vgg16_x255_block5_pool"][: len(digits)]
    np.testing.assert_allclose(got, expected, rtol=1e-2, atol=1e-2 * np.abs(expected).max())

    # a second run loads every feature set from the cache and scores them the same
    nb = run_notebook("09", **parameters)
    text = cell_text(nb)
    for name, dim in shapes.items():
        assert f"mnist_8_vs_6_{name}: (300, {dim}) loaded from the cache" in text
    assert "computed" not in text
    again = pd.read_csv(results / "09_negative_transfer_variants.csv").set_index("features")
    pd.testing.assert_frame_equal(again, variants)


def cached(cache_dir, name):
    """The one array ``cache.predict`` stored under ``name``."""
    found = sorted((cache_dir / "features").glob(f"{name}-*.npy"))
    assert len(found) == 1, f"expected one cached {name}, found {[p.name for p in found]}"
    return np.load(found[0])


def sampled_digits():
    """The notebook's 300 eights and sixes, in its order (its sample, re-drawn here)."""
    with np.load(MNIST_NPZ) as mnist:
        x = np.concatenate([mnist["x_train"], mnist["x_test"]])
        y = np.concatenate([mnist["y_train"], mnist["y_test"]])
    keep = np.isin(y, (8, 6))
    images, labels = x[keep], (y[keep] == 8).astype(int)
    images, _, _, _ = train_test_split(
        images, labels, train_size=300, stratify=labels, random_state=42
    )
    return images
