"""Pretrained ``keras.applications`` bases: weights that work offline, preprocessing as a layer.

The notebooks build their bases with ``keras.applications`` themselves, e.g.::

    base = keras.applications.VGG16(
        include_top=False, weights=pretrained.weights_file("vgg16", WEIGHTS), input_shape=SHAPE
    )

:func:`weights_file` turns the ``WEIGHTS`` parameter into what ``weights=`` accepts:

- ``"imagenet"`` (the default): the ImageNet no-top file, looked for in this order

  1. the folder named by the environment variable ``TL_WEIGHTS_DIR`` (offline or firewalled
     machines: put the file there under its Keras name, e.g.
     ``vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5``),
  2. Keras' own cache, ``$KERAS_HOME/models/`` (``~/.keras/models/``),
  3. a download from Keras' storage (then kept in 2.);
- a path to a weights file (``.h5``);
- ``None``: random weights (tests, or training from scratch).

When none gives a usable file, :class:`WeightsUnavailableError` says in one message what was
tried and where to put the file.

:func:`preprocessing_layer` is a backbone's ``preprocess_input`` as one built-in layer, so a saved
model takes raw RGB photos and loads with plain ``keras.models.load_model`` (no custom code).
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
import pandas as pd

WEIGHTS_ENV = "TL_WEIGHTS_DIR"
_STORAGE = "https://storage.googleapis.com/tensorflow/keras-applications"


@dataclass(frozen=True)
class Backbone:
    """What the course needs to know about one ``keras.applications`` backbone."""

    constructor: str  # name in keras.applications
    module: str  # keras.applications.<module>.preprocess_input
    default_size: int  # the input size it was trained at
    folder: str  # folder of Keras' storage holding the weights
    notop_file: str  # Keras' file name of the ImageNet weights without the classifier
    md5: str  # Keras' checksum of that file

    @property
    def origin(self) -> str:
        return f"{_STORAGE}/{self.folder}/{self.notop_file}"


BACKBONES: dict[str, Backbone] = {
    "vgg16": Backbone(
        "VGG16",
        "vgg16",
        224,
        "vgg16",
        "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5",
        "6d6bbae143d832006294945121d1f1fc",
    ),
    "vgg19": Backbone(
        "VGG19",
        "vgg19",
        224,
        "vgg19",
        "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5",
        "253f8cb515780f3b799900260a226db6",
    ),
    "inception_v3": Backbone(
        "InceptionV3",
        "inception_v3",
        299,
        "inception_v3",
        "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5",
        "bcbd6486424b2319ff4ef7d526e38f63",
    ),
    "xception": Backbone(
        "Xception",
        "xception",
        299,
        "xception",
        "xception_weights_tf_dim_ordering_tf_kernels_notop.h5",
        "b0042744bf5b25fce3cb969f33bebb97",
    ),
    "resnet50": Backbone(
        "ResNet50",
        "resnet",
        224,
        "resnet",
        "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5",
        "4d473c1dd8becc155b73f8504c6f6626",
    ),
}


class WeightsUnavailableError(RuntimeError):
    """Pretrained weights could not be found or downloaded."""


def backbone(name: str) -> Backbone:
    """The registry entry of a backbone (``"vgg16"``, ``"inception_v3"``, ...)."""
    try:
        return BACKBONES[name]
    except KeyError:
        raise ValueError(f"unknown backbone {name!r}; known: {', '.join(BACKBONES)}") from None


def constructor(name: str):
    """The ``keras.applications`` function building a backbone (``keras.applications.VGG16``)."""
    return getattr(keras.applications, backbone(name).constructor)


def keras_cache_dir() -> Path:
    """Keras' download cache for weights: ``$KERAS_HOME/models`` (``~/.keras/models``)."""
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return Path(home) / "models"


def _usable(path: Path, tried: list[str], label: str) -> bool:
    import h5py

    if not path.is_file():
        tried.append(f"{label}: {path} (no such file)")
        return False
    try:
        with h5py.File(path, "r"):
            return True
    except OSError as err:
        tried.append(f"{label}: {path} (not an HDF5 weights file: {' '.join(str(err).split())})")
        return False


def weights_file(name: str, weights: str | os.PathLike | None = "imagenet") -> str | None:
    """What to pass as ``weights=`` to the ``keras.applications`` constructor of ``name``.

    A path for ``"imagenet"`` (found or downloaded, see the module docstring) or an explicit
    file; ``None`` stays ``None`` (random weights). Raises :class:`WeightsUnavailableError`.
    """
    if weights is None:
        return None
    spec = backbone(name)
    tried: list[str] = []
    if weights != "imagenet":
        path = Path(weights).expanduser()
        if _usable(path, tried, "weights file"):
            return str(path)
    else:
        env_dir = os.environ.get(WEIGHTS_ENV)
        candidates = [(keras_cache_dir() / spec.notop_file, "Keras cache")]
        if env_dir:
            candidates.insert(0, (Path(env_dir).expanduser() / spec.notop_file, f"${WEIGHTS_ENV}"))
        else:
            tried.append(f"${WEIGHTS_ENV}: not set")
        for path, label in candidates:
            if _usable(path, tried, label):
                return str(path)
        try:
            return keras.utils.get_file(
                spec.notop_file,
                spec.origin,
                cache_subdir="models",
                cache_dir=str(keras_cache_dir().parent),
                file_hash=spec.md5,
            )
        except Exception as err:  # noqa: BLE001 - URL errors, timeouts, checksum mismatch
            tried.append(f"download: {spec.origin} (failed: {' '.join(str(err).split())[:200]})")
    lines = "\n".join(f"  - {t}" for t in tried)
    raise WeightsUnavailableError(
        f"No usable pretrained weights for {name!r}. Tried:\n{lines}\n"
        f"To fix: download {spec.origin}\n"
        f"and pass its path as WEIGHTS=/path/to/{spec.notop_file} (--weights PATH), "
        f"or put it in a folder named by the environment variable {WEIGHTS_ENV}, "
        f"or in Keras' cache {keras_cache_dir()}/. WEIGHTS=None gives random weights."
    )


def preprocess_input(name: str):
    """A backbone's own ``keras.applications.<module>.preprocess_input``."""
    return importlib.import_module(f"keras.applications.{backbone(name).module}").preprocess_input


def preprocessing_layer(name: str, layer_name: str | None = None) -> keras.layers.Dense:
    """A backbone's ``preprocess_input`` as one frozen, built-in ``Dense(3)`` layer.

    Every ``keras.applications`` preprocessing is an affine map of each pixel's three channels
    (VGG-16 and ResNet-50: swap red and blue, subtract the ImageNet mean; Inception and Xception:
    scale to [-1, 1]; ...). A ``Dense`` layer on the channel axis computes exactly such a map, so
    we read the map off ``preprocess_input`` (its value at 0 is the bias, at each unit colour the
    kernel rows) and store it in the layer. It computes in float32 whatever the dtype policy,
    and a model holding it saves and loads with no custom code.
    """
    fn = preprocess_input(name)
    probe = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]], np.float32).reshape(1, 4, 1, 3)
    out = np.asarray(fn(probe.copy()), np.float32).reshape(4, 3)
    bias, kernel = out[0], out[1:] - out[0]
    layer = keras.layers.Dense(
        3, trainable=False, dtype="float32", name=layer_name or f"{name}_preprocess"
    )
    layer.build((None, 3))
    layer.set_weights([kernel, bias])
    return layer


def layer_table(model: keras.Model) -> pd.DataFrame:
    """The book's table of layers: type, name, trainable flag and parameter count."""
    return pd.DataFrame(
        [
            {
                "Layer Type": type(layer).__name__,
                "Layer Name": layer.name,
                "Layer Trainable": bool(layer.trainable),
                "Params": int(layer.count_params()) if layer.built else 0,
            }
            for layer in model.layers
        ]
    )


def param_counts(model: keras.Model) -> dict[str, int]:
    """Trainable and frozen parameter counts of a model."""
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    frozen = sum(int(np.prod(w.shape)) for w in model.non_trainable_weights)
    return {"trainable_params": trainable, "frozen_params": frozen}
