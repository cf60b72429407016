"""Notebooks 00 (concepts) and 09 (negative transfer) end to end, with small parameters.

09 reads the real MNIST file and the real VGG-16 weights when ../shared has them, otherwise a
generated ``.npz`` of the same layout and random weights; 200 digits at 32 x 32, 3 folds.
"""

from __future__ import annotations

import pandas as pd
import pytest

from tests.conftest import MNIST_NPZ, VGG16_WEIGHTS, cell_text
from tests.test_negative_transfer import fake_mnist

pytestmark = [pytest.mark.notebook, pytest.mark.slow]


def test_notebook_00_concepts(run_notebook):
    nb = run_notebook("00", IMAGE_SIZE=64)
    text = cell_text(nb)
    assert "block5_conv3" in text and "Layer Trainable" in text
    assert "2 x 2 x 512 = 2,048 features" in text
    assert "7079424" in text  # block 5's parameters, whatever the input size
    assert "138,357,544" in text  # the complete VGG-16
    for strategy in ("frozen base + book head", "fine-tune block 5", "train everything"):
        assert strategy in text


def test_notebook_09_negative_transfer(run_notebook, tmp_path):
    real = MNIST_NPZ.is_file()
    mnist = str(MNIST_NPZ) if real else str(fake_mnist(tmp_path / "mnist.npz", 400, 100))
    weights = str(VGG16_WEIGHTS) if VGG16_WEIGHTS.is_file() else None
    results, cache = tmp_path / "results", tmp_path / "cache"
    parameters = {
        "MNIST_PATH": mnist,
        "WEIGHTS": weights,
        "N_SAMPLES": 200,
        "IMAGE_SIZE": 32,
        "FOLDS": 3,
        "BATCH_SIZE": 32,
        "FINE_TUNE_FOLDS": 1,
        "FINE_TUNE_EPOCHS": 1,
        "CACHE_DIR": str(cache),
        "RESULTS_DIR": str(results),
    }
    nb = run_notebook("09", **parameters)
    text = cell_text(nb)
    assert "200 images of 28x28 pixels" in text
    assert "negative transfer in this run:" in text and "notebook time:" in text

    folds = pd.read_csv(results / "09_negative_transfer_folds.csv", header=[0, 1], index_col=0)
    assert list(folds.index) == ["1", "2", "3", "mean", "std"]
    variants = pd.read_csv(results / "09_negative_transfer_variants.csv")
    names = list(variants["variant"])
    assert names[:2] == ["raw pixels (seed)", "VGG-16 book-style (seed)"]
    for expected in ("labels shuffled", "block3_pool", "block4_pool", "global average",
                     "random weights", "fine-tuned"):  # fmt: skip
        assert any(expected in name for name in names), expected
    assert variants.set_index("variant").loc["raw pixels (seed)", "dim"] == 784
    assert (results / "09_negative_transfer_variants.png").is_file()
    # three VGG-16 passes, cached: book-style (2 layers), vgg16 (3 layers), random weights (1)
    assert len(list(cache.glob("*.npy"))) == 6
    if real:  # raw pixels tell real 8s from 6s far better than chance, even on 200 digits
        assert variants["acc_mean"].iloc[0] > 0.9
