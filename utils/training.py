"""Small pieces every training notebook shares: the output layer and loss for the number of
classes, and the history of a ``fit`` as a table with the numbers a run is judged by.

The training itself (``model.compile``, ``model.fit`` with its callbacks) is written out in each
notebook; nothing here hides it.
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

import keras
import numpy as np
import pandas as pd


def output_layer(n_classes: int, name: str = "prediction") -> keras.layers.Dense:
    """One sigmoid unit for two classes (the book's head), else ``n_classes`` softmax units."""
    if n_classes < 2:
        raise ValueError(f"need at least 2 classes, got {n_classes}")
    if n_classes == 2:
        return keras.layers.Dense(1, activation="sigmoid", name=name)
    return keras.layers.Dense(n_classes, activation="softmax", name=name)


def loss_for(n_classes: int) -> str:
    """Binary cross-entropy for a sigmoid head (labels 0/1), else sparse categorical (ints)."""
    return "binary_crossentropy" if n_classes == 2 else "sparse_categorical_crossentropy"


def history_frame(history: keras.callbacks.History | dict[str, list]) -> pd.DataFrame:
    """A Keras history as a DataFrame: one row per epoch, ``epoch`` counted from 1."""
    hist = history.history if hasattr(history, "history") else history
    frame = pd.DataFrame({k: [float(v) for v in vals] for k, vals in hist.items()})
    frame.insert(0, "epoch", np.arange(1, len(frame) + 1))
    return frame


def best_epoch(history: pd.DataFrame, monitor: str = "val_loss") -> int:
    """The (1-based) epoch with the best ``monitor``: the first on ties, like ModelCheckpoint."""
    values = history[monitor].to_numpy(dtype=float)
    if np.all(np.isnan(values)):
        raise ValueError(f"{monitor} is NaN at every epoch")
    index = np.nanargmax(values) if "acc" in monitor else np.nanargmin(values)
    return int(history["epoch"].iloc[int(index)])


def _num(value: Any) -> float | None:
    value = float(value) if value is not None else math.nan
    return None if math.isnan(value) else round(value, 6)


def summarize(history: pd.DataFrame, monitor: str = "val_loss") -> dict[str, Any]:
    """The numbers a run is judged by, from its history.

    ``epochs`` run, ``best_epoch`` (best ``monitor``: the weights a checkpoint with
    ``save_best_only=True`` kept), ``best_val_loss``, ``best_epoch_val_accuracy`` (validation
    accuracy of the kept weights), ``best_val_accuracy`` (highest of any epoch),
    ``final_val_accuracy`` and ``train_val_gap`` (training minus validation accuracy at the
    kept epoch: how much the model overfits).
    """
    best = best_epoch(history, monitor)
    row = history.loc[history["epoch"] == best].iloc[0]
    has_acc = "val_accuracy" in history
    gap = row["accuracy"] - row["val_accuracy"] if has_acc and "accuracy" in history else None
    return {
        "epochs": len(history),
        "best_epoch": best,
        "best_val_loss": _num(row["val_loss"]) if "val_loss" in history else None,
        "best_epoch_val_accuracy": _num(row["val_accuracy"]) if has_acc else None,
        "best_val_accuracy": _num(history["val_accuracy"].max()) if has_acc else None,
        "final_val_accuracy": _num(history["val_accuracy"].iloc[-1]) if has_acc else None,
        "train_val_gap": _num(gap),
    }


def fit_keep_best(
    model: keras.Model,
    train,
    validation,
    *,
    epochs: int,
    checkpoint: str | Path,
    log: str | Path,
    **fit_args: Any,
) -> tuple[keras.Model, pd.DataFrame, float]:
    """``model.fit`` with the two callbacks every notebook uses, then the best model reloaded.

    ``ModelCheckpoint(checkpoint, save_best_only=True)`` on the validation loss and
    ``CSVLogger(log)``; returns the best epoch's model (reloaded from ``checkpoint``, a
    ``.keras`` file, removed afterwards), the history (:func:`history_frame`) and the seconds
    training took. Notebook 02 writes these steps out once; later notebooks call this.
    """
    checkpoint, log = Path(checkpoint), Path(log)
    checkpoint.parent.mkdir(parents=True, exist_ok=True)
    log.parent.mkdir(parents=True, exist_ok=True)
    callbacks = [
        keras.callbacks.ModelCheckpoint(checkpoint, monitor="val_loss", save_best_only=True),
        keras.callbacks.CSVLogger(log),
        *fit_args.pop("callbacks", []),
    ]
    start = time.perf_counter()
    history = model.fit(
        train, validation_data=validation, epochs=epochs, callbacks=callbacks, **fit_args
    )
    seconds = time.perf_counter() - start
    best = keras.models.load_model(checkpoint)
    checkpoint.unlink()
    return best, history_frame(history), seconds


def describe(facts: dict[str, Any], name: str) -> str:
    """Two lines on a run's curves, from :func:`summarize`'s facts: the train-validation gap at
    the kept epoch, and whether validation loss turned up before the last epoch."""
    best, epochs = facts["best_epoch"], facts["epochs"]
    gap = facts["train_val_gap"]
    turned = (
        f"validation loss turned up after epoch {best} of {epochs}"
        if best < epochs
        else f"validation loss was still at its lowest at the last epoch ({epochs})"
    )
    gap_text = "n/a" if gap is None else f"{gap:+.3f}"
    gap_line = f"{name}: train-validation accuracy gap at the kept epoch ({best}): {gap_text}"
    return f"{gap_line}\n{name}: {turned}"


def book_head(input_shape, n_classes: int) -> keras.Sequential:
    """The book's dense head, as notebook 04 writes it out: Flatten, 2 x (Dense 512, Dropout
    0.3), then one sigmoid unit (two classes) or a softmax unit per class."""
    layers = keras.layers
    return keras.Sequential(
        [keras.Input(shape=tuple(input_shape)), layers.Flatten()]
        + [layers.Dense(512, activation="relu"), layers.Dropout(0.3)]
        + [layers.Dense(512, activation="relu"), layers.Dropout(0.3)]
        + [output_layer(n_classes)],
        name="head",
    )
