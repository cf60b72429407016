#!/usr/bin/env python
"""Classify image files with a model saved by this course (.h5 + .json sidecar).

    python predict.py --model models/cats_dogs_tlearn_finetune_img_aug_cnn.h5 photo.jpg folder/
    python predict.py --model models/MODEL.h5 photos/ --top 5 --csv predictions.csv
    python predict.py --model models/MODEL.h5 "shots/**/*.jpg" @more.txt --json -

Any model the notebooks saved in ``models/`` works (its ``.json`` sidecar beside it gives the
class names and the input size, and is checked against the model), for instance notebook 08's
dog-breed model with ``--top 5``.

The first half of this file is the work (collecting the files, checking the model against its
sidecar, reading images as the training pipelines do, classifying in batches), the second the
command line (arguments, the table, CSV and JSON outputs). Importing it stays light: TensorFlow
loads only when a model is.
"""

from __future__ import annotations

import argparse
import contextlib
import fnmatch
import glob
import io
import itertools
import json
import os
import re
import signal
import sys
import tempfile
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # keep TensorFlow's start-up chatter quiet

import numpy as np  # noqa: E402  (light: no TensorFlow yet)
import pandas as pd  # noqa: E402
from PIL import Image, UnidentifiedImageError  # noqa: E402

from cli import FAILED, INTERRUPTED, OK, OneLineParser, fail  # noqa: E402
from utils import IMAGE_EXTENSIONS  # noqa: E402
from utils.image_files import (  # noqa: E402
    MAX_PIXELS,
    TF_FORMATS,
    is_ignored,
    split_bytes,
    too_large,
)

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""What starts a spreadsheet formula: such a CSV cell gets a leading ``'``."""
NOT_FINITE = "the model's scores for it are not numbers (NaN or infinite): the model is broken"


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


def _glob(pattern: str, problems: list[tuple[str, str]]) -> list[str]:
    """``glob.glob(pattern, recursive=True)``, sorted, but ``**`` searches each folder once:
    a symbolic link back into a folder it is searching (a loop) is reported, not followed."""
    parts = pattern.split("/")
    start = "/" if pattern.startswith("/") else ""
    found: list[str] = []
    searched: set[tuple[str, int]] = set()  # (folder's real path, index of its "**")
    loops: set[str] = set()

    def entries(folder: str, part: str) -> list[str]:
        try:
            names = os.listdir(folder or os.curdir)
        except OSError:
            return []
        if not part.startswith("."):  # as glob: * and ** leave hidden names out
            names = [n for n in names if not n.startswith(".")]
        return [os.path.join(folder, n) for n in sorted(fnmatch.filter(names, part))]

    def match(path: str, i: int, route: frozenset[str]) -> None:
        if i == len(parts):
            if path:
                found.append(path)
            return
        part, last = parts[i], i == len(parts) - 1
        if part != "**":
            candidates = entries(path, part) if glob.has_magic(part) else [os.path.join(path, part)]
            for child in candidates:
                if os.path.lexists(child) if last else os.path.isdir(child):
                    match(child, i + 1, route)
            return
        real = os.path.realpath(path or os.curdir)
        if (real, i) in searched:
            return
        searched.add((real, i))
        route |= {real}
        match(path, i + 1, route)  # ** matching no folder
        for child in entries(path, "*"):
            if not os.path.isdir(child):
                if last:
                    found.append(child)
            elif os.path.realpath(child) not in route:
                match(child, i, route)
            elif (link := os.path.join(real, os.path.basename(child))) not in loops:
                loops.add(link)
                problems.append(
                    (child, "symbolic link loop (back into a folder above): not followed")
                )

    match(start, 1 if start else 0, frozenset())
    return sorted(set(found))


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

    Loops are reported once and not followed: a symbolic link under ``**`` back into a folder
    being searched, a file list that names itself (directly or through another list).
    Returns ``(files, [(path, reason), ...])``: files in order, without repeats.
    """
    files: list[Path] = []
    problems: list[tuple[str, str]] = []
    pending: list[tuple[str, tuple[str, ...]]] = [(str(p), ()) for p in paths]
    lists_read: set[str] = set()  # real paths; each path comes with the lists it came through
    while pending:
        arg, through = pending.pop(0)
        path = Path(arg)
        if arg.startswith("@") and not path.exists():
            real = arg if arg == "@-" else os.path.realpath(arg[1:])
            if real in through:
                loop = "a file list that names itself, directly or through another list: read once"
                problems.append((arg[1:], loop))
            elif real not in lists_read:
                lists_read.add(real)
                try:
                    pending[:0] = [(line, (*through, real)) for line in _read_list(arg)]
                except OSError as err:
                    reason = f"cannot read this file list ({err.strerror or err})"
                    problems.append((arg[1:], reason))
            continue
        if not path.exists() and not path.is_symlink() and glob.has_magic(arg):
            matches = _glob(arg, problems)
            if not matches:
                problems.append((arg, "no file matches this pattern"))
            pending[:0] = [(m, through) for m in matches]
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
    for before, after in itertools.pairwise(names):
        if before > after:  # a split's loaders number its class folders in sorted order
            raise ModelError(
                f"{shown(sidecar)}: class_names are not in sorted order ({before!r} before "
                f"{after!r}) as the training split numbers them: every label would be wrong"
            )
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
    """One file as the float32 ``(h, w, 3)`` array in [0, 255] a model is fed: the pixels its
    copy in a split gives a notebook.

    The bytes the split builder would write (:func:`utils.image_files.split_bytes`: the file
    itself, or its picture turned upright, in RGB), decoded and resized as the training
    pipelines do (``utils.data.decode_image``). Pillow reads the header first, so a file that
    is not an image, in another format or over the builder's pixel limit
    (:data:`utils.image_files.MAX_PIXELS`) is refused before it is read whole. Raises
    :class:`UnreadableImage` with the reason.
    """
    import tensorflow as tf

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # our own line below
            with Image.open(path) as img:
                if img.format not in TF_FORMATS:  # as the split builder words it
                    raise UnreadableImage(
                        f"unsupported format {img.format} (convert to JPEG or PNG)"
                    )
                if img.width * img.height > MAX_PIXELS:
                    raise UnreadableImage(too_large(img.width, img.height))
                data = split_bytes(img)
        if data is None:
            data = Path(path).read_bytes()
        image = tf.io.decode_image(data, channels=3, expand_animations=False)
    except UnreadableImage:
        raise
    except UnidentifiedImageError:
        raise UnreadableImage("not a readable image (not an image, or corrupt)") from None
    except Image.DecompressionBombError as err:  # as the split builder words it
        raise UnreadableImage(one_line(ValueError(f"image too large: {err}"))) from None
    except OSError as err:
        if err.errno is None:  # Pillow's "image file is truncated" and the like
            raise UnreadableImage(f"not a readable image ({one_line(err)})") from None
        raise UnreadableImage(f"cannot read this file ({err.strerror or err})") from None
    except Exception as err:  # Pillow and TensorFlow raise many kinds
        raise UnreadableImage(f"not a readable image ({one_line(err)})") from None
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

    Unreadable files, and files the model gives non-finite scores (NaN), are skipped and
    returned as ``[(file, reason), ...]`` (and passed to ``on_error`` as they happen; print
    there with ``tqdm.write`` so the bar stays intact).
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

    def skip(file: str, reason: str) -> None:
        errors.append((file, reason))
        if on_error is not None:
            on_error(file, reason)

    with tqdm(total=len(files), disable=not progress, unit="img", file=sys.stderr) as bar:
        for start in range(0, len(files), batch_size):
            images, readable = [], []
            for f in files[start : start + batch_size]:
                try:
                    with quiet_native_stderr() if quiet else contextlib.nullcontext():
                        images.append(read_image(f, image_size))
                    readable.append(str(f))
                except UnreadableImage as err:
                    skip(str(f), str(err))
                bar.update(1)
            if images:
                proba = as_probabilities(model.predict_on_batch(np.stack(images)))
                finite = np.isfinite(proba).all(axis=1)
                for f, ok in zip(readable, finite, strict=True):
                    if not ok:
                        skip(f, NOT_FINITE)
                probas.append(proba[finite])
                good += list(itertools.compress(readable, finite))
    table = top_k(np.concatenate(probas), class_names, top)
    table.insert(0, "file", good)
    return table, errors


# --------------------------------------------------------------------------- command line


EPILOG = """\
Inputs: image files (kept whatever their extension), folders (searched recursively for
.jpg .jpeg .png .bmp .gif in any case; hidden files and folders are left out), globs in
quotes ("photos/*.jpg", "photos/**/*.png": expanded here, not by the shell) and file lists
(@list.txt: one path, folder or glob a line; # starts a comment; @- reads standard input).
A symbolic link looping back under ** and a file list naming itself are reported, once.

Each image gives the model the pixels its copy in a split built by build_dataset.py gives:
turned upright by its EXIF orientation, palette, CMYK and 16-bit images made 8-bit RGB,
alpha dropped. Images over {limit} megapixels (the split builder's limit), empty, corrupt,
non-image files and files the model scores NaN are reported on standard error, one line
each ("skipped FILE: reason"), and the others are still classified.

Output: a table on standard output (file, class, probability and, with --top K, the next
K-1 classes). --csv and --json write one row per file: file, class, probability, then
class_2, probability_2 ... (CSV) or "top": [{"class", "probability"}, ...] (JSON). "-" means
standard output (the table is then not printed). They refuse a folder, an input file, the
model and its sidecar. A CSV cell starting with = + - @, a tab or a carriage return (what a
spreadsheet runs as a formula) gets a leading '.

Exit codes: 0 at least one image classified; 1 none could be; 2 bad arguments, or a model
that is missing, cannot be loaded or disagrees with its sidecar (its class names not in the
sorted order of a split's classes included; one "error:" line).
""".replace("{limit}", f"{MAX_PIXELS / 1e6:.0f}")


def format_table(table: pd.DataFrame) -> str:
    """The predictions as a table to read: file, class, probability and, for ``--top K``, the
    next classes with their probabilities in one column (text left-aligned, numbers right)."""
    ranks = [c[len("class_") :] for c in table.columns if c.startswith("class_")]
    columns = {
        "file": [shown(f) for f in table["file"]],
        "class": [str(c) for c in table["class"]],
        "probability": [f"{p:.4f}" for p in table["probability"]],
    }
    if ranks:
        columns[f"then (top {len(ranks) + 1})"] = [
            ", ".join(f"{row[f'class_{r}']} {row[f'probability_{r}']:.4f}" for r in ranks)
            for _, row in table.iterrows()
        ]
    widths = {name: max(map(len, [name, *values])) for name, values in columns.items()}

    def line(cells: dict[str, str]) -> str:
        return "  ".join(
            cells[n].rjust(widths[n]) if n == "probability" else cells[n].ljust(widths[n])
            for n in columns
        ).rstrip()

    rows = [line({n: values[i] for n, values in columns.items()}) for i in range(len(table))]
    return "\n".join([line({n: n for n in columns}), *rows])


def as_csv(table: pd.DataFrame) -> str:
    """CSV text: ``file, class, probability, class_2, probability_2, ...``; a name a
    spreadsheet would run as a formula (:data:`FORMULA_START`) gets a leading ``'``."""
    text = table.copy()
    for column in [c for c in text.columns if c == "file" or c.startswith("class")]:
        text[column] = [f"'{v}" if v.startswith(FORMULA_START) else v for v in text[column]]
    return text.to_csv(index=False, lineterminator="\n")


def as_json(table: pd.DataFrame) -> str:
    """JSON text: a list of ``{"file", "class", "probability", "top": [{"class",
    "probability"}, ...]}``, one object per file."""
    ranks = [""] + [c[len("class") :] for c in table.columns if c.startswith("class_")]
    records = [
        {
            "file": row["file"],
            "class": row["class"],
            "probability": float(row["probability"]),
            "top": [
                {"class": row[f"class{r}"], "probability": float(row[f"probability{r}"])}
                for r in ranks
            ],
        }
        for _, row in table.iterrows()
    ]
    return json.dumps(records, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def check_output(
    target: str, option: str, inputs: Iterable[str | Path], model: str | Path
) -> str | None:
    """Why ``target`` may not receive the predictions (one line), or None: ``-`` (standard
    output) is fine; a folder, an input (an image or a file list), the model and its sidecar
    are refused."""
    if target == "-":
        return None
    if not target:
        return f"{option} needs a file name (or - for standard output)"
    path = Path(target)
    if path.is_dir() or target.endswith(os.sep):
        return f"{option} {shown(target)} is a folder; give a file name"
    if path.exists():
        named = [(model, "the model"), (Path(model).with_suffix(".json"), "the model's sidecar")]
        for other, what in [*named, *((p, "one of the inputs") for p in inputs)]:
            with contextlib.suppress(OSError):
                if os.path.samefile(path, other):
                    return f"{option} {shown(target)} is {what}: give another file name"
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        return f"{option} {shown(target)}: {shown(parent)} is not a folder"
    return None


def write_output(text: str, target: str, kind: str) -> None:
    """Write ``text`` to the file ``target`` (replaced whole, never half-written) or, for
    ``-``, to standard output. File names that are not UTF-8 are kept byte for byte in CSV
    (as the split builder's manifest keeps them) and as ``\\udcXX`` escapes in JSON."""
    errors = "backslashreplace" if kind == "json" else "surrogateescape"
    data = text.encode("utf-8", errors)
    if target == "-":
        sys.stdout.flush()
        buffer = getattr(sys.stdout, "buffer", None)
        if buffer is None:
            sys.stdout.write(data.decode("utf-8", "replace"))
        else:
            buffer.write(data)
            buffer.flush()
        return
    path = Path(target)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp's 0600 would make the file private
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _at_least_one(text: str) -> int:
    """argparse type: an integer >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {text}")
    return value


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = OneLineParser(
        prog="predict.py",
        description="Classify images with a model saved by this course (.h5 + .json sidecar).",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--model", required=True, help="saved model (.h5), sidecar beside it")
    parser.add_argument(
        "paths", nargs="+", help='image files, folders (recursive), "globs", @list.txt'
    )
    parser.add_argument(
        "--top", type=_at_least_one, default=1, help="classes per image (top K, default 1)"
    )
    parser.add_argument("--csv", metavar="PATH", help="write the predictions as CSV (- = stdout)")
    parser.add_argument("--json", metavar="PATH", help="write them as JSON (- = stdout)")
    parser.add_argument("--batch-size", type=_at_least_one, default=32, help="default 32")
    parser.add_argument(
        "--no-progress", action="store_true", help="no progress bar, however many files"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run predict.py; returns the exit code."""
    args = parse_args(argv)
    outputs = [(o, t) for o, t in (("--csv", args.csv), ("--json", args.json)) if t is not None]
    if args.csv is not None and args.csv == args.json:
        return fail(f"--csv and --json both name {shown(args.csv)}")

    if not os.path.isfile(args.model):  # before TensorFlow and the inputs: fast and quiet
        return fail(f"no model at {shown(args.model)}")
    files, problems = collect_images(args.paths)
    inputs = [*files, *file_lists(args.paths)]
    for option, target in outputs:
        if reason := check_output(target, option, inputs, args.model):
            return fail(reason)

    try:
        model, class_names, image_size = load_for_prediction(args.model)
    except ModelError as err:
        return fail(str(err))

    from tqdm.auto import tqdm

    for path, reason in problems:
        print(f"skipped {shown(path)}: {reason}", file=sys.stderr)

    def report(path: str, reason: str) -> None:
        tqdm.write(f"skipped {shown(path)}: {reason}", file=sys.stderr)  # above the bar

    table, _ = predict_files(
        model,
        files,
        class_names,
        image_size,
        top=args.top,
        batch_size=args.batch_size,
        progress=False if args.no_progress else None,
        on_error=report,
    )
    if table.empty:
        return fail("no image could be predicted", FAILED)
    for option, target in outputs:  # the files first: a closed pipe must not lose them
        try:
            write_output(as_csv(table) if option == "--csv" else as_json(table), target, option[2:])
        except OSError as err:
            return fail(f"cannot write {shown(target)} ({err.strerror or err})")
        if target != "-":
            print(f"wrote {len(table)} predictions to {shown(target)}", file=sys.stderr)
    if all(target != "-" for _, target in outputs):
        print(format_table(table))
    return OK


def run() -> int:
    """:func:`main` for the command line: a closed pipe (``predict.py ... | head -2``) and
    Ctrl-C end quietly instead of with a traceback."""
    try:
        code = main()
        sys.stdout.flush()
        return code
    except BrokenPipeError:
        # Python's advice: point stdout (and stderr) at devnull so the exit's flush is quiet
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 128 + signal.SIGPIPE  # what a shell reports for a closed pipe
    except KeyboardInterrupt:
        return fail("interrupted", INTERRUPTED)


if __name__ == "__main__":
    sys.exit(run())
