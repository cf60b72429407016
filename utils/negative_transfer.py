"""MNIST digits as a test of transfer (notebook 09): data, features, cross-validation, fine-tuning.

The question is whether features learned on ImageNet photos help a linear classifier tell two
handwritten digits apart, compared with the raw pixels. Everything a result depends on is a
function here, so the notebook stays a sequence of short calls and the tests can check each part:

- :func:`load_mnist` / :func:`load_digits`: Keras' MNIST or a local ``.npz`` of the same layout,
  the chosen digits relabelled ``0, 1, ...`` in the order given, a seeded stratified subsample;
- :func:`grey_to_rgb` / :func:`rgb_batches`: grey 28x28 digits as 3-channel images at the network's
  input size, made batch by batch so memory stays flat at any input size;
- :func:`extract_array_features`: one pass of a multi-output extractor over an in-memory array,
  cached on disk like :func:`utils.features.extract_features` (which reads image files);
- :func:`stratified_folds`, :func:`cross_validate_features`: the cross-validation (accuracy and
  macro F1 per fold) with scikit-learn;
- :func:`fine_tune_cv`: a short fine-tune of the last convolutional block, fed with the cached
  maps of the block before it (exactly equivalent to training the network with the earlier
  blocks frozen, without running them again).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import keras
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import tensorflow as tf
from matplotlib.figure import Figure
from sklearn.base import BaseEstimator, clone
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import StratifiedKFold, cross_validate, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from utils.features import Preprocess, cache_paths, preprocess_fn, weights_fingerprint
from utils.models import classifier_head
from utils.training import compile_for, set_seed

MNIST_KEYS = ("x_train", "y_train", "x_test", "y_test")
MIN_VGG_SIZE = 32  # VGG-16 halves the size five times: below 32 pixels block5_pool is empty
SCORING = {"accuracy": "accuracy", "f1": "f1_macro"}


# --------------------------------------------------------------------------------------- data
def load_mnist(
    path: str | Path | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """MNIST as ``(x_train, y_train, x_test, y_test)``.

    ``path=None`` uses ``keras.datasets.mnist.load_data()`` (downloaded once, then cached in
    ``~/.keras/datasets``). Otherwise ``path`` is a local ``.npz`` in the same layout as Keras'
    file: arrays ``x_train`` ``(n, 28, 28)`` uint8, ``y_train`` ``(n,)``, ``x_test``, ``y_test``.
    """
    if path is None:
        (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
        return x_train, y_train, x_test, y_test
    path = Path(path).expanduser()
    if not path.is_file():
        raise FileNotFoundError(
            f"no MNIST file at {path}; pass MNIST_PATH=None to use keras.datasets.mnist"
        )
    layout = (
        "expected Keras' MNIST layout: arrays x_train (n, 28, 28) uint8, y_train (n,), "
        "x_test (m, 28, 28), y_test (m,)"
    )
    try:
        data = np.load(path, allow_pickle=False)
    except (ValueError, OSError) as err:
        raise ValueError(f"{path} is not a readable .npz file ({err}); {layout}") from None
    if not isinstance(data, np.lib.npyio.NpzFile):
        raise ValueError(f"{path} holds one array, not an .npz archive; {layout}")
    with data:
        missing = [key for key in MNIST_KEYS if key not in data.files]
        if missing:
            found = ", ".join(sorted(data.files)) or "nothing"
            raise ValueError(f"{path} lacks {', '.join(missing)} (it has {found}); {layout}")
        x_train, y_train, x_test, y_test = (data[key] for key in MNIST_KEYS)
    for x, y, split in ((x_train, y_train, "train"), (x_test, y_test, "test")):
        if x.ndim != 3 or y.ndim != 1 or len(x) != len(y):
            raise ValueError(
                f"{path}: x_{split} {x.shape} and y_{split} {y.shape} do not match; {layout}"
            )
    return x_train, y_train, x_test, y_test


def digit_subset(
    images: np.ndarray,
    digits_labels: np.ndarray,
    digits: Sequence[int] = (8, 6),
    n_samples: int | None = None,
    seed: int = 42,
) -> tuple[np.ndarray, np.ndarray]:
    """The images of ``digits``, labelled by their position in ``digits`` (8 → 0, 6 → 1).

    ``n_samples`` draws a seeded stratified subsample (same class ratio as the whole), kept in
    the original order; ``None`` (or more than there are) keeps them all.
    """
    digits = [int(d) for d in digits]
    if len(set(digits)) != len(digits) or len(digits) < 2:
        raise ValueError(f"need at least two different digits, got {digits}")
    digits_labels = np.asarray(digits_labels)
    keep = np.flatnonzero(np.isin(digits_labels, digits))
    missing = [d for d in digits if not np.any(digits_labels[keep] == d)]
    if missing:
        raise ValueError(f"no images of digit(s) {missing}")
    position = {digit: index for index, digit in enumerate(digits)}
    labels = np.array([position[int(d)] for d in digits_labels[keep]], dtype=np.int32)
    if n_samples is not None and n_samples < len(keep):
        keep, _, labels, _ = train_test_split(
            keep, labels, train_size=int(n_samples), stratify=labels, random_state=seed
        )
        order = np.argsort(keep)
        keep, labels = keep[order], labels[order]
    return images[keep], labels.astype(np.int32)


def load_digits(
    path: str | Path | None = None,
    digits: Sequence[int] = (8, 6),
    n_samples: int | None = None,
    seed: int = 42,
    splits: Sequence[str] = ("train", "test"),
) -> tuple[np.ndarray, np.ndarray]:
    """Grey digits ``(n, 28, 28)`` uint8 of ``digits`` from the MNIST ``splits``, and labels.

    Cross-validation needs no held-out split, so by default the train and test images are pooled
    (for 8 and 6: 11,769 + 1,932 = 13,701 images), then subsampled as in :func:`digit_subset`.
    """
    x_train, y_train, x_test, y_test = load_mnist(path)
    parts = {"train": (x_train, y_train), "test": (x_test, y_test)}
    unknown = set(splits) - parts.keys()
    if unknown or not splits:
        raise ValueError(f"splits must be among 'train', 'test'; got {list(splits)}")
    x = np.concatenate([parts[s][0] for s in splits])
    y = np.concatenate([parts[s][1] for s in splits])
    return digit_subset(x, y, digits, n_samples, seed)


# ------------------------------------------------------------------------------ images, pixels
def _to_rgb(batch: tf.Tensor, size: int) -> tf.Tensor:
    """Grey ``(n, h, w)`` to float32 ``(n, size, size, 3)`` in [0, 255] (bilinear resize)."""
    batch = tf.cast(batch, tf.float32)[..., tf.newaxis]
    batch = tf.image.resize(batch, (size, size), method="bilinear")
    return tf.repeat(batch, 3, axis=-1)


def grey_to_rgb(images: np.ndarray, size: int) -> np.ndarray:
    """Grey digits ``(n, h, w)`` as float32 RGB images ``(n, size, size, 3)`` in [0, 255].

    The grey value is copied into the three channels; for many images use :func:`rgb_batches`.
    """
    images = np.asarray(images)
    if images.ndim != 3:
        raise ValueError(f"expected grey images (n, h, w), got shape {images.shape}")
    return _to_rgb(tf.constant(images), int(size)).numpy()


def rgb_dataset(
    images: np.ndarray, size: int, batch_size: int = 64, preprocess: Preprocess = None
) -> tf.data.Dataset:
    """Batches of ``images`` as RGB at ``size``, then ``preprocess`` (see ``preprocess_fn``).

    Only one batch at a time exists at the network's size: 13,701 digits at 224x224x3 float32
    would take 8 GB at once.
    """
    fn, _ = preprocess_fn(preprocess)
    ds = tf.data.Dataset.from_tensor_slices(np.asarray(images)).batch(batch_size)
    ds = ds.map(lambda x: _to_rgb(x, int(size)), num_parallel_calls=tf.data.AUTOTUNE)
    if fn is not None:
        ds = ds.map(fn, num_parallel_calls=tf.data.AUTOTUNE)
    return ds.prefetch(tf.data.AUTOTUNE)


def rgb_batches(
    images: np.ndarray, size: int, batch_size: int = 64, preprocess: Preprocess = None
) -> Iterator[np.ndarray]:
    """The batches of :func:`rgb_dataset` as NumPy arrays."""
    for batch in rgb_dataset(images, size, batch_size, preprocess):
        yield batch.numpy()


def pixel_features(images: np.ndarray) -> np.ndarray:
    """Raw pixels as features: each image flattened and divided by 255, float32 ``(n, h*w)``."""
    images = np.asarray(images)
    return images.reshape(len(images), -1).astype(np.float32) / 255.0


# ------------------------------------------------------------------------------------ features
def feature_extractor(base: keras.Model, layers: Sequence[str]) -> keras.Model:
    """A model with the outputs of the named ``layers`` of ``base`` (one pass gives them all)."""
    layers = list(layers)
    names = [layer.name for layer in base.layers]
    unknown = [name for name in layers if name not in names]
    if unknown:
        raise ValueError(f"{base.name} has no layer(s) {unknown}; it has {names}")
    outputs = {name: base.get_layer(name).output for name in layers}
    return keras.Model(base.input, outputs, name=f"{base.name}_features")


def array_fingerprint(array: np.ndarray) -> str:
    """SHA-256 of an array's shape, dtype and bytes (the cache key of in-memory images)."""
    array = np.ascontiguousarray(array)
    digest = hashlib.sha256(f"{array.shape}|{array.dtype}\n".encode())
    digest.update(array.tobytes())
    return digest.hexdigest()


def extract_array_features(
    extractor: keras.Model,
    images: np.ndarray,
    image_size: int,
    preprocess: Preprocess = "vgg16",
    batch_size: int = 64,
    cache_dir: str | Path | None = None,
    name: str = "mnist",
    stats: dict[str, Any] | None = None,
) -> dict[str, np.ndarray]:
    """The outputs of ``extractor`` for grey ``images``, one float32 array per output layer.

    ``extractor`` comes from :func:`feature_extractor`. The images become RGB at
    ``image_size`` and go through ``preprocess`` batch by batch (``"rescale"``: divided by 255,
    as the book does; ``"vgg16"``: the backbone's own ``preprocess_input``; ``None``: raw
    [0, 255]). With ``cache_dir`` each layer's features are saved as ``.npy`` under a key made
    of the weight values, the layers, the size, the preprocessing and the image bytes; a second
    call only loads them. ``stats`` gets ``cache_hit``, ``seconds`` (of this call),
    ``extract_seconds`` (of the pass that computed them, also when loaded from the cache),
    ``images`` and ``images_per_second``.
    """
    start = time.perf_counter()
    if image_size < MIN_VGG_SIZE:
        raise ValueError(f"image_size must be at least {MIN_VGG_SIZE} for VGG-16, got {image_size}")
    outputs = list(extractor.output.keys()) if isinstance(extractor.output, dict) else None
    if outputs is None:
        raise ValueError("extractor must have named outputs: build it with feature_extractor()")
    files = {}
    if cache_dir is not None:
        parts = {
            "kind": "mnist-array-features",
            "weights_sha256": weights_fingerprint(extractor),
            "input_shape": list(extractor.input_shape[1:]),
            "layers": outputs,
            "dtype_policy": extractor.dtype_policy.name,
            "image_size": int(image_size),
            "preprocess": preprocess_fn(preprocess)[1],
            "images_sha256": array_fingerprint(images),
        }
        files = {layer: cache_paths(cache_dir, f"{name}_{layer}", parts) for layer in outputs}
        if all(npy.is_file() and meta.is_file() for npy, meta in files.values()):
            features = {layer: np.load(npy) for layer, (npy, _) in files.items()}
            if all(len(f) == len(images) for f in features.values()):
                meta = json.loads(next(iter(files.values()))[1].read_text())
                _fill(stats, True, start, len(images), meta.get("extract_seconds"))
                return features

    result = extractor.predict(rgb_dataset(images, image_size, batch_size, preprocess), verbose=0)
    features = {layer: np.asarray(result[layer], dtype=np.float32) for layer in outputs}
    seconds = time.perf_counter() - start
    for layer, (npy, meta) in files.items():
        npy.parent.mkdir(parents=True, exist_ok=True)
        tmp = npy.with_suffix(".tmp.npy")
        np.save(tmp, features[layer])
        tmp.replace(npy)
        info = {**parts, "layer": layer, "shape": list(features[layer].shape)}
        meta.write_text(json.dumps({**info, "extract_seconds": round(seconds, 2)}, indent=2) + "\n")
    _fill(stats, False, start, len(images), seconds)
    return features


def _fill(stats, hit: bool, start: float, n: int, extract_seconds: float | None) -> None:
    if stats is None:
        return
    seconds = time.perf_counter() - start
    extract = float(extract_seconds) if extract_seconds is not None else float("nan")
    stats.update(
        cache_hit=hit,
        seconds=seconds,
        extract_seconds=extract,
        images=n,
        images_per_second=n / extract if extract and extract > 0 else float("nan"),
    )


def flatten(maps: np.ndarray) -> np.ndarray:
    """Feature maps ``(n, h, w, c)`` as vectors ``(n, h*w*c)`` (the book's ``Flatten``)."""
    return maps.reshape(len(maps), -1)


# --------------------------------------------------------------------------- cross-validation
def stratified_folds(n_splits: int = 10, seed: int = 42) -> StratifiedKFold:
    """The splitter every feature set shares: shuffled, seeded, each fold keeps the class ratio."""
    return StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed)


def fold_balance(cv: StratifiedKFold, labels: np.ndarray) -> pd.DataFrame:
    """Per fold: train and test sizes and the share of each class in the test part."""
    labels = np.asarray(labels)
    classes = np.unique(labels)
    rows = []
    for fold, (train, test) in enumerate(cv.split(np.zeros(len(labels)), labels), start=1):
        row = {"fold": fold, "n_train": len(train), "n_test": len(test)}
        for c in classes:
            row[f"test_share_{c}"] = float(np.mean(labels[test] == c))
        rows.append(row)
    return pd.DataFrame(rows)


def logistic_regression(
    scale: bool = True, C: float = 1.0, max_iter: int = 2000, seed: int = 42
) -> BaseEstimator:
    """Logistic regression (L2, ``C``), after a ``StandardScaler`` when ``scale``.

    ``scale=False`` is the book's plain ``LogisticRegression()`` (with more iterations, so it
    converges); the scaler makes every feature count on the same scale, which matters for
    network activations whose magnitudes differ by orders between channels.
    """
    model = LogisticRegression(C=C, max_iter=max_iter, random_state=seed)
    if not scale:
        return model
    return Pipeline([("scale", StandardScaler()), ("logreg", model)])


def cross_validate_features(
    features: np.ndarray,
    labels: np.ndarray,
    cv: StratifiedKFold,
    estimator: BaseEstimator | None = None,
    permute_labels_seed: int | None = None,
) -> pd.DataFrame:
    """Accuracy and macro F1 of ``estimator`` on each fold of ``cv``: one row per fold.

    ``estimator`` defaults to :func:`logistic_regression`. ``permute_labels_seed`` shuffles
    the labels first (a control: features that no longer line up with their labels score
    about 50 % on two balanced classes).
    """
    labels = np.asarray(labels)
    if permute_labels_seed is not None:
        labels = np.random.default_rng(permute_labels_seed).permutation(labels)
    estimator = estimator if estimator is not None else logistic_regression()
    result = cross_validate(clone(estimator), features, labels, cv=cv, scoring=SCORING)
    return pd.DataFrame(
        {
            "fold": np.arange(1, len(result["test_accuracy"]) + 1),
            "accuracy": result["test_accuracy"],
            "f1": result["test_f1"],
            "fit_seconds": result["fit_time"],
        }
    )


def fold_table(results: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Per-fold accuracy and F1 of several feature sets side by side, with mean and std rows."""
    columns = {}
    for name, frame in results.items():
        columns[(name, "accuracy")] = frame["accuracy"].to_numpy()
        columns[(name, "f1")] = frame["f1"].to_numpy()
    table = pd.DataFrame(columns, index=pd.Index(np.arange(1, len(frame) + 1), name="fold"))
    summary = pd.DataFrame([table.mean(), table.std(ddof=0)], index=["mean", "std"])
    return pd.concat([table, summary])


def summary_row(
    name: str, folds: pd.DataFrame, baseline: pd.DataFrame | None = None, **facts: Any
) -> dict[str, Any]:
    """One line of the variants table: mean and std of accuracy, mean F1, plus ``facts``.

    With ``baseline`` (the per-fold scores of the reference, on the same folds) it adds
    ``vs_baseline``, the mean paired accuracy difference, and ``better/worse``, on how many
    folds this variant beats or trails it (only the folds both were scored on).
    """
    row = {
        "variant": name,
        **facts,
        "acc_mean": float(folds["accuracy"].mean()),
        "acc_std": float(folds["accuracy"].std(ddof=0)),
        "f1_mean": float(folds["f1"].mean()),
        "folds": len(folds),
    }
    if baseline is not None:
        shared = baseline[baseline["fold"].isin(folds["fold"])]
        diff = paired_difference(shared, folds)
        row["vs_baseline"] = diff["mean"]
        row["better/worse"] = f"{diff['better']}/{diff['worse']}"
    return row


def paired_difference(
    baseline: pd.DataFrame, other: pd.DataFrame, metric: str = "accuracy"
) -> dict[str, float]:
    """``other`` minus ``baseline`` fold by fold (both scored on the same folds).

    ``mean`` and ``std`` of the differences, and on how many folds ``other`` is ``better``,
    ``equal`` or ``worse``: a difference smaller than its spread across folds is no evidence.
    """
    a = baseline[metric].to_numpy(dtype=float)
    b = other[metric].to_numpy(dtype=float)
    if len(a) != len(b) or not np.array_equal(baseline["fold"], other["fold"]):
        raise ValueError(f"not the same folds: {list(baseline['fold'])} vs {list(other['fold'])}")
    diff = b - a
    return {
        "mean": float(diff.mean()),
        "std": float(diff.std(ddof=0)),
        "better": int(np.sum(diff > 0)),
        "equal": int(np.sum(diff == 0)),
        "worse": int(np.sum(diff < 0)),
    }


def accuracy_line(name: str, folds: pd.DataFrame) -> str:
    """``"name: accuracy 98.50% ± 0.40%, F1 0.9850"`` (mean ± std over the folds)."""
    acc = folds["accuracy"]
    return f"{name}: accuracy {acc.mean():.2%} ± {acc.std(ddof=0):.2%}, F1 {folds['f1'].mean():.4f}"


def stats_line(stats: dict[str, Any]) -> str:
    """One line about a feature pass from the ``stats`` of :func:`extract_array_features`."""
    return (
        f"extraction: {stats['extract_seconds']:.1f} s for {stats['images']} images "
        f"({stats['images_per_second']:.1f} images/s), cache hit: {stats['cache_hit']}"
    )


# --------------------------------------------------------------------------------- fine-tuning
def top_block_model(
    base: keras.Model, after: str = "block4_pool", n_classes: int = 2, name: str = "top_block"
) -> keras.Model:
    """The layers of ``base`` after ``after`` (fresh copies, same weights, trainable), then
    ``Flatten`` and the classifier head (one sigmoid unit for two classes).

    Fed with the cached output maps of ``after``, training it is fine-tuning those layers with
    every earlier layer frozen; VGG-16 has no batch normalisation or dropout, so nothing else
    changes.
    """
    names = [layer.name for layer in base.layers]
    if after not in names:
        raise ValueError(f"{base.name} has no layer {after!r}")
    start = names.index(after) + 1
    if start >= len(names):
        raise ValueError(f"{after!r} is the last layer of {base.name}: nothing to fine-tune")
    inputs = keras.Input(base.get_layer(after).output.shape[1:], name=f"{after}_maps")
    x = inputs
    for layer in base.layers[start:]:
        copy = layer.__class__.from_config(layer.get_config())
        x = copy(x)
        copy.set_weights(layer.get_weights())
        copy.trainable = True
    x = keras.layers.Flatten(name="flatten")(x)
    return keras.Model(inputs, classifier_head(n_classes)(x), name=name)


def fine_tune_cv(
    maps: np.ndarray,
    labels: np.ndarray,
    base: keras.Model,
    cv: StratifiedKFold,
    after: str = "block4_pool",
    folds: int | None = 3,
    epochs: int = 2,
    batch_size: int = 64,
    learning_rate: float = 1e-4,
    seed: int = 42,
) -> pd.DataFrame:
    """Fine-tune the layers after ``after`` with a new head on the first ``folds`` folds of
    ``cv`` (all when ``None``); accuracy and macro F1 on each fold's held-out part.

    ``maps`` are the cached outputs of ``after`` for every image. Each fold starts again from
    the pretrained weights: RMSprop at ``learning_rate`` for ``epochs`` epochs, no early
    stopping (the held-out part is only scored at the end).
    """
    labels = np.asarray(labels)
    classes = len(np.unique(labels))
    rows = []
    splits = cv.split(np.zeros(len(labels)), labels)
    for fold, (train, test) in enumerate(splits, start=1):
        if folds is not None and fold > folds:
            break
        set_seed(seed + fold)
        model = top_block_model(base, after, classes)
        compile_for(model, classes, optimizer=keras.optimizers.RMSprop(learning_rate))
        target = labels.astype("float32") if classes == 2 else labels
        start = time.perf_counter()
        model.fit(
            maps[train],
            target[train],
            batch_size=batch_size,
            epochs=epochs,
            shuffle=True,
            verbose=0,
        )
        seconds = time.perf_counter() - start
        scores = model.predict(maps[test], batch_size=batch_size, verbose=0)
        predicted = (scores[:, 0] > 0.5).astype(int) if classes == 2 else scores.argmax(axis=1)
        rows.append(
            {
                "fold": fold,
                "accuracy": accuracy_score(labels[test], predicted),
                "f1": f1_score(labels[test], predicted, average="macro"),
                "fit_seconds": seconds,
            }
        )
        print(
            f"fine-tune fold {fold}: accuracy {rows[-1]['accuracy']:.4f} ({seconds:.0f} s)",
            flush=True,
        )
        keras.backend.clear_session()
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------------- figures
def plot_variants(table: pd.DataFrame, chance: float = 0.5, title: str = "") -> Figure:
    """Mean accuracy (bars) and its standard deviation over the folds (whiskers) per variant.

    A dashed line marks chance, a dotted one the first row (the raw-pixel baseline).
    """
    table = table.reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(9, 0.45 * len(table) + 1.4))
    y = np.arange(len(table))[::-1]
    ax.barh(y, table["acc_mean"], xerr=table["acc_std"], color="#4c72b0", alpha=0.85, capsize=3)
    for yi, value, std in zip(y, table["acc_mean"], table["acc_std"], strict=True):
        ax.text(min(value + std, 1.0) + 0.005, yi, f"{value:.3f}", va="center", fontsize=8)
    ax.axvline(chance, color="grey", linestyle="--", label=f"chance ({chance:.0%})")
    ax.axvline(table["acc_mean"].iloc[0], color="black", linestyle=":", label=table["variant"][0])
    ax.set_yticks(y, table["variant"], fontsize=8)
    ax.set_xlim(min(chance, float(table["acc_mean"].min())) - 0.05, 1.05)
    ax.set_xlabel("accuracy (mean over folds, whiskers: std)")
    ax.legend(loc="lower left", fontsize=8)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig
