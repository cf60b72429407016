"""The whole study in one command: build the split, then execute the notebooks in order.

Each run writes a fresh folder ``runs/<time>-<profile>/`` holding the executed notebooks, the
models, the results and one log per notebook. Features are cached in a shared ``cache/`` so a
second run reuses them. Profiles set the notebook parameters; anything can be overridden.
"""

from __future__ import annotations

import ast
import csv
import functools
import logging
import shutil
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import papermill as pm

try:
    import fcntl
except ImportError:  # Windows: no lock, runs are not started together there
    fcntl = None

from utils import SEED, mixed_precision, split_folder
from utils import dataset_builder as builder
from utils.split_folder import DatasetError

NOTEBOOKS_DIR = Path(__file__).resolve().parents[1] / "notebooks"
ROOT = NOTEBOOKS_DIR.parent
# The notebooks, in order: the two digits that begin each name in notebooks/.
ORDER = tuple(sorted({p.name[:2] for p in NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb")}))
# The notebooks that run on a user's own folders: the case study, 01 to 07, and 08 (the
# multi-class recipe) when the folder has 3 or more classes.
OWN_DATA_NOTEBOOKS = ("01", "02", "03", "04", "05", "06", "07")

# Parameters per profile: "all" goes to every notebook that declares the name, "NN" to one.
PROFILES: dict[str, dict[str, dict[str, Any]]] = {
    # Tiny: a first look and the tests. Minutes on a laptop CPU.
    "smoke": {
        "split": {"train": 20, "validation": 10, "test": 10},
        "all": {"IMAGE_SIZE": 64, "BATCH_SIZE": 8, "EPOCHS": 1},
        "01": {"SAMPLES_PER_CLASS": 3},
        "03": {"N_PREVIEWS": 2},
        "04": {"COMPARE_PER_CLASS": 10, "COMPARE_VALIDATION_PER_CLASS": 5},
        "05": {"AUG_PASSES": 1, "CACHED_EPOCHS": 1},
        "06": {"WARMUP_EPOCHS": 1, "CACHED_EPOCHS": 1, "CACHED_WARMUP_EPOCHS": 1, "AUG_PASSES": 1},
        "08": {"IMAGE_SIZE": 75, "N_SHOW": 4, "USE_CACHED_FEATURES": True},  # InceptionV3: >= 75
        "09": {"N_SAMPLES": 200, "IMAGE_SIZE": 32, "FOLDS": 3, "RUN_VARIANTS": False},
        "10": {"SIZES": [5, 10, 20], "REPEATS": 2, "CNN_IMAGE_SIZE": 32},
        "11": {"FINE_TUNE_EPOCHS": 1, "ROUTE": "cached", "PREPROCESSING": "vgg16", "AUG_PASSES": 0},
    },
    # Real data, CPU-friendly epochs and the cached-features routes (a 2-core laptop).
    "cpu": {
        "split": {"train": 1500, "validation": 500, "test": 500},
        # bfloat16 only where it measures faster: run_all.py times VGG-16 both ways once per
        # machine and image size, and passes the notebooks the policy's name
        "all": {"MIXED_PRECISION": "auto"},
        # from scratch at 64 px, 02 and 03 (their cost cells say how long)
        "02": {"IMAGE_SIZE": 64, "BATCH_SIZE": 32, "EPOCHS": 8},
        "03": {
            "IMAGE_SIZE": 64,
            "BATCH_SIZE": 32,
            "EPOCHS": 24,
            "LEARNING_RATE": 1e-3,
            "N_PREVIEWS": 3,
        },
        # VGG-16 at 180 px, not the book's 150 (chosen on validation, BENCHMARKS.md): blocks 1-4
        # once per photo, one cache for 04-06, 10, 11; 06 fine-tunes block 5 on it.
        "04": {"IMAGE_SIZE": 180, "COMPARE_PER_CLASS": 100, "COMPARE_VALIDATION_PER_CLASS": 50},
        "05": {"IMAGE_SIZE": 180, "EPOCHS": 0, "AUG_PASSES": 1, "CACHED_EPOCHS": 20},
        "06": {
            "IMAGE_SIZE": 180,
            "EPOCHS": 0,
            "WARMUP_EPOCHS": 10,
            "CACHED_EPOCHS": 5,
            "AUG_PASSES": 1,
        },
        "08": {"USE_CACHED_FEATURES": True, "EPOCHS": 150},
        "10": {"IMAGE_SIZE": 180, "CNN_IMAGE_SIZE": 48, "EPOCHS": 8, "REPEATS": 3},
        # the Keras blog's recipe at its own 150 px and x / 255 (the post's 1e-4 belongs to that
        # scale): one VGG-16 pass of its own, then block 5 for 2 epochs on cached activations
        "11": {
            "FINE_TUNE_EPOCHS": 2,
            "ROUTE": "cached",
            "PREPROCESSING": "rescale",
            "AUG_PASSES": 0,
        },
    },
    # The book's settings (every notebook's defaults): for a GPU.
    "book": {"split": {"train": 1500, "validation": 500, "test": 500}},
}


@dataclass
class RunConfig:
    """What one run does; built by ``run_all.py`` from its command line."""

    profile: str = "smoke"
    run_dir: Path | None = None
    source: str | None = None  # Kaggle train/ or PetImages; None downloads PetImages
    own_data: str | None = None  # a folder with one subfolder per class
    weights: str | None = None  # a VGG-16 no-top weights file; None: "imagenet"
    breeds_source: str | None = None  # Kaggle dog-breed train/ + labels.csv
    mnist: str | None = None  # a local mnist.npz; None: keras.datasets download
    cache_dir: str | None = None
    notebooks: Sequence[str] = ORDER
    overrides: dict[str, dict[str, Any]] = field(default_factory=dict)
    progress: bool = True
    force: bool = False  # rebuild a split that does not match this run
    data_root: str | None = None  # where splits are kept between runs (default data/)
    overwrite: bool = False  # empty a run_dir an earlier run left (see run_folder)


def notebook_path(name: str) -> Path:
    """The notebook whose file name starts with ``name`` (``"02"`` or ``"02_cnn_from_scratch"``)."""
    matches = sorted(NOTEBOOKS_DIR.glob(f"{name}*.ipynb"))
    if len(matches) != 1:
        raise FileNotFoundError(f"expected one notebook matching {name!r} in {NOTEBOOKS_DIR}")
    return matches[0]


def execute_notebook(
    name: str,
    output: str | Path,
    parameters: dict[str, Any] | None = None,
    progress: bool = True,
    timeout: int | None = None,
    log_output: bool = False,
) -> Path:
    """Run a notebook top to bottom on a fresh kernel, writing the executed copy to ``output``.

    It runs in the ``notebooks/`` folder (relative defaults resolve as in Jupyter). Parameters
    should be absolute paths where they name files. A failing cell raises
    ``papermill.PapermillExecutionError`` showing the cell and its traceback.
    """
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    pm.execute_notebook(
        str(notebook_path(name)),
        str(output),
        parameters=parameters or {},
        cwd=str(NOTEBOOKS_DIR),
        progress_bar=progress,
        execution_timeout=timeout,
        kernel_name="python3",
        log_output=log_output,
    )
    return output


@functools.cache
def notebook_defaults(number: str) -> dict[str, Any]:
    """The names a notebook's ``parameters`` cell declares, with their default values."""
    found = pm.inspect_notebook(str(notebook_path(number)))
    defaults = {}
    for name, info in found.items():
        try:
            defaults[name] = ast.literal_eval(info["default"])
        except (ValueError, SyntaxError):
            defaults[name] = None  # an expression: any value is accepted
    return defaults


def reads_cats_vs_dogs(number: str) -> bool:
    """Whether a notebook trains on the cats-vs-dogs split: its ``DATA_DIR`` says so (00, 08
    and 09 bring their own data)."""
    return str(notebook_defaults(number).get("DATA_DIR")).endswith("/cats-vs-dogs")


def _inside(path: Path, folder: Path) -> bool:
    """Whether ``path`` is ``folder`` or lies inside it (both resolved)."""
    return path == folder or folder in path.parents


def check_folders(config: RunConfig) -> None:
    """Refuse, before anything is written, a run folder, cache or data root inside the photos
    (``--data``, ``--source``), and photos inside a given run folder (``--overwrite`` empties
    it). Photos inside the cache (the PetImages download) or the data root are fine."""
    run = Path(config.run_dir).resolve() if config.run_dir else None
    written = {
        "--run-dir": run or ROOT / "runs",
        "--cache-dir": Path(config.cache_dir or ROOT / "cache").resolve(),
        "--data-root": Path(config.data_root or ROOT / "data").resolve(),
    }
    for flag, given in (("--data", config.own_data), ("--source", config.source)):
        if not given:
            continue
        photos = Path(given).resolve()
        for option, folder in written.items():
            if _inside(folder, photos):
                raise ValueError(
                    f"{option} {folder} lies inside {flag} {given}: the run would write among "
                    "your photos; choose a folder outside it"
                )
        if run and _inside(photos, run):
            raise ValueError(
                f"{flag} {given} lies inside --run-dir {run}, which holds one run's outputs: "
                "move the photos out or choose another run folder"
            )


RUN_ENTRIES = ("models", "results", "notebooks", "logs", "data", "site")
"""What a run writes into its folder (``data``: the smoke profile's split)."""


def _earlier_run(run_dir: Path, config: RunConfig) -> list[Path]:
    """What an earlier run left in ``run_dir``: everything but the cache and the data root
    when they are kept there."""
    shared = (config.cache_dir or ROOT / "cache", config.data_root or ROOT / "data")
    kept = [Path(folder).resolve() for folder in shared]
    return [p for p in run_dir.iterdir() if not any(_inside(k, p.resolve()) for k in kept)]


def _empty(run_dir: Path, entries: list[Path], config: RunConfig) -> None:
    """Remove an earlier run's ``entries`` with ``config.overwrite``, if they look like one
    (notebooks/, logs/ or results/run_times.csv, and nothing else); refuse otherwise."""
    flag = f"--run-dir {config.run_dir}"
    if not config.overwrite:
        raise ValueError(
            f"{flag} is not empty and a run folder holds one run: choose a new folder, or "
            "pass --overwrite to empty it"
        )
    others = sorted(p.name for p in entries if p.name not in RUN_ENTRIES)
    looks_like_a_run = (run_dir / "notebooks").is_dir() or (run_dir / "logs").is_dir()
    looks_like_a_run |= (run_dir / "results" / "run_times.csv").is_file()
    if others or not looks_like_a_run:
        what = f"it holds {', '.join(others[:3])}" if others else "no notebooks/ or logs/"
        raise ValueError(
            f"{flag} does not look like a run folder ({what}): not emptied; choose another folder"
        )
    for entry in entries:
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()


def run_folder(config: RunConfig) -> Path:
    """A fresh ``runs/<time>-<profile>`` (``-2``, ``-3``… when runs start in the same second:
    two runs never share a folder) with models/, results/, notebooks/ and logs/ inside. A
    given ``run_dir`` must be new or empty (but for a cache or data root kept there), or an
    earlier run's folder emptied with ``overwrite``."""
    if config.run_dir:
        run_dir = Path(config.run_dir).resolve()
        if run_dir.exists() and not run_dir.is_dir():
            raise ValueError(f"--run-dir {run_dir} is a file")
        earlier = _earlier_run(run_dir, config) if run_dir.is_dir() else []
        if earlier:
            _empty(run_dir, earlier, config)
        run_dir.mkdir(parents=True, exist_ok=True)
    else:
        stem = ROOT / "runs" / f"{time.strftime('%Y%m%d-%H%M%S')}-{config.profile}"
        stem.parent.mkdir(parents=True, exist_ok=True)
        for i in range(1, 1000):
            run_dir = stem.with_name(stem.name + (f"-{i}" if i > 1 else ""))
            try:
                run_dir.mkdir()
                break
            except FileExistsError:
                continue
    for sub in ("models", "results", "notebooks", "logs"):
        (run_dir / sub).mkdir(parents=True, exist_ok=True)
    return run_dir


@contextmanager
def _locked(out: Path) -> Iterator[None]:
    """Hold an exclusive lock beside ``out`` while a split is checked or built (two runs started
    together build it once: the second waits, then finds it)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out.parent / f".{out.name}.lock", "w") as handle:
        if fcntl is not None:
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def prepare_data(config: RunConfig, run_dir: Path) -> Path | None:
    """The split the selected notebooks train on: built once, then reused while it matches.

    The cats-vs-dogs split lives in ``data/cats-vs-dogs`` (inside the run folder for the smoke
    profile), your own folder's in ``data/<its name>``. A split built from another source or
    with other sizes, or from a source whose files changed since (added, removed, moved to
    another class, modified: checked by listing and ``stat``), is rebuilt with ``force``,
    otherwise refused with one line saying why. None when no selected notebook needs a split
    (00, 08 and 09 bring their own data).
    """
    root = Path(config.data_root or ROOT / "data")
    if config.source and not Path(config.source).is_dir():
        raise DatasetError(f"--source {config.source}: no such folder")
    if config.own_data:
        photos = Path(config.own_data).resolve()
        if not photos.is_dir():
            raise DatasetError(f"--data {config.own_data}: no such folder")
        out = root / photos.name
        recipe = {"source": str(photos), "test_size": 0.2, "validation_size": 0.2, "seed": SEED}
        scan = builder.scan_class_folders

        def build(force: bool) -> None:
            builder.build_folders(out, photos, force=force, progress=config.progress)

    elif any(reads_cats_vs_dogs(n) for n in config.notebooks):
        sizes = PROFILES[config.profile]["split"]
        smoke = config.profile == "smoke"
        out = (run_dir / "data" if smoke else root) / "cats-vs-dogs"
        recipe = {**sizes, "seed": SEED}
        scan = builder.scan_cats_vs_dogs
        if config.source:  # the split must match its files (a download is not checked)
            recipe["source"] = str(Path(config.source).resolve())

        def build(force: bool) -> None:
            builder.build_cats_vs_dogs(
                out, config.source, **sizes, force=force, progress=config.progress
            )

    else:
        return None
    with _locked(out):
        if not split_folder.split_exists(out):
            build(force=False)
            return out
        split_folder.add_missing_class_folders(out)  # a split of an earlier version
        problem = split_folder.stale(out, recipe, scan)
        if problem:
            if not config.force:
                raise DatasetError(f"{problem}: pass --force to rebuild it")
            build(force=True)
    return out


def parameters_for(number: str, config: RunConfig, run_dir: Path, data_dir: Path) -> dict:
    """Profile values, run paths and overrides, kept to the names the notebook declares."""
    profile = PROFILES[config.profile]
    split = profile["split"]
    weights = str(Path(config.weights).resolve()) if config.weights else "imagenet"
    # the notebooks run in notebooks/: every path from the command line goes to them absolute
    breeds = str(Path(config.breeds_source).resolve()) if config.breeds_source else None
    values: dict[str, Any] = {
        "DATA_DIR": str(data_dir) if data_dir else None,
        "MODELS_DIR": str(run_dir / "models"),
        "RESULTS_DIR": str(run_dir / "results"),
        "CACHE_DIR": str(Path(config.cache_dir or ROOT / "cache").resolve()),
        "WEIGHTS": weights,
        # notebook 01 only shows the split prepare_data built (it is reused)
        "SOURCE_DIR": str(Path(config.source).resolve()) if config.source else None,
        "TRAIN": split["train"],
        "VALIDATION": split["validation"],
        "TEST": split["test"],
        "PREVIEW_DIR": str(run_dir / "results" / "augmented_previews"),
    }
    if number == "01":  # your own folders: their split only, no dog breeds
        own = bool(config.own_data)
        values["BREEDS_DATA_DIR"] = None if own else str(ROOT / "data" / "dog-breeds")
        values["BREEDS_SOURCE_DIR"] = None if own else breeds
    if number == "08":
        if not config.own_data:  # the multi-class recipe on your folders' split otherwise
            values["DATA_DIR"] = str(ROOT / "data" / "dog-breeds")
        values["SOURCE_DIR"] = None if config.own_data else breeds
        if config.weights:  # a VGG-16 file: InceptionV3's weights are not there
            values["BACKBONE"] = "vgg16"
    if number == "09":
        values["MNIST_PATH"] = str(Path(config.mnist).resolve()) if config.mnist else None
    for scope in ("all", number):
        values.update(profile.get(scope, {}))
        values.update(config.overrides.get(scope, {}))
    declared = set(notebook_defaults(number))
    chosen = {k: v for k, v in values.items() if k in declared and (k != "DATA_DIR" or v)}
    if "MIXED_PRECISION" in chosen:  # one measured choice per machine, a plain policy name
        size = chosen.get("IMAGE_SIZE") or notebook_defaults(number).get("IMAGE_SIZE") or 150
        chosen["MIXED_PRECISION"] = mixed_precision.resolve(
            chosen["MIXED_PRECISION"], size, values["CACHE_DIR"]
        )
    return chosen


def skip_reason(number: str, config: RunConfig, data_dir: Path | None = None) -> str | None:
    """Why a notebook cannot run in this configuration, or None."""
    if number not in config.notebooks:
        return "not selected"
    if config.own_data and number == "08":
        n = len(split_folder.split_counts(data_dir).index) - 1 if data_dir else 0
        return None if n >= 3 else f"{n} classes: the multi-class recipe needs 3 or more"
    if config.own_data and number not in OWN_DATA_NOTEBOOKS:
        return "part of the Kaggle case studies, not of a run on your own folders"
    if number == "08" and not (
        config.breeds_source or split_folder.split_exists(ROOT / "data" / "dog-breeds")
    ):
        return "no dog-breed data (pass --breeds-source DIR)"
    return None


def _log_to(path: Path) -> logging.Handler:
    handler = logging.FileHandler(path, mode="w")
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
    logging.getLogger("papermill").addHandler(handler)
    logging.getLogger("papermill").setLevel(logging.INFO)
    return handler


def run(config: RunConfig) -> tuple[Path, list[dict[str, Any]]]:
    """Execute the selected notebooks in order; returns the run folder and a row per notebook.

    Stops at the first failing notebook, raising ``papermill.PapermillExecutionError`` (its
    message shows the failing cell); the executed notebook up to that cell is in the run folder.
    A notebook that fails otherwise (a full disk) or is interrupted (Ctrl-C) is recorded as
    ``failed`` or ``interrupted`` in ``results/run_times.csv`` too, and the error raised.
    """
    if config.profile not in PROFILES:
        raise ValueError(f"unknown profile {config.profile!r}: choose from {', '.join(PROFILES)}")
    check_folders(config)
    new = not (config.run_dir and Path(config.run_dir).exists())
    run_dir = run_folder(config)
    try:
        data_dir = prepare_data(config, run_dir)
    except BaseException:
        if new:  # a failed check leaves no empty run folder behind
            shutil.rmtree(run_dir, ignore_errors=True)
        raise
    breeds = ROOT / "data" / "dog-breeds"
    if "08" in config.notebooks and split_folder.split_exists(breeds):
        split_folder.add_missing_class_folders(breeds)  # a split of an earlier version
    rows = []
    for number in ORDER:
        reason = skip_reason(number, config, data_dir)
        if reason:
            rows.append({"notebook": number, "status": f"skipped: {reason}", "seconds": 0.0})
            continue
        name = notebook_path(number).stem
        handler = _log_to(run_dir / "logs" / f"{name}.log")
        start = time.perf_counter()
        executed = run_dir / "notebooks" / f"{name}.ipynb"
        try:
            execute_notebook(
                number,
                executed,
                parameters_for(number, config, run_dir, data_dir),
                progress=config.progress,
                log_output=True,
            )
        except (Exception, KeyboardInterrupt) as err:
            if isinstance(err, pm.PapermillExecutionError):
                err.executed_notebook = executed  # where the reader finds the failing cell
            status = "interrupted" if isinstance(err, KeyboardInterrupt) else "failed"
            rows.append(
                {"notebook": number, "status": status, "seconds": time.perf_counter() - start}
            )
            with suppress(OSError):  # a full disk may refuse this file too
                write_times(run_dir, rows)
            raise
        finally:
            logging.getLogger("papermill").removeHandler(handler)
            handler.close()
        rows.append({"notebook": number, "status": "ok", "seconds": time.perf_counter() - start})
    write_times(run_dir, rows)
    return run_dir, rows


def write_times(run_dir: Path, rows: list[dict[str, Any]]) -> Path:
    """The wall time of each notebook, ``results/run_times.csv`` (read by ``build_site.py``)."""
    path = Path(run_dir) / "results" / "run_times.csv"
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["notebook", "status", "seconds"])
        writer.writeheader()
        writer.writerows({**row, "seconds": f"{row['seconds']:.1f}"} for row in rows)
    return path


def results_table(run_dir: Path) -> str | None:
    """The Markdown results table notebook 07 wrote in this run, if any."""
    table = Path(run_dir) / "results" / "07_model_evaluation.md"
    return table.read_text() if table.is_file() else None
