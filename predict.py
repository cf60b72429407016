#!/usr/bin/env python
"""Classify image files with a model saved by this course (.h5 + .json sidecar).

    python predict.py --model models/cats_dogs_tlearn_finetune_img_aug_cnn.h5 photo.jpg folder/
    python predict.py --model models/MODEL.h5 photos/ --top 5 --csv predictions.csv
    python predict.py --model models/MODEL.h5 "shots/**/*.jpg" @more.txt --json -

Any model the notebooks saved in ``models/`` works (its ``.json`` sidecar beside it gives the
class names and the input size, and is checked against the model), for instance notebook 08's
dog-breed model with ``--top 5``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # keep TensorFlow's start-up chatter quiet

import pandas as pd  # noqa: E402  (light: no TensorFlow yet)

from utils.image_files import MAX_PIXELS  # noqa: E402
from utils.predict import (  # noqa: E402
    ModelError,
    collect_images,
    file_lists,
    load_for_prediction,
    shown,
)

EPILOG = """\
Inputs: image files (kept whatever their extension), folders (searched recursively for
.jpg .jpeg .png .bmp .gif in any case; hidden files and folders are left out), globs in
quotes ("photos/*.jpg", "photos/**/*.png": expanded here, not by the shell) and file lists
(@list.txt: one path, folder or glob a line; # starts a comment; @- reads standard input).

Each image is read as the training pipelines read it, turned upright first when its EXIF
orientation says it was taken on its side (as build_dataset.py does). Images over {limit}
megapixels (the split builder's limit), empty, corrupt and non-image files are reported on
standard error, one line each ("skipped FILE: reason"), and the others are still classified.

Output: a table on standard output (file, class, probability and, with --top K, the next
K-1 classes). --csv and --json write one row per file: file, class, probability, then
class_2, probability_2 ... (CSV) or "top": [{"class", "probability"}, ...] (JSON). "-" means
standard output (the table is then not printed). They refuse a folder, an input file, the
model and its sidecar.

Exit codes: 0 at least one image classified; 1 none could be; 2 bad arguments, or a model
that is missing, cannot be loaded or disagrees with its sidecar (one "error:" line).
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
    """CSV text: ``file, class, probability, class_2, probability_2, ...``."""
    return table.to_csv(index=False, lineterminator="\n")


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
    return json.dumps(records, indent=2, ensure_ascii=False) + "\n"


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


class OneLineParser(argparse.ArgumentParser):
    """Bad arguments end with one ``error:`` line (and ``--help`` for more), exit code 2."""

    def error(self, message: str):
        self.exit(2, f"error: {self.prog}: {message} (see --help)\n")


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


def fail(message: str) -> int:
    """Print one ``error:`` line; the exit code for a refusal."""
    print(f"error: {message}", file=sys.stderr)
    return 2


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

    from utils.predict import predict_files

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
        print("error: no image could be predicted", file=sys.stderr)
        return 1
    for option, target in outputs:  # the files first: a closed pipe must not lose them
        try:
            write_output(as_csv(table) if option == "--csv" else as_json(table), target, option[2:])
        except OSError as err:
            return fail(f"cannot write {shown(target)} ({err.strerror or err})")
        if target != "-":
            print(f"wrote {len(table)} predictions to {shown(target)}", file=sys.stderr)
    if all(target != "-" for _, target in outputs):
        print(format_table(table))
    return 0


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
        return 128 + signal.SIGPIPE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(run())
