"""Predicting image files with a saved model: the logic behind ``predict.py``.

Images are decoded and resized exactly as in training and evaluation (``utils.data``); a file
that cannot be read is reported and skipped, never a crash.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

# the same list as utils.data.IMAGE_EXTENSIONS, here so importing this module stays light
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif")


@contextlib.contextmanager
def quiet_native_stderr() -> Iterator[None]:
    """Silence what native code writes to stderr (TensorFlow's start-up log, libjpeg's
    "Input file read error"); Python's own ``sys.stderr`` is flushed first and restored."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):  # no stderr file descriptor
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def collect_images(paths: Iterable[str | Path]) -> tuple[list[Path], list[tuple[str, str]]]:
    """Files to predict and the problems met: folders are searched recursively for images.

    Files named explicitly are kept whatever their extension (a non-image is reported later,
    when it fails to decode); inside folders only image extensions count (case-insensitive,
    hidden files skipped). Returns ``(files, [(path, reason), ...])``, files without repeats.
    """
    files: list[Path] = []
    problems: list[tuple[str, str]] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            try:
                found = sorted(
                    p
                    for p in path.rglob("*")
                    if p.suffix.lower() in IMAGE_EXTENSIONS
                    and not any(part.startswith(".") for part in p.relative_to(path).parts)
                    and p.is_file()
                )
            except OSError as err:  # a folder we may not list
                problems.append((str(path), f"cannot list this folder ({err.strerror or err})"))
                continue
            if not found:
                problems.append((str(path), "no image files in this folder"))
            files += found
        elif path.is_file():
            files.append(path)
        else:
            problems.append((str(path), "no such file or folder"))
    seen: set[Path] = set()
    unique = []
    for f in files:
        key = f.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(f)
    return unique, problems


def read_image(path: str | Path, image_size: Sequence[int]) -> np.ndarray:
    """One file as a float32 RGB array in [0, 255] at ``image_size``; raises ``ValueError``."""
    import tensorflow as tf

    from utils.data import decode_image

    try:
        image = decode_image(tf.constant(str(path)), tuple(int(s) for s in image_size))
        return image.numpy()
    except (tf.errors.OpError, ValueError) as err:
        message = getattr(err, "message", None) or str(err)
        message = re.sub(r"\{\{.*?\}\}|\[Op:.*$", "", message.strip().splitlines()[0]).strip()
        raise ValueError(f"not a readable image ({message or type(err).__name__})") from err


def top_k(proba: np.ndarray, class_names: Sequence[str], k: int = 1) -> pd.DataFrame:
    """The ``k`` most probable classes per row: ``class``, ``probability``, then
    ``class_2``, ``probability_2`` … ``class_k``, ``probability_k``."""
    k = max(1, min(int(k), proba.shape[1]))
    order = np.argsort(-proba, axis=1, kind="stable")[:, :k]
    names = np.asarray(class_names, dtype=object)
    columns: dict[str, object] = {}
    for rank in range(k):
        suffix = "" if rank == 0 else f"_{rank + 1}"
        columns[f"class{suffix}"] = names[order[:, rank]]
        columns[f"probability{suffix}"] = np.take_along_axis(proba, order[:, rank : rank + 1], 1)[
            :, 0
        ]
    return pd.DataFrame(columns)


def predict_files(
    model,
    files: Sequence[str | Path],
    class_names: Sequence[str],
    image_size: Sequence[int],
    top: int = 1,
    batch_size: int = 32,
    progress: bool | None = None,
    on_error: Callable[[str, str], None] | None = None,
    quiet: bool = True,
) -> tuple[pd.DataFrame, list[tuple[str, str]]]:
    """Predict image files in batches: a table ``file, class, probability [, top-k columns]``.

    Unreadable files are skipped and returned as ``[(file, reason), ...]`` (and passed to
    ``on_error`` as they happen; print there with ``tqdm.write`` so the bar stays intact).
    ``progress``: a tqdm bar on stderr, by default when there are more files than one batch.
    ``quiet`` hides the decoders' own messages about broken files.
    """
    from tqdm.auto import tqdm

    from utils.evaluation import as_probabilities

    if progress is None:
        progress = len(files) > batch_size
    good: list[str] = []
    probas: list[np.ndarray] = []
    errors: list[tuple[str, str]] = []
    batch: list[np.ndarray] = []
    batch_files: list[str] = []

    def flush():
        if batch:
            out = model.predict_on_batch(np.stack(batch))
            probas.append(as_probabilities(np.asarray(out)))
            good.extend(batch_files)
            batch.clear()
            batch_files.clear()

    with tqdm(total=len(files), disable=not progress, unit="img", file=sys.stderr) as bar:
        for f in files:
            try:
                with quiet_native_stderr() if quiet else contextlib.nullcontext():
                    image = read_image(f, image_size)
                batch.append(image)
                batch_files.append(str(f))
            except ValueError as err:
                errors.append((str(f), str(err)))
                if on_error is not None:
                    on_error(str(f), str(err))
            if len(batch) >= batch_size:
                flush()
            bar.update(1)
        flush()
    if probas:
        table = top_k(np.concatenate(probas), class_names, top)
    else:
        table = top_k(np.zeros((0, len(class_names))), class_names, top)
    table.insert(0, "file", good)
    return table, errors
