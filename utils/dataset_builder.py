"""Build reproducible ``train/validation/test`` image folders from raw image collections.

Three sources (the same three sub-commands as ``build_dataset.py``):

* **cats vs dogs** (:func:`build_cats_vs_dogs`): Kaggle's flat ``train/`` (``cat.N.jpg``,
  ``dog.N.jpg``; the class is the name before the first dot) or Microsoft's ``PetImages`` with
  ``Cat/`` and ``Dog/`` subfolders (class names lower-cased to ``cat``/``dog``; a folder holding
  ``PetImages/`` is accepted too). Without a source the PetImages archive is downloaded into a
  cache folder. Counts are fixed *per class*: per class the candidate files are sorted by name,
  shuffled with the seed and walked in that order, and the first ``train + validation + test``
  files that decode are taken (the book took the first N by index; we shuffle). Only as many
  files as needed are decoded, so ``skipped.csv`` lists the bad files met on the way, not every
  bad file of the source.
* **dog breeds** (:func:`build_dog_breeds`): Kaggle's ``train/<id>.jpg`` + ``labels.csv``
  (``id,breed``).
* **your own folders** (:func:`build_folders`): one subfolder per class; only files directly in
  a class folder are used (deeper subfolders are skipped with a reason, so one class never holds
  two files of the same name).

**Fractional splits** (dog breeds, folders) are done per class by :func:`split_class`, so they
are stratified by construction and handle rare classes: a class's files are sorted, shuffled
with a generator seeded by ``(seed, class name)``, then ``n_test = round(n * test_size)`` and
``n_validation = round((n - n_test) * validation_size)`` (validation is a fraction of what is
left after the test split, as in the book: 30 %, then 15 % of the rest), with the guarantees
*train >= 1 always; test >= 1 when n >= 2; validation >= 1 when n >= 3* (for non-zero
fractions). A class with 1 image is train only, with 2 it is train + test, with 3 one of each.
A class's split does not depend on the other classes.

**Bad files** never reach a split: every candidate is fully decoded with Pillow first (thread
pool, "validating" progress bar) and skipped, with a reason in ``skipped.csv``, when it is an
empty file, not an image, truncated or corrupt, in a format TensorFlow cannot decode (only
JPEG, PNG, BMP and GIF by the decoded format, not the extension; also 1/4/16-bit or compressed
BMP), or has an extension the loaders do not list (only .jpg .jpeg .png .bmp .gif, any case).
Grayscale, CMYK, palette and RGBA images are fine. Hidden files (``.*``), ``Thumbs.db`` and
``desktop.ini`` are ignored silently. Truncation is only detected while Pillow's
``ImageFile.LOAD_TRUNCATED_IMAGES`` is False (its default).

**Dog-breed labels**: ``labels.csv`` must have ``id`` and ``breed`` columns, at least one row,
unique non-empty ids without path separators and no ``..``; any of that wrong is an error. An
id names ``<id>.jpg`` (or ``<id>`` itself when it already ends with an image extension). Ids
whose file is missing are skipped ("listed in labels.csv but missing", with a warning) so a
partial download still builds; if *no* listed file exists it is an error. Images not named in
labels.csv are skipped ("not in labels.csv").

**Output**: ``OUT/{train,validation,test}/<class>/<original file name>`` (what
``keras.utils.image_dataset_from_directory`` and :mod:`utils.data` read), ``OUT/manifest.csv``
(``split,class,file``; ``file`` relative to OUT, sorted by split, class and file) and
``OUT/skipped.csv`` (``file,reason``; ``file`` relative to the source). Files are copied
(``shutil.copy2``); the source is never modified and OUT may not lie inside it or contain it.
The same source and seed give the same manifest whatever the file-system order or
``PYTHONHASHSEED``.

**Atomic**: all checks and decoding run before anything is written; the split is then built
in a hidden temporary folder next to OUT and renamed into place at the end, and the temporary
folder is removed on any error or interrupt. An existing OUT is an error (:class:`DatasetError`,
exit code 2 from the CLI) unless ``force=True``; check with :func:`split_exists` first. With
``force`` the old OUT is replaced only once the new one is complete, and only if it is empty or
was built by this module (has ``manifest.csv``): any other folder is refused.

Bad input raises :class:`DatasetError` with a one-line message; the CLI prints it as
``error: ...`` and exits with code 2.
"""

from __future__ import annotations

import math
import os
import shutil
import struct
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
import zlib
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image, UnidentifiedImageError
from tqdm import tqdm

from utils import IMAGE_EXTENSIONS, SEED, SPLITS

TF_FORMATS = ("JPEG", "PNG", "BMP", "GIF")
IMAGE_SIGNATURES = (b"\xff\xd8\xff", b"\x89PNG", b"GIF8", b"BM")
"""First bytes of the accepted formats: a file starting so but unreadable is corrupt."""
IGNORED_NAMES = ("thumbs.db", "desktop.ini")
CATS_DOGS_CLASSES = ("cat", "dog")
PETIMAGES_URL = (
    "https://download.microsoft.com/download/3/E/1/3E1C3F21-ECDB-4869-8368-6DEBA77B919F/"
    "kagglecatsanddogs_5340.zip"
)
DEFAULT_CACHE_DIR = Path(__file__).resolve().parents[1] / "cache"

Assignment = dict[str, dict[str, list[Path]]]
"""split -> class -> source files."""
Skip = tuple[Path, str]
"""(source file, reason)."""


class DatasetError(Exception):
    """Bad input for the dataset builder; the message is one line meant for the user."""


@dataclass
class BuildSummary:
    """What a build produced."""

    out: Path
    counts: pd.DataFrame
    """Images per class (rows, plus ``total``) and split (columns, plus ``total``)."""
    skipped: pd.DataFrame
    """``file, reason`` of every skipped file (as in ``skipped.csv``)."""
    seconds: float

    @property
    def n_images(self) -> int:
        """Images in the three splits together."""
        return int(self.counts.loc["total", "total"])

    @property
    def images_per_second(self) -> float:
        """Images placed in the splits per second of build time."""
        return self.n_images / self.seconds if self.seconds > 0 else float("inf")

    def report(self) -> str:
        """A short human-readable summary: counts table, skipped files and speed."""
        return (
            f"{self.counts.to_string()}\n"
            f"built {self.out} in {self.seconds:.1f} s: {self.n_images} images "
            f"({self.images_per_second:.0f} images/s), {len(self.skipped)} files skipped"
            + (" (see skipped.csv)" if len(self.skipped) else "")
        )


def _warn(message: str) -> None:
    """Print one warning line to stderr."""
    print(f"warning: {message}", file=sys.stderr)


def _one_line(text: object) -> str:
    """``text`` as a single line (for reasons and error messages)."""
    return " ".join(str(text).split())


def _workers() -> int:
    """Threads for decoding and copying: the CPUs this process may use, at most 8."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(8, cpus))


# --------------------------------------------------------------------------- validating images


def _bmp_problem(path: Path) -> str | None:
    """Why TensorFlow's BMP decoder would refuse ``path``, or None (it reads 8/24/32-bit)."""
    with open(path, "rb") as f:
        header = f.read(34)
    if len(header) < 34 or struct.unpack_from("<I", header, 14)[0] < 40:
        return "unsupported BMP variant (old OS/2 header; convert to PNG)"
    bits = struct.unpack_from("<H", header, 28)[0]
    compression = struct.unpack_from("<I", header, 30)[0]
    if bits not in (8, 24, 32) or compression not in (0, 3):
        return f"unsupported BMP variant ({bits}-bit, compression {compression}; convert to PNG)"
    return None


def check_image(path: str | Path) -> str | None:
    """Why ``path`` cannot go into a split (the skip reason), or None for a good image.

    The image is fully decoded; only formats TensorFlow decodes are accepted.
    """
    path = Path(path)
    if path.suffix.lower() not in IMAGE_EXTENSIONS:
        allowed = " ".join(IMAGE_EXTENSIONS)
        return f"unsupported extension {path.suffix or '(none)'!r} (use {allowed})"
    try:
        if path.stat().st_size == 0:
            return "empty file"
        with Image.open(path) as img:
            if img.format not in TF_FORMATS:
                return f"unsupported format {img.format} (convert to JPEG or PNG)"
            img.load()
            fmt = img.format
        return _bmp_problem(path) if fmt == "BMP" else None
    except UnidentifiedImageError as exc:
        with open(path, "rb") as f:
            head = f.read(8)
        if head.startswith(IMAGE_SIGNATURES):
            return _one_line(f"truncated or corrupt image: {exc}")
        return "not an image"
    except Image.DecompressionBombError as exc:
        return _one_line(f"image too large: {exc}")
    except Exception as exc:  # Pillow raises OSError, SyntaxError, ValueError, struct.error...
        return _one_line(f"truncated or corrupt image: {exc}")


def validate_images(
    paths: Sequence[Path], progress: bool = True, desc: str = "validating"
) -> list[str | None]:
    """:func:`check_image` for every path (in a thread pool), in the order given."""
    if not paths:
        return []
    with ThreadPoolExecutor(_workers()) as pool:
        results = pool.map(check_image, paths)
        return list(tqdm(results, total=len(paths), desc=desc, unit="img", disable=not progress))


# --------------------------------------------------------------------------- splitting


def _round(x: float) -> int:
    """Round half up (explicit, unlike Python's round-half-to-even)."""
    return int(math.floor(x + 0.5))


def split_sizes(n: int, test_size: float, validation_size: float) -> tuple[int, int, int]:
    """``(train, validation, test)`` counts for a class of ``n`` images.

    ``validation_size`` is a fraction of what is left after the test split. Guarantees (for
    non-zero fractions): train >= 1; test >= 1 when n >= 2; validation >= 1 when n >= 3.
    """
    if n <= 0:
        return 0, 0, 0
    n_test = _round(n * test_size)
    n_val = _round((n - n_test) * validation_size)
    if test_size > 0 and n >= 2:
        n_test = max(n_test, 1)
    if validation_size > 0 and n >= 3:
        n_val = max(n_val, 1)
    n_test = min(n_test, n - 1)
    n_val = min(n_val, n - 1 - n_test)
    return n - n_test - n_val, n_val, n_test


def class_order(paths: Sequence[Path], seed: int, name: str) -> list[Path]:
    """``paths`` sorted by name, then shuffled by a generator seeded with (seed, class name)."""
    ordered = sorted(paths, key=lambda p: (p.name, str(p)))
    rng = np.random.default_rng([seed, zlib.crc32(name.encode("utf-8"))])
    return [ordered[i] for i in rng.permutation(len(ordered))]


def split_class(
    paths: Sequence[Path], name: str, test_size: float, validation_size: float, seed: int = SEED
) -> dict[str, list[Path]]:
    """Split one class's files into ``{train, validation, test}`` (see :func:`split_sizes`)."""
    order = class_order(paths, seed, name)
    n_train, n_val, _ = split_sizes(len(order), test_size, validation_size)
    return {
        "train": order[:n_train],
        "validation": order[n_train : n_train + n_val],
        "test": order[n_train + n_val :],
    }


def _check_fractions(test_size: float, validation_size: float) -> None:
    """Raise unless both fractions are in [0, 1)."""
    for flag, value in (("test size", test_size), ("validation size", validation_size)):
        if not 0 <= value < 1:
            raise DatasetError(f"{flag} must be a fraction in [0, 1), got {value}")


# --------------------------------------------------------------------------- scanning sources


def _is_ignored(path: Path) -> bool:
    """Hidden files and OS clutter that are left out silently."""
    return path.name.startswith(".") or path.name.lower() in IGNORED_NAMES


def _check_source(source: str | Path | None) -> Path:
    """``source`` as a Path, or a DatasetError if it is not an existing folder."""
    if source is None:
        raise DatasetError("no source folder given")
    source = Path(source).expanduser()
    if not source.exists():
        raise DatasetError(f"source folder {source} does not exist")
    if not source.is_dir():
        raise DatasetError(f"source {source} is not a folder")
    return source


def _children(folder: Path) -> tuple[list[Path], list[Path]]:
    """Sorted (files, subfolders) directly in ``folder``, without ignored names."""
    entries = sorted((p for p in folder.iterdir() if not _is_ignored(p)), key=lambda p: p.name)
    return [p for p in entries if p.is_file()], [p for p in entries if p.is_dir()]


def _image_files(folder: Path, skipped: list[Skip]) -> list[Path]:
    """Files directly in ``folder`` with an image extension; others and subfolders -> skipped."""
    files, dirs = _children(folder)
    skipped += [(d, "subfolder (only files directly in a class folder are used)") for d in dirs]
    good = []
    for f in files:
        if f.suffix.lower() in IMAGE_EXTENSIONS:
            good.append(f)
        else:
            skipped.append((f, check_image(f) or "unsupported extension"))
    return good


def scan_class_folders(source: Path, skipped: list[Skip]) -> dict[str, list[Path]]:
    """Class name -> candidate files for a folder with one subfolder per class."""
    files, dirs = _children(source)
    if not dirs:
        raise DatasetError(f"{source} has no class subfolders (expected one folder per class)")
    if len(dirs) == 1:
        raise DatasetError(
            f"{source} holds only one class folder ({dirs[0].name}); point the source at the "
            "folder that holds one subfolder per class"
        )
    skipped += [(f, "not in a class subfolder") for f in files]
    return {d.name: _image_files(d, skipped) for d in dirs}


def scan_cats_vs_dogs(source: Path, skipped: list[Skip]) -> dict[str, list[Path]]:
    """``{"cat": files, "dog": files}`` from a Kaggle flat folder or a PetImages folder."""
    if (source / "PetImages").is_dir():
        source = source / "PetImages"
    files, dirs = _children(source)
    by_lower: dict[str, list[Path]] = {}
    for d in dirs:
        by_lower.setdefault(d.name.lower(), []).append(d)
    if any(c in by_lower for c in CATS_DOGS_CLASSES):  # PetImages layout
        for c in CATS_DOGS_CLASSES:
            found = by_lower.get(c, [])
            if len(found) != 1:
                what = "no" if not found else f"{len(found)} ({', '.join(d.name for d in found)})"
                raise DatasetError(
                    f"{source} has {what} {c.capitalize()}/ folder; expected one Cat/ and one "
                    "Dog/ subfolder, or Kaggle's flat cat.N.jpg / dog.N.jpg files"
                )
        return {c: _image_files(by_lower[c][0], skipped) for c in CATS_DOGS_CLASSES}
    classes: dict[str, list[Path]] = {c: [] for c in CATS_DOGS_CLASSES}
    for f in files:
        label = f.name.split(".", 1)[0].lower()
        if f.suffix.lower() not in IMAGE_EXTENSIONS:
            skipped.append((f, check_image(f) or "unsupported extension"))
        elif label in classes and "." in f.name:
            classes[label].append(f)
        else:
            skipped.append((f, "not a cat.* or dog.* file"))
    if not any(classes.values()):
        raise DatasetError(f"{source} has no cat.*/dog.* images and no Cat/ and Dog/ subfolders")
    return classes


def _bad_name(name: str) -> bool:
    """True for names that could escape their folder: separators, '..', empty, NUL."""
    return (
        not name
        or name in (".", "..")
        or any(s in name for s in ("/", "\\", "\0"))
        or name.startswith("..")
    )


def read_labels(path: str | Path) -> pd.DataFrame:
    """``labels.csv`` as a DataFrame ``id, breed`` (strings, stripped), checked for errors."""
    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"labels file {path} does not exist")
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except pd.errors.EmptyDataError:
        raise DatasetError(f"{path} is empty (expected a CSV file with columns id,breed)") from None
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        raise DatasetError(_one_line(f"{path} is not a readable CSV file: {exc}")) from None
    df.columns = [str(c).strip() for c in df.columns]
    missing = [c for c in ("id", "breed") if c not in df.columns]
    if missing:
        raise DatasetError(
            f"{path} must have columns id,breed; missing {','.join(missing)} "
            f"(found {','.join(df.columns) or 'none'})"
        )
    df = df[["id", "breed"]].fillna("").astype(str)
    df = df.apply(lambda col: col.str.strip())
    if df.empty:
        raise DatasetError(f"{path} has a header but no rows")
    for column in ("id", "breed"):
        empty = df.index[df[column] == ""]
        if len(empty):
            raise DatasetError(f"{path} line {empty[0] + 2}: empty {column}")
        bad = df.index[df[column].map(_bad_name) | df[column].str.startswith(".")]
        if len(bad):
            value = df.at[bad[0], column]
            raise DatasetError(
                f"{path} line {bad[0] + 2}: {column} {value!r} contains a path separator or "
                "'..' (or starts with '.')"
            )
    dups = df["id"][df["id"].duplicated()]
    if len(dups):
        raise DatasetError(
            f"{path} lists {dups.nunique()} ids more than once (e.g. {dups.iloc[0]!r} on line "
            f"{dups.index[0] + 2})"
        )
    return df.reset_index(drop=True)


def _id_file(image_id: str) -> str:
    """The file name of a labels.csv id: ``<id>.jpg`` unless it already has an image suffix."""
    return image_id if Path(image_id).suffix.lower() in IMAGE_EXTENSIONS else f"{image_id}.jpg"


def scan_dog_breeds(images: Path, labels: Path, skipped: list[Skip]) -> dict[str, list[Path]]:
    """Breed -> candidate files from ``images/<id>.jpg`` and ``labels.csv``."""
    df = read_labels(labels)
    files, _ = _children(images)
    present = {f.name: f for f in files}
    listed = df["id"].map(_id_file)
    classes: dict[str, list[Path]] = {b: [] for b in sorted(df["breed"].unique())}
    missing = 0
    for name, breed in zip(listed, df["breed"], strict=True):
        if name in present:
            classes[breed].append(present[name])
        else:
            skipped.append((images / name, "listed in labels.csv but missing"))
            missing += 1
    if missing == len(df):
        raise DatasetError(
            f"none of the {len(df)} files listed in {labels} exists in {images} "
            f"(looked for e.g. {listed.iloc[0]})"
        )
    if missing:
        _warn(f"{missing} of {len(df)} files listed in {labels.name} are missing (see skipped.csv)")
    listed_names = set(listed)
    for f in files:
        if f.name not in listed_names:
            reason = "not in labels.csv"
            if f.suffix.lower() not in IMAGE_EXTENSIONS:
                reason = check_image(f) or reason
            skipped.append((f, reason))
    return classes


# --------------------------------------------------------------------------- writing the split


def split_exists(out: str | Path) -> bool:
    """True when ``out`` holds a complete split built by this module (it has manifest.csv)."""
    out = Path(out)
    return (out / "manifest.csv").is_file() and (out / "train").is_dir()


def _check_out(out: str | Path, source: Path | None, force: bool) -> Path:
    """Check the output folder before any work; return it as an absolute Path."""
    out = Path(out).expanduser().absolute()
    if source is not None:
        src, dst = source.resolve(), out.resolve()
        if src == dst or src in dst.parents or dst in src.parents:
            raise DatasetError(
                f"output {out} must not be the source {source}, inside it or contain it"
            )
    if out.exists() or out.is_symlink():
        if not force:
            raise DatasetError(f"{out} already exists; use --force (force=True) to rebuild it")
        empty = out.is_dir() and not any(out.iterdir())
        if not (split_exists(out) or empty):
            raise DatasetError(
                f"refusing to replace {out}: it is not a split built by build_dataset.py "
                "(no manifest.csv); remove it by hand"
            )
    return out


def _relative(path: Path, source: Path) -> str:
    """``path`` relative to ``source`` with forward slashes (as listed in skipped.csv)."""
    try:
        return path.relative_to(source).as_posix()
    except ValueError:
        return path.as_posix()


def _skipped_frame(skipped: Sequence[Skip], source: Path) -> pd.DataFrame:
    """The ``file, reason`` table of skipped files, sorted by file."""
    rows = sorted((_relative(p, source), reason) for p, reason in skipped)
    return pd.DataFrame(rows, columns=["file", "reason"])


def _manifest_frame(assignment: Assignment) -> pd.DataFrame:
    """The ``split, class, file`` table, sorted by split (train, validation, test), class, file."""
    rows = [
        (SPLITS.index(split), split, cls, f"{split}/{cls}/{p.name}")
        for split in SPLITS
        for cls in sorted(assignment.get(split, {}))
        for p in assignment[split][cls]
    ]
    rows.sort()
    return pd.DataFrame([r[1:] for r in rows], columns=["split", "class", "file"])


def _move_into_place(tmp: Path, out: Path, force: bool) -> None:
    """Rename the finished ``tmp`` to ``out``, replacing an old ``out`` only with ``force``."""
    if not (out.exists() or out.is_symlink()):
        os.rename(tmp, out)
        return
    if not force:
        raise DatasetError(f"{out} appeared while building; use --force to replace it")
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
    old.rmdir()
    os.rename(out, old)
    try:
        os.rename(tmp, out)
    except BaseException:
        os.rename(old, out)
        raise
    if old.is_symlink() or old.is_file():
        old.unlink()
    else:
        shutil.rmtree(old, ignore_errors=True)


def write_split(
    out: Path,
    assignment: Assignment,
    skipped: pd.DataFrame,
    force: bool = False,
    progress: bool = True,
) -> pd.DataFrame:
    """Copy the files into ``out/<split>/<class>/`` atomically; return the manifest."""
    manifest = _manifest_frame(assignment)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        jobs = []
        for split in SPLITS:
            (tmp / split).mkdir()
            for cls in sorted(assignment.get(split, {})):
                files = assignment[split][cls]
                if files:
                    (tmp / split / cls).mkdir()
                jobs += [(p, tmp / split / cls / p.name) for p in files]
        with ThreadPoolExecutor(_workers()) as pool:
            copies = pool.map(lambda job: shutil.copy2(*job), jobs)
            bar = tqdm(copies, total=len(jobs), desc="copying", unit="img", disable=not progress)
            for _ in bar:
                pass
        skipped.to_csv(tmp / "skipped.csv", index=False, lineterminator="\n")
        manifest.to_csv(tmp / "manifest.csv", index=False, lineterminator="\n")
        _move_into_place(tmp, out, force)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return manifest


def _finish(
    out: Path, assignment: Assignment, skipped: pd.DataFrame, force: bool, progress: bool, t0: float
) -> BuildSummary:
    """Write the split and summarise it."""
    manifest = write_split(out, assignment, skipped, force=force, progress=progress)
    return BuildSummary(out, _counts_table(manifest), skipped, time.perf_counter() - t0)


def _validated(
    classes: dict[str, list[Path]], skipped: list[Skip], progress: bool
) -> dict[str, list[Path]]:
    """Decode every candidate; return class -> good files, adding bad ones to ``skipped``."""
    flat = [(c, p) for c in classes for p in classes[c]]
    reasons = validate_images([p for _, p in flat], progress=progress)
    good: dict[str, list[Path]] = {c: [] for c in classes}
    for (c, p), reason in zip(flat, reasons, strict=True):
        if reason is None:
            good[c].append(p)
        else:
            skipped.append((p, reason))
    return good


def _fractional_build(
    out: Path,
    source: Path,
    classes: dict[str, list[Path]],
    skipped: list[Skip],
    test_size: float,
    validation_size: float,
    seed: int,
    force: bool,
    progress: bool,
    t0: float,
) -> BuildSummary:
    """Validate, split every class with :func:`split_class` and write the split."""
    good = _validated(classes, skipped, progress)
    empty = [c for c in good if not good[c]]
    if len(empty) == len(good):
        raise DatasetError(f"no valid images in {source} ({len(skipped)} files skipped)")
    if empty:
        _warn(f"{len(empty)} classes have no valid image and are left out: {', '.join(empty)}")
    assignment: Assignment = {s: {} for s in SPLITS}
    for c in sorted(good):
        if good[c]:
            for split, files in split_class(good[c], c, test_size, validation_size, seed).items():
                assignment[split][c] = files
    return _finish(out, assignment, _skipped_frame(skipped, source), force, progress, t0)


# --------------------------------------------------------------------------- public builders


def build_folders(
    out: str | Path,
    source: str | Path,
    test_size: float = 0.2,
    validation_size: float = 0.2,
    seed: int = SEED,
    force: bool = False,
    progress: bool = True,
) -> BuildSummary:
    """Split a folder with one subfolder per class by fractions (stratified per class).

    ``validation_size`` is a fraction of what is left after the test split (defaults give
    64 / 16 / 20 %). Only files directly in a class folder are used.
    """
    t0 = time.perf_counter()
    _check_fractions(test_size, validation_size)
    source = _check_source(source)
    out = _check_out(out, source, force)
    skipped: list[Skip] = []
    classes = scan_class_folders(source, skipped)
    return _fractional_build(
        out, source, classes, skipped, test_size, validation_size, seed, force, progress, t0
    )


def build_dog_breeds(
    out: str | Path,
    source: str | Path,
    labels: str | Path | None = None,
    test_size: float = 0.3,
    validation_size: float = 0.15,
    seed: int = SEED,
    force: bool = False,
    progress: bool = True,
) -> BuildSummary:
    """Split Kaggle's dog-breed images (``train/<id>.jpg`` + ``labels.csv``) like the book.

    ``source`` is the folder holding ``train/`` (or the image folder itself); ``labels``
    defaults to ``source/labels.csv``. Test 30 %, then validation 15 % of the rest, per breed.
    """
    t0 = time.perf_counter()
    _check_fractions(test_size, validation_size)
    source = _check_source(source)
    images = source / "train" if (source / "train").is_dir() else source
    if labels is None:
        labels = source / "labels.csv"
        if not labels.is_file() and (images.parent / "labels.csv").is_file():
            labels = images.parent / "labels.csv"
    out = _check_out(out, source, force)
    skipped: list[Skip] = []
    classes = scan_dog_breeds(images, Path(labels), skipped)
    return _fractional_build(
        out, source, classes, skipped, test_size, validation_size, seed, force, progress, t0
    )


def build_cats_vs_dogs(
    out: str | Path,
    source: str | Path | None = None,
    train: int = 1500,
    validation: int = 500,
    test: int = 500,
    seed: int = SEED,
    force: bool = False,
    cache_dir: str | Path | None = None,
    progress: bool = True,
) -> BuildSummary:
    """Build the book's cats-vs-dogs split: ``train``/``validation``/``test`` images per class.

    ``source`` is Kaggle's flat ``train/`` or a PetImages folder; None downloads PetImages
    into ``cache_dir`` (default ``<repo>/cache``) first.
    """
    t0 = time.perf_counter()
    if train < 1 or validation < 0 or test < 0:
        raise DatasetError(
            f"need train >= 1, validation >= 0, test >= 0 (got {train}, {validation}, {test})"
        )
    need = train + validation + test
    if source is not None:
        source = _check_source(source)
    out = _check_out(out, source, force)
    if source is None:
        source = download_petimages(cache_dir, progress=progress)
        out = _check_out(out, source, force)
    skipped: list[Skip] = []
    candidates = scan_cats_vs_dogs(source, skipped)
    _check_enough(candidates, need, "image files")

    order = {c: class_order(candidates[c], seed, c) for c in CATS_DOGS_CLASSES}
    chosen: dict[str, list[Path]] = {c: [] for c in CATS_DOGS_CLASSES}
    position = dict.fromkeys(CATS_DOGS_CLASSES, 0)
    while True:  # decode only as many files as needed, in shuffled order
        batch = []
        for c in CATS_DOGS_CLASSES:
            take = order[c][position[c] : position[c] + need - len(chosen[c])]
            position[c] += len(take)
            batch += [(c, p) for p in take]
        if not batch:
            break
        reasons = validate_images([p for _, p in batch], progress=progress)
        for (c, p), reason in zip(batch, reasons, strict=True):
            if reason is None:
                chosen[c].append(p)
            else:
                skipped.append((p, reason))
    _check_enough(chosen, need, "valid images", n_skipped=len(skipped))

    assignment: Assignment = {
        "train": {c: chosen[c][:train] for c in CATS_DOGS_CLASSES},
        "validation": {c: chosen[c][train : train + validation] for c in CATS_DOGS_CLASSES},
        "test": {c: chosen[c][train + validation : need] for c in CATS_DOGS_CLASSES},
    }
    return _finish(out, assignment, _skipped_frame(skipped, source), force, progress, t0)


def _check_enough(
    classes: dict[str, list[Path]], need: int, what: str, n_skipped: int | None = None
) -> None:
    """Raise unless every class has at least ``need`` files."""
    if all(len(files) >= need for files in classes.values()):
        return
    found = ", ".join(f"{c} {len(files)}" for c, files in classes.items())
    extra = f"; {n_skipped} files skipped as unusable" if n_skipped else ""
    raise DatasetError(f"not enough {what}: need {need} per class, found {found}{extra}")


# --------------------------------------------------------------------------- download


def _safe_extract(archive: Path, dest: Path) -> Path:
    """Extract the ``PetImages/`` members of ``archive`` into ``dest``; return the folder."""
    try:
        with zipfile.ZipFile(archive) as zf:
            members = [m for m in zf.namelist() if m.startswith("PetImages/")]
            if not members:
                raise DatasetError(f"the downloaded archive has no PetImages/ folder ({archive})")
            for m in members:
                if m.startswith("/") or ".." in Path(m).parts:
                    raise DatasetError(f"the downloaded archive has an unsafe path {m!r}")
            zf.extractall(dest, members)
    except zipfile.BadZipFile as exc:
        raise DatasetError(f"the downloaded file is not a valid zip archive ({exc})") from None
    return dest / "PetImages"


def download_petimages(
    cache_dir: str | Path | None = None,
    url: str | None = None,
    timeout: float = 30.0,
    progress: bool = True,
) -> Path:
    """The PetImages folder in ``cache_dir``, downloading and unzipping it when absent.

    ``url`` defaults to ``$PETIMAGES_URL`` or Microsoft's archive. The zip is deleted once
    extracted. Any network or archive failure raises :class:`DatasetError`.
    """
    url = url or os.environ.get("PETIMAGES_URL") or PETIMAGES_URL
    cache = Path(cache_dir).expanduser() if cache_dir is not None else DEFAULT_CACHE_DIR
    target = cache / "PetImages"
    if (target / "Cat").is_dir() and (target / "Dog").is_dir():
        return target
    hint = (
        f"no internet? Download it by hand from {PETIMAGES_URL}, unzip it and pass "
        "--source DIR (the PetImages folder)"
    )

    def failed(exc: BaseException) -> DatasetError:
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        return DatasetError(
            _one_line(f"could not download the PetImages archive from {url} ({reason}): {hint}")
        )

    try:
        response = urllib.request.urlopen(url, timeout=timeout)
    except (OSError, ValueError) as exc:  # URLError, HTTPError and timeouts are OSErrors
        raise failed(exc) from None
    cache.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".petimages-", dir=cache))
    try:
        part = work / "archive.zip"
        with response, open(part, "wb") as f:
            total = int(response.headers.get("Content-Length") or 0) or None
            with tqdm(
                total=total, unit="B", unit_scale=True, desc="downloading", disable=not progress
            ) as bar:
                while chunk := response.read(1 << 20):
                    f.write(chunk)
                    bar.update(len(chunk))
        if total is not None and part.stat().st_size != total:
            raise DatasetError(
                f"the PetImages download stopped early ({part.stat().st_size} of {total} bytes)"
            )
        folder = _safe_extract(part, work / "unzipped")
        if target.exists():
            shutil.rmtree(target)
        os.rename(folder, target)
    except OSError as exc:
        raise failed(exc) from None
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


# --------------------------------------------------------------------------- reading a split


def read_manifest(out: str | Path) -> pd.DataFrame:
    """``OUT/manifest.csv`` as a DataFrame ``split, class, file`` (file relative to OUT)."""
    path = Path(out) / "manifest.csv"
    if not path.is_file():
        raise DatasetError(f"{path} not found: build the split first with build_dataset.py")
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _counts_table(manifest: pd.DataFrame) -> pd.DataFrame:
    """Images per class x split with a ``total`` row and column."""
    table = (
        manifest.groupby(["class", "split"]).size().unstack("split")
        if len(manifest)
        else pd.DataFrame(index=pd.Index([], name="class"))
    )
    table = table.reindex(columns=list(SPLITS)).fillna(0).astype(int)
    table = table.sort_index()
    table.columns.name = None
    table["total"] = table.sum(axis=1)
    table.loc["total"] = table.sum(axis=0)
    return table


def split_counts(out: str | Path) -> pd.DataFrame:
    """Images per class (rows, plus ``total``) and split (columns train/validation/test, total)."""
    return _counts_table(read_manifest(out))
