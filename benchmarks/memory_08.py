#!/usr/bin/env python
"""Peak memory of notebook 08's streaming route for the dog-breed split and for K times as many
images (the same files listed K times), each measured in a fresh process.

    python benchmarks/memory_08.py --data-dir data/dog-breeds \\
        --weights ../shared/weights/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5 \\
        --backbone vgg16 --times 1 10

Every run is a child process doing, over the split's file lists repeated ``K`` times:

1. **stream**: one full pass over the training pipeline (shuffled, augmented) and over the
   validation and test pipelines, as notebook 08 builds them (its augmentation and model are
   read from the notebook's own cells, so the two cannot drift apart): every one of the
   ``K x n`` images is read, decoded, resized (and augmented for training);
2. **fit**: the notebook's model (frozen backbone, pooling, Dense 512 x 2 head, Adam) trained
   for one epoch on the training stream with validation, both capped at
   ``--train-steps`` / ``--val-steps`` batches;
3. **predict**: the test stream through the model, capped at ``--test-steps`` batches, and the
   metrics computed from the predictions.

The caps keep the model's share of the work the same at 1x and 10x (by default one full epoch
and one full evaluation of the 1,000-photo sample; 10x uncapped would be 10,000 VGG-16 passes,
about half an hour per run on two CPU cores). What could grow with the number of images (the
file lists, the shuffle buffer of file names, the pipelines' buffers) is all exercised by the
uncapped stream pass and is in place while the model runs. Each child reports its peak resident
memory (``resource.getrusage(RUSAGE_SELF).ru_maxrss``) after every stage; the parent prints a
table and the 10x / 1x ratio, and writes it all as JSON.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
NOTEBOOK = ROOT / "notebooks" / "08_dog_breeds.py"


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--data-dir", default=str(ROOT / "data" / "dog-breeds"))
    p.add_argument("--backbone", default="vgg16", help="a name in utils.pretrained.BACKBONES")
    p.add_argument("--weights", default="imagenet", help='"imagenet", a file, or "none"')
    p.add_argument("--image-size", type=int, default=None, help="default: the backbone's")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--times", type=int, nargs="+", default=[1, 10])
    p.add_argument("--train-steps", type=int, default=18, help="cap on training batches")
    p.add_argument("--val-steps", type=int, default=4, help="cap on validation batches")
    p.add_argument("--test-steps", type=int, default=10, help="cap on test batches")
    p.add_argument("--out", default=str(ROOT / "results" / "memory_08.json"))
    p.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    return p.parse_args(argv)


def peak_rss_mib() -> float:
    """This process's peak resident memory so far (``ru_maxrss``), in MiB."""
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10  # bytes on macOS


def from_notebook(marker: str, namespace: dict, only: str | None = None) -> dict:
    """Run notebook 08's code cell containing ``marker`` (or only its statement assigning
    ``only``) in ``namespace`` and return it: the script measures what the notebook builds,
    read from the notebook itself rather than copied here."""
    import jupytext

    cells = jupytext.read(NOTEBOOK).cells
    (source,) = [c.source for c in cells if c.cell_type == "code" and marker in c.source]
    tree = ast.parse(source)
    if only is not None:
        tree.body = [
            statement
            for statement in tree.body
            if isinstance(statement, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == only for t in statement.targets)
        ]
    exec(compile(tree, f"{NOTEBOOK.name}: cell with {marker!r}", "exec"), namespace)
    return namespace


def notebook_model(backbone: str, weights, size: int, class_names: list[str]):
    """Notebook 08's model (its cell "The model": backbone preprocessing, frozen pooled base,
    the book's head), compiled with the notebook's optimizer and loss."""
    import keras
    import tensorflow as tf

    from utils import pretrained

    with contextlib.redirect_stdout(io.StringIO()):  # the cell's own printout
        cell = from_notebook(
            "base = pretrained.constructor(BACKBONE)(",
            {
                "keras": keras,
                "pretrained": pretrained,
                "BACKBONE": backbone,
                "WEIGHTS": weights,
                "image_size": size,
                "class_names": class_names,
                "NAME": f"dog_breeds_{backbone}",
                "strategy": tf.distribute.get_strategy(),  # DISTRIBUTE = None
            },
        )
    model = cell["model"]
    model.compile(
        optimizer=keras.optimizers.Adam(1e-4),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def child(args: argparse.Namespace) -> dict:
    """One measurement at ``args.child`` times the images; returns what it saw."""
    import keras
    import numpy as np

    from utils import augment, data, evaluation, pretrained

    report: dict = {"times": args.child, "stages": {}}
    start = time.perf_counter()

    def stage(name: str, **facts) -> None:
        report["stages"][name] = {
            "peak_rss_mib": round(peak_rss_mib(), 1),
            "seconds": round(time.perf_counter() - start, 1),
            **facts,
        }

    keras.utils.set_random_seed(42)
    size = args.image_size or pretrained.backbone(args.backbone).default_size
    names = data.class_names(Path(args.data_dir) / "train")
    # notebook 08's augmentation (the book's dog-breed settings), from its own cell
    augmenter = from_notebook(
        "augmenter = augment.book_augmentation(", {"augment": augment, "SEED": 42}, "augmenter"
    )["augmenter"]
    pipelines = {}
    counts = {}
    for split in data.SPLITS:
        paths, labels, _ = data.list_images(Path(args.data_dir) / split, names)
        paths, labels = list(paths) * args.child, np.tile(labels, args.child)  # K times the files
        counts[split] = len(paths)
        training_split = split == "train"
        pipelines[split] = data.image_dataset(
            paths,
            labels,
            (size, size),
            args.batch_size,
            shuffle=training_split,
            seed=42,
            augment=augmenter if training_split else None,
        )
    report["images"] = counts
    stage("setup")

    t = time.perf_counter()
    seen = {split: sum(int(y.shape[0]) for _, y in ds) for split, ds in pipelines.items()}
    assert seen == counts, (seen, counts)
    stream_seconds = time.perf_counter() - t
    stage(
        "stream", images=sum(seen.values()), images_per_second=sum(seen.values()) / stream_seconds
    )

    weights = None if args.weights.lower() == "none" else args.weights
    model = notebook_model(args.backbone, weights, size, names)
    t = time.perf_counter()
    history = model.fit(
        pipelines["train"],
        validation_data=pipelines["validation"],
        epochs=1,
        verbose=0,
        steps_per_epoch=args.train_steps,
        validation_steps=args.val_steps,
    )
    fit_seconds = time.perf_counter() - t
    last = {k: round(float(v[-1]), 4) for k, v in history.history.items()}
    stage("fit", fit_seconds=round(fit_seconds, 1), **last)

    test = pipelines["test"].take(args.test_steps)
    y_true = np.concatenate([y.numpy() for _, y in test])
    proba = model.predict(test.map(lambda x, y: x), verbose=0)
    scores = evaluation.get_metrics(y_true, proba.argmax(axis=1))
    stage("predict", test_images=len(y_true), **{k: round(v, 4) for k, v in scores.items()})
    report["peak_rss_mib"] = round(peak_rss_mib(), 1)
    return report


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.child is not None:
        print("RESULT " + json.dumps(child(args)))
        return 0
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
    results = []
    for k in args.times:
        cmd = [sys.executable, __file__, *(argv or sys.argv[1:]), "--child", str(k)]
        t = time.perf_counter()
        done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
        if done.returncode:
            print(done.stderr[-3000:], file=sys.stderr)
            return done.returncode
        line = next(x for x in done.stdout.splitlines() if x.startswith("RESULT "))
        result = json.loads(line[len("RESULT ") :])
        result["wall_seconds"] = round(time.perf_counter() - t, 1)
        results.append(result)
        stages = "  ".join(f"{n} {s['peak_rss_mib']:.0f}" for n, s in result["stages"].items())
        print(
            f"{k:>3}x: {sum(result['images'].values()):>6} images  peak RSS "
            f"{result['peak_rss_mib']:.0f} MiB  (after {stages})  {result['wall_seconds']} s",
            flush=True,
        )
    summary = {"command": " ".join([Path(sys.executable).name, *sys.argv]), "runs": results}
    if len(results) >= 2:
        ratio = results[-1]["peak_rss_mib"] / results[0]["peak_rss_mib"]
        summary["ratio_last_to_first"] = round(ratio, 3)
        print(f"peak RSS {results[-1]['times']}x / {results[0]['times']}x = {ratio:.3f}")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(summary, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
