"""Predicting image files with a saved model: the logic behind ``predict.py``.

- :func:`collect_images` turns the command line's paths (files, folders searched recursively,
  quoted globs, ``@list.txt`` file lists) into the files to classify;
- :func:`check_info` and :func:`check_model` hold a model's sidecar against the model (class
  names against the outputs, ``image_size`` against the input) before any label is printed;
- :func:`read_image` decodes and resizes a file exactly as the training pipelines do
  (``utils.data.decode_image``), after turning it upright by its EXIF orientation as the split
  builder does (``utils.split_folder.place_image``), and refuses an image over the builder's
  pixel limit (``utils.image_files.MAX_PIXELS``);
- :func:`predict_files` classifies files in batches; a file that cannot be read is reported
  and skipped, never a crash.

Importing this module stays light (no TensorFlow) so that ``predict.py`` answers fast.
"""

from __future__ import annotations

import contextlib
import glob
import io
import json
import os
import re
import sys
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image, UnidentifiedImageError

from utils import IMAGE_EXTENSIONS
from utils.image_files import MAX_PIXELS, is_ignored, too_large

ORIENTATION = 0x0112  # the EXIF tag saying how a photo is turned
UPRIGHT = {  # what ImageOps.exif_transpose does for each orientation
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


class ModelError(Exception):
    """A model that cannot be used: its message is the one line ``predict.py`` prints."""


class UnreadableImage(Exception):
    """A file that cannot be classified: its message is the reason reported."""


def one_line(err: BaseException, limit: int = 300) -> str:
    """An exception as one short line, without TensorFlow's ``{{node ...}}`` and ``[Op:...]``."""
    text = getattr(err, "message", None) or str(err)
    text = re.sub(r"\{\{.*?\}\}|\[\[.*?\]\]|\[Op:[^\]]*\].*", " ", text)
    return " ".join(text.split())[:limit] or type(err).__name__


def shown(path: str | Path) -> str:
    """A path as it can be printed: bytes that are not UTF-8 (a file name from another
    system) become U+FFFD instead of an encoding error."""
    return os.fsencode(path).decode("utf-8", "replace")


@contextlib.contextmanager
def quiet_native_stderr() -> Iterator[None]:
    """Silence what native code writes to stderr (TensorFlow's start-up log, libjpeg's
    "Input file read error"); Python's own ``sys.stderr`` is flushed first and restored."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError, io.UnsupportedOperation):  # no stderr fd
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


# --------------------------------------------------------------------------- the inputs


def _folder_images(folder: Path, problems: list[tuple[str, str]]) -> list[Path]:
    """Image files in ``folder`` and its subfolders (hidden ones and OS clutter left out)."""

    def report(err: OSError) -> None:
        problems.append((err.filename or str(folder), f"cannot list this folder ({err.strerror})"))

    found = []
    for parent, dirs, names in os.walk(folder, onerror=report):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            path = Path(parent, name)
            if path.suffix.lower() in IMAGE_EXTENSIONS and not is_ignored(path) and path.is_file():
                found.append(path)
    return found


def _read_list(arg: str) -> list[str]:
    """The paths in a file list (``@list.txt``, ``@-`` for standard input): one a line, blank
    lines and ``#`` comments left out; names that are not UTF-8 are kept byte for byte."""
    data = sys.stdin.buffer.read() if arg == "@-" else Path(arg[1:]).read_bytes()
    lines = (os.fsdecode(line.rstrip(b"\r")) for line in data.split(b"\n"))
    return [line for line in lines if line.strip() and not line.startswith("#")]


def file_lists(paths: Iterable[str | Path]) -> list[Path]:
    """The ``@list.txt`` files among ``paths`` (inputs too: an output must not replace them)."""
    return [Path(str(p)[1:]) for p in paths if str(p).startswith("@") and str(p) != "@-"]


def collect_images(paths: Iterable[str | Path]) -> tuple[list[Path], list[tuple[str, str]]]:
    """The files to classify and the problems met, from what the command line names.

    - a **file** is kept whatever its extension (a non-image is reported when it fails to
      decode);
    - a **folder** is searched recursively for .jpg .jpeg .png .bmp .gif (any case); hidden
      files and folders are left out;
    - a **glob** (``"photos/*.jpg"``, ``"photos/**/*.png"``, quoted so that the shell leaves it
      to us) is expanded, sorted, unless a file of that very name exists;
    - ``@list.txt`` reads paths (files, folders or globs), one a line (``@-``: standard input).

    Returns ``(files, [(path, reason), ...])``: files in order, without repeats.
    """
    files: list[Path] = []
    problems: list[tuple[str, str]] = []
    pending = [str(p) for p in paths]
    while pending:
        arg = pending.pop(0)
        path = Path(arg)
        if arg.startswith("@") and not path.exists():
            try:
                pending[:0] = _read_list(arg)
            except OSError as err:
                problems.append((arg[1:], f"cannot read this file list ({err.strerror or err})"))
            continue
        if not path.exists() and not path.is_symlink() and glob.has_magic(arg):
            matches = sorted(glob.glob(arg, recursive=True))
            if not matches:
                problems.append((arg, "no file matches this pattern"))
            pending[:0] = matches
            continue
        if path.is_dir():
            found = _folder_images(path, problems)
            if not found:
                problems.append((arg, "no image files in this folder"))
            files += found
        elif path.is_file():
            files.append(path)
        elif path.is_symlink():
            problems.append((arg, "broken symbolic link"))
        else:
            problems.append((arg, "no such file or folder"))
    seen: set[str] = set()
    unique = []
    for f in files:
        key = os.path.realpath(f)
        if key not in seen:
            seen.add(key)
            unique.append(f)
    return unique, problems


# --------------------------------------------------------------------------- the model


def check_info(info: dict, sidecar: str | Path) -> tuple[list[str], list[int] | None]:
    """``(class_names, image_size or None)`` from a model's sidecar; :class:`ModelError` with
    one line when they are not a list of distinct names and a pair of positive sizes."""
    names = info.get("class_names") if isinstance(info, dict) else None
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ModelError(f"{shown(sidecar)}: class_names must be a list of strings, got {names!r}")
    if len(names) < 2 or len(set(names)) != len(names):
        raise ModelError(f"{shown(sidecar)}: class_names must name 2 or more distinct classes")
    size = info.get("image_size")
    if size is not None and not (
        isinstance(size, list)
        and len(size) == 2
        and all(isinstance(s, int) and not isinstance(s, bool) and s > 0 for s in size)
    ):
        raise ModelError(f"{shown(sidecar)}: image_size must be [height, width], got {size!r}")
    return names, size


def check_model(model, class_names: Sequence[str], image_size, sidecar: str | Path) -> list[int]:
    """The input size to use, once the sidecar agrees with ``model``: one sigmoid unit needs
    exactly 2 class names, N outputs N names; ``image_size`` must be the model's input size.
    Raises :class:`ModelError` with one line otherwise."""
    where = shown(sidecar)
    inputs, outputs = model.input_shape, model.output_shape
    if not (isinstance(inputs, tuple) and len(inputs) == 4 and inputs[-1] in (3, None)):
        raise ModelError(f"the model takes {inputs}, not a batch of RGB images")
    if not (isinstance(outputs, tuple) and len(outputs) == 2 and outputs[-1]):
        raise ModelError(f"the model outputs {outputs}, not one score per class")
    units = outputs[-1]
    wanted = 2 if units == 1 else units
    if len(class_names) != wanted:
        what = "1 sigmoid unit" if units == 1 else f"{units} outputs"
        raise ModelError(
            f"{where} names {len(class_names)} classes but the model has {what}, "
            f"which needs exactly {wanted} class names"
        )
    model_size = list(inputs[1:3])
    if image_size is None:
        if None in model_size:
            raise ModelError(f"{where}: image_size is missing and the model takes any size")
        return model_size
    if any(m is not None and m != s for m, s in zip(model_size, image_size, strict=True)):
        raise ModelError(
            f"{where}: image_size {list(image_size)} does not match the model's input "
            f"{model_size[0]} x {model_size[1]}"
        )
    return list(image_size)


def load_for_prediction(path: str | Path):
    """``(model, class_names, image_size)`` of a model saved by ``utils.saving.save_model``,
    checked against its sidecar; any problem is a :class:`ModelError` with one line."""
    path = Path(path)
    sidecar = path.with_suffix(".json")  # utils.saving.info_path, without importing Keras yet
    if not path.is_file():
        raise ModelError(f"no model at {shown(path)}")
    try:
        info = json.loads(sidecar.read_bytes())
    except FileNotFoundError:
        raise ModelError(f"{shown(sidecar)} is missing: it holds the model's class names") from None
    except (OSError, ValueError) as err:
        raise ModelError(f"cannot read {shown(sidecar)}: {one_line(err)}") from None
    class_names, image_size = check_info(info, sidecar)
    try:
        with quiet_native_stderr():
            import keras

            model = keras.models.load_model(path, compile=False)
    except Exception as err:  # any failure to load gets the same answer
        raise ModelError(f"cannot load model {shown(path)}: {one_line(err)}") from None
    return model, class_names, check_model(model, class_names, image_size, sidecar)


# --------------------------------------------------------------------------- the images


def read_image(path: str | Path, image_size: Sequence[int]) -> np.ndarray:
    """One file as the float32 ``(h, w, 3)`` array in [0, 255] a model is fed.

    Decoded and resized as the training pipelines do (``utils.data.decode_image``), turned
    upright first by its EXIF orientation (as ``utils.split_folder.place_image`` does when it
    builds a split, so a phone photo gives the pixels its copy in the split gives). Raises
    :class:`UnreadableImage` with the reason: not an image, corrupt, or over the split
    builder's pixel limit (:data:`utils.image_files.MAX_PIXELS`).
    """
    import tensorflow as tf

    try:
        data = Path(path).read_bytes()
    except OSError as err:
        raise UnreadableImage(f"cannot read this file ({err.strerror or err})") from None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # our own line below
            with Image.open(io.BytesIO(data)) as img:
                if img.width * img.height > MAX_PIXELS:
                    raise UnreadableImage(too_large(img.width, img.height))
                orientation = img.getexif().get(ORIENTATION, 1)
        image = tf.io.decode_image(data, channels=3, expand_animations=False).numpy()
    except UnreadableImage:
        raise
    except UnidentifiedImageError:
        raise UnreadableImage("not a readable image (not an image, or corrupt)") from None
    except Image.DecompressionBombError as err:  # as the split builder words it
        raise UnreadableImage(one_line(ValueError(f"image too large: {err}"))) from None
    except Exception as err:  # Pillow and TensorFlow raise many kinds
        raise UnreadableImage(f"not a readable image ({one_line(err)})") from None
    if orientation in UPRIGHT:
        image = np.asarray(Image.fromarray(image).transpose(UPRIGHT[orientation]))
    return tf.image.resize(image, tuple(image_size)).numpy()


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

    from utils.evaluation import as_probabilities, top_k

    if batch_size < 1 or top < 1:
        raise ValueError("batch_size and top must be at least 1")
    good: list[str] = []
    probas: list[np.ndarray] = [np.zeros((0, len(class_names)))]
    errors: list[tuple[str, str]] = []
    if progress is None:
        progress = len(files) > batch_size
    with tqdm(total=len(files), disable=not progress, unit="img", file=sys.stderr) as bar:
        for start in range(0, len(files), batch_size):
            images, readable = [], []
            for f in files[start : start + batch_size]:
                try:
                    with quiet_native_stderr() if quiet else contextlib.nullcontext():
                        images.append(read_image(f, image_size))
                    readable.append(str(f))
                except UnreadableImage as err:
                    errors.append((str(f), str(err)))
                    if on_error is not None:
                        on_error(*errors[-1])
                bar.update(1)
            if images:
                probas.append(as_probabilities(model.predict_on_batch(np.stack(images))))
                good += readable
    table = top_k(np.concatenate(probas), class_names, top)
    table.insert(0, "file", good)
    return table, errors
