#!/usr/bin/env python
"""Build reproducible train/validation/test image folders (see utils/dataset_builder.py).

    python build_dataset.py cats-vs-dogs --source DIR --out DIR [--train 1500] ...
    python build_dataset.py dog-breeds --source DIR --labels CSV --out DIR ...
    python build_dataset.py folders --source DIR --out DIR [--test-size F] ...

Bad input prints one line ``error: ...`` on stderr and exits with code 2, writing nothing.
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Sequence

from cli import INTERRUPTED, OK, OneLineParser, fail
from utils import SEED
from utils.dataset_builder import build_cats_vs_dogs, build_dog_breeds, build_folders
from utils.split_folder import DatasetError

EPILOG = """\
Output: OUT/{train,validation,test}/<class>/<original file name>, OUT/manifest.csv
(split,class,file) and OUT/skipped.csv (file,reason). Every image is decoded first; empty,
truncated, corrupt, non-image, non-JPEG/PNG/BMP/GIF files and unsupported extensions are
skipped with a reason. The split is built in a temporary folder next to OUT and moved into
place at the end. An existing OUT is an error (exit 2) unless --force, which replaces it
only once the new split is complete (and only if it was built by this script).
"""

FRACTIONS_HELP = """\
Fractional splits are per class (stratified by construction): a class's files are sorted,
shuffled with the seed, then n_test = round(n * test_size), n_validation =
round((n - n_test) * validation_size) (validation is a fraction of what is left after test),
with train >= 1 always, test >= 1 when a class has >= 2 images and validation >= 1 when it
has >= 3. So a class with 1 image is train only, 2 images: train + test, 3: one of each.
"""


def _fraction(text: str) -> float:
    """argparse type: a float in [0, 1)."""
    value = float(text)
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"must be in [0, 1), got {text}")
    return value


def _count(text: str) -> int:
    """argparse type: an integer >= 0."""
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return value


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    fmt = argparse.RawDescriptionHelpFormatter
    parser = OneLineParser(description=__doc__, epilog=EPILOG, formatter_class=fmt)
    sub = parser.add_subparsers(dest="command", required=True)

    common = OneLineParser(add_help=False)
    common.add_argument("--out", required=True, help="output folder (must not exist, or --force)")
    common.add_argument("--seed", type=_count, default=SEED, help="shuffling seed (default 42)")
    common.add_argument(
        "--force", action="store_true", help="replace an existing OUT built by this script"
    )
    common.add_argument("--no-progress", action="store_true", help="no progress bars")

    cvd = sub.add_parser(
        "cats-vs-dogs",
        parents=[common],
        formatter_class=fmt,
        help="the book's cats-vs-dogs split (fixed counts per class)",
        description="Kaggle's flat train/ (cat.N.jpg, dog.N.jpg) or PetImages/{Cat,Dog}. Per "
        "class, files are sorted, shuffled with the seed, and the first TRAIN+VALIDATION+TEST "
        "that decode are taken.",
    )
    cvd.add_argument(
        "--source",
        help="Kaggle train/ or PetImages folder; without it PetImages is downloaded "
        "($PETIMAGES_URL overrides the URL) into --cache-dir",
    )
    cvd.add_argument("--cache-dir", help="download cache (default <repo>/cache)")
    cvd.add_argument("--train", type=_count, default=1500, help="per class (default 1500)")
    cvd.add_argument("--validation", type=_count, default=500, help="per class (default 500)")
    cvd.add_argument("--test", type=_count, default=500, help="per class (default 500)")

    dogs = sub.add_parser(
        "dog-breeds",
        parents=[common],
        formatter_class=fmt,
        help="Kaggle dog breeds (train/<id>.jpg + labels.csv), stratified",
        description="Kaggle's dog-breed images split per breed like the book.\n\n"
        + FRACTIONS_HELP
        + "\nlabels.csv needs columns id,breed and unique ids without path separators or '..'.\n"
        "Listed files that are missing are skipped with a warning (an error if none exists);\n"
        "images not in labels.csv are skipped.",
    )
    dogs.add_argument("--source", required=True, help="folder holding train/ (or the images)")
    dogs.add_argument("--labels", help="labels.csv (default SOURCE/labels.csv)")
    dogs.add_argument("--test-size", type=_fraction, default=0.3, help="default 0.3")
    dogs.add_argument(
        "--validation-size", type=_fraction, default=0.15, help="of the rest (default 0.15)"
    )

    folders = sub.add_parser(
        "folders",
        parents=[common],
        formatter_class=fmt,
        help="your own images, one subfolder per class, split by fractions",
        description="One subfolder per class; only files directly in a class folder are used.\n\n"
        + FRACTIONS_HELP,
    )
    folders.add_argument("--source", required=True, help="folder with one subfolder per class")
    folders.add_argument("--test-size", type=_fraction, default=0.2, help="default 0.2")
    folders.add_argument(
        "--validation-size", type=_fraction, default=0.2, help="of the rest (default 0.2)"
    )
    return parser.parse_args(argv)


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    """Run the builder; return the exit code (0, 2 on bad input, 130 when interrupted)."""
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)  # `kill` ends a build like Ctrl-C: nothing written
    common = dict(out=args.out, seed=args.seed, force=args.force, progress=not args.no_progress)
    try:
        if args.command == "cats-vs-dogs":
            summary = build_cats_vs_dogs(
                source=args.source,
                train=args.train,
                validation=args.validation,
                test=args.test,
                cache_dir=args.cache_dir,
                **common,
            )
        elif args.command == "dog-breeds":
            summary = build_dog_breeds(
                source=args.source,
                labels=args.labels,
                test_size=args.test_size,
                validation_size=args.validation_size,
                **common,
            )
        else:
            summary = build_folders(
                source=args.source,
                test_size=args.test_size,
                validation_size=args.validation_size,
                **common,
            )
    except DatasetError as exc:
        return fail(str(exc))
    except OSError as exc:  # a full disk, a read-only folder, a name too long...
        where = f": {exc.filename}" if exc.filename else ""
        return fail(f"cannot write the split ({exc.strerror or exc}){where}")
    except KeyboardInterrupt:
        return fail("interrupted; nothing was written", INTERRUPTED)
    print(summary.report())
    return OK


if __name__ == "__main__":
    sys.exit(main())
