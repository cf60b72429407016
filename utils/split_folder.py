"""Writing and reading split folders: ``OUT/{train,validation,test}/<class>/<file>``.

A split is written in a hidden temporary folder beside ``OUT`` and renamed into place at the end,
so a split is either complete or absent. ``OUT/manifest.csv`` lists every file
(``split,class,file``), ``OUT/skipped.csv`` the source files left out and why.

**Output**: ``OUT/{train,validation,test}/<class>/<original file name>`` (what
``keras.utils.image_dataset_from_directory`` and :mod:`utils.data` read), ``OUT/manifest.csv``
(``split,class,file``; ``file`` relative to OUT, sorted by split, class and file) and
``OUT/skipped.csv`` (``file,reason``; ``file`` relative to the source). Files are copied
(``shutil.copy2``), except those TensorFlow would read otherwise than Pillow shows them (a
photo turned by its EXIF orientation, a palette BMP, a CMYK JPEG...): :func:`place_image` writes
the upright RGB copy that ``predict.py`` decodes too. The source is never modified and OUT may
not lie inside it or contain it.
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

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from PIL import Image
from tqdm import tqdm

from utils import SPLITS
from utils.image_files import Skip, split_bytes, workers

Assignment = dict[str, dict[str, list[Path]]]
"""split -> class -> source files."""


RECIPE = "split.json"


def read_recipe(out: str | Path) -> dict | None:
    """What the split in ``out`` was built from (``split.json``), or None if not recorded."""
    path = Path(out) / RECIPE
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


class DatasetError(Exception):
    """Bad input for the dataset builder; the message is one line meant for the user."""


def source_fingerprint(classes: dict[str, list[Path]], source: Path) -> dict[str, dict]:
    """Class -> ``{"files": n, "hash": ...}`` of a source's candidate files (a recipe's
    ``source_files``): the hash covers each file's name relative to ``source``, size and
    modification time, so checking it again (:func:`source_change`) needs a listing and
    ``stat`` only, no decoding."""
    fingerprint = {}
    for cls in sorted(classes):
        digest = hashlib.sha256()
        for name, path in sorted((relative(p, source), p) for p in classes[cls]):
            stat = path.stat()
            line = f"{name}\0{stat.st_size}\0{stat.st_mtime_ns}\n"
            digest.update(line.encode("utf-8", "surrogatepass"))
        fingerprint[cls] = {"files": len(classes[cls]), "hash": digest.hexdigest()[:16]}
    return fingerprint


def source_change(recorded: object, now: dict[str, dict], source: str | Path) -> str | None:
    """How the files of ``source`` differ from the ``recorded`` fingerprint a split was drawn
    from (one line, per class), or None when they are the same."""
    if not isinstance(recorded, dict) or not all(isinstance(v, dict) for v in recorded.values()):
        return (
            f"it was built by an earlier version that did not record the files of {source}, "
            "so whether they changed is unknown"
        )
    if recorded == now:
        return None
    parts = []
    for cls in sorted(set(recorded) | set(now)):
        old, new = recorded.get(cls, {}), now.get(cls, {})
        if old != new:
            before, after = old.get("files", 0), new.get("files", 0)
            same = f"{cls}: {after} files, some replaced or modified"
            parts.append(same if before == after else f"{cls} {before} -> {after}")
    total_before = sum(v.get("files", 0) for v in recorded.values())
    total_now = sum(v["files"] for v in now.values())
    return (
        f"the files of {source} changed since it was built ({total_before} files, now "
        f"{total_now}: {', '.join(parts)})"
    )


def stale(out: str | Path, recipe: dict, scan) -> str | None:
    """Why the split in ``out`` is not the one ``recipe`` asks for (another source, sizes or
    seed in its ``split.json``, or, when ``recipe`` names a source, files of that source added,
    removed, moved or modified since: ``scan(source, skipped)`` lists them), or None."""
    have = read_recipe(out) or {}
    changed = [
        f"{k} {have.get(k, 'not recorded')} (wanted {v})"
        for k, v in recipe.items()
        if have.get(k) != v
    ]
    if changed:
        return f"{out} is another split ({'; '.join(changed)})"
    if "source" not in recipe:
        return None
    source = Path(recipe["source"])
    change = source_change(
        have.get("source_files"), source_fingerprint(scan(source, []), source), source
    )
    return f"{out}: {change}" if change else None


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


def process_alive(pid: int) -> bool:
    """Whether process ``pid`` of this machine is running (a temporary's writer)."""
    if os.name == "nt":  # os.kill(pid, 0) would send Ctrl-C there: unknown, count it alive
        return True
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
            if not pid.isdigit() or not process_alive(int(pid)):
                shutil.rmtree(folder, ignore_errors=True)
                removed.append(folder)
    return removed


def place_image(source: Path, target: Path) -> None:
    """Copy an image into a split as TensorFlow should read it.

    Most files are copied as they are. The others (a photo stored on its side by its EXIF
    orientation, a palette BMP, a CMYK JPEG...) are written, keeping their name, as
    :func:`utils.image_files.split_bytes` gives them: the bytes ``predict.py`` decodes too.
    """
    with Image.open(source) as img:
        data = split_bytes(img)
    if data is None:
        shutil.copy2(source, target)
    else:
        target.write_bytes(data)


def write_split(
    out: Path,
    assignment: Assignment,
    skipped: pd.DataFrame,
    force: bool = False,
    progress: bool = True,
    recipe: dict | None = None,
) -> pd.DataFrame:
    """Copy the files into ``out/<split>/<class>/`` atomically; return the manifest.

    ``recipe`` (what the split was built from: source, sizes, seed, the source's files as
    :func:`source_fingerprint` records them) is kept as ``split.json``, so a later run can tell
    whether the split is the one it asks for and still matches its source (:func:`read_recipe`).
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
