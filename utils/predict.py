"""Predicting image files with a saved model: the logic behind ``predict.py``.

Images are decoded and resized exactly as in training and evaluation
(``utils.data.read_images``); a file that cannot be read is reported and skipped, never a crash.
Importing this module stays light (no TensorFlow) so that ``predict.py`` answers fast.
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

from utils import IMAGE_EXTENSIONS


def one_line(err: BaseException, limit: int = 300) -> str:
    """An exception as one short line, without TensorFlow's ``{{node ...}}`` and ``[Op:...]``."""
    text = getattr(err, "message", None) or str(err)
    text = re.sub(r"\{\{.*?\}\}|\[\[.*?\]\]|\[Op:[^\]]*\].*", " ", text)
    return " ".join(text.split())[:limit] or type(err).__name__


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
    import tensorflow as tf
    from tqdm.auto import tqdm

    from utils.data import read_images
    from utils.evaluation import as_probabilities, top_k

    def read(paths: list[str]) -> np.ndarray:
        with quiet_native_stderr() if quiet else contextlib.nullcontext():
            return read_images(paths, tuple(image_size), raw=True)

    good: list[str] = []
    probas: list[np.ndarray] = [np.zeros((0, len(class_names)))]
    errors: list[tuple[str, str]] = []
    if progress is None:
        progress = len(files) > batch_size
    with tqdm(total=len(files), disable=not progress, unit="img", file=sys.stderr) as bar:
        for start in range(0, len(files), batch_size):
            batch = [str(f) for f in files[start : start + batch_size]]
            try:
                images, readable = list(read(batch)), batch
            except (tf.errors.OpError, ValueError):  # a bad file: find it, one file at a time
                images, readable = [], []
                for f in batch:
                    try:
                        images.append(read([f])[0])
                        readable.append(f)
                    except (tf.errors.OpError, ValueError) as err:
                        errors.append((f, f"not a readable image ({one_line(err)})"))
                        if on_error is not None:
                            on_error(*errors[-1])
            if images:
                probas.append(as_probabilities(model.predict_on_batch(np.stack(images))))
                good += readable
            bar.update(len(batch))
    table = top_k(np.concatenate(probas), class_names, top)
    table.insert(0, "file", good)
    return table, errors
