"""Bottleneck features: run a frozen base over image files once, cache the result on disk.

:func:`extract_features` streams the files through ``utils.data.image_dataset`` (decoding and
preprocessing overlap with the model thanks to prefetching, so it runs about as fast as
``model.predict`` on arrays already in memory) and saves the features as ``.npy`` in
``cache_dir`` with a small ``.json`` beside it describing what they are. The file name is a
SHA-256 of everything that changes the features:

- the model's weights (a hash of their values, so a fine-tuned base never reuses stale
  features) and what :func:`utils.pretrained.load_backbone` recorded (backbone, weights file,
  input shape, dtype policy), plus the output layer and shape;
- the input size, the preprocessing, any augmentation (its config and seed);
- the exact ordered list of files, with their sizes and modification times.

A second run with the same inputs only loads the ``.npy``; a changed split gets a new key.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from tqdm.auto import tqdm

from utils.data import SPLITS, class_names, image_dataset, list_images
from utils.layers import preprocess_function
from utils.pretrained import backbone_info

Preprocess = str | Callable | None


def preprocess_fn(preprocess: Preprocess) -> tuple[Callable | None, str]:
    """A preprocessing function and its name for cache keys.

    ``"rescale"`` divides by 255 (the book's way), ``None`` or ``"none"`` keeps raw [0, 255]
    pixels, any other string is a backbone name (``"vgg16"``: its own ``preprocess_input``);
    a callable is used as is and named by its module and qualified name.
    """
    if preprocess is None or preprocess == "none":
        return None, "none"
    if preprocess == "rescale":
        return (lambda x: x / 255.0), "rescale_1/255"
    if isinstance(preprocess, str):
        return preprocess_function(preprocess), f"backbone:{preprocess}"
    return preprocess, f"{preprocess.__module__}.{preprocess.__qualname__}"


def files_fingerprint(paths: Sequence[str | os.PathLike]) -> str:
    """SHA-256 of the ordered file list with each file's size and modification time."""
    digest = hashlib.sha256()
    for path in paths:
        stat = os.stat(path)
        digest.update(f"{os.fspath(path)}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def weights_fingerprint(model: keras.Model) -> str:
    """SHA-256 of a model's weight values (names, shapes and bytes), trainable or not."""
    digest = hashlib.sha256()
    for var in model.weights:
        value = np.ascontiguousarray(keras.ops.convert_to_numpy(var))
        digest.update(f"{var.path}|{value.shape}|{value.dtype}\n".encode())
        digest.update(value.tobytes())
    return digest.hexdigest()


def _describe_augment(augment) -> Any:
    if augment is None:
        return None
    if hasattr(augment, "get_config"):
        return json.loads(json.dumps(augment.get_config(), default=str))
    return f"{getattr(augment, '__module__', '')}.{getattr(augment, '__qualname__', augment)}"


def feature_key(
    extractor: keras.Model,
    paths: Sequence[str | os.PathLike],
    image_size: int | tuple[int, int],
    preprocess: Preprocess,
    augment=None,
    key_parts: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Everything the cache key is made of (JSON-serialisable)."""
    size = (image_size, image_size) if isinstance(image_size, int) else tuple(image_size)
    return {
        "model": backbone_info(extractor) or {"name": extractor.name},
        "weights_sha256": weights_fingerprint(extractor),
        "layer": extractor.layers[-1].name,
        "output_shape": list(extractor.output_shape[1:]),
        "dtype_policy": extractor.dtype_policy.name,
        "image_size": list(size),
        "preprocess": preprocess_fn(preprocess)[1],
        "augment": _describe_augment(augment),
        "n_files": len(paths),
        "first_file": os.fspath(paths[0]) if len(paths) else None,
        "files_sha256": files_fingerprint(paths),
        **(key_parts or {}),
    }


def _key_hash(parts: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def cache_paths(cache_dir: str | Path, name: str, parts: dict[str, Any]) -> tuple[Path, Path]:
    """The ``.npy`` and ``.json`` files of a cache entry."""
    stem = f"{name}_{_key_hash(parts)[:20]}"
    return Path(cache_dir) / f"{stem}.npy", Path(cache_dir) / f"{stem}.json"


class _Progress(keras.callbacks.Callback):
    def __init__(self, bar):
        super().__init__()
        self.bar = bar

    def on_predict_batch_end(self, batch, logs=None):
        self.bar.update(1)


def extract_features(
    extractor: keras.Model,
    paths: Sequence[str | os.PathLike],
    image_size: int | tuple[int, int] = 150,
    preprocess: Preprocess = "vgg16",
    batch_size: int = 30,
    cache_dir: str | Path | None = None,
    key_parts: dict[str, Any] | None = None,
    *,
    augment=None,
    seed: int = 42,
    name: str = "features",
    progress: bool = True,
    stats: dict[str, Any] | None = None,
) -> np.ndarray:
    """Features of ``extractor`` (a frozen base) for the image files ``paths``, in order.

    ``preprocess`` runs in the pipeline before the model (see :func:`preprocess_fn`);
    ``augment`` (a Keras layer or model, called with ``training=True``) runs before it, for
    augmented passes; give each pass its own ``key_parts`` (e.g. ``{"pass": 2}``). With
    ``cache_dir`` the result is cached there (see the module docstring); ``key_parts`` adds to
    the key. ``stats``, if given, is filled with ``cache_hit``, ``seconds``, ``images``,
    ``images_per_second`` and ``path``. Returns float32 ``(len(paths), *output_shape)``.
    """
    start = time.perf_counter()
    paths = [os.fspath(p) for p in paths]
    size = (image_size, image_size) if isinstance(image_size, int) else tuple(image_size)
    npy = meta = None
    if cache_dir is not None:
        parts = feature_key(
            extractor, paths, size, preprocess, augment, {"seed": seed, **(key_parts or {})}
        )
        npy, meta = cache_paths(cache_dir, name, parts)
        if npy.is_file():
            features = np.load(npy)
            if features.shape[0] == len(paths):
                _fill(stats, True, start, len(paths), npy)
                return features

    fn, _ = preprocess_fn(preprocess)
    ds = image_dataset(
        paths,
        np.zeros(len(paths), np.int32),
        size,
        batch_size,
        seed=seed,
        augment=augment,
        preprocess=fn,
    ).map(lambda x, y: x)
    steps = -(-len(paths) // batch_size)
    with tqdm(total=steps, desc=name, unit="batch", disable=not progress) as bar:
        features = extractor.predict(ds, verbose=0, callbacks=[_Progress(bar)])
    features = np.asarray(features, dtype=np.float32)
    if npy is not None:
        _save_atomic(npy, features)
        info = {
            **parts,
            "shape": list(features.shape),
            "seconds": round(time.perf_counter() - start, 2),
            "created": time.strftime("%Y-%m-%d %H:%M:%S"),
        }
        meta.write_text(json.dumps(info, indent=2, default=str) + "\n")
    _fill(stats, False, start, len(paths), npy)
    return features


def _fill(stats, hit, start, n, path) -> None:
    if stats is None:
        return
    seconds = time.perf_counter() - start
    stats.update(
        cache_hit=hit,
        seconds=seconds,
        images=n,
        images_per_second=n / seconds if seconds > 0 else float("inf"),
        path=str(path) if path is not None else None,
    )


def _save_atomic(path: Path, array: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".npy.tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            np.save(handle, array)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def pool_features(features: np.ndarray, method: str = "avg") -> np.ndarray:
    """Global average (or max) pooling of ``(n, h, w, c)`` feature maps to ``(n, c)``."""
    if features.ndim == 2:
        return features
    axes = tuple(range(1, features.ndim - 1))
    if method == "avg":
        return features.mean(axis=axes)
    if method == "max":
        return features.max(axis=axes)
    raise ValueError(f"method must be 'avg' or 'max', got {method!r}")


def predict_throughput(
    model: keras.Model, images: np.ndarray, batch_size: int = 30, repeats: int = 1
) -> float:
    """Images per second of plain ``model.predict`` on arrays already in memory.

    The reference for :func:`extract_features`' throughput. One batch runs first, untimed, so
    tracing is not counted.
    """
    model.predict(images[:batch_size], batch_size=batch_size, verbose=0)
    start = time.perf_counter()
    for _ in range(repeats):
        model.predict(images, batch_size=batch_size, verbose=0)
    return repeats * len(images) / (time.perf_counter() - start)


def per_class_indices(labels: np.ndarray, n_per_class: int | None) -> np.ndarray:
    """Indices of the first ``n_per_class`` items of each class (all when ``None``)."""
    labels = np.asarray(labels)
    if n_per_class is None:
        return np.arange(len(labels))
    return np.concatenate([np.flatnonzero(labels == c)[:n_per_class] for c in np.unique(labels)])


def feature_map_figure(
    image: np.ndarray, feature_map: np.ndarray, n_channels: int = 7, title: str = ""
) -> Figure:
    """A photo beside its most active bottleneck channels (each ``h x w`` map as an image)."""
    strongest = np.argsort(feature_map.mean(axis=(0, 1)))[::-1][:n_channels]
    fig, axes = plt.subplots(1, n_channels + 1, figsize=(2.2 * (n_channels + 1), 2.6))
    axes[0].imshow(np.clip(np.asarray(image), 0, 255).astype(np.uint8))
    axes[0].set_title("input", fontsize=9)
    for ax, channel in zip(axes[1:], strongest, strict=False):
        ax.imshow(feature_map[:, :, channel], cmap="viridis")
        ax.set_title(f"channel {channel}", fontsize=9)
    for ax in axes:
        ax.axis("off")
    h, w, c = feature_map.shape
    fig.suptitle(title or f"bottleneck features: {h}x{w}x{c}", fontsize=11)
    fig.tight_layout()
    return fig


@dataclass
class SplitFeatures:
    """Bottleneck features of every split of a dataset folder, with labels and file paths."""

    features: dict[str, np.ndarray]
    labels: dict[str, np.ndarray]
    paths: dict[str, list[str]]
    class_names: list[str]
    stats: pd.DataFrame  # one row per split: cache_hit, images, seconds, images_per_second


def split_features(
    extractor: keras.Model,
    data_dir: str | Path,
    image_size: int = 150,
    preprocess: Preprocess = "vgg16",
    batch_size: int = 30,
    cache_dir: str | Path | None = None,
    splits: Sequence[str] = SPLITS,
    name: str = "vgg16",
    progress: bool = True,
) -> SplitFeatures:
    """:func:`extract_features` for each split of ``data_dir`` (class names from ``train``)."""
    data_dir = Path(data_dir)
    classes = class_names(data_dir / "train")
    out = SplitFeatures({}, {}, {}, classes, pd.DataFrame())
    rows = {}
    for split in splits:
        paths, labels, _ = list_images(data_dir / split, classes)
        stats: dict[str, Any] = {}
        out.features[split] = extract_features(
            extractor, paths, image_size, preprocess, batch_size, cache_dir,
            name=f"{name}_{split}", progress=progress, stats=stats,
        )  # fmt: skip
        out.labels[split], out.paths[split] = labels, paths
        rows[split] = {k: stats[k] for k in ("cache_hit", "images", "seconds", "images_per_second")}
    out.stats = pd.DataFrame(rows).T
    return out


def load_images(
    paths: Sequence[str], image_size: int = 150, preprocess: Preprocess = None, batch_size: int = 30
) -> np.ndarray:
    """Images as one float32 array ``(n, size, size, 3)``, raw [0, 255] unless ``preprocess``."""
    fn, _ = preprocess_fn(preprocess)
    ds = image_dataset(
        list(paths), np.zeros(len(paths), np.int32), (image_size, image_size), batch_size,
        preprocess=fn,
    )  # fmt: skip
    return np.concatenate([np.asarray(x) for x, _ in ds], axis=0)
