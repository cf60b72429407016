"""Evaluating classifiers on scikit-learn: labels, metrics, report, confusion matrix, ROC curves.

The book's ``model_evaluation_utils``, for binary models (one sigmoid unit, ``p =
P(class_names[1])``) and multi-class ones (softmax) alike, from two classes to 120 dog breeds:

- :func:`to_labels` turns a model's outputs into class numbers (the threshold or the argmax:
  the one place this is decided); :func:`as_probabilities` into one column per class;
- :func:`get_metrics` (accuracy and weighted precision, recall, F1), :func:`roc_auc`,
  :func:`confusion_matrix_frame`, :func:`classification_report_frame`, and the book's
  :func:`display_model_performance_metrics`, which prints them all;
- :func:`plot_roc` draws ROC curves with scikit-learn's ``RocCurveDisplay`` (one-vs-rest micro
  and macro averages for more than two classes); :func:`top_k` and :func:`confident_mistakes`
  serve the prediction tables and image grids.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn import metrics as skm
from sklearn.preprocessing import label_binarize


def as_probabilities(outputs) -> np.ndarray:
    """Model outputs as ``(n, k)`` class probabilities: one sigmoid column ``p`` becomes
    ``[1 - p, p]``; softmax outputs pass through."""
    out = np.asarray(outputs, dtype=np.float64)
    out = out[:, None] if out.ndim == 1 else out
    if out.ndim != 2:
        raise ValueError(f"expected outputs of shape (n,) or (n, k), got {out.shape}")
    return np.column_stack([1.0 - out[:, 0], out[:, 0]]) if out.shape[1] == 1 else out


def to_labels(outputs, threshold: float = 0.5) -> np.ndarray:
    """Predicted class numbers: ``p > threshold`` for one sigmoid unit, else the argmax.

    ``outputs`` is what ``model.predict`` returns, ``(n, 1)`` or ``(n, k)``, or
    :func:`as_probabilities` of it (two columns: the threshold applies to the second).
    """
    out = np.asarray(outputs)
    out = out[:, None] if out.ndim == 1 else out
    if out.shape[1] <= 2:
        return (out[:, -1] > threshold).astype(int)
    return out.argmax(axis=1)


def predict_proba(model, data, batch_size: int = 32, verbose: int = 0) -> np.ndarray:
    """``(n, k)`` class probabilities of a Keras model on raw images (an array or a
    ``tf.data.Dataset``): what ``predict_proba`` did before Keras removed it."""
    if isinstance(data, np.ndarray):
        return as_probabilities(model.predict(data, batch_size=batch_size, verbose=verbose))
    return as_probabilities(model.predict(data, verbose=verbose))


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


def roc_auc(y_true, proba, average: str = "macro") -> float:
    """Area under the ROC curve: of class 1 for two classes, else one-vs-rest (``average``
    ``"macro"`` or ``"micro"``) over the classes present in ``y_true``; NaN with one class."""
    y_true, proba = np.asarray(y_true, int), as_probabilities(proba)
    if len(np.unique(y_true)) < 2:
        return float("nan")
    if proba.shape[1] == 2:
        return float(skm.roc_auc_score(y_true, proba[:, 1]))
    onehot = label_binarize(y_true, classes=np.arange(proba.shape[1]))
    present = onehot.any(axis=0)
    return float(skm.roc_auc_score(onehot[:, present], proba[:, present], average=average))


def confusion_matrix_frame(y_true, y_pred, class_names: Sequence[str]) -> pd.DataFrame:
    """The confusion matrix as a labelled table: rows ``Actual:``, columns ``Predicted:``."""
    names = [str(c) for c in class_names]
    cm = skm.confusion_matrix(y_true, y_pred, labels=np.arange(len(names)))
    return pd.DataFrame(
        cm,
        index=pd.MultiIndex.from_product([["Actual:"], names]),
        columns=pd.MultiIndex.from_product([["Predicted:"], names]),
    )


def _report(y_true, y_pred, class_names: Sequence[str], output_dict: bool):
    return skm.classification_report(
        y_true,
        y_pred,
        labels=np.arange(len(class_names)),
        target_names=[str(c) for c in class_names],
        digits=4,
        output_dict=output_dict,
        zero_division=0,
    )


def classification_report_frame(y_true, y_pred, class_names: Sequence[str]) -> pd.DataFrame:
    """scikit-learn's classification report as a table (one row per class, then averages)."""
    report = _report(y_true, y_pred, class_names, output_dict=True)
    accuracy = report.pop("accuracy", None)
    frame = pd.DataFrame(report).T
    if accuracy is not None:
        frame.loc["accuracy"] = [np.nan, np.nan, accuracy, len(np.asarray(y_true))]
    frame["support"] = frame["support"].astype(int)
    return frame


def display_model_performance_metrics(
    y_true, y_pred, class_names: Sequence[str], proba=None
) -> dict[str, float]:
    """Print the metrics (and ROC AUC with ``proba``), scikit-learn's classification report and
    the labelled confusion matrix: the book's function of that name. Returns the metrics."""
    scores = get_metrics(y_true, y_pred)
    if proba is not None:
        scores["roc_auc"] = roc_auc(y_true, proba)
    print("Model performance metrics:\n" + "-" * 30)
    for key, value in scores.items():
        print(f"{key:>10}: {value:.4f}")
    print("\nModel classification report:\n" + "-" * 30)
    print(_report(y_true, y_pred, class_names, output_dict=False))
    if len(class_names) <= 20:
        print("Prediction confusion matrix:\n" + "-" * 30)
        with pd.option_context("display.width", 200):
            print(confusion_matrix_frame(y_true, y_pred, class_names))
    return scores


def plot_roc(
    y_true,
    proba,
    class_names: Sequence[str] | None = None,
    name: str | None = None,
    ax=None,
    per_class: bool = True,
    max_classes: int = 10,
):
    """ROC curves drawn by ``sklearn.metrics.RocCurveDisplay``; returns the axes.

    Two classes: the curve of class 1, labelled ``name`` (none when ``y_true`` holds one class
    only: a class without test photos has no ROC curve). More: the micro average (all classes
    pooled, one-vs-rest) and, with ``per_class``, the macro average (the class curves averaged
    on a common false-positive grid, by hand: scikit-learn has no display for it) and up to
    ``max_classes`` class curves, the worst and the best. Call again on the same ``ax`` with
    another model's ``proba`` to compare models.
    """
    y_true, proba = np.asarray(y_true, int), as_probabilities(proba)
    k = proba.shape[1]
    names = [str(c) for c in class_names] if class_names is not None else [str(i) for i in range(k)]
    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 5.5))

    def draw(y, score, label, **style):
        chance = not ax.lines  # the diagonal once per axes
        skm.RocCurveDisplay.from_predictions(
            y, score, name=label, ax=ax, plot_chance_level=chance, curve_kwargs=style
        )

    if k == 2:
        if len(np.unique(y_true)) == 2:
            draw(y_true, proba[:, 1], name or names[1], lw=2)
        return ax
    onehot = label_binarize(y_true, classes=np.arange(k))
    prefix = f"{name}: " if name else ""
    draw(onehot.ravel(), proba.ravel(), f"{prefix}micro-average", lw=2)
    present = [i for i in range(k) if 0 < onehot[:, i].sum() < len(y_true)]
    if not per_class or not present:
        return ax
    curves = {i: skm.roc_curve(onehot[:, i], proba[:, i])[:2] for i in present}
    grid = np.unique(np.concatenate([fpr for fpr, _ in curves.values()]))
    tpr = np.mean([np.interp(grid, *curves[i]) for i in present], axis=0)
    ax.plot(grid, tpr, "--", lw=2, label=f"{prefix}macro-average (AUC = {skm.auc(grid, tpr):.2f})")
    ranked = sorted(present, key=lambda i: skm.auc(*curves[i]))
    if len(ranked) > max_classes:
        ranked = ranked[: max_classes // 2] + ranked[len(ranked) - (max_classes + 1) // 2 :]
    for i in ranked:
        draw(onehot[:, i], proba[:, i], names[i], lw=1, alpha=0.8)
    ax.legend(loc="lower right", fontsize=8)
    return ax


def top_k(proba, class_names: Sequence[str], k: int = 1) -> pd.DataFrame:
    """The ``k`` most probable classes of each row: ``class``, ``probability``, then
    ``class_2``, ``probability_2`` ... (``k`` capped at the number of classes)."""
    proba = as_probabilities(proba)
    k = max(1, min(int(k), proba.shape[1]))
    order = np.argsort(-proba, axis=1, kind="stable")[:, :k]
    names = np.asarray(class_names, dtype=object)
    columns = {}
    for rank in range(k):
        suffix = "" if rank == 0 else f"_{rank + 1}"
        columns[f"class{suffix}"] = names[order[:, rank]]
        columns[f"probability{suffix}"] = proba[np.arange(len(proba)), order[:, rank]]
    return pd.DataFrame(columns)


def confident_mistakes(y_true, outputs) -> np.ndarray:
    """Indices of the wrongly classified rows, the most confident mistakes first."""
    proba = as_probabilities(outputs)
    y_pred = to_labels(proba)
    wrong = np.flatnonzero(y_pred != np.asarray(y_true))
    return wrong[np.argsort(-proba[wrong, y_pred[wrong]], kind="stable")]
