"""Saving and loading models as ``.h5`` with their class names and training facts beside them.

``models/cats_dogs_basic_cnn.h5`` gets a sidecar ``models/cats_dogs_basic_cnn.json`` holding the
class names (so evaluation and prediction never guess them), the input size and how the model
was trained. Every saved model takes raw RGB images in [0, 255]: scaling or a backbone's own
preprocessing is a layer inside the model.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import keras

from utils import layers as _layers  # noqa: F401  (registers the custom layers for loading)


def info_path(model_path: str | Path) -> Path:
    """The JSON sidecar that goes with a saved model."""
    return Path(model_path).with_suffix(".json")


def save_model(model: keras.Model, path: str | Path, class_names: list[str], **info: Any) -> Path:
    """Save ``model`` to ``path`` (HDF5) and its class names plus ``info`` to the sidecar JSON."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    model.save(path, include_optimizer=False)  # half the size; reload with compile=False
    meta = {
        "class_names": list(class_names),
        "image_size": list(model.input_shape[1:3]),
        "params": int(model.count_params()),
        **info,
    }
    info_path(path).write_text(json.dumps(meta, indent=2, default=str) + "\n")
    return path


def load_info(path: str | Path) -> dict[str, Any]:
    """The sidecar facts of a saved model; raises if the sidecar is missing."""
    meta_file = info_path(path)
    if not meta_file.is_file():
        raise FileNotFoundError(f"{meta_file} is missing: it holds the class names of {path}")
    return json.loads(meta_file.read_text())


def load_model(path: str | Path) -> tuple[keras.Model, dict[str, Any]]:
    """Load a model saved by :func:`save_model` and its sidecar facts."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no model at {path}")
    model = keras.models.load_model(path, compile=False)
    return model, load_info(path)
