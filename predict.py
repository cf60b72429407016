"""Classify image files with a saved model.

    python predict.py --model models/cats_dogs_tlearn_finetune_img_aug_cnn.h5 photo.jpg folder/
    python predict.py --model models/MODEL.h5 photos/ --top 5 --csv predictions.csv

Any model the notebooks saved in ``models/`` works (its ``.json`` sidecar beside it gives the
class names and the input size), for instance notebook 08's dog-breed model with ``--top 5``.

Every image in the paths (files, or folders searched recursively for .jpg .jpeg .png .bmp .gif)
gets its class and probability — the top K classes with ``--top K``. The table goes to stdout
and, with ``--csv``, to a CSV file. Unreadable files are reported on stderr and skipped.
Exit codes: 0 done, 1 nothing could be predicted, 2 the model is missing or cannot be loaded.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # keep TensorFlow's start-up chatter quiet

from utils.predict import one_line, quiet_native_stderr  # noqa: E402  (light: no TensorFlow yet)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Classify images with a model saved by this course (.h5 + .json sidecar)."
    )
    parser.add_argument("--model", required=True, help="saved model (.h5), sidecar beside it")
    parser.add_argument("paths", nargs="+", help="image files or folders (searched recursively)")
    parser.add_argument("--csv", help="also write the predictions to this CSV file")
    parser.add_argument("--top", type=int, default=1, help="how many classes per image (top K)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument(
        "--no-progress", action="store_true", help="no progress bar, however many files"
    )
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.top < 1:
        print("error: --top must be at least 1", file=sys.stderr)
        return 2
    if not Path(args.model).is_file():  # before importing TensorFlow: fast and quiet
        print(f"error: no model at {args.model}", file=sys.stderr)
        return 2

    try:
        with quiet_native_stderr():
            from tqdm.auto import tqdm

            from utils.predict import collect_images, predict_files
            from utils.saving import load_model

            model, info = load_model(args.model)
        class_names = list(info["class_names"])
        image_size = info.get("image_size") or list(model.input_shape[1:3])
    except Exception as err:  # any failure to load gets the same answer
        print(f"error: cannot load model {args.model}: {one_line(err)}", file=sys.stderr)
        return 2

    files, problems = collect_images(args.paths)
    for path, reason in problems:
        print(f"skipped {path}: {reason}", file=sys.stderr)

    def report(path: str, reason: str) -> None:
        tqdm.write(f"skipped {path}: {reason}", file=sys.stderr)  # above the progress bar

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
    with_floats = {c: "{:.4f}".format for c in table.columns if c.startswith("probability")}
    print(table.to_string(index=False, formatters=with_floats))
    if args.csv:
        Path(args.csv).parent.mkdir(parents=True, exist_ok=True)
        table.to_csv(args.csv, index=False)
        print(f"wrote {len(table)} predictions to {args.csv}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
