"""Notebook 10 (how much data does transfer save?) executed on the small split, tiny sizes."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import least_squares
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from tests.conftest import cell_text
from tests.vgg16_notebooks import from_cache, notebook_04_features

pytestmark = [pytest.mark.notebook, pytest.mark.slow]

SIZES, REPEATS, SEED = [3, 6, 10], 2, 42
SCRATCH, TRANSFER = "CNN from scratch", "VGG-16 features + logistic regression"
SIZE = 32  # VGG-16's bottleneck features are 1 x 1 x 512 at 32 px


def subset(labels: np.ndarray, repeat: int, size: int) -> np.ndarray:
    """The training rows the notebook draws for one repeat and size (its seeded loop)."""
    rng = np.random.default_rng(SEED + repeat)
    order = [rng.permutation(np.flatnonzero(labels == c)) for c in (0, 1)]
    for n in SIZES:
        idx = rng.permutation(np.concatenate([members[:n] for members in order]))
        if n == size:
            return idx
    raise ValueError(size)


def test_notebook_10_how_much_data(workspace, run_notebook):
    # notebook 04's training features are in the cache before 10 runs
    primed = notebook_04_features(workspace, "train", SIZE)
    nb = run_notebook(
        "10",
        DATA_DIR=str(workspace.data),
        RESULTS_DIR=str(workspace.results),
        CACHE_DIR=str(workspace.cache),
        WEIGHTS=workspace.weights,
        IMAGE_SIZE=SIZE,
        CNN_IMAGE_SIZE=32,
        BATCH_SIZE=8,
        EPOCHS=1,
        SIZES=SIZES,
        REPEATS=REPEATS,
    )
    text = cell_text(nb)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert sum("image/png" in o.get("data", {}) for o in outputs) == 2, "two figures shown"
    for name in ("10_how_much_data.png", "10_how_much_data_extrapolated.png"):
        assert (workspace.results / name).stat().st_size > 0

    # every point of the run: sizes x repeats x models, scored on the 20 validation photos
    points = pd.read_csv(workspace.results / "10_how_much_data.csv")
    assert len(points) == len(SIZES) * REPEATS * 2
    assert set(points["model"]) == {SCRATCH, TRANSFER}
    assert sorted(points["per_class"].unique()) == SIZES
    correct = points["val_accuracy"] * 20
    assert np.allclose(correct, correct.round()) and points["val_accuracy"].between(0, 1).all()

    # the table of sizes x models with mean and std, as the run computed it
    table = next(
        o["data"]["text/plain"]
        for o in outputs
        if "mean" in o.get("data", {}).get("text/plain", "") and "std" in o["data"]["text/plain"]
    )
    assert SCRATCH in table and TRANSFER in table and "per_class" in table
    means = points.groupby(["model", "per_class"])["val_accuracy"].mean()
    target = means[TRANSFER][max(SIZES)]
    assert f"frozen VGG-16 features at {max(SIZES)} photos per class, {target:.3f}" in text

    # the power-law line for each model is a least-squares fit of this run's points: solved
    # here directly on the residuals with scipy's least_squares, from the same start and
    # within the same bounds (a in [0, 1], b >= 0, 0 < c <= 2), it gives the printed asymptote
    for model, group in points.groupby("model"):
        n, accuracy = group["per_class"].to_numpy(float), group["val_accuracy"].to_numpy(float)
        solution = least_squares(
            lambda p, n=n, accuracy=accuracy: p[0] - p[1] * n ** -p[2] - accuracy,
            x0=[accuracy.max(), 1.0, 0.5],
            bounds=([0.0, 0.0, 1e-3], [1.0, np.inf, 2.0]),
        )
        line = re.search(rf"power law, {re.escape(model)}: accuracy\(n\) = (\S+) - (\S+)", text)
        assert line, f"no power-law line for {model}"
        assert float(line.group(1)) == pytest.approx(solution.x[0], abs=2e-3)
    conclusion = r"power law: the CNN from scratch \(32 px\) (would need about|levels off at)"
    assert re.search(conclusion, text)
    assert "start (accuracy at smallest size)" in text and "asymptote (fitted a)" in text

    # the features come from cache.predict with notebook 04's extractor: what 04 computed is
    # loaded, the rest computed and kept for the next run; each photo's 512 maps averaged
    train, validation = (
        from_cache(workspace, "train_features"),
        from_cache(workspace, "validation_features"),
    )
    assert train.shape == (40, 1, 1, 512) and validation.shape == (20, 1, 1, 512)
    assert "validation_features: (20, 1, 1, 512) computed" in text
    assert "train_features: (40, 1, 1, 512) loaded from the cache" in text
    np.testing.assert_array_equal(train, primed)
    assert "{'train': (40, 512), 'validation': (20, 512)}" in text
    # a logistic-regression point of the table, recomputed from the cached features: the same
    # training rows (the notebook's seeded draw), the maps averaged, C = 0.1
    labels = np.repeat([0, 1], 20)  # class by class, as image_dataset_from_directory lists them
    val_labels = np.repeat([0, 1], 10)
    for repeat in range(REPEATS):
        idx = subset(labels, repeat, max(SIZES))
        probe = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=3000))
        probe.fit(train.mean(axis=(1, 2))[idx], labels[idx])
        score = probe.score(validation.mean(axis=(1, 2)), val_labels)
        point = points.query("model == @TRANSFER and per_class == @SIZES[-1] and repeat == @repeat")
        assert point["val_accuracy"].item() == pytest.approx(score)

    # the CNN's points were trained with notebook 02's recipe: one CSVLogger history each,
    # early stopping after at most EPOCHS, and the run-private checkpoint removed after the
    # reload; nothing but cache.predict's features in the cache, no test photo read
    histories = sorted((workspace.results / "10_how_much_data_histories").glob("cnn_*.csv"))
    assert len(histories) == len(SIZES) * REPEATS
    assert all(len(pd.read_csv(h)) == 1 for h in histories)  # EPOCHS=1
    assert not list(workspace.results.rglob("*.keras"))
    assert [p.name for p in workspace.cache.iterdir()] == ["features"]
    assert not list(workspace.cache.rglob("test_*"))
