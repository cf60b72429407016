"""Pretrained convolutional bases from ``keras.applications``, with weights that work offline.

``load_backbone("vgg16", weights=...)`` builds the base without its classifier
(``include_top=False``), frozen by default. ``weights`` is one of:

- ``"imagenet"`` (the default): the ImageNet weights, looked for in this order

  1. the folder named by the environment variable ``TL_WEIGHTS_DIR`` (for offline or
     firewalled machines: put the Keras file there under its Keras name, e.g.
     ``vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5``),
  2. Keras' own cache, ``$KERAS_HOME/models/`` (``~/.keras/models/`` by default; a file placed
     there by hand is used as is),
  3. a download from Keras' storage (then cached in 2.);
- a path to a weights file (``.h5``), for instance
  ``../shared/weights/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5``;
- ``None``: random weights (tests, or training from scratch).

When none of these gives usable weights, :class:`WeightsUnavailableError` says, in one message,
what was tried and where to put the file.
"""

from __future__ import annotations

import os
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras
import pandas as pd

from utils.layers import BackbonePreprocess, preprocess_function

WEIGHTS_ENV = "TL_WEIGHTS_DIR"
_KERAS_STORAGE = "https://storage.googleapis.com/tensorflow/keras-applications"


@dataclass(frozen=True)
class Backbone:
    """What the course needs to know about one ``keras.applications`` backbone."""

    constructor: str  # name in keras.applications
    preprocess: str  # name understood by utils.layers.preprocess_function
    default_size: int  # the input size it was trained at
    notop_file: str  # Keras' file name of the ImageNet weights without the classifier
    origin: str  # where Keras downloads that file from
    md5: str  # Keras' checksum of that file


def _entry(constructor, preprocess, size, folder, file, md5) -> Backbone:
    return Backbone(constructor, preprocess, size, file, f"{_KERAS_STORAGE}/{folder}/{file}", md5)


BACKBONES: dict[str, Backbone] = {
    "vgg16": _entry(
        "VGG16", "vgg16", 224, "vgg16", "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5",
        "6d6bbae143d832006294945121d1f1fc",
    ),
    "vgg19": _entry(
        "VGG19", "vgg19", 224, "vgg19", "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5",
        "253f8cb515780f3b799900260a226db6",
    ),
    "inception_v3": _entry(
        "InceptionV3", "inception_v3", 299, "inception_v3",
        "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5",
        "bcbd6486424b2319ff4ef7d526e38f63",
    ),
    "xception": _entry(
        "Xception", "xception", 299, "xception",
        "xception_weights_tf_dim_ordering_tf_kernels_notop.h5", "b0042744bf5b25fce3cb969f33bebb97",
    ),
    "resnet50": _entry(
        "ResNet50", "resnet50", 224, "resnet",
        "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5", "4d473c1dd8becc155b73f8504c6f6626",
    ),
}  # fmt: skip


class WeightsUnavailableError(RuntimeError):
    """Pretrained weights could not be found, downloaded or loaded."""


# What load_backbone knows about each base it built (for cache keys); weak, so models can be freed.
_INFO: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def backbone_spec(name: str) -> Backbone:
    """The registry entry of a backbone, by name (``"vgg16"``, ``"inception_v3"``, ...)."""
    try:
        return BACKBONES[name]
    except KeyError:
        raise ValueError(f"unknown backbone {name!r}; known: {', '.join(BACKBONES)}") from None


def keras_cache_dir() -> Path:
    """Keras' download cache for model weights: ``$KERAS_HOME/models`` (``~/.keras/models``)."""
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return Path(home) / "models"


def file_identity(path: str | Path) -> str:
    """A short identity of a file for cache keys: absolute path, size and modification time."""
    path = Path(path).resolve()
    stat = path.stat()
    return f"{path}|{stat.st_size}|{stat.st_mtime_ns}"


def _build(spec: Backbone, weights: str | None, input_shape: tuple[int, int, int]) -> keras.Model:
    constructor = getattr(keras.applications, spec.constructor)
    return constructor(include_top=False, weights=weights, input_shape=tuple(input_shape))


def _short(err: BaseException) -> str:
    text = " ".join(str(err).split())
    return f"{type(err).__name__}: {text[:300]}"


def _unavailable(name: str, spec: Backbone, tried: list[str]) -> WeightsUnavailableError:
    lines = "\n".join(f"  - {t}" for t in tried)
    return WeightsUnavailableError(
        f"No usable pretrained weights for {name!r}. Tried:\n{lines}\n"
        f"To fix: download {spec.origin}\n"
        f"and either pass its path as WEIGHTS=/path/to/{spec.notop_file}, "
        f"or put it in a folder named by the environment variable {WEIGHTS_ENV}, "
        f"or in Keras' cache {keras_cache_dir()}/. "
        f"WEIGHTS=None builds the model with random weights."
    )


def _try_file(
    spec: Backbone, path: Path, input_shape, tried: list[str], label: str
) -> keras.Model | None:
    if not path.is_file():
        tried.append(f"{label}: {path} (no such file)")
        return None
    try:
        return _build(spec, str(path), input_shape)
    except Exception as err:  # noqa: BLE001 - any failure to load becomes one clear message
        tried.append(f"{label}: {path} (not usable: {_short(err)})")
        return None


def _resolve(name: str, spec: Backbone, weights, input_shape) -> tuple[keras.Model, str]:
    """Build the base with real weights; returns it and the identity of the weights used."""
    tried: list[str] = []
    if weights != "imagenet":  # an explicit path
        path = Path(weights).expanduser()
        model = _try_file(spec, path, input_shape, tried, "weights file")
        if model is None:
            raise _unavailable(name, spec, tried)
        return model, file_identity(path)

    env_dir = os.environ.get(WEIGHTS_ENV)
    if env_dir:
        path = Path(env_dir).expanduser() / spec.notop_file
        model = _try_file(spec, path, input_shape, tried, f"${WEIGHTS_ENV}")
        if model is not None:
            return model, file_identity(path)
    else:
        tried.append(f"${WEIGHTS_ENV}: not set")

    path = keras_cache_dir() / spec.notop_file
    model = _try_file(spec, path, input_shape, tried, "Keras cache")
    if model is not None:
        return model, file_identity(path)

    try:
        downloaded = keras.utils.get_file(
            spec.notop_file,
            spec.origin,
            cache_subdir="models",
            cache_dir=str(keras_cache_dir().parent),
            file_hash=spec.md5,
        )
    except Exception as err:  # noqa: BLE001 - URL errors, timeouts, checksum mismatch
        tried.append(f"download: {spec.origin} (failed: {_short(err)})")
        raise _unavailable(name, spec, tried) from None
    model = _try_file(spec, Path(downloaded), input_shape, tried, "downloaded file")
    if model is None:
        raise _unavailable(name, spec, tried)
    return model, file_identity(downloaded)


def load_backbone(
    name: str = "vgg16",
    weights: str | Path | None = "imagenet",
    input_shape: tuple[int, int, int] | None = (150, 150, 3),
    trainable: bool = False,
    mixed_precision: bool = False,
) -> keras.Model:
    """The convolutional base of a ``keras.applications`` backbone (``include_top=False``).

    ``weights``: ``"imagenet"``, a path to a weights file, or ``None`` (random); see the module
    docstring for where ``"imagenet"`` is looked for. ``input_shape=None`` uses the backbone's
    default size. The base is frozen unless ``trainable``. ``mixed_precision=True`` builds it
    under Keras' ``mixed_bfloat16`` policy (weights stay float32, computations run in bfloat16:
    about 1.5x faster feature extraction on recent CPUs); meant for feature extraction only.
    Raises :class:`WeightsUnavailableError` when real weights were asked for and none load.
    """
    spec = backbone_spec(name)
    if input_shape is None:
        input_shape = (spec.default_size, spec.default_size, 3)
    input_shape = tuple(int(v) for v in input_shape)
    previous = keras.config.dtype_policy()
    if mixed_precision:
        keras.config.set_dtype_policy("mixed_bfloat16")
    try:
        if weights is None:
            base, identity = _build(spec, None, input_shape), "random"
        else:
            base, identity = _resolve(name, spec, weights, input_shape)
    finally:
        keras.config.set_dtype_policy(previous)
    base.trainable = trainable
    _INFO[base] = {
        "backbone": name,
        "weights": identity,
        "input_shape": list(input_shape),
        "dtype_policy": "mixed_bfloat16" if mixed_precision else "float32",
    }
    return base


def backbone_info(model: keras.Model) -> dict[str, Any]:
    """What :func:`load_backbone` recorded about a base (backbone, weights identity, ...).

    Empty for a model it did not build (its cache keys must then be given explicitly).
    """
    return dict(_INFO.get(model, {}))


def backbone_preprocess_layer(name: str = "vgg16", **kwargs) -> BackbonePreprocess:
    """The layer applying a backbone's own ``preprocess_input`` to raw [0, 255] images."""
    return BackbonePreprocess(backbone_spec(name).preprocess, **kwargs)


def preprocess_input(name: str = "vgg16"):
    """A backbone's own ``preprocess_input`` function (for ``tf.data`` pipelines)."""
    return preprocess_function(backbone_spec(name).preprocess)


def layer_table(model: keras.Model, expand_nested: bool = False) -> pd.DataFrame:
    """The book's table of layers: type, name, trainable flag, plus the parameter count.

    A nested model (the base inside a full model) is one row unless ``expand_nested``.
    """
    rows = []

    def walk(layers, prefix=""):
        for layer in layers:
            if expand_nested and isinstance(layer, keras.Model):
                walk(layer.layers, prefix=f"{prefix}{layer.name}/")
                continue
            rows.append(
                {
                    "Layer Type": type(layer).__name__,
                    "Layer Name": prefix + layer.name,
                    "Layer Trainable": bool(layer.trainable),
                    "Params": int(layer.count_params()) if layer.built else 0,
                }
            )

    walk(model.layers)
    return pd.DataFrame(rows, columns=["Layer Type", "Layer Name", "Layer Trainable", "Params"])


def set_trainable_blocks(base: keras.Model, from_block: str | None = "block4") -> keras.Model:
    """Unfreeze the layers of ``base`` from the first one whose name starts with ``from_block``.

    For VGG-16, ``"block4"`` trains blocks 4 and 5 (the book's fine-tuning), ``"block5"`` only
    block 5 (the course slides); earlier layers stay frozen. ``None`` freezes the whole base.
    Recompile the model afterwards: Keras reads the flags when compiling.
    """
    if from_block is None:
        base.trainable = False
        return base
    names = [layer.name for layer in base.layers]
    start = next((i for i, n in enumerate(names) if n.startswith(from_block)), None)
    if start is None:
        raise ValueError(f"no layer of {base.name} starts with {from_block!r}")
    base.trainable = True
    for i, layer in enumerate(base.layers):
        layer.trainable = i >= start
    return base


def trainable_summary(model: keras.Model) -> dict[str, int]:
    """Trainable and frozen parameter counts of a model."""
    trainable = sum(int(keras.ops.size(w)) for w in model.trainable_weights)
    frozen = sum(int(keras.ops.size(w)) for w in model.non_trainable_weights)
    return {"trainable_params": trainable, "frozen_params": frozen}


def feature_extractor(
    base: keras.Model, weights: str | Path | None, mixed_precision: bool = False
) -> keras.Model:
    """The model that computes cached features: ``base`` itself, or with ``mixed_precision`` the
    same backbone and weights computing in bfloat16 (the cache keys them apart)."""
    if not mixed_precision:
        return base
    return load_backbone(base.name, weights, base.input_shape[1:], mixed_precision=True)
