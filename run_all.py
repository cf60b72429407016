"""Run the whole course study in one command: build the split, execute every notebook in order.

    python run_all.py --profile smoke --source ../shared/data/dogs-vs-cats/train \\
        --weights ../shared/weights/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5

Profiles: ``smoke`` (tiny, minutes), ``cpu`` (real data, CPU-friendly epochs and cached
features), ``book`` (the book's epochs, for a GPU). ``--set NAME=VALUE`` overrides a parameter
in every notebook that has it, ``--set 05:NAME=VALUE`` in one; the run's folders come from their
flags (``DATA_DIR``: ``--data``/``--source``, ``MODELS_DIR``/``RESULTS_DIR``: ``--run-dir``,
``CACHE_DIR``: ``--cache-dir``), and values a notebook cannot run with are refused (an empty
path, ``BATCH_SIZE`` 0, ``IMAGE_SIZE`` under 32, or 75 for InceptionV3 in 08, ``EPOCHS`` 0 but
in 05 and 06, where it skips a route). ``--data DIR`` runs notebooks 01-07 on your own images
(one subfolder per class), and 08 when they have 3 or more classes.
A run that completes writes its pages (``<run>/site/index.html``); a failed run stops at the
failing cell and writes none.

A split is reused while it matches the run: the same source, sizes and seed, and the same files
in the source (a photo added, removed, moved to another class or edited is noticed); otherwise
the run stops, or ``--force`` rebuilds it. A ``--run-dir`` holds one run: it must be new or
empty, or an earlier run's folder that ``--overwrite`` empties. The run folder, cache and data
root may not lie inside the photos (``--data``, ``--source``), nor the photos in the run folder.
Exit codes: 0 done, 1 a notebook failed (or the disk refused), 2 refused before anything was
written, 130 interrupted (Ctrl-C or ``kill``; ``results/run_times.csv`` says which notebook).
"""

from __future__ import annotations

import argparse
import ast
import signal
import sys
from collections import defaultdict
from typing import Any

import pandas as pd
import papermill as pm

import build_site
from cli import FAILED, INTERRUPTED, OK, OneLineParser, fail
from utils import runner
from utils.split_folder import DatasetError


def parse_override(text: str) -> tuple[str, str, Any]:
    """``NAME=VALUE`` or ``NN:NAME=VALUE`` → (notebook or "all", NAME, Python value)."""
    if "=" not in text:
        raise ValueError(f"override {text!r} is not NAME=VALUE")
    key, raw = text.split("=", 1)
    scope, name = key.split(":", 1) if ":" in key else ("all", key)
    scope = scope.strip().zfill(2) if scope.strip().isdigit() else scope  # "2:" means "02:"
    if not name.isidentifier() or name.upper() != name:
        raise ValueError(f"override {text!r}: parameters are UPPER_CASE names")
    try:
        value = ast.literal_eval(raw)
    except (ValueError, SyntaxError):
        value = raw  # a bare string such as a path
    return scope, name, value


def parse_notebooks(text: str | None) -> tuple[str, ...]:
    """``"1,02,7"`` → ``("01", "02", "07")``; None → every notebook. Unknown numbers are errors."""
    if text is None:
        return runner.ORDER
    wanted = [part.strip() for part in text.split(",")]
    if not any(wanted):
        raise ValueError(f"--notebooks is empty: give numbers among {', '.join(runner.ORDER)}")
    bad = [w for w in wanted if not (w.isdigit() and w.zfill(2) in runner.ORDER)]
    if bad:
        listed = ", ".join(map(repr, bad))
        raise ValueError(f"--notebooks: no notebook {listed}; valid: {', '.join(runner.ORDER)}")
    return tuple(n for n in runner.ORDER if n in {w.zfill(2) for w in wanted})


# The run's own folders come from its flags: a --set would send a notebook elsewhere.
SET_BY_FLAGS = {
    "DATA_DIR": "--data or --source (--breeds-source for 08)",
    "SOURCE_DIR": "--source (--breeds-source for 08)",
    "BREEDS_SOURCE_DIR": "--breeds-source",
    "MODELS_DIR": "--run-dir",
    "RESULTS_DIR": "--run-dir",
    "CACHE_DIR": "--cache-dir",
}
# The smallest value a number works with (others: 0), and why.
SMALLEST = {
    "BATCH_SIZE": (1, "a batch holds at least one photo"),
    "EPOCHS": (1, "0 skips a route only in notebooks 05 and 06"),
    "IMAGE_SIZE": (32, "the smallest input of VGG-16"),
}
EPOCHS_ZERO_SKIPS = ("05", "06")  # their Setup: EPOCHS = 0 skips the route on photos
# keras.applications' smallest input for notebook 08's backbones (the others take 32).
SMALLEST_INPUT = {"inception_v3": (75, "InceptionV3"), "xception": (71, "Xception")}


def _type_problem(value: Any, default: Any) -> str | None:
    """Why ``value`` cannot replace a parameter whose default is ``default``, or None."""
    if default is None or value is None and isinstance(default, str):
        return None
    if isinstance(default, bool):  # "auto": let the notebook measure (MIXED_PRECISION)
        return None if isinstance(value, bool) or value == "auto" else "expects True or False"
    if isinstance(default, int | float):
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"expects a number like {default!r}"
        if isinstance(default, int) and not isinstance(value, int):
            return f"expects a whole number like {default!r}"
        return "must not be negative" if value < 0 else None
    if isinstance(default, str):
        return None if isinstance(value, str) else f"expects text like {default!r}"
    return None if isinstance(value, type(default)) else f"expects a {type(default).__name__}"


def _path_problem(name: str, value: Any, default: Any) -> str | None:
    """Why a path parameter (``*_DIR``, ``*_PATH``) cannot take ``value``, or None."""
    if not name.endswith(("_DIR", "_PATH")):
        return None
    if isinstance(value, str) and not value.strip():
        return "needs a path, not an empty one"
    if value is None and isinstance(default, str) and default:
        return f"needs a path like {default!r}, not None"
    return None


def _in_notebook(config: runner.RunConfig, number: str, name: str, base: Any) -> Any:
    """``name`` in notebook ``number``: profile and ``--set`` layered as runner.parameters_for
    does (a profile's value for one notebook wins over a ``--set`` for all)."""
    profile = runner.PROFILES[config.profile]
    value = base
    for scope in ("all", number):
        value = profile.get(scope, {}).get(name, value)
        value = config.overrides.get(scope, {}).get(name, value)
    return value


def _too_small(name: str, value: Any, number: str, config: runner.RunConfig) -> str | None:
    """Why a number is below what ``name`` works with in notebook ``number``, or None."""
    if name not in SMALLEST or isinstance(value, bool) or not isinstance(value, int):
        return None
    if name == "EPOCHS" and number in EPOCHS_ZERO_SKIPS:
        return None  # 0 skips the route there; negative values are refused before
    least, why = SMALLEST[name]
    if name == "IMAGE_SIZE" and number == "08":
        chosen = "vgg16" if config.weights else runner.notebook_defaults("08").get("BACKBONE")
        backbone = _in_notebook(config, "08", "BACKBONE", chosen)
        if backbone in SMALLEST_INPUT:
            least, network = SMALLEST_INPUT[backbone]
            why = f"the smallest input of {network}, its backbone"
    return f"must be {least} or more ({why})" if value < least else None


def check_overrides(config: runner.RunConfig) -> None:
    """Every ``--set`` names a parameter of a selected notebook with a value of its type and
    range; the run's folders come from their flags, never from ``--set``."""
    defaults = {n: runner.notebook_defaults(n) for n in config.notebooks}
    for scope, values in config.overrides.items():
        if scope != "all" and scope not in runner.ORDER:
            valid = ", ".join(runner.ORDER)
            raise ValueError(f"--set {scope}:…: no notebook {scope}; valid: {valid}")
        if scope != "all" and scope not in config.notebooks:
            raise ValueError(f"--set {scope}:…: notebook {scope} is not selected (--notebooks)")
        scopes = list(config.notebooks) if scope == "all" else [scope]
        known = sorted({name for n in scopes for name in defaults[n]})
        for name, value in values.items():
            if name in SET_BY_FLAGS:
                raise ValueError(
                    f"--set {name}: the run chooses {name}; use {SET_BY_FLAGS[name]} instead"
                )
            declaring = [n for n in scopes if name in defaults[n]]
            if not declaring:
                where = "the selected notebooks" if scope == "all" else f"notebook {scope}"
                raise ValueError(
                    f"--set {name}: {where} have no such parameter; valid: {', '.join(known)}"
                )
            for n in declaring:
                default = defaults[n][name]
                problem = _type_problem(value, default) or _path_problem(name, value, default)
                if not problem and _in_notebook(config, n, name, value) == value:
                    problem = _too_small(name, value, n, config)  # where the value arrives
                if problem:
                    raise ValueError(f"--set {name}={value!r}: {name} {problem} (notebook {n})")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = OneLineParser(
        prog="run_all.py", description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--profile", choices=sorted(runner.PROFILES), default="smoke")
    parser.add_argument(
        "--source",
        help="Kaggle Dogs vs. Cats train/ (or PetImages/); "
        "default: download PetImages (needs internet)",
    )
    parser.add_argument(
        "--data",
        help="your own images, one subfolder per class (runs 01-07, and 08 with 3+ classes)",
    )
    parser.add_argument(
        "--weights", help="a VGG-16 no-top weights .h5 (offline); default: imagenet"
    )
    parser.add_argument(
        "--breeds-source", help="Kaggle Dog Breed Identification train/ + labels.csv"
    )
    parser.add_argument("--mnist", help="a local mnist.npz (offline); default: keras download")
    parser.add_argument(
        "--run-dir",
        help="where to write: a new or empty folder (default: a new runs/<time>-<profile>)",
    )
    parser.add_argument("--cache-dir", help="feature cache shared by runs (default: cache/)")
    parser.add_argument("--notebooks", help="comma-separated numbers to run, e.g. 01,02,07")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="[NN:]NAME=VALUE",
        help="override a notebook parameter (repeatable)",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="rebuild a split that does not match this run (other source, sizes or seed, or "
        "its source's files changed)",
    )
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="empty a --run-dir an earlier run left (only a folder holding models/, results/, "
        "notebooks/, logs/...; a cache or data root kept there stays)",
    )
    parser.add_argument("--data-root", help="where splits are kept between runs (default: data/)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    parser.add_argument(
        "--no-site",
        action="store_true",
        help="no pages (default: a completed run writes <run>/site/index.html)",
    )
    return parser.parse_args(argv)


def config_from(args: argparse.Namespace) -> runner.RunConfig:
    overrides: dict[str, dict] = defaultdict(dict)
    for text in args.set:
        scope, name, value = parse_override(text)
        overrides[scope][name] = value
    return runner.RunConfig(
        profile=args.profile,
        run_dir=args.run_dir,
        source=args.source,
        own_data=args.data,
        weights=args.weights,
        breeds_source=args.breeds_source,
        mnist=args.mnist,
        cache_dir=args.cache_dir,
        notebooks=parse_notebooks(args.notebooks),
        overrides=dict(overrides),
        progress=not args.no_progress,
        force=args.force,
        data_root=args.data_root,
        overwrite=args.overwrite,
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # `kill` stops a run as Ctrl-C does: the notebook is recorded as interrupted, exit 130
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        return _run(args)
    except (DatasetError, ValueError) as err:
        return fail(str(err))
    except KeyboardInterrupt:
        return fail("interrupted", INTERRUPTED)
    except pm.PapermillExecutionError as err:
        where = getattr(err, "executed_notebook", "a notebook")
        print(f"\n{err.source}\n{err.ename}: {err.evalue}", file=sys.stderr)
        return fail(f"notebook failed: {where}, cell [{err.exec_count}]", FAILED)
    except OSError as err:  # a full disk, a read-only run folder...
        where = f": {err.filename}" if err.filename else ""
        return fail(f"the run stopped: {err.strerror or err}{where}", FAILED)
    finally:
        signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)


def _run(args: argparse.Namespace) -> int:
    config = config_from(args)
    check_overrides(config)  # every check before anything is written
    run_dir, rows = runner.run(config)
    print("\n" + pd.DataFrame(rows).to_string(index=False))
    table = runner.results_table(run_dir)
    if table:
        print("\nResults (notebook 07):\n" + table)
    print(f"\nEverything was written to {run_dir}")
    if not args.no_site:  # the executed course as pages (also: python build_site.py RUN_DIR)
        print(f"Read it in a browser: {build_site.build_site(run_dir)}")
    return OK


if __name__ == "__main__":
    sys.exit(main())
