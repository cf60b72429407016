"""Writing and reading split folders: ``OUT/{train,validation,test}/<class>/<file>``.

A split is written in a hidden temporary folder beside ``OUT`` and renamed into place at the end,
so a split is either complete or absent. ``OUT/manifest.csv`` lists every file
(``split,class,file``), ``OUT/skipped.csv`` the source files left out and why.

**Output**: ``OUT/{train,validation,test}/<class>/<original file name>`` (what
``keras.utils.image_dataset_from_directory`` and :mod:`utils.data` read), ``OUT/manifest.csv``
(``split,class,file``; ``file`` relative to OUT, sorted by split, class and file) and
``OUT/skipped.csv`` (``file,reason``; ``file`` relative to the source). Files are copied
(``shutil.copy2``; :func:`place_image` writes an upright RGB copy of a photo whose EXIF
orientation turns it, and of an 8-bit palette BMP, which TensorFlow would read as grey);
the source is never modified and OUT may not lie inside it or contain it.
The same source and seed give the same manifest whatever the file-system order or
``PYTHONHASHSEED``.

**Atomic**: all checks and decoding run before anything is written; the split is then built
in a hidden temporary folder next to OUT and renamed into place at the end, and the temporary
folder is removed on any error or interrupt. An existing OUT is an error (:class:`DatasetError`,
exit code 2 from the CLI) unless ``force=True``; check with :func:`split_exists` first. With
``force`` the old OUT is replaced only once the new one is complete, and only if it is empty or
was built by this module (has ``manifest.csv``): any other folder is refused.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from PIL import Image, ImageOps
from tqdm import tqdm

from utils import SPLITS
from utils.image_files import Skip, workers

Assignment = dict[str, dict[str, list[Path]]]
"""split -> class -> source files."""


RECIPE = "split.json"
ORIENTATION = 0x0112  # the EXIF tag saying how a photo is turned


def read_recipe(out: str | Path) -> dict | None:
    """What the split in ``out`` was built from (``split.json``), or None if not recorded."""
    path = Path(out) / RECIPE
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


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


def split_exists(out: str | Path) -> bool:
    """True when ``out`` holds a complete split built by this module (it has manifest.csv)."""
    out = Path(out)
    return (out / "manifest.csv").is_file() and (out / "train").is_dir()


def add_missing_class_folders(out: str | Path) -> list[Path]:
    """Splits written before every class got a folder in every split: add the empty ones (a
    loader given the training split's class names needs them); returns what was added."""
    out, added = Path(out), []
    classes = {p.name for s in SPLITS if (out / s).is_dir() for p in (out / s).iterdir()}
    for split in SPLITS:
        for cls in sorted(c for c in classes if not (out / split / c).exists()):
            (out / split / cls).mkdir(parents=True)
            added.append(out / split / cls)
    return added


def check_out(out: str | Path, source: Path | None, force: bool) -> Path:
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


def relative(path: Path, source: Path) -> str:
    """``path`` relative to ``source`` with forward slashes (as listed in skipped.csv)."""
    try:
        return path.relative_to(source).as_posix()
    except ValueError:
        return path.as_posix()


def skipped_frame(skipped: Sequence[Skip], source: Path) -> pd.DataFrame:
    """The ``file, reason`` table of skipped files, sorted by file."""
    rows = sorted((relative(p, source), reason) for p, reason in skipped)
    return pd.DataFrame(rows, columns=["file", "reason"])


def manifest_frame(assignment: Assignment) -> pd.DataFrame:
    """The ``split, class, file`` table, sorted by split (train, validation, test), class, file."""
    rows = [
        (SPLITS.index(split), split, cls, f"{split}/{cls}/{p.name}")
        for split in SPLITS
        for cls in sorted(assignment.get(split, {}))
        for p in assignment[split][cls]
    ]
    rows.sort()
    return pd.DataFrame([r[1:] for r in rows], columns=["split", "class", "file"])


def move_into_place(tmp: Path, out: Path, force: bool) -> None:
    """Rename the finished ``tmp`` to ``out``, replacing an old ``out`` only with ``force``."""
    if not (out.exists() or out.is_symlink()):
        os.rename(tmp, out)
        return
    if not force:
        raise DatasetError(f"{out} appeared while building; use --force to replace it")
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-{os.getpid()}-", dir=out.parent))
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


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True


def remove_stale_temporaries(out: Path) -> list[Path]:
    """Remove the hidden ``.OUT.tmp-<pid>-*`` / ``.OUT.old-<pid>-*`` folders of builds of ``out``
    that were killed (their process is gone); a build still running keeps its own."""
    removed = []
    for kind in ("tmp", "old"):
        for folder in out.parent.glob(f".{out.name}.{kind}-*"):
            pid = folder.name.removeprefix(f".{out.name}.{kind}-").split("-", 1)[0]
            if not pid.isdigit() or not _alive(int(pid)):
                shutil.rmtree(folder, ignore_errors=True)
                removed.append(folder)
    return removed


def place_image(source: Path, target: Path) -> None:
    """Copy an image into a split as TensorFlow should read it.

    Most files are copied as they are. Two kinds are rewritten, keeping their name: a photo
    whose EXIF orientation says it is stored on its side (phones do this) is turned upright,
    and an 8-bit palette BMP, whose palette TensorFlow's decoder ignores (it would read the
    indices as grey), becomes a 24-bit RGB BMP. Pixels are what Pillow shows.
    """
    with Image.open(source) as img:
        turned = img.getexif().get(ORIENTATION, 1) not in (0, 1)
        palette_bmp = img.format == "BMP" and img.mode in ("P", "L", "1")
        if not (turned or palette_bmp):
            fmt = None
        else:
            fmt = img.format
            fixed = ImageOps.exif_transpose(img).convert("RGB")
    if fmt is None:
        shutil.copy2(source, target)
    elif fmt == "JPEG":
        fixed.save(target, "JPEG", quality=95)
    else:
        fixed.save(target, fmt)


def write_split(
    out: Path,
    assignment: Assignment,
    skipped: pd.DataFrame,
    force: bool = False,
    progress: bool = True,
    recipe: dict | None = None,
) -> pd.DataFrame:
    """Copy the files into ``out/<split>/<class>/`` atomically; return the manifest.

    ``recipe`` (what the split was built from: source, sizes, seed) is kept as ``split.json``,
    so a later run can tell whether the split is the one it asks for (:func:`read_recipe`).
    """
    manifest = manifest_frame(assignment)
    out.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(out)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-{os.getpid()}-", dir=out.parent))
    umask = os.umask(0)
    os.umask(umask)
    tmp.chmod(0o777 & ~umask)  # mkdtemp's 0700 would make the split private
    try:
        jobs = []
        classes = sorted(set().union(*(assignment.get(split, {}) for split in SPLITS)))
        for split in SPLITS:
            (tmp / split).mkdir()
            for cls in classes:  # every class in every split, empty where it has no image,
                (tmp / split / cls).mkdir()  # so each split folder lists the same classes
                files = assignment.get(split, {}).get(cls, [])
                jobs += [(p, tmp / split / cls / p.name) for p in files]
        with ThreadPoolExecutor(workers()) as pool:
            copies = pool.map(lambda job: place_image(*job), jobs)
            bar = tqdm(copies, total=len(jobs), desc="copying", unit="img", disable=not progress)
            for _ in bar:
                pass
        for name, table in (("skipped.csv", skipped), ("manifest.csv", manifest)):
            # surrogateescape: a file name that is not UTF-8 is kept byte for byte
            table.to_csv(tmp / name, index=False, lineterminator="\n", errors="surrogateescape")
        if recipe is not None:
            (tmp / RECIPE).write_text(json.dumps(recipe, indent=2, sort_keys=True) + "\n")
        move_into_place(tmp, out, force)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return manifest


def read_manifest(out: str | Path) -> pd.DataFrame:
    """``OUT/manifest.csv`` as a DataFrame ``split, class, file`` (file relative to OUT)."""
    path = Path(out) / "manifest.csv"
    if not path.is_file():
        raise DatasetError(f"{path} not found: build the split first with build_dataset.py")
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding_errors="surrogateescape")


def counts_table(manifest: pd.DataFrame) -> pd.DataFrame:
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
    return counts_table(read_manifest(out))
