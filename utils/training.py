"""Training with Keras callbacks: seeds, compiling for the head, fit, keep the best, save.

``fit_and_save`` is the one call the notebooks make: it fits with a checkpoint of the best
weights by validation loss and a CSV log of the history, restores those best weights, saves the
model as ``.h5`` with its class names and training facts (``utils.saving``) and returns the
history as a DataFrame (one row per epoch, ``epoch`` counted from 1).
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import keras
import numpy as np
import pandas as pd

from utils.saving import save_model


def set_seed(seed: int) -> None:
    """Seed Python, NumPy and the backend (``keras.utils.set_random_seed``)."""
    keras.utils.set_random_seed(int(seed))


def setup(seed: int, *folders: str | Path) -> None:
    """Start a notebook: seed everything and create its output folders."""
    set_seed(seed)
    for folder in folders:
        Path(folder).mkdir(parents=True, exist_ok=True)


def is_binary_head(model: keras.Model) -> bool:
    """True when the model ends in one unit (a sigmoid head: labels 0/1)."""
    return int(model.output_shape[-1]) == 1


def compile_for(
    model: keras.Model,
    n_classes: int,
    optimizer: keras.optimizers.Optimizer | str | None = None,
    metrics: Sequence[Any] = ("accuracy",),
) -> keras.Model:
    """Compile ``model`` with the loss its head needs, and accuracy.

    Two classes and a 1-unit sigmoid head: binary cross-entropy (labels 0/1, as in the book).
    Otherwise (an ``n_classes``-unit softmax head): sparse categorical cross-entropy on integer
    labels. ``optimizer`` defaults to ``RMSprop()`` (learning rate 1e-3), the book's choice.
    """
    units = int(model.output_shape[-1])
    if units == 1:
        if n_classes != 2:
            raise ValueError(f"a 1-unit head needs 2 classes, got {n_classes}")
        loss = "binary_crossentropy"
    else:
        if units != n_classes:
            raise ValueError(f"the head has {units} units but there are {n_classes} classes")
        loss = "sparse_categorical_crossentropy"
    model.compile(
        optimizer=optimizer if optimizer is not None else keras.optimizers.RMSprop(),
        loss=loss,
        metrics=list(metrics),
    )
    return model


class EpochLogger(keras.callbacks.Callback):
    """One printed line per epoch (metrics and seconds), and the seconds of every epoch.

    Lighter than Keras's progress bar in executed notebooks and logs; ``seconds`` ends up as a
    column of the history ``fit_and_save`` returns.
    """

    def __init__(self, name: str = "", every: int = 1):
        super().__init__()
        self.name = name
        self.every = max(1, int(every))
        self.seconds: list[float] = []
        self._start = 0.0

    def on_train_begin(self, logs=None):
        self.seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self._start)
        total = self.params.get("epochs") if self.params else None
        if (epoch + 1) % self.every and (total is None or epoch + 1 != total):
            return
        shown = "  ".join(f"{k} {float(v):.4f}" for k, v in (logs or {}).items())
        of = f"/{total}" if total else ""
        prefix = f"{self.name} " if self.name else ""
        print(f"{prefix}epoch {epoch + 1}{of}  {shown}  ({self.seconds[-1]:.1f} s)", flush=True)


def checkpoint_path(name: str, models_dir: str | Path) -> Path:
    """Where the best weights of run ``name`` are checkpointed while it trains."""
    return Path(models_dir) / "checkpoints" / f"{name}.weights.h5"


def history_path(name: str, results_dir: str | Path) -> Path:
    """The CSV history of run ``name``."""
    return Path(results_dir) / f"{name}_history.csv"


def make_callbacks(
    name: str,
    models_dir: str | Path,
    results_dir: str | Path,
    monitor: str = "val_loss",
    progress: bool = True,
) -> list[keras.callbacks.Callback]:
    """Checkpoint of the best weights by ``monitor``, CSV history log, one line per epoch.

    The checkpoint goes to ``models_dir/checkpoints/<name>.weights.h5`` and the log to
    ``results_dir/<name>_history.csv`` (written as training goes, so a long run that is stopped
    keeps both; Keras numbers epochs from 0 there, until :func:`fit_and_save` rewrites the file
    at the end with epochs from 1 and a ``seconds`` column).
    """
    ckpt = checkpoint_path(name, models_dir)
    ckpt.parent.mkdir(parents=True, exist_ok=True)
    log = history_path(name, results_dir)
    log.parent.mkdir(parents=True, exist_ok=True)
    mode = "max" if "acc" in monitor else "min"
    callbacks: list[keras.callbacks.Callback] = [
        keras.callbacks.ModelCheckpoint(
            str(ckpt), monitor=monitor, mode=mode, save_best_only=True, save_weights_only=True
        ),
        keras.callbacks.CSVLogger(str(log)),
    ]
    if progress:
        callbacks.append(EpochLogger(name))
    return callbacks


def history_frame(history: keras.callbacks.History | dict[str, list]) -> pd.DataFrame:
    """A Keras history as a DataFrame: one row per epoch, ``epoch`` counted from 1."""
    hist = history.history if hasattr(history, "history") else history
    frame = pd.DataFrame({k: [float(v) for v in vals] for k, vals in hist.items()})
    frame.insert(0, "epoch", np.arange(1, len(frame) + 1))
    return frame


def best_epoch(history: pd.DataFrame, monitor: str = "val_loss") -> int:
    """The (1-based) epoch with the best ``monitor`` (first one on ties, like ModelCheckpoint)."""
    values = history[monitor].to_numpy(dtype=float)
    if np.all(np.isnan(values)):
        raise ValueError(f"{monitor} is NaN at every epoch")
    index = np.nanargmax(values) if "acc" in monitor else np.nanargmin(values)
    return int(history["epoch"].iloc[int(index)])


def fit_and_save(
    model: keras.Model,
    train_ds,
    val_ds,
    *,
    epochs: int,
    name: str,
    class_names: Sequence[str],
    models_dir: str | Path,
    results_dir: str | Path,
    callbacks_extra: Iterable[keras.callbacks.Callback] = (),
    monitor: str = "val_loss",
    progress: bool = True,
    keep_checkpoint: bool = False,
    **facts: Any,
) -> pd.DataFrame:
    """Fit a compiled model, restore its best weights, save ``models_dir/<name>.h5``.

    Works for a sigmoid head (labels 0/1) and a softmax head (integer labels) alike: the loss
    comes from :func:`compile_for`. The best weights are those with the lowest validation loss;
    they are restored before saving. The sidecar JSON gets the class names and ``epochs``,
    ``best_epoch``, ``train_seconds``, ``seconds_per_epoch``, ``best_val_loss``,
    ``best_epoch_val_accuracy`` (the saved weights' validation accuracy),
    ``best_val_accuracy`` (the highest of any epoch), ``final_val_accuracy`` (the last epoch's)
    plus ``facts``. The history (with a ``seconds`` column) is returned and also written to
    ``results_dir/<name>_history.csv``.
    """
    if not getattr(model, "compiled", False):
        raise ValueError("compile the model first (utils.training.compile_for)")
    callbacks = make_callbacks(name, models_dir, results_dir, monitor=monitor, progress=False)
    timer = EpochLogger(name) if progress else _SilentTimer()
    callbacks += [timer, *callbacks_extra]

    start = time.perf_counter()
    keras_history = model.fit(
        train_ds,
        validation_data=val_ds,
        epochs=int(epochs),
        callbacks=callbacks,
        shuffle=False,  # tf.data pipelines shuffle themselves (utils.data)
        verbose=0,
    )
    train_seconds = time.perf_counter() - start

    history = history_frame(keras_history)
    if len(timer.seconds) == len(history):
        history["seconds"] = timer.seconds
    history.to_csv(history_path(name, results_dir), index=False)

    ckpt = checkpoint_path(name, models_dir)
    if ckpt.is_file():
        model.load_weights(str(ckpt))
        if not keep_checkpoint:
            ckpt.unlink()
            if not any(ckpt.parent.iterdir()):
                ckpt.parent.rmdir()

    info = {
        **summarize(history, monitor),
        "train_seconds": round(train_seconds, 2),
        "seconds_per_epoch": round(train_seconds / max(len(history), 1), 2),
        **facts,
    }
    with quiet_h5_warning():
        save_model(model, Path(models_dir) / f"{name}.h5", list(class_names), **info)
    return history


@contextmanager
def quiet_h5_warning() -> Iterator[None]:
    """Silence Keras's "HDF5 is considered legacy" log line: ``.h5`` is our deliberate choice."""
    from absl import logging as absl_logging

    level = absl_logging.get_verbosity()
    absl_logging.set_verbosity(absl_logging.ERROR)
    try:
        yield
    finally:
        absl_logging.set_verbosity(level)


class _SilentTimer(EpochLogger):
    """Times epochs without printing."""

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self._start)


def _num(value: Any) -> float | None:
    value = float(value) if value is not None else math.nan
    return None if math.isnan(value) else round(value, 6)


def summarize(history: pd.DataFrame, monitor: str = "val_loss") -> dict[str, Any]:
    """The numbers a run is judged by, from its history.

    ``best_epoch`` (lowest ``monitor``: the weights kept), ``best_val_loss``,
    ``best_epoch_val_accuracy`` (validation accuracy of the kept weights),
    ``best_val_accuracy`` (highest of any epoch), ``final_val_accuracy`` (last epoch) and
    ``epochs`` run.
    """
    best = best_epoch(history, monitor)
    row = history.loc[history["epoch"] == best].iloc[0]
    has_acc = "val_accuracy" in history
    return {
        "epochs": len(history),
        "best_epoch": best,
        "best_val_loss": _num(row["val_loss"]) if "val_loss" in history else None,
        "best_epoch_val_accuracy": _num(row["val_accuracy"]) if has_acc else None,
        "best_val_accuracy": _num(history["val_accuracy"].max()) if has_acc else None,
        "final_val_accuracy": _num(history["val_accuracy"].iloc[-1]) if has_acc else None,
    }


def evaluate_accuracy(model: keras.Model, dataset) -> float:
    """Accuracy of a model on a labelled dataset (a sigmoid or a softmax head).

    Computed from the predictions, so it works on a model loaded with ``compile=False``.
    """
    correct = total = 0
    for x, y in dataset:
        probs = np.asarray(model(x, training=False))
        pred = (probs[:, 0] > 0.5).astype(int) if probs.shape[-1] == 1 else probs.argmax(-1)
        y = np.asarray(y).reshape(-1).astype(int)
        correct += int((pred == y).sum())
        total += len(y)
    return correct / total if total else math.nan


def same_predictions(
    model_a: keras.Model, model_b: keras.Model, dataset, atol: float = 1e-5
) -> bool:
    """Whether two models (say, trained and reloaded from disk) predict the same on a dataset."""
    for x, _ in dataset:
        a = np.asarray(model_a(x, training=False))
        b = np.asarray(model_b(x, training=False))
        if a.shape != b.shape or not np.allclose(a, b, atol=atol):
            return False
    return True


SUMMARY_KEYS = (
    "epochs",
    "best_epoch",
    "best_epoch_val_accuracy",
    "best_val_accuracy",
    "final_val_accuracy",
    "train_seconds",
    "seconds_per_epoch",
)


def score_saved(path: str | Path, dataset, trained: keras.Model | None = None) -> dict[str, Any]:
    """Reload a saved model and score it on ``dataset`` (say, the test split).

    Returns its training facts from the sidecar (:data:`SUMMARY_KEYS`), ``test_accuracy`` and,
    when the in-memory ``trained`` model is given, ``reloaded_same_predictions``.
    """
    from utils.saving import load_model

    model, info = load_model(path)
    row: dict[str, Any] = {"model": Path(path).stem, **{k: info.get(k) for k in SUMMARY_KEYS}}
    row["test_accuracy"] = round(evaluate_accuracy(model, dataset), 4)
    if trained is not None:
        row["reloaded_same_predictions"] = same_predictions(trained, model, dataset)
    return row
