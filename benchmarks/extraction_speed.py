"""How fast does VGG-16 turn photos into bottleneck features on this machine?

The engineering behind notebook 04, kept out of the lesson. For each precision (float32, and
mixed_bfloat16: float32 weights, bfloat16 arithmetic) it measures, on the same photos:

- ``streamed_img_s``: photos per second of ``extractor.predict`` on a ``tf.data`` pipeline
  reading, decoding and resizing the files (what notebook 04 does);
- ``arrays_img_s``: photos per second of ``extractor.predict`` on the same photos already decoded
  in memory. ``streamed / arrays`` near 1 means the input pipeline keeps the model busy;
- ``max_abs_diff`` / ``mean_rel_diff``: how far the features are from float32's;
- ``cache_first_s`` / ``cache_hit_s``: ``cache.predict`` on the decoded photos the first time
  (computed and saved) and the second (loaded back), against ``arrays``' plain ``predict``.

Whether bfloat16 is faster depends on the CPU (or GPU): run it on yours. Examples::

    python benchmarks/extraction_speed.py --weights path/to/vgg16_..._notop.h5
    python benchmarks/extraction_speed.py --images 64 --image-size 64 --weights none \
        --out results/extraction_speed.csv
"""

from __future__ import annotations

import argparse
import functools
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="VGG-16 feature extraction speed: streamed vs arrays, float32 vs bfloat16.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--data-dir",
        default=str(ROOT / "data" / "cats-vs-dogs" / "train"),
        help="a split folder with one subfolder per class (the photos to extract)",
    )
    parser.add_argument("--images", type=int, default=300, help="number of photos timed")
    parser.add_argument("--image-size", type=int, default=150)
    parser.add_argument("--batch-size", type=int, default=30)
    parser.add_argument(
        "--weights",
        default="imagenet",
        help='"imagenet" (offline lookup, see utils/pretrained.py), a .h5 path, or "none"',
    )
    parser.add_argument(
        "--precisions",
        nargs="+",
        default=["float32", "mixed_bfloat16"],
        choices=["float32", "mixed_bfloat16", "mixed_float16"],
    )
    parser.add_argument("--repeats", type=int, default=1, help="timed runs; the best is kept")
    parser.add_argument("--out", default=None, help="also write the table to this CSV file")
    return parser.parse_args(argv)


def best_seconds(fn, repeats: int) -> float:
    times = []
    for _ in range(max(1, repeats)):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main(argv: list[str] | None = None):
    args = parse_args(argv)
    import keras
    import numpy as np
    import pandas as pd

    from utils import cache, data, pretrained

    paths, labels, _ = data.list_images(args.data_dir)
    paths, labels = paths[: args.images], labels[: args.images]
    size = (args.image_size, args.image_size)
    shape = (*size, 3)
    weights = pretrained.weights_file("vgg16", None if args.weights == "none" else args.weights)
    arrays = data.read_images(paths, args.image_size, raw=True)
    float32_weights = None
    reference = None
    rows = []
    for precision in args.precisions:
        keras.mixed_precision.set_global_policy(precision)
        try:
            base = keras.applications.VGG16(include_top=False, weights=None, input_shape=shape)
        finally:
            keras.mixed_precision.set_global_policy("float32")
        if float32_weights is None:  # random weights: the same ones for every precision
            loaded = keras.applications.VGG16(include_top=False, weights=weights, input_shape=shape)
            float32_weights = loaded.get_weights()
        base.set_weights(float32_weights)
        extractor = keras.Sequential(
            [keras.Input(shape=shape), pretrained.preprocessing_layer("vgg16"), base]
        )
        extractor.predict(arrays[: args.batch_size], verbose=0)  # build and trace once

        def streamed(extractor=extractor):
            ds = data.image_dataset(paths, labels, size, args.batch_size)
            return extractor.predict(ds, verbose=0)

        features = np.asarray(streamed(), dtype="float32")
        streamed_s = best_seconds(streamed, args.repeats)
        arrays_s = best_seconds(
            lambda extractor=extractor: extractor.predict(
                arrays, batch_size=args.batch_size, verbose=0
            ),
            args.repeats,
        )
        if reference is None:
            reference = features
        with tempfile.TemporaryDirectory() as tmp:  # cache.predict on the decoded photos
            once = functools.partial(cache.predict, extractor, arrays, "bench", tmp)
            first_s = best_seconds(once, 1)  # computed and saved
            hit_s = best_seconds(once, args.repeats)  # loaded
        diff = np.abs(features - reference)
        rows.append(
            {
                "precision": precision,
                "images": len(paths),
                "streamed_s": round(streamed_s, 3),
                "streamed_img_s": round(len(paths) / streamed_s, 2),
                "arrays_img_s": round(len(paths) / arrays_s, 2),
                "streamed_over_arrays": round(arrays_s / streamed_s, 3),
                "max_abs_diff": float(diff.max()),
                "mean_rel_diff": float(diff.mean() / (np.abs(reference).mean() + 1e-12)),
                "cache_first_s": round(first_s, 4),
                "cache_hit_s": round(hit_s, 4),
            }
        )
    table = pd.DataFrame(rows).set_index("precision")
    table["speedup_vs_first"] = (table["streamed_img_s"] / table["streamed_img_s"].iloc[0]).round(3)
    print(
        f"VGG-16 features of {len(paths)} photos at {args.image_size} px, "
        f"batch {args.batch_size}, weights {args.weights}"
    )
    print(table.to_string())
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        table.to_csv(args.out)
    return table


if __name__ == "__main__":
    main()
