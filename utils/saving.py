"""Saving models as ``.h5`` with their class names and training facts in a JSON sidecar.

``models/cats_dogs_basic_cnn.h5`` gets ``models/cats_dogs_basic_cnn.json`` holding the class
names (so evaluation and prediction never guess them), the input size and how the model was
trained. Every saved model takes raw RGB images in [0, 255] (scaling or a backbone's
preprocessing is a built-in layer inside it) and loads with plain
``keras.models.load_model(path)``, in a Python that never imported this package.
"""

from __future__ import annotations

import json
import os
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
    """Save ``model`` to ``path`` (HDF5) and its class names plus ``facts`` to the sidecar.

    Both are written whole to temporaries beside them, then renamed into place: a full disk or
    an interrupt leaves the previous pair as it was (or nothing), never a truncated model."""
    from absl import logging as absl_logging

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    info = {
        "class_names": list(class_names),
        "image_size": list(model.input_shape[1:3]),
        "params": int(model.count_params()),
        **{k: v for k, v in facts.items() if k not in OWN_FACTS},
    }
    text = json.dumps(info, indent=2, default=str) + "\n"
    partial = path.with_name(f".{path.stem}.partial-{os.getpid()}{path.suffix}")  # Keras: .h5
    level = absl_logging.get_verbosity()
    absl_logging.set_verbosity(absl_logging.ERROR)  # ".h5 is legacy": our deliberate choice
    try:
        model.save(partial, include_optimizer=False)  # half the size; reload with compile=False
        info_path(partial).write_text(text)
        # The old sidecar goes first and the new one comes last: an interrupt between the
        # renames leaves a model without a sidecar, which load_info refuses by name, never a
        # model beside a sidecar that describes another one (its class names read silently).
        info_path(path).unlink(missing_ok=True)
        os.replace(partial, path)
        os.replace(info_path(partial), info_path(path))
    finally:
        absl_logging.set_verbosity(level)
        partial.unlink(missing_ok=True)
        info_path(partial).unlink(missing_ok=True)
    return path


def load_info(path: str | Path) -> dict[str, Any]:
    """The sidecar facts of a saved model; raises, naming the file, if it is missing or damaged."""
    meta = info_path(path)
    if not meta.is_file():
        raise FileNotFoundError(f"{meta} is missing: it holds the class names of {path}")
    try:
        return json.loads(meta.read_text())
    except ValueError as err:  # cut short, or not JSON
        raise ValueError(f"{meta}: not a readable sidecar ({err}); save {path} again") from err


def load_with_info(path: str | Path) -> tuple[keras.Model, dict[str, Any]]:
    """Load a model saved by :func:`save_model` and its sidecar facts."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no model at {path}")
    try:
        model = keras.models.load_model(path, compile=False)
    except (OSError, ValueError, KeyError) as err:  # cut short, or not a Keras model
        reason = " ".join(str(err).split())
        raise ValueError(f"{path}: cannot load the model ({reason}); save it again") from err
    return model, load_info(path)
