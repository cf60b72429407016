"""Run the whole course study in one command: build the split, execute every notebook in order.

    python run_all.py --profile smoke --source ../shared/data/dogs-vs-cats/train \\
        --weights ../shared/weights/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5

Profiles: ``smoke`` (tiny, minutes), ``cpu`` (real data, CPU-friendly epochs and cached
features), ``book`` (the book's epochs, for a GPU). ``--set NAME=VALUE`` overrides a parameter
in every notebook that has it, ``--set 05:NAME=VALUE`` in one. ``--data DIR`` runs notebooks
01-07 on your own images (one subfolder per class), and 08 when they have 3 or more classes.
A run that completes writes its pages (``<run>/site/index.html``); a failed run stops at the
failing cell and writes none.
"""

from __future__ import annotations

import argparse
import ast
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


def check_overrides(config: runner.RunConfig) -> None:
    """Every ``--set`` names a parameter of a selected notebook with a value of its type."""
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
            declaring = [n for n in scopes if name in defaults[n]]
            if not declaring:
                where = "the selected notebooks" if scope == "all" else f"notebook {scope}"
                raise ValueError(
                    f"--set {name}: {where} have no such parameter; valid: {', '.join(known)}"
                )
            for n in declaring:
                problem = _type_problem(value, defaults[n][name])
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
    parser.add_argument("--run-dir", help="where to write (default: runs/<time>-<profile>)")
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
        "--force", action="store_true", help="rebuild a split that does not match this run"
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
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        config = config_from(args)
        check_overrides(config)  # every check before anything is written
        run_dir, rows = runner.run(config)
    except (DatasetError, ValueError) as err:
        return fail(str(err))
    except KeyboardInterrupt:
        return fail("interrupted", INTERRUPTED)
    except pm.PapermillExecutionError as err:
        where = getattr(err, "executed_notebook", "a notebook")
        print(f"\n{err.source}\n{err.ename}: {err.evalue}", file=sys.stderr)
        return fail(f"notebook failed: {where}, cell [{err.exec_count}]", FAILED)
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
