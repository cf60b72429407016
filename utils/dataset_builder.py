"""Build reproducible ``train/validation/test`` image folders from raw image collections.

Three sources (the same three sub-commands as ``build_dataset.py``):

* **cats vs dogs** (:func:`build_cats_vs_dogs`): Kaggle's flat ``train/`` (``cat.N.jpg``,
  ``dog.N.jpg``; the class is the name before the first dot) or Microsoft's ``PetImages`` with
  ``Cat/`` and ``Dog/`` subfolders (class names lower-cased to ``cat``/``dog``; a folder holding
  ``PetImages/`` is accepted too). Without a source the PetImages archive is downloaded into a
  cache folder. Counts are fixed *per class*: per class the candidate files are sorted by name,
  shuffled with the seed and walked in that order, and the first ``train + validation + test``
  files that decode are taken (the book drew with ``np.random.choice``). Only as many
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

**Bad files** never reach a split: see :mod:`utils.image_files`.

**Dog-breed labels**: ``labels.csv`` must have ``id`` and ``breed`` columns, at least one row,
unique non-empty ids without path separators and no ``..``; any of that wrong is an error. An
id names ``<id>.jpg`` (or ``<id>`` itself when it already ends with an image extension). Ids
whose file is missing are skipped ("listed in labels.csv but missing", with a warning) so a
partial download still builds; if *no* listed file exists it is an error. Images not named in
labels.csv are skipped ("not in labels.csv").

Writing the split (atomic, ``manifest.csv``, ``skipped.csv``, ``--force``): see
:mod:`utils.split_folder`.

Bad input raises :class:`DatasetError` with a one-line message; the CLI prints it as
``error: ...`` and exits with code 2.
"""

from __future__ import annotations

import math
import sys
import time
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from utils import IMAGE_EXTENSIONS, SEED, SPLITS
from utils.image_files import (
    check_image,
    children,
    image_files,
    one_line,
    validate_images,
)
from utils.petimages import download_petimages
from utils.split_folder import (
    Assignment,
    BuildSummary,
    DatasetError,
    Skip,
    check_out,
    counts_table,
    skipped_frame,
    source_fingerprint,
    write_split,
)

CATS_DOGS_CLASSES = ("cat", "dog")


def _warn(message: str) -> None:
    """Print one warning line to stderr."""
    print(f"warning: {message}", file=sys.stderr)


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


def scan_class_folders(source: Path, skipped: list[Skip]) -> dict[str, list[Path]]:
    """Class name -> candidate files for a folder with one subfolder per class."""
    files, dirs = children(source, skipped)
    if not dirs:
        raise DatasetError(f"{source} has no class subfolders (expected one folder per class)")
    if len(dirs) == 1:
        raise DatasetError(
            f"{source} holds only one class folder ({dirs[0].name}); point the source at the "
            "folder that holds one subfolder per class"
        )
    skipped += [(f, "not in a class subfolder") for f in files]
    return {d.name: image_files(d, skipped) for d in dirs}


def scan_cats_vs_dogs(source: Path, skipped: list[Skip]) -> dict[str, list[Path]]:
    """``{"cat": files, "dog": files}`` from a Kaggle flat folder or a PetImages folder."""
    if (source / "PetImages").is_dir():
        source = source / "PetImages"
    files, dirs = children(source, skipped)
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
        return {c: image_files(by_lower[c][0], skipped) for c in CATS_DOGS_CLASSES}
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
        raise DatasetError(one_line(f"{path} is not a readable CSV file: {exc}")) from None
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
    # "X", "X.jpg" and "X.JPG" name one photo: listed twice, it would land in two splits
    named = df["id"].map(lambda i: _id_file(i).lower())
    dups = named[named.duplicated(keep=False)]
    if len(dups):
        first = dups[dups == dups.iloc[0]].index
        raise DatasetError(
            f"{path} lists the same image twice: {df.at[first[0], 'id']!r} on line "
            f"{first[0] + 2} and {df.at[first[1], 'id']!r} on line {first[1] + 2} "
            f"({dups.nunique()} images listed more than once)"
        )
    return df.reset_index(drop=True)


def _id_file(image_id: str) -> str:
    """The file name of a labels.csv id: ``<id>.jpg`` unless it already has an image suffix."""
    return image_id if Path(image_id).suffix.lower() in IMAGE_EXTENSIONS else f"{image_id}.jpg"


def scan_dog_breeds(images: Path, labels: Path, skipped: list[Skip]) -> dict[str, list[Path]]:
    """Breed -> candidate files from ``images/<id>.jpg`` and ``labels.csv``."""
    df = read_labels(labels)
    files, _ = children(images, skipped)
    present = {f.name.lower(): f for f in sorted(files, reverse=True)}
    present.update({f.name: f for f in files})  # an exact name first, else any case
    listed = df["id"].map(_id_file)
    classes: dict[str, list[Path]] = {b: [] for b in sorted(df["breed"].unique())}
    missing = 0
    for name, breed in zip(listed, df["breed"], strict=True):
        found = present.get(name) or present.get(name.lower())
        if found is not None:
            classes[breed].append(found)
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
    used = {f.name for breed_files in classes.values() for f in breed_files}
    for f in files:
        if f.name not in used:
            reason = "not in labels.csv"
            if f.suffix.lower() not in IMAGE_EXTENSIONS:
                reason = check_image(f) or reason
            skipped.append((f, reason))
    return classes


# --------------------------------------------------------------------------- writing the split


def _finish(
    out: Path,
    assignment: Assignment,
    skipped: pd.DataFrame,
    force: bool,
    progress: bool,
    t0: float,
    recipe: dict,
) -> BuildSummary:
    """Write the split (with the recipe it was built from) and summarise it."""
    manifest = write_split(out, assignment, skipped, force=force, progress=progress, recipe=recipe)
    return BuildSummary(out, counts_table(manifest), skipped, time.perf_counter() - t0)


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
    scanned = source_fingerprint(classes, source)  # what was listed, before the long decoding
    good = _validated(classes, skipped, progress)
    empty = [c for c in good if not good[c]]
    if len(empty) == len(good):
        raise DatasetError(f"no valid images in {source} ({len(skipped)} files skipped)")
    if len(good) - len(empty) < 2:
        kept = [c for c in good if good[c]]
        raise DatasetError(
            f"only one class has valid images ({kept[0]}; {len(skipped)} files skipped): "
            "a classifier needs at least two"
        )
    if empty:
        _warn(f"{len(empty)} classes have no valid image and are left out: {', '.join(empty)}")
    assignment: Assignment = {s: {} for s in SPLITS}
    for c in sorted(good):
        if good[c]:
            for split, files in split_class(good[c], c, test_size, validation_size, seed).items():
                assignment[split][c] = files
    recipe = {"source": str(source.resolve()), "test_size": test_size}
    recipe.update(validation_size=validation_size, seed=seed, source_files=scanned)
    return _finish(out, assignment, skipped_frame(skipped, source), force, progress, t0, recipe)


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
    out = check_out(out, source, force)
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
    out = check_out(out, source, force)
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
    out = check_out(out, source, force)
    if source is None:
        source = download_petimages(cache_dir, progress=progress)
        out = check_out(out, source, force)
    skipped: list[Skip] = []
    candidates = scan_cats_vs_dogs(source, skipped)
    scanned = source_fingerprint(candidates, source)
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
    recipe = {"source": str(Path(source).resolve()), "train": train, "validation": validation}
    recipe.update(test=test, seed=seed, source_files=scanned)
    return _finish(out, assignment, skipped_frame(skipped, source), force, progress, t0, recipe)


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
