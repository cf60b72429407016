"""Figures for the notebooks: training curves and image grids. Every function returns a Figure.

Nothing here calls ``plt.show()``: in a notebook the figure appears under the cell that makes it;
:func:`save_figure` writes it as PNG into ``RESULTS_DIR``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure


def to_display(image) -> np.ndarray:
    """An image as something ``imshow`` shows right: uint8 as is, floats in [0, 1].

    Float images with values above 1 are taken to be in [0, 255] (raw pixels, as our pipelines
    yield them); others in [0, 1]. Single-channel images lose their channel axis.
    """
    arr = np.asarray(image)
    if arr.ndim == 3 and arr.shape[-1] == 1:
        arr = arr[..., 0]
    if arr.dtype == np.uint8:
        return arr
    arr = arr.astype(np.float32)
    if arr.size and np.nanmax(arr) > 1.0:
        arr = arr / 255.0
    return np.clip(arr, 0.0, 1.0)


def plot_history(
    history: pd.DataFrame,
    title: str = "",
    metric: str = "accuracy",
    mark_best: str | None = "val_loss",
    figsize: tuple[float, float] = (12, 4),
) -> Figure:
    """Accuracy and loss per epoch, train vs validation, in two panels (the book's figure).

    ``history`` has an ``epoch`` column (or uses its index) and Keras's columns ``accuracy``,
    ``val_accuracy``, ``loss``, ``val_loss``. A dotted line marks the epoch with the best
    ``mark_best`` (the weights that were kept); pass ``None`` to leave it out.
    """
    epochs = history["epoch"] if "epoch" in history else pd.Series(range(1, len(history) + 1))
    fig, axes = plt.subplots(1, 2, figsize=figsize)
    for ax, key, label in ((axes[0], metric, metric.capitalize()), (axes[1], "loss", "Loss")):
        for column, name in ((key, "Train"), (f"val_{key}", "Validation")):
            if column in history:
                ax.plot(epochs, history[column], marker="o", markersize=3, label=f"{name} {key}")
        if mark_best and mark_best in history and history[mark_best].notna().any():
            best = epochs.iloc[int(np.nanargmin(history[mark_best].to_numpy(dtype=float)))]
            ax.axvline(best, color="grey", linestyle=":", label=f"best epoch ({best})")
        ax.set_title(f"{label}")
        ax.set_xlabel("Epoch")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
        ax.legend(loc="best")
    if title:
        fig.suptitle(title, fontsize=13)
    fig.tight_layout()
    return fig


def image_grid(
    images: Sequence | np.ndarray,
    titles: Sequence[str] | None = None,
    ncols: int = 5,
    figsize: tuple[float, float] | None = None,
    suptitle: str = "",
    title_colors: Sequence[str] | None = None,
) -> Figure:
    """A grid of images (uint8, or floats in [0, 255] or [0, 1]) with optional titles.

    Used for sample photos, augmented versions, mistakes and predictions. ``title_colors``
    colours each title (for instance green for right, red for wrong).
    """
    images = list(images)
    n = len(images)
    if n == 0:
        raise ValueError("no images to show")
    ncols = max(1, min(ncols, n))
    nrows = math.ceil(n / ncols)
    if figsize is None:
        figsize = (2.4 * ncols, 2.4 * nrows + (0.4 if suptitle else 0.0))
    fig, axes = plt.subplots(nrows, ncols, figsize=figsize, squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i >= n:
            continue
        ax.imshow(to_display(images[i]), cmap="gray" if np.asarray(images[i]).ndim == 2 else None)
        if titles is not None and i < len(titles):
            color = title_colors[i] if title_colors is not None else "black"
            ax.set_title(str(titles[i]), fontsize=9, color=color)
    if suptitle:
        fig.suptitle(suptitle, fontsize=12)
    fig.tight_layout()
    return fig


def save_figure(fig: Figure, path: str | Path, dpi: int = 110) -> Path:
    """Write a figure as PNG (folders created); returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi, bbox_inches="tight")
    return path
