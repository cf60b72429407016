"""utils.distribute: MirroredStrategy over two logical CPU devices trains a real model."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from tests.conftest import ROOT
from utils.distribute import get_strategy

SCRIPT = textwrap.dedent(
    """
    import numpy as np
    from utils.distribute import split_cpu, get_strategy
    devices = split_cpu(2)
    import keras
    strategy = get_strategy("mirrored")
    assert strategy.num_replicas_in_sync == 2, strategy.num_replicas_in_sync
    with strategy.scope():
        model = keras.Sequential([
            keras.Input((32, 32, 3)), keras.layers.Rescaling(1 / 255),
            keras.layers.Conv2D(4, 3, activation="relu"), keras.layers.Flatten(),
            keras.layers.Dense(1, activation="sigmoid"),
        ])
        model.compile("rmsprop", "binary_crossentropy", metrics=["accuracy"])
    x = np.random.default_rng(0).uniform(0, 255, (16, 32, 32, 3)).astype("float32")
    y = (x[..., 0].mean(axis=(1, 2)) > 127).astype("float32")
    history = model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    print("replicas", strategy.num_replicas_in_sync, "devices", len(devices),
          "loss", history.history["loss"][-1])
    """
)


def test_mirrored_strategy_on_two_logical_cpus():
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "replicas 2 devices 2" in result.stdout


def test_multiworker_is_refused_with_the_reason():
    with pytest.raises(ValueError, match="keras-team/keras#20585"):
        get_strategy("multiworker")


def test_default_and_unknown_strategy():
    assert get_strategy(None).num_replicas_in_sync == 1
    with pytest.raises(ValueError, match="mirrored"):
        get_strategy("tpu-pod")
