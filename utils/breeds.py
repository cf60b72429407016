"""Dog breeds (notebook 08): the split, a swappable backbone, the 120-way model, its predictions.

Everything generic lives elsewhere (``data``, ``pretrained``, ``heads``, ``features``,
``training``, ``evaluation``, ``plots``); this module holds only what is particular to the
dog-breed case study:

- :func:`ensure_split` builds ``DATA_DIR`` with the dataset builder when it is missing;
- :func:`load_pooled_base` loads *any* ``keras.applications`` image model by name (the course
  registry in ``utils.pretrained`` first, then any other constructor of ``keras.applications``)
  with its own preprocessing and default input size, topped with global average pooling;
- :func:`breed_model` puts the book's head on it: raw [0, 255] images in, 120 probabilities out;
- :func:`dog_augmentation` is the book's dog-breed ``ImageDataGenerator`` settings;
- breed counts, sample photos, top-k prediction titles and the most confused breeds.
"""

from __future__ import annotations

import resource
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import keras
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from sklearn.metrics import confusion_matrix

from utils import SEED
from utils import data as data_utils
from utils.augment import book_augmentation
from utils.heads import array_dataset, book_head, parts, transfer_model
from utils.pretrained import BACKBONES, WeightsUnavailableError, load_backbone

BOOK_SCORES = {"accuracy": 0.864, "precision": 0.878, "recall": 0.864, "f1": 0.859}
"""The book's test-set figures for InceptionV3 on the full Kaggle data (weighted averages)."""

BOOK_AUGMENTATION = {
    "rotation_range": 30,
    "width_shift_range": 0.2,
    "height_shift_range": 0.2,
    "horizontal_flip": True,
    "zoom_range": 0.0,
    "shear_range": 0.0,
}
"""The book's dog-breed ``ImageDataGenerator`` (no zoom, no shear; ``rescale`` is in the model)."""

# Input sizes of keras.applications models that are not 224 (for backbones outside the registry).
_DEFAULT_SIZES = {
    "inceptionresnetv2": 299,
    "nasnetlarge": 331,
    "efficientnetb1": 240,
    "efficientnetb2": 260,
    "efficientnetb3": 300,
    "efficientnetb4": 380,
    "efficientnetb5": 456,
    "efficientnetb6": 528,
    "efficientnetb7": 600,
    "efficientnetv2b1": 240,
    "efficientnetv2b2": 260,
    "efficientnetv2b3": 300,
    "efficientnetv2s": 384,
    "efficientnetv2m": 480,
    "efficientnetv2l": 480,
}


def model_name(backbone: str) -> str:
    """The file stem of the saved model, e.g. ``dog_breeds_inception_v3``."""
    return f"dog_breeds_{backbone}"


# ------------------------------------------------------------------------------------ the split
def ensure_split(
    data_dir: str | Path,
    source_dir: str | Path | None = None,
    labels_csv: str | Path | None = None,
    seed: int = SEED,
    progress: bool = False,
) -> Path:
    """``data_dir`` as a built split; builds it from ``source_dir`` first when it is missing.

    ``source_dir`` holds Kaggle's ``train/`` (and ``labels.csv`` unless ``labels_csv``); the
    split is the book's (test 30 %, then validation 15 % of the rest, per breed), made by
    :func:`utils.dataset_builder.build_dog_breeds` like ``build_dataset.py dog-breeds``.
    """
    from utils.dataset_builder import build_dog_breeds, split_exists

    data_dir = Path(data_dir)
    if split_exists(data_dir) or (data_dir / "train").is_dir():
        return data_dir
    if source_dir is None or not Path(source_dir).exists():
        raise FileNotFoundError(
            f"{data_dir} is not a split and there is no source to build it from "
            f"(SOURCE_DIR={source_dir!r}). Build it with: python build_dataset.py dog-breeds "
            f"--source DIR --out {data_dir}"
        )
    summary = build_dog_breeds(
        out=data_dir, source=source_dir, labels=labels_csv, seed=seed, progress=progress
    )
    print(f"built {summary.out}: {summary.n_images} images in {summary.seconds:.1f} s")
    return data_dir


def breed_counts(data_dir: str | Path) -> pd.DataFrame:
    """Photos per breed and split (columns ``train, validation, test, total``), most first.

    Counted from the folders, so it works for any split root (with or without a manifest).
    """
    data_dir = Path(data_dir)
    classes = data_utils.class_names(data_dir / "train")
    table = pd.DataFrame(index=pd.Index(classes, name="breed"))
    for split in data_utils.SPLITS:
        counts = dict.fromkeys(classes, 0)
        if (data_dir / split).is_dir():
            _, labels, _ = data_utils.list_images(data_dir / split, classes)
            for index, n in zip(*np.unique(labels, return_counts=True), strict=True):
                counts[classes[index]] = int(n)
        table[split] = pd.Series(counts)
    table["total"] = table.sum(axis=1)
    return table.sort_values("total", ascending=False, kind="stable")


def plot_breed_counts(counts: pd.DataFrame, title: str = "Photos per breed") -> Figure:
    """Left: photos per breed, sorted, stacked by split. Right: how many breeds have n photos."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(14, 4.5), gridspec_kw={"width_ratios": [3, 1]})
    x = np.arange(len(counts))
    bottom = np.zeros(len(counts))
    for split in data_utils.SPLITS:
        if split in counts:
            left.bar(x, counts[split], bottom=bottom, width=0.9, label=split)
            bottom += counts[split].to_numpy()
    left.axhline(counts["total"].mean(), color="black", linestyle=":", label="mean")
    step = max(1, len(counts) // 30)
    left.set_xticks(x[::step], counts.index[::step], rotation=90, fontsize=7)
    left.set_xlim(-0.7, len(counts) - 0.3)
    left.set_ylabel("photos")
    left.set_title(f"{title} ({len(counts)} breeds, {int(counts['total'].sum())} photos)")
    left.legend(fontsize=8)
    per_count = counts["total"].value_counts().sort_index()
    right.bar(per_count.index, per_count.to_numpy(), width=0.8)
    right.xaxis.set_major_locator(MaxNLocator(integer=True))
    right.yaxis.set_major_locator(MaxNLocator(integer=True))
    right.set_xlabel("photos of a breed")
    right.set_ylabel("breeds")
    right.set_title("Breeds per count")
    fig.tight_layout()
    return fig


def dog_augmentation(seed: int | None = SEED) -> keras.Sequential:
    """The book's dog-breed augmentation (rotation 30°, shifts 0.2, horizontal flip).

    For ``utils.data.split_datasets(..., augment=...)``, which applies it to training images
    only; validation and test images are never augmented (the book sent its validation data
    through the training generator).
    """
    return book_augmentation(**BOOK_AUGMENTATION, seed=seed)


# ------------------------------------------------------------------------------------ backbones
@dataclass(frozen=True)
class BackboneChoice:
    """How to build a ``keras.applications`` model named ``name``."""

    name: str
    constructor: str  # attribute of keras.applications
    preprocess: str  # name for utils.layers.preprocess_function / BackbonePreprocess
    default_size: int
    in_registry: bool  # known to utils.pretrained (offline weights lookup)


def _squash(name: str) -> str:
    return name.replace("_", "").replace("-", "").lower()


def backbone_choice(name: str) -> BackboneChoice:
    """A backbone by name: ``utils.pretrained.BACKBONES`` first, then ``keras.applications``.

    ``"inception_v3"``, ``"vgg16"``, ``"mobilenet_v2"``, ``"efficientnet_b0"``, ``"resnet50_v2"``,
    ``"densenet121"``, ``"convnext_tiny"``... (underscores and case do not matter).
    """
    if name in BACKBONES:
        spec = BACKBONES[name]
        return BackboneChoice(name, spec.constructor, spec.preprocess, spec.default_size, True)
    constructors = {
        _squash(attr): attr
        for attr in dir(keras.applications)
        if attr[:1].isupper() and callable(getattr(keras.applications, attr))
    }
    attr = constructors.get(_squash(name))
    if attr is None:
        known = sorted(set(BACKBONES) | set(constructors.values()))
        raise ValueError(f"unknown backbone {name!r}; keras.applications has {', '.join(known)}")
    module = getattr(keras.applications, attr).__module__.rsplit(".", 1)[-1]
    return BackboneChoice(name, attr, module, _DEFAULT_SIZES.get(_squash(attr), 224), False)


def image_size_for(backbone: str, image_size: int | None = None) -> int:
    """``image_size``, or the backbone's default input size (299 InceptionV3, 224 VGG-16)."""
    return int(image_size) if image_size else backbone_choice(backbone).default_size


def _load_base(choice: BackboneChoice, weights, size: int) -> keras.Model:
    if choice.in_registry:
        return load_backbone(choice.name, weights=weights, input_shape=(size, size, 3))
    constructor = getattr(keras.applications, choice.constructor)
    try:
        base = constructor(
            include_top=False,
            weights=str(weights) if weights is not None else None,
            input_shape=(size, size, 3),
        )
    except Exception as err:  # noqa: BLE001 - download or file problems become one message
        if weights is None:
            raise
        raise WeightsUnavailableError(
            f"No usable weights {weights!r} for {choice.name!r} "
            f"(keras.applications.{choice.constructor}): {' '.join(str(err).split())[:300]}. "
            "Pass WEIGHTS=/path/to/the_notop_weights.h5, or WEIGHTS=None for random weights."
        ) from None
    base.trainable = False
    return base


def load_pooled_base(
    backbone: str = "inception_v3",
    weights: str | Path | None = "imagenet",
    image_size: int | None = None,
) -> keras.Model:
    """The frozen convolutional base of ``backbone`` followed by global average pooling.

    Input: images already preprocessed for the backbone (``BackbonePreprocess`` does it inside
    :func:`breed_model`); output: one feature vector per image (2048 for InceptionV3, 512 for
    VGG-16). ``weights`` as in :func:`utils.pretrained.load_backbone`: ``"imagenet"``, a path,
    or ``None``. It doubles as the feature extractor of the cached-features route.
    """
    choice = backbone_choice(backbone)
    size = image_size_for(backbone, image_size)
    base = _load_base(choice, weights, size)
    pooled = keras.layers.GlobalAveragePooling2D(name="avg_pool")(base.output)
    model = keras.Model(base.input, pooled, name=f"{backbone}_base")
    model.trainable = False
    return model


def breed_head(n_features: int, n_classes: int, units: int = 512, dropout: float = 0.3):
    """Dense 512 -> Dropout -> Dense 512 -> Dropout -> Dense ``n_classes`` softmax (``head``)."""
    return book_head((int(n_features),), units=units, dropout=dropout, n_classes=n_classes)


def breed_model(
    pooled_base: keras.Model,
    n_classes: int,
    backbone: str,
    head: keras.Model | None = None,
    units: int = 512,
    dropout: float = 0.3,
) -> keras.Model:
    """Raw [0, 255] images -> backbone preprocessing -> frozen base + pooling -> head.

    Pass ``head`` (trained on cached features) to put an already trained head on the base.
    """
    if head is None:
        head = breed_head(pooled_base.output_shape[-1], n_classes, units, dropout)
    preprocess = backbone_choice(backbone).preprocess
    return transfer_model(pooled_base, head, preprocess, name=model_name(backbone))


# ------------------------------------------------------------------------------------ training
def fit_on_cached_features(
    model: keras.Model,
    data_dir: str | Path,
    class_names: Sequence[str],
    *,
    backbone: str,
    image_size: int,
    batch_size: int,
    epochs: int,
    learning_rate: float,
    name: str,
    models_dir: str | Path,
    results_dir: str | Path,
    cache_dir: str | Path | None,
    seed: int = SEED,
    progress: bool = False,
    **facts,
) -> tuple[pd.DataFrame, dict[str, tuple[np.ndarray, np.ndarray, list[str]]]]:
    """The CPU-friendly route: train the head of ``model`` on cached pooled features.

    Runs the frozen base (with its preprocessing) once over every split with
    :func:`utils.features.extract_features` (cached in ``cache_dir``, no augmentation), trains
    the head on the features with :func:`utils.training.fit_and_save` (Adam ``learning_rate``,
    best weights by validation loss, CSV history), then saves the *whole* ``model`` (raw images
    in, the trained head on top) as ``models_dir/<name>.h5`` with the training facts.

    Returns the history and, per split, ``(features, labels, paths)``.
    """
    from utils.features import extract_features
    from utils.saving import load_info, save_model
    from utils.training import compile_for, fit_and_save

    base, head = parts(model)
    preprocess = backbone_choice(backbone).preprocess
    splits: dict[str, tuple[np.ndarray, np.ndarray, list[str]]] = {}
    seconds = 0.0
    for split in data_utils.SPLITS:
        paths, labels, _ = data_utils.list_images(Path(data_dir) / split, class_names)
        stats: dict = {}
        feats = extract_features(
            base, paths, image_size, preprocess=preprocess, batch_size=batch_size,
            cache_dir=cache_dir, name=f"{name}_{split}", progress=progress, seed=seed,
            stats=stats,
        )  # fmt: skip
        seconds += stats["seconds"]
        splits[split] = (feats, labels, paths)
    compile_for(head, len(class_names), keras.optimizers.Adam(learning_rate))
    (x_train, y_train, _), (x_val, y_val, _) = splits["train"], splits["validation"]
    history = fit_and_save(
        head,
        array_dataset(x_train, y_train, batch_size, shuffle=True, seed=seed),
        array_dataset(x_val, y_val, batch_size),
        epochs=epochs, name=name, class_names=class_names, models_dir=models_dir,
        results_dir=results_dir, progress=progress,
    )  # fmt: skip
    path = Path(models_dir) / f"{name}.h5"
    info = {k: v for k, v in load_info(path).items() if k not in ("image_size", "params")}
    info.pop("class_names")
    info.update(backbone=backbone, learning_rate=learning_rate, batch_size=batch_size)
    info.update(route="cached features", feature_seconds=round(seconds, 2), **facts)
    save_model(model, path, list(class_names), **info)
    return history, splits


def evaluate_test(
    model: keras.Model,
    data_dir: str | Path,
    class_names: Sequence[str],
    batch_size: int = 32,
    test_features: tuple[np.ndarray, np.ndarray, list[str]] | None = None,
    info: dict | None = None,
    name: str = "",
):
    """The model's :class:`utils.evaluation.Evaluation` on the test split.

    Streams the test photos through the whole model, or, given the cached ``test_features``
    ``(features, labels, paths)`` of :func:`fit_on_cached_features`, runs only its head on them
    (the same numbers, without running the base again).
    """
    from utils import evaluation

    if test_features is None:
        return evaluation.evaluate(
            model, Path(data_dir) / "test", class_names=list(class_names),
            batch_size=batch_size, info=info, name=name,
        )  # fmt: skip
    feats, labels, paths = test_features
    proba = parts(model)[1].predict(feats, batch_size=batch_size, verbose=0)
    return evaluation.Evaluation(labels, proba, list(class_names), paths=list(paths),
                                 name=name, info=dict(info or {}))  # fmt: skip


# ------------------------------------------------------------------------------------ looking
def sample_indices(labels: Sequence[int] | np.ndarray, n: int, seed: int = SEED) -> np.ndarray:
    """``n`` random indices, from as many different classes as possible (sorted by class)."""
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(labels))
    _, first = np.unique(labels[order], return_index=True)
    distinct = order[np.sort(first)]
    rest = np.setdiff1d(order, distinct, assume_unique=True)
    picked = np.concatenate([rng.permutation(distinct), rng.permutation(rest)])[:n]
    return picked[np.argsort(labels[picked], kind="stable")]


def load_images(paths: Sequence[str], image_size: int, batch_size: int = 32) -> np.ndarray:
    """A few image files as float32 ``(n, size, size, 3)`` in [0, 255], for grids and predictions.

    Exactly what the (unaugmented) pipelines feed the model; not meant for whole splits.
    """
    ds = data_utils.image_dataset(
        list(paths), np.zeros(len(paths), np.int32), (image_size, image_size), batch_size
    )
    return np.concatenate([x.numpy() for x, _ in ds], axis=0)


def top_k(proba: np.ndarray, class_names: Sequence[str], k: int = 3) -> list[list[tuple]]:
    """Per row of probabilities, the ``k`` most likely ``(class name, probability)``."""
    proba = np.asarray(proba)
    best = np.argsort(-proba, axis=1, kind="stable")[:, :k]
    return [[(class_names[j], float(proba[i, j])) for j in row] for i, row in enumerate(best)]


def prediction_titles(
    y_true: Sequence[int] | np.ndarray,
    proba: np.ndarray,
    class_names: Sequence[str],
    k: int = 3,
    width: int = 22,
) -> tuple[list[str], list[str]]:
    """Grid titles "true: breed" + the top-k predictions with confidences, and their colours.

    Green when the top prediction is right, orange when the true breed is in the top k, red
    otherwise.
    """
    titles, colors = [], []
    for truth, top in zip(np.asarray(y_true), top_k(proba, class_names, k), strict=True):
        name = class_names[int(truth)]
        lines = [f"true: {name[:width]}"] + [f"{c[:width]} {p:.0%}" for c, p in top]
        titles.append("\n".join(lines))
        ranked = [c for c, _ in top]
        colors.append("green" if ranked[0] == name else "darkorange" if name in ranked else "red")
    return titles, colors


def most_confused(
    y_true: Sequence[int] | np.ndarray,
    y_pred: Sequence[int] | np.ndarray,
    class_names: Sequence[str],
    top: int = 10,
) -> pd.DataFrame:
    """The ``top`` most frequent (true breed, predicted breed) mistakes.

    Columns ``true, predicted, count, share`` (share of the true breed's test photos), most
    frequent first; ties by name.
    """
    k = len(class_names)
    cm = confusion_matrix(y_true, y_pred, labels=np.arange(k))
    np.fill_diagonal(cm, 0)
    support = np.bincount(np.asarray(y_true, dtype=int), minlength=k)
    rows = [
        (class_names[i], class_names[j], int(cm[i, j]), cm[i, j] / max(support[i], 1))
        for i, j in zip(*np.nonzero(cm), strict=True)
    ]
    frame = pd.DataFrame(rows, columns=["true", "predicted", "count", "share"])
    frame = frame.sort_values(["count", "true", "predicted"], ascending=[False, True, True])
    return frame.head(top).reset_index(drop=True)


def confused_breeds(pairs: pd.DataFrame, max_breeds: int = 12) -> list[str]:
    """The breeds appearing in the most confused pairs, in order of appearance."""
    names: list[str] = []
    for true, predicted in zip(pairs["true"], pairs["predicted"], strict=True):
        for name in (true, predicted):
            if name not in names and len(names) < max_breeds:
                names.append(name)
    return names


def plot_confusion_among(
    y_true: Sequence[int] | np.ndarray,
    y_pred: Sequence[int] | np.ndarray,
    class_names: Sequence[str],
    breeds: Sequence[str],
    title: str = "Confusion among the most confused breeds",
) -> Figure:
    """The rows and columns of the confusion matrix for ``breeds`` only (counts in cells)."""
    index = [list(class_names).index(b) for b in breeds]
    cm = confusion_matrix(y_true, y_pred, labels=np.arange(len(class_names)))[np.ix_(index, index)]
    size = 3 + 0.55 * len(breeds)
    fig, ax = plt.subplots(figsize=(size + 1, size))
    image = ax.imshow(cm, cmap="Blues")
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    ticks = np.arange(len(breeds))
    ax.set_xticks(ticks, breeds, rotation=90, fontsize=8)
    ax.set_yticks(ticks, breeds, fontsize=8)
    threshold = cm.max() / 2 if cm.size else 0
    for i in range(len(breeds)):
        for j in range(len(breeds)):
            if cm[i, j]:
                color = "white" if cm[i, j] > threshold else "black"
                ax.text(j, i, int(cm[i, j]), ha="center", va="center", color=color, fontsize=8)
    ax.set_xlabel("Predicted")
    ax.set_ylabel("Actual")
    ax.set_title(title)
    fig.tight_layout()
    return fig


# ------------------------------------------------------------------------------------ memory
def repeat_files(
    paths: Sequence[str], labels: Sequence[int] | np.ndarray, times: int
) -> tuple[list[str], np.ndarray]:
    """The same file list ``times`` over (to measure memory at ``times`` as many images)."""
    return list(paths) * int(times), np.tile(np.asarray(labels), int(times))


def peak_rss_mib() -> float:
    """This process's peak resident memory so far (``ru_maxrss``), in MiB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10  # bytes on macOS
