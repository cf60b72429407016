"""The whole study in one command: build the split, then execute the notebooks in order.

Each run writes a fresh folder ``runs/<time>-<profile>/`` holding the executed notebooks, the
models, the results and one log per notebook. Features are cached in a shared ``cache/`` so a
second run reuses them. Profiles set the notebook parameters; anything can be overridden.
"""

from __future__ import annotations

import ast
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import papermill as pm

from utils import dataset_builder as builder
from utils import split_folder
from utils.notebooks import NOTEBOOKS_DIR, execute_notebook, notebook_path

ROOT = NOTEBOOKS_DIR.parent
ORDER = ("00", "01", "02", "03", "04", "05", "06", "07", "08", "09")
# The notebooks that run on a user's own folders (the cats-vs-dogs case study, 02 to 07).
OWN_DATA_NOTEBOOKS = ("02", "03", "04", "05", "06", "07")

# Parameters per profile: "all" goes to every notebook that declares the name, "NN" to one.
PROFILES: dict[str, dict[str, dict[str, Any]]] = {
    # Tiny: a first look and the tests. Minutes on a laptop CPU.
    "smoke": {
        "split": {"train": 20, "validation": 10, "test": 10},
        "all": {"IMAGE_SIZE": 64, "BATCH_SIZE": 8, "EPOCHS": 1},
        "01": {"SAMPLES_PER_CLASS": 3},
        "03": {"N_PREVIEWS": 2},
        "04": {"COMPARE_PER_CLASS": 10, "COMPARE_TEST_PER_CLASS": 5, "BENCHMARK_IMAGES": 16},
        "05": {"AUG_PASSES": 1, "CACHED_EPOCHS": 1},
        "06": {"WARMUP_EPOCHS": 1, "SLIDES_EPOCHS": 1},
        "08": {"IMAGE_SIZE": 64, "N_SHOW": 4, "USE_CACHED_FEATURES": True},
        "09": {"N_SAMPLES": 200, "IMAGE_SIZE": 32, "FOLDS": 3, "RUN_VARIANTS": False},
    },
    # Real data, CPU-friendly epochs and the cached-features routes (a 2-core laptop).
    "cpu": {
        "split": {"train": 1500, "validation": 500, "test": 500},
        "all": {"MIXED_PRECISION": True},
        "02": {"EPOCHS": 3},
        "03": {"EPOCHS": 2, "N_PREVIEWS": 3},
        "04": {"EPOCHS": 30},
        "05": {"EPOCHS": 2, "STEPS_PER_EPOCH": 20, "VALIDATION_PER_CLASS": 100, "AUG_PASSES": 1},
        "06": {
            "EPOCHS": 2,
            "STEPS_PER_EPOCH": 20,
            "VALIDATION_PER_CLASS": 100,
            "WARMUP_EPOCHS": 30,
            "SLIDES_EPOCHS": 1,
        },
        "08": {"USE_CACHED_FEATURES": True, "EPOCHS": 150},
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


def parse_override(text: str) -> tuple[str, str, Any]:
    """``NAME=VALUE`` or ``NN:NAME=VALUE`` → (notebook or "all", NAME, Python value)."""
    if "=" not in text:
        raise ValueError(f"override {text!r} is not NAME=VALUE")
    key, raw = text.split("=", 1)
    scope, name = key.split(":", 1) if ":" in key else ("all", key)
    if not name.isidentifier() or name.upper() != name:
        raise ValueError(f"override {text!r}: parameters are UPPER_CASE names")
    try:
        value = ast.literal_eval(raw)
    except (ValueError, SyntaxError):
        value = raw  # a bare string such as a path
    return scope, name, value


def notebook_parameters(number: str) -> set[str]:
    """The names a notebook's ``parameters`` cell declares."""
    return set(pm.inspect_notebook(str(notebook_path(number))))


def run_folder(config: RunConfig) -> Path:
    """A fresh run folder with models/, results/, notebooks/ and logs/ inside."""
    run_dir = config.run_dir or ROOT / "runs" / f"{time.strftime('%Y%m%d-%H%M%S')}-{config.profile}"
    run_dir = Path(run_dir).resolve()
    for sub in ("models", "results", "notebooks", "logs"):
        (run_dir / sub).mkdir(parents=True, exist_ok=True)
    return run_dir


def prepare_data(config: RunConfig, run_dir: Path) -> Path:
    """The split the case-study notebooks train on: built once if missing, then reused."""
    split = PROFILES[config.profile]["split"]
    if config.own_data:
        out = run_dir / "data" / Path(config.own_data).name
        builder.build_folders(out, config.own_data, progress=config.progress)
        return out
    if config.profile == "smoke":
        out = run_dir / "data" / "cats-vs-dogs"
    else:
        out = ROOT / "data" / "cats-vs-dogs"
    if not split_folder.split_exists(out):
        builder.build_cats_vs_dogs(out, config.source, **split, progress=config.progress)
    return out


def parameters_for(number: str, config: RunConfig, run_dir: Path, data_dir: Path) -> dict:
    """Profile values, run paths and overrides, kept to the names the notebook declares."""
    profile = PROFILES[config.profile]
    split = profile["split"]
    weights = str(Path(config.weights).resolve()) if config.weights else "imagenet"
    values: dict[str, Any] = {
        "DATA_DIR": str(data_dir),
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
    if number == "01":
        values["BREEDS_DATA_DIR"] = str(ROOT / "data" / "dog-breeds")
        values["BREEDS_SOURCE_DIR"] = config.breeds_source
    if number == "08":
        values["DATA_DIR"] = str(ROOT / "data" / "dog-breeds")
        values["SOURCE_DIR"] = config.breeds_source
        if config.weights:  # a VGG-16 file: InceptionV3's weights are not there
            values["BACKBONE"] = "vgg16"
    if number == "09":
        values["MNIST_PATH"] = str(Path(config.mnist).resolve()) if config.mnist else None
    for scope in ("all", number):
        values.update(profile.get(scope, {}))
        values.update(config.overrides.get(scope, {}))
    declared = notebook_parameters(number)
    return {k: v for k, v in values.items() if k in declared}


def skip_reason(number: str, config: RunConfig) -> str | None:
    """Why a notebook cannot run in this configuration, or None."""
    if number not in config.notebooks:
        return "not selected"
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
    """
    if config.profile not in PROFILES:
        raise ValueError(f"unknown profile {config.profile!r}: choose from {', '.join(PROFILES)}")
    run_dir = run_folder(config)
    data_dir = prepare_data(config, run_dir)
    rows = []
    for number in ORDER:
        reason = skip_reason(number, config)
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
        except pm.PapermillExecutionError as err:
            err.executed_notebook = executed  # where the reader finds the failing cell
            raise
        finally:
            logging.getLogger("papermill").removeHandler(handler)
            handler.close()
        rows.append({"notebook": number, "status": "ok", "seconds": time.perf_counter() - start})
    return run_dir, rows


def results_table(run_dir: Path) -> str | None:
    """The Markdown results table notebook 07 wrote in this run, if any."""
    table = Path(run_dir) / "results" / "07_model_evaluation.md"
    return table.read_text() if table.is_file() else None
