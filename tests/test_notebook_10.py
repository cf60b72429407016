"""Notebook 10 (how much data does transfer save?) executed on the small split, tiny sizes."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import least_squares

from tests.conftest import cell_text

pytestmark = [pytest.mark.notebook, pytest.mark.slow]

SIZES, REPEATS = [3, 6, 10], 2
SCRATCH, TRANSFER = "CNN from scratch", "VGG-16 features + logistic regression"


def test_notebook_10_how_much_data(workspace, run_notebook):
    nb = run_notebook(
        "10",
        DATA_DIR=str(workspace.data),
        RESULTS_DIR=str(workspace.results),
        CACHE_DIR=str(workspace.cache),
        WEIGHTS=workspace.weights,
        IMAGE_SIZE=32,
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

    # pooled VGG-16 features cached under readable names with their keys; no test split read
    folder = workspace.cache / "vgg16_32px"
    for split, n in (("train", 40), ("validation", 20)):
        x = np.load(folder / f"{split}_pooled.npy")
        assert x.shape == (n, 512)
        assert {"files", "image_size", "model"} <= json.loads(
            (folder / f"{split}_pooled.key.json").read_text()
        ).keys()
    assert "computed from the photos" in text
    # the CNN's points were trained with notebook 02's recipe: one CSVLogger history each,
    # early stopping after at most EPOCHS, and the checkpoint removed after the reload
    histories = sorted((workspace.results / "10_how_much_data_histories").glob("cnn_*.csv"))
    assert len(histories) == len(SIZES) * REPEATS
    assert all(len(pd.read_csv(h)) == 1 for h in histories)  # EPOCHS=1
    assert not list((workspace.cache / "checkpoints").iterdir())
    assert not list(workspace.cache.rglob("test_*"))
