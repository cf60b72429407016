"""Notebook 09 executed on real MNIST digits from ../shared (300 eights and sixes at 32 x 32,
3 folds) with the real VGG-16 weights: the article's comparison, the permutation test and the
variants, every feature set scored on the same folds."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from tests.conftest import MNIST_NPZ, VGG16_WEIGHTS, cell_text, needs_shared, needs_vgg_weights

pytestmark = [pytest.mark.notebook, pytest.mark.slow, needs_shared, needs_vgg_weights]


def test_notebook_09_negative_transfer(run_notebook, tmp_path):
    results, cache = tmp_path / "results", tmp_path / "cache"
    nb = run_notebook(
        "09",
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

    # features cached once under readable names, each with its key beside it
    folder = cache / "mnist_8_vs_6_300_32px"
    names = sorted(p.name for p in folder.glob("*.npy"))
    assert names == [
        "vgg16_preprocess_block3_pool.npy",
        "vgg16_preprocess_block4_pool.npy",
        "vgg16_preprocess_block5_average.npy",
        "vgg16_preprocess_block5_pool.npy",
        "vgg16_random_block5_pool.npy",
        "vgg16_x255_block5_pool.npy",
    ]
    key = json.loads((folder / "vgg16_x255_block5_pool.key.json").read_text())
    assert {"weights", "digits"} <= key.keys()
    assert np.load(folder / "vgg16_x255_block5_pool.npy").shape == (300, 512)
