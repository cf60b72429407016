"""Evaluating Keras classifiers: probabilities, metrics, confusion matrices, reports and ROC curves.

The book's ``model_evaluation_utils`` rebuilt on scikit-learn, pandas and matplotlib, for binary
(one sigmoid unit, ``p = P(class_names[1])``) and multi-class (softmax) models alike, from two
classes up to the 120 dog breeds:

- :func:`evaluate` predicts a split folder (or arrays) **once** and keeps the probabilities in an
  :class:`Evaluation`; every metric, table and figure is computed from that.
- :func:`get_metrics`, :func:`roc_auc`, :func:`roc_curves`, :func:`confusion_matrix_frame`,
  :func:`classification_report_frame` take plain labels and probabilities.
- :func:`display_model_performance_metrics` prints and shows them all, like the book's function
  of that name; :func:`display_confusion_matrix_pretty` is the heatmap its notebooks call but that
  never existed.
- :func:`results_table` puts several models side by side (one row each), and
  :func:`save_results_table` writes it as CSV and Markdown.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from sklearn import metrics as skm
from sklearn.preprocessing import label_binarize

METRICS = ("accuracy", "precision", "recall", "f1")


# --------------------------------------------------------------------------------------------
# Probabilities and classes
# --------------------------------------------------------------------------------------------
def as_probabilities(outputs: np.ndarray) -> np.ndarray:
    """Model outputs as an ``(n, k)`` array of class probabilities whose rows sum to 1.

    One sigmoid unit ``p`` becomes two columns ``[1 - p, p]``; a softmax passes through. Outputs
    that are not probabilities (logits: values outside [0, 1], or rows not summing to 1) go
    through a sigmoid or a softmax first.
    """
    out = np.asarray(outputs, dtype=np.float64)
    if out.ndim == 1:
        out = out[:, None]
    if out.ndim != 2:
        raise ValueError(f"expected outputs of shape (n,) or (n, k), got {out.shape}")
    if out.shape[1] == 1:
        p = out[:, 0]
        if p.size and (p.min() < 0 or p.max() > 1):
            p = 1.0 / (1.0 + np.exp(-p))
        return np.column_stack([1.0 - p, p])
    if out.size and (out.min() < 0 or out.max() > 1 or not np.allclose(out.sum(1), 1, atol=1e-3)):
        out = np.exp(out - out.max(axis=1, keepdims=True))
        out /= out.sum(axis=1, keepdims=True)
    return out


def predict_proba(model, data, batch_size: int = 32, verbose: int = 0) -> np.ndarray:
    """Class probabilities ``(n, k)`` of a Keras model on images.

    ``data``: an array of raw RGB images ``(n, h, w, 3)`` or a ``tf.data.Dataset`` of images or
    of ``(images, labels)`` batches. Binary sigmoid models get two columns (see
    :func:`as_probabilities`), so ``proba.argmax(1)`` is always the predicted class — what the
    book's ``predict_proba``/``predict_classes`` calls did before Keras removed them.
    """
    if isinstance(data, np.ndarray):
        outputs = model.predict(data, batch_size=batch_size, verbose=verbose)
    else:
        outputs = model.predict(data, verbose=verbose)
    return as_probabilities(outputs)


def predict_classes(model, data, batch_size: int = 32) -> np.ndarray:
    """Predicted class numbers of a Keras model on images (see :func:`predict_proba`)."""
    return predict_proba(model, data, batch_size).argmax(axis=1)


# --------------------------------------------------------------------------------------------
# Metrics from labels and probabilities
# --------------------------------------------------------------------------------------------
def get_metrics(y_true, y_pred, average: str = "weighted") -> dict[str, float]:
    """Accuracy and (weighted by default) precision, recall and F1, as the book reports them."""
    precision, recall, f1, _ = skm.precision_recall_fscore_support(
        y_true, y_pred, average=average, zero_division=0
    )
    return {
        "accuracy": float(skm.accuracy_score(y_true, y_pred)),
        "precision": float(precision),
        "recall": float(recall),
        "f1": float(f1),
    }


def _check_proba(y_true, proba) -> tuple[np.ndarray, np.ndarray]:
    y_true = np.asarray(y_true).astype(int)
    proba = as_probabilities(proba)
    if len(y_true) != len(proba):
        raise ValueError(f"{len(y_true)} labels but {len(proba)} rows of probabilities")
    return y_true, proba


def roc_auc(y_true, proba, average: str = "macro") -> float:
    """Area under the ROC curve: of the positive class for two classes, else one-vs-rest.

    With more classes, ``average="macro"`` is the mean of the per-class AUCs and ``"micro"`` the
    AUC of all classes pooled; classes absent from ``y_true`` (common in a small test set of 120
    breeds) have no ROC curve and are left out. NaN when only one class is present.
    """
    y_true, proba = _check_proba(y_true, proba)
    k = proba.shape[1]
    if len(np.unique(y_true)) < 2:
        return float("nan")
    if k == 2:
        return float(skm.roc_auc_score(y_true, proba[:, 1]))
    onehot = label_binarize(y_true, classes=np.arange(k))
    present = onehot.sum(axis=0) > 0
    return float(skm.roc_auc_score(onehot[:, present], proba[:, present], average=average))


class RocCurve(NamedTuple):
    """One ROC curve: false and true positive rates and the area under it."""

    fpr: np.ndarray
    tpr: np.ndarray
    auc: float


def roc_curves(y_true, proba, class_names: Sequence[str] | None = None) -> dict[str, RocCurve]:
    """ROC curves keyed by name, from :func:`sklearn.metrics.roc_curve`.

    Two classes: one curve, of the positive class ``class_names[1]``. More classes: one curve per
    class present in ``y_true`` (one-vs-rest), plus ``"micro"`` (all classes pooled) and
    ``"macro"`` (the per-class curves averaged on a common FPR grid with ``numpy.interp`` —
    the book used ``scipy.interp``, removed from SciPy).
    """
    y_true, proba = _check_proba(y_true, proba)
    k = proba.shape[1]
    names = list(class_names) if class_names is not None else [str(i) for i in range(k)]
    if len(names) != k:
        raise ValueError(f"{len(names)} class names for {k} columns of probabilities")
    if k == 2:
        fpr, tpr, _ = skm.roc_curve(y_true, proba[:, 1], pos_label=1)
        return {names[1]: RocCurve(fpr, tpr, float(skm.auc(fpr, tpr)))}
    onehot = label_binarize(y_true, classes=np.arange(k))
    curves: dict[str, RocCurve] = {}
    for i, name in enumerate(names):
        if onehot[:, i].any() and not onehot[:, i].all():
            fpr, tpr, _ = skm.roc_curve(onehot[:, i], proba[:, i])
            curves[name] = RocCurve(fpr, tpr, float(skm.auc(fpr, tpr)))
    fpr, tpr, _ = skm.roc_curve(onehot.ravel(), proba.ravel())
    micro = RocCurve(fpr, tpr, float(skm.auc(fpr, tpr)))
    if curves:
        grid = np.unique(np.concatenate([c.fpr for c in curves.values()]))
        mean_tpr = np.mean([np.interp(grid, c.fpr, c.tpr) for c in curves.values()], axis=0)
        macro = RocCurve(grid, mean_tpr, float(skm.auc(grid, mean_tpr)))
    else:
        macro = RocCurve(np.array([0.0, 1.0]), np.array([0.0, 1.0]), float("nan"))
    return {"micro": micro, "macro": macro, **curves}


def confusion_matrix_frame(y_true, y_pred, class_names: Sequence[str]) -> pd.DataFrame:
    """The confusion matrix as a labelled DataFrame: rows ``Actual:``, columns ``Predicted:``.

    The book built this with ``pd.MultiIndex(labels=...)``, an argument pandas renamed
    ``codes``; :meth:`pandas.MultiIndex.from_product` avoids both.
    """
    names = [str(c) for c in class_names]
    cm = skm.confusion_matrix(y_true, y_pred, labels=np.arange(len(names)))
    return pd.DataFrame(
        cm,
        index=pd.MultiIndex.from_product([["Actual:"], names]),
        columns=pd.MultiIndex.from_product([["Predicted:"], names]),
    )


def classification_report_text(y_true, y_pred, class_names: Sequence[str], digits: int = 4) -> str:
    """scikit-learn's classification report (precision, recall, F1, support per class)."""
    return skm.classification_report(
        y_true,
        y_pred,
        labels=np.arange(len(class_names)),
        target_names=[str(c) for c in class_names],
        digits=digits,
        zero_division=0,
    )


def classification_report_frame(y_true, y_pred, class_names: Sequence[str]) -> pd.DataFrame:
    """The classification report as a DataFrame (one row per class, then the averages)."""
    report = skm.classification_report(
        y_true,
        y_pred,
        labels=np.arange(len(class_names)),
        target_names=[str(c) for c in class_names],
        output_dict=True,
        zero_division=0,
    )
    accuracy = report.pop("accuracy", None)
    frame = pd.DataFrame(report).T
    if accuracy is not None:
        frame.loc["accuracy"] = [np.nan, np.nan, accuracy, len(np.asarray(y_true))]
    frame["support"] = frame["support"].astype(int)
    return frame


# --------------------------------------------------------------------------------------------
# One model's predictions on a split, computed once
# --------------------------------------------------------------------------------------------
@dataclass
class Evaluation:
    """A model's class probabilities on labelled images, and everything derived from them."""

    y_true: np.ndarray
    proba: np.ndarray
    class_names: list[str]
    paths: list[str] | None = None
    name: str = ""
    info: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        self.y_true, self.proba = _check_proba(self.y_true, self.proba)
        self.class_names = [str(c) for c in self.class_names]
        if self.proba.shape[1] != len(self.class_names):
            raise ValueError(
                f"{self.proba.shape[1]} columns of probabilities for {len(self.class_names)} "
                "class names"
            )

    @property
    def y_pred(self) -> np.ndarray:
        """Predicted class numbers."""
        return self.proba.argmax(axis=1)

    @property
    def confidence(self) -> np.ndarray:
        """Probability of the predicted class."""
        return self.proba.max(axis=1)

    @property
    def binary(self) -> bool:
        return self.proba.shape[1] == 2

    def metrics(self) -> dict[str, float]:
        """Accuracy, weighted precision/recall/F1 and ROC AUC (macro one-vs-rest)."""
        scores = get_metrics(self.y_true, self.y_pred)
        scores["roc_auc"] = roc_auc(self.y_true, self.proba)
        return scores

    def roc_curves(self) -> dict[str, RocCurve]:
        return roc_curves(self.y_true, self.proba, self.class_names)

    def confusion_matrix(self) -> pd.DataFrame:
        return confusion_matrix_frame(self.y_true, self.y_pred, self.class_names)

    def report(self) -> str:
        return classification_report_text(self.y_true, self.y_pred, self.class_names)

    def mistakes(self) -> np.ndarray:
        """Indices of the wrongly classified images, most confident mistakes first."""
        wrong = np.flatnonzero(self.y_pred != self.y_true)
        return wrong[np.argsort(-self.confidence[wrong], kind="stable")]

    def predictions(self) -> pd.DataFrame:
        """One row per image: file, true and predicted class, confidence, correct or not."""
        names = np.asarray(self.class_names)
        return pd.DataFrame(
            {
                "file": self.paths if self.paths is not None else np.arange(len(self.y_true)),
                "true": names[self.y_true],
                "predicted": names[self.y_pred],
                "confidence": self.confidence,
                "correct": self.y_true == self.y_pred,
            }
        )


def evaluate(
    model,
    data,
    labels: Sequence[int] | np.ndarray | None = None,
    class_names: Sequence[str] | None = None,
    image_size: int | Sequence[int] | None = None,
    batch_size: int = 32,
    info: Mapping[str, Any] | None = None,
    name: str = "",
) -> Evaluation:
    """Predict labelled images once and keep the probabilities in an :class:`Evaluation`.

    ``data`` is a split folder (``<split>/<class>/<image>``, streamed with ``utils.data``, never
    augmented) or an array of raw RGB images with ``labels``. ``class_names`` and
    ``image_size`` default to the model's sidecar ``info`` (see ``utils.saving.load_model``),
    then to the folder's classes and the model's input size.
    """
    from utils import data as data_utils

    info = dict(info or {})
    class_names = list(class_names or info.get("class_names") or [])
    if isinstance(data, (str, Path)):
        paths, y, class_names = data_utils.list_images(data, class_names or None)
        size = image_size or info.get("image_size") or model.input_shape[1:3]
        size = (size, size) if isinstance(size, int) else tuple(int(s) for s in size)
        ds = data_utils.image_dataset(paths, y, size, batch_size)
        proba = predict_proba(model, ds.map(lambda x, _: x))
    else:
        if labels is None:
            raise ValueError("labels are required with an array of images")
        paths, y = None, np.asarray(labels)
        proba = predict_proba(model, np.asarray(data), batch_size)
        if not class_names:
            class_names = [str(i) for i in range(proba.shape[1])]
    return Evaluation(y, proba, class_names, paths=paths, name=name, info=info)


# --------------------------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------------------------
def plot_confusion_matrix(
    y_true,
    y_pred,
    class_names: Sequence[str],
    normalize: str | None = None,
    title: str | None = None,
    ax=None,
    cmap: str = "Blues",
) -> Figure:
    """The confusion matrix as a heatmap, counts written in each cell (up to 30 classes).

    ``normalize`` as in scikit-learn: ``"true"`` (rows), ``"pred"`` (columns), ``"all"`` or None.
    """
    names = [str(c) for c in class_names]
    k = len(names)
    cm = skm.confusion_matrix(y_true, y_pred, labels=np.arange(k), normalize=normalize)
    if ax is None:
        size = min(4 + 0.45 * k, 18)
        fig, ax = plt.subplots(figsize=(size + 1, size))
    else:
        fig = ax.figure
    peak = float(cm.max()) if cm.size and cm.max() > 0 else 1.0
    image = ax.imshow(cm, cmap=cmap, interpolation="nearest", vmin=0, vmax=peak)
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    ticks = np.arange(k)
    fontsize = 9 if k <= 30 else 5
    if k <= 60:
        ax.set_xticks(ticks, names, rotation=90 if k > 6 else 0, fontsize=fontsize)
        ax.set_yticks(ticks, names, fontsize=fontsize)
    if k <= 30:
        threshold = peak / 2
        for i in range(k):
            for j in range(k):
                text = f"{cm[i, j]:.2f}" if normalize else f"{int(cm[i, j])}"
                color = "white" if cm[i, j] > threshold else "black"
                ax.text(j, i, text, ha="center", va="center", color=color, fontsize=fontsize)
    ax.set_xlabel("Predicted")
    ax.set_ylabel("Actual")
    ax.set_title(title or "Confusion matrix")
    fig.tight_layout()
    return fig


def plot_roc(
    y_true,
    proba,
    class_names: Sequence[str] | None = None,
    title: str | None = None,
    max_classes: int = 10,
    ax=None,
) -> Figure:
    """ROC curves of one model: the positive class (binary), or micro, macro and per class.

    With many classes only the ``max_classes`` best and worst per-class curves are drawn.
    """
    curves = roc_curves(y_true, proba, class_names)
    if ax is None:
        fig, ax = plt.subplots(figsize=(6.5, 5.5))
    else:
        fig = ax.figure
    if len(curves) == 1:
        ((label, c),) = curves.items()
        ax.plot(c.fpr, c.tpr, lw=2, label=f"{label} (AUC = {c.auc:.4f})")
    else:
        for key, style in (("micro", ":"), ("macro", "--")):
            c = curves[key]
            ax.plot(c.fpr, c.tpr, style, lw=3, label=f"{key}-average (AUC = {c.auc:.4f})")
        per_class = sorted(
            ((k, c) for k, c in curves.items() if k not in ("micro", "macro")),
            key=lambda kc: kc[1].auc,
        )
        if len(per_class) > max_classes:
            half = max_classes // 2
            per_class = per_class[:half] + per_class[-(max_classes - half) :]
        for label, c in per_class:
            ax.plot(c.fpr, c.tpr, lw=1, alpha=0.8, label=f"{label} (AUC = {c.auc:.4f})")
    _finish_roc_axes(ax, title or "ROC curve")
    return fig


def plot_roc_comparison(
    evaluations: Mapping[str, Evaluation] | Sequence[Evaluation],
    title: str | None = None,
    ax=None,
) -> Figure:
    """One ROC curve per model on one figure: the positive class, or the micro average."""
    items = (
        evaluations.items()
        if isinstance(evaluations, Mapping)
        else ((e.name, e) for e in evaluations)
    )
    if ax is None:
        fig, ax = plt.subplots(figsize=(7, 6))
    else:
        fig = ax.figure
    for label, ev in items:
        curves = ev.roc_curves()
        c = next(iter(curves.values())) if ev.binary else curves["micro"]
        ax.plot(c.fpr, c.tpr, lw=2, label=f"{label} (AUC = {c.auc:.4f})")
    _finish_roc_axes(ax, title or "ROC curves")
    return fig


def _finish_roc_axes(ax, title: str) -> None:
    ax.plot([0, 1], [0, 1], "k--", lw=1, alpha=0.6)
    ax.set_xlim(0.0, 1.0)
    ax.set_ylim(0.0, 1.02)
    ax.set_xlabel("False positive rate")
    ax.set_ylabel("True positive rate")
    ax.set_title(title)
    ax.legend(loc="lower right", fontsize=8)
    ax.figure.tight_layout()


# --------------------------------------------------------------------------------------------
# The book's display_* functions, working
# --------------------------------------------------------------------------------------------
def display_confusion_matrix(y_true, y_pred, class_names: Sequence[str]) -> pd.DataFrame:
    """Print the labelled confusion matrix (the book's ``display_confusion_matrix``)."""
    frame = confusion_matrix_frame(y_true, y_pred, class_names)
    print(frame)
    return frame


def display_confusion_matrix_pretty(
    y_true, y_pred, class_names: Sequence[str], normalize: str | None = None, title=None
) -> Figure:
    """The confusion matrix as a heatmap: the function the book's notebooks call but never had."""
    fig = plot_confusion_matrix(y_true, y_pred, class_names, normalize=normalize, title=title)
    _show(fig)
    return fig


def display_classification_report(y_true, y_pred, class_names: Sequence[str]) -> str:
    """Print scikit-learn's classification report (the book's function of that name)."""
    text = classification_report_text(y_true, y_pred, class_names)
    print(text)
    return text


def display_model_performance_metrics(
    y_true, y_pred, class_names: Sequence[str], proba=None, plots: bool = True
) -> dict[str, float]:
    """Print metrics, classification report and confusion matrix; show the figures.

    The book's ``display_model_performance_metrics``, plus the ROC AUC, the confusion-matrix
    heatmap and the ROC curves when ``proba`` is given. Returns the metrics.
    """
    scores = get_metrics(y_true, y_pred)
    if proba is not None:
        scores["roc_auc"] = roc_auc(y_true, proba)
    print("Model performance metrics:\n" + "-" * 30)
    for key, value in scores.items():
        print(f"{key:>10}: {value:.4f}")
    print("\nModel classification report:\n" + "-" * 30)
    display_classification_report(y_true, y_pred, class_names)
    if len(class_names) <= 20:
        print("Prediction confusion matrix:\n" + "-" * 30)
        with pd.option_context("display.width", 200):
            display_confusion_matrix(y_true, y_pred, class_names)
    if plots:
        display_confusion_matrix_pretty(y_true, y_pred, class_names)
        if proba is not None:
            _show(plot_roc(y_true, proba, class_names))
    return scores


def _show(fig: Figure) -> None:
    """Show a figure now (inline in a notebook) and free it."""
    if "inline" in plt.get_backend().lower():
        plt.show()
    plt.close(fig)


# --------------------------------------------------------------------------------------------
# Several models side by side
# --------------------------------------------------------------------------------------------
def results_table(
    evaluations: Mapping[str, Evaluation],
    book: Mapping[str, Mapping[str, float]] | None = None,
    sort_by: str = "f1",
) -> pd.DataFrame:
    """One row per model: metrics, ROC AUC, parameters, training time, epochs (from the sidecar).

    ``book`` maps a model's name to the book's figures, e.g. ``{"accuracy": 0.78}``, shown as
    ``book_accuracy`` columns. Sorted by ``sort_by``, best first.
    """
    rows = []
    for name, ev in evaluations.items():
        info = ev.info or {}
        row = {"model": name, **ev.metrics()}
        row["params"] = info.get("params")
        row["train_seconds"] = info.get("train_seconds")
        row["epochs"] = info.get("epochs")
        row["best_epoch"] = info.get("best_epoch")
        row["test_images"] = len(ev.y_true)
        for key, value in (book or {}).get(name, {}).items():
            row[f"book_{key}"] = value
        rows.append(row)
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    for col in ("params", "epochs", "best_epoch"):
        table[col] = pd.to_numeric(table[col], errors="coerce").astype("Int64")
    table["train_seconds"] = pd.to_numeric(table["train_seconds"], errors="coerce")
    table = table.sort_values(sort_by, ascending=False, kind="stable", na_position="last")
    return table.reset_index(drop=True)


def save_results_table(
    table: pd.DataFrame, results_dir: str | Path, stem: str = "model_evaluation"
) -> tuple[Path, Path]:
    """Write the table as ``<stem>.csv`` and ``<stem>.md`` (metrics to 4 decimals)."""
    results_dir = Path(results_dir)
    results_dir.mkdir(parents=True, exist_ok=True)
    csv_path, md_path = results_dir / f"{stem}.csv", results_dir / f"{stem}.md"
    table.to_csv(csv_path, index=False)
    md_path.write_text(table.to_markdown(index=False, floatfmt=".4f") + "\n")
    return csv_path, md_path


def plot_results_table(
    table: pd.DataFrame, metrics: Sequence[str] = ("accuracy", "f1", "roc_auc"), title=None
) -> Figure:
    """Grouped horizontal bars of the chosen metrics, one group per model."""
    metrics = [m for m in metrics if m in table.columns]
    frame = table.set_index("model")[metrics].iloc[::-1]
    fig, ax = plt.subplots(figsize=(8, 1.0 + 0.6 * len(frame) * max(1, len(metrics)) / 2))
    frame.plot.barh(ax=ax, width=0.8)
    ax.set_xlim(0, 1.1)
    ax.set_xlabel("score on the test set")
    ax.set_ylabel("")
    ax.set_title(title or "Test-set performance")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    for container in ax.containers:
        ax.bar_label(container, fmt="%.3f", fontsize=7, padding=2)
    fig.tight_layout()
    return fig


def single_image_table(evaluations: Mapping[str, Evaluation], image: int | str) -> pd.DataFrame:
    """One image predicted by every model: true and predicted class, confidence, probabilities.

    ``image`` is a file path (found in each evaluation's ``paths``) or a row index.
    """
    rows = []
    for name, ev in evaluations.items():
        if isinstance(image, str):
            if ev.paths is None or image not in ev.paths:
                raise ValueError(f"{image} is not among the images {name} was evaluated on")
            index = ev.paths.index(image)
        else:
            index = int(image)
        row = {
            "model": name,
            "true": ev.class_names[ev.y_true[index]],
            "predicted": ev.class_names[ev.y_pred[index]],
            "confidence": float(ev.confidence[index]),
        }
        if len(ev.class_names) <= 10:
            probabilities = zip(ev.class_names, ev.proba[index], strict=True)
            row.update({f"P({c})": float(p) for c, p in probabilities})
        rows.append(row)
    return pd.DataFrame(rows)


def find_models(
    models_dir: str | Path, names: Mapping[str, str] | None = None
) -> tuple[dict[str, Path], list[str]]:
    """Saved models in ``models_dir``, in the order of ``names`` (file name → label), then others.

    Returns ``{label: path}`` for those present (others labelled by file name) and the labels
    of those in ``names`` that are missing.
    """
    models_dir = Path(models_dir)
    names = dict(names or {})
    found: dict[str, Path] = {}
    missing: list[str] = []
    for file_name, label in names.items():
        path = models_dir / file_name
        if path.is_file():
            found[label] = path
        else:
            missing.append(label)
    if models_dir.is_dir():
        for path in sorted(models_dir.glob("*.h5")):
            if path.name not in names:
                found[path.name] = path
    return found, missing


def evaluate_saved(
    models: Mapping[str, str | Path],
    split_dir: str | Path,
    batch_size: int = 32,
    log=print,
) -> tuple[dict[str, Evaluation], dict[str, str]]:
    """Load each saved model in turn and :func:`evaluate` it once on a split folder.

    Returns the evaluations by label and the models skipped with the reason: a file that does
    not load, a head that takes features instead of images, classes that are not the split's.
    ``log`` reports progress (``None``: quiet).
    """
    from utils import data as data_utils
    from utils.saving import load_info, load_model

    split_classes = data_utils.class_names(split_dir)
    evaluations: dict[str, Evaluation] = {}
    skipped: dict[str, str] = {}

    def short(err: BaseException) -> str:
        return " ".join(str(err).split())[:200] or type(err).__name__

    for label, path in models.items():
        try:  # the sidecar first: no need to load a model of other classes
            classes = list(load_info(path).get("class_names", []))
            if sorted(classes) != sorted(split_classes):
                shown = ", ".join(classes[:3]) + (", ..." if len(classes) > 3 else "")
                skipped[label] = f"its classes ({shown}) are not the split's"
                continue
            model, info = load_model(path)
        except Exception as err:  # a broken file should not stop the evaluation of the others
            skipped[label] = f"cannot load {Path(path).name}: {short(err)}"
            continue
        shape = tuple(model.input_shape)
        if len(shape) != 4 or shape[-1] != 3:
            skipped[label] = f"takes inputs of shape {shape[1:]}, not RGB images (a head alone)"
            continue
        try:
            evaluations[label] = evaluate(
                model, split_dir, class_names=classes, batch_size=batch_size, info=info, name=label
            )
        except Exception as err:  # report and go on with the other models
            skipped[label] = f"evaluation failed: {short(err)}"
            continue
        finally:
            del model
        if log is not None:
            acc = evaluations[label].metrics()["accuracy"]
            log(f"{label:<36} {len(evaluations[label].y_true)} images, accuracy {acc:.4f}")
    return evaluations, skipped


def load_images(paths: Sequence[str], image_size: int | Sequence[int]) -> np.ndarray:
    """Image files as one uint8 array ``(n, h, w, 3)``, decoded and resized as for the models."""
    from utils import data as data_utils

    size = (image_size, image_size) if isinstance(image_size, int) else tuple(image_size)
    ds = data_utils.image_dataset(list(paths), np.zeros(len(paths), np.int32), size, 32)
    batches = [np.clip(np.rint(x.numpy()), 0, 255).astype(np.uint8) for x, _ in ds]
    return np.concatenate(batches) if batches else np.zeros((0, *size, 3), np.uint8)


def plot_confusion_matrices(
    evaluations: Mapping[str, Evaluation], ncols: int = 3, normalize: str | None = None
) -> Figure:
    """The confusion matrix of every model (few classes), side by side."""
    n = len(evaluations)
    if n == 0:
        raise ValueError("no evaluations to plot")
    ncols = max(1, min(ncols, n))
    nrows = int(np.ceil(n / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.6 * ncols, 3.9 * nrows), squeeze=False)
    for ax in axes.flat[n:]:
        ax.axis("off")
    for ax, (label, ev) in zip(axes.flat, evaluations.items(), strict=False):
        plot_confusion_matrix(
            ev.y_true, ev.y_pred, ev.class_names, normalize=normalize, title=label, ax=ax
        )
    fig.tight_layout()
    return fig


def mistake_titles(ev: Evaluation, indices: Sequence[int]) -> list[str]:
    """``true: cat / pred: dog (0.93)`` for each index."""
    names = ev.class_names
    return [
        f"true: {names[ev.y_true[i]]}\npred: {names[ev.y_pred[i]]} ({ev.confidence[i]:.2f})"
        for i in indices
    ]


def plot_mistakes(ev: Evaluation, n: int = 12, image_size: int = 150, ncols: int = 6) -> Figure:
    """A grid of the ``n`` most confident mistakes, with true and predicted class and confidence."""
    from utils.plots import image_grid

    indices = ev.mistakes()[:n]
    if len(indices) == 0 or ev.paths is None:
        raise ValueError(f"{ev.name or 'the model'} made no mistake to show")
    images = load_images([ev.paths[i] for i in indices], image_size)
    return image_grid(
        images,
        mistake_titles(ev, indices),
        ncols=ncols,
        suptitle=f"{ev.name}: most confident mistakes" if ev.name else "",
        title_colors=["firebrick"] * len(indices),
    )
