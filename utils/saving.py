"""Saving models as ``.h5`` with their class names and training facts in a JSON sidecar.

``models/cats_dogs_basic_cnn.h5`` gets ``models/cats_dogs_basic_cnn.json`` holding the class
names (so evaluation and prediction never guess them), the input size and how the model was
trained. Every saved model takes raw RGB images in [0, 255] (scaling or a backbone's
preprocessing is a built-in layer inside it) and loads with plain
``keras.models.load_model(path)``, in a Python that never imported this package.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import keras

# Facts that describe the file itself, not how it was trained.
OWN_FACTS = ("class_names", "image_size", "params")


def model_prefix(data_dir: str | Path) -> str:
    """How a dataset's model files start: ``cats_dogs`` for the Kaggle split (the book's names),
    else the folder's name, lower case, other characters as ``_`` (``My Photos``: ``my_photos``)."""
    name = Path(data_dir).resolve().name
    if name == "cats-vs-dogs":
        return "cats_dogs"
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "data"


def info_path(model_path: str | Path) -> Path:
    """The JSON sidecar that goes with a saved model."""
    return Path(model_path).with_suffix(".json")


def save_model(model: keras.Model, path: str | Path, class_names: list[str], **facts: Any) -> Path:
    """Save ``model`` to ``path`` (HDF5) and its class names plus ``facts`` to the sidecar."""
    from absl import logging as absl_logging

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    level = absl_logging.get_verbosity()
    absl_logging.set_verbosity(absl_logging.ERROR)  # ".h5 is legacy": our deliberate choice
    try:
        model.save(path, include_optimizer=False)  # half the size; reload with compile=False
    finally:
        absl_logging.set_verbosity(level)
    info = {
        "class_names": list(class_names),
        "image_size": list(model.input_shape[1:3]),
        "params": int(model.count_params()),
        **{k: v for k, v in facts.items() if k not in OWN_FACTS},
    }
    info_path(path).write_text(json.dumps(info, indent=2, default=str) + "\n")
    return path


def load_info(path: str | Path) -> dict[str, Any]:
    """The sidecar facts of a saved model; raises if the sidecar is missing."""
    meta = info_path(path)
    if not meta.is_file():
        raise FileNotFoundError(f"{meta} is missing: it holds the class names of {path}")
    return json.loads(meta.read_text())


def load_with_info(path: str | Path) -> tuple[keras.Model, dict[str, Any]]:
    """Load a model saved by :func:`save_model` and its sidecar facts."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no model at {path}")
    return keras.models.load_model(path, compile=False), load_info(path)
