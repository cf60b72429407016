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
    from utils.models import basic_cnn
    from utils.training import compile_for
    strategy = get_strategy("mirrored")
    assert strategy.num_replicas_in_sync == 2, strategy.num_replicas_in_sync
    with strategy.scope():
        model = compile_for(basic_cnn(32, 2), 2)
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


def test_default_and_unknown_strategy():
    assert get_strategy(None).num_replicas_in_sync == 1
    with pytest.raises(ValueError, match="mirrored"):
        get_strategy("tpu-pod")


def test_notebook_02_trains_under_mirrored_strategy(workspace, run_notebook, tmp_path):
    from tests.conftest import cell_text

    nb = run_notebook(
        "02",
        DATA_DIR=str(workspace.data),
        MODELS_DIR=str(tmp_path / "models"),
        RESULTS_DIR=str(tmp_path / "results"),
        IMAGE_SIZE=48,
        BATCH_SIZE=8,
        EPOCHS=1,
        DISTRIBUTE="mirrored:2",
    )
    assert "MirroredStrategy over 2 devices" in cell_text(nb)
    assert (tmp_path / "models" / "cats_dogs_cnn_dropout.h5").is_file()
