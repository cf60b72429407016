#!/usr/bin/env python
"""Reproduce BENCHMARKS.md: a real run of the ``cpu`` profile, then its figures as Markdown.

    python benchmarks/cpu_profile.py --source ../shared/data/dogs-vs-cats/train \\
        --weights ../shared/weights/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5 \\
        --breeds-source ../shared/data/dog-breeds --mnist ../shared/data/mnist/mnist.npz

Runs ``run_all.py --profile cpu`` into ``runs/benchmark-cpu`` (or ``--run-dir``), then the
memory benchmark of notebook 08 (``benchmarks/memory_08.py``, 1x and 10x images), and writes
``BENCHMARKS.md`` from the tables the notebooks saved. ``--report-only`` rewrites the Markdown
from an existing run folder.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from utils import runner  # noqa: E402


def machine() -> str:
    """One line describing this machine and the libraries."""
    import tensorflow as tf

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{os.cpu_count()} CPU cores ({cpu}), {mem:.0f} GiB RAM, no GPU; Python "
        f"{platform.python_version()}, TensorFlow {tf.__version__}"
    )


def run_profile(args: argparse.Namespace, run_dir: Path) -> pd.DataFrame:
    """Execute every notebook with the cpu profile; a row per notebook with its wall time."""
    config = runner.RunConfig(
        profile="cpu",
        run_dir=run_dir,
        source=args.source,
        weights=args.weights,
        breeds_source=args.breeds_source,
        mnist=args.mnist,
        cache_dir=str(run_dir / "cache"),  # cold in a new run folder: extraction is measured
        force=True,  # a split built from another source or with other sizes is rebuilt
        overwrite=True,  # an earlier benchmark's outputs go (its cache stays)
        notebooks=tuple(args.notebooks.split(",")) if args.notebooks else runner.ORDER,
    )
    _, rows = runner.run(config)
    table = pd.DataFrame(rows)
    table.to_csv(run_dir / "results" / "notebook_times.csv", index=False)
    return table


def run_memory(args: argparse.Namespace, run_dir: Path) -> None:
    """Notebook 08's peak memory at 1x and 10x images, each in a fresh process."""
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "memory_08.py"),
            "--data-dir",
            str(ROOT / "data" / "dog-breeds"),
            "--backbone",
            "vgg16",
            "--weights",
            args.weights,
            "--times",
            "1",
            "10",
            "--out",
            str(run_dir / "results" / "memory_08.json"),
        ],
        check=True,
    )


def _md(frame: pd.DataFrame, index: bool = False) -> str:
    return frame.to_markdown(index=index, floatfmt=".3f")


def _read(path: Path) -> pd.DataFrame | None:
    if not path.is_file():
        return None
    return pd.read_csv(path, dtype={"notebook": str}).rename(columns={"Unnamed: 0": ""})


def load() -> str:
    """The 1, 5 and 15-minute load averages (``uptime``): a benchmark wants them near 0."""
    return " / ".join(f"{v:.2f}" for v in os.getloadavg())


def scores(run_dir: Path) -> pd.Series:
    """Validation (04, 05, 06) and test (07) accuracies of one run folder, by row name."""
    results, found = run_dir / "results", {}
    for name, column in [
        ("04_vgg16_feature_extractor.csv", "validation_accuracy"),
        ("05_vgg16_augmentation_routes.csv", "validation_accuracy"),
        ("06_vgg16_fine_tuning.csv", "best_epoch_val_accuracy"),
        ("07_model_evaluation.csv", "accuracy"),
    ]:
        if (frame := _read(results / name)) is not None:
            split = "test" if name.startswith("07") else "validation"
            for row in frame.itertuples(index=False):
                found[f"{row[0]} ({name[:2]}, {split})"] = getattr(row, column)
    return pd.Series(found, dtype=float)


def compare(baseline: Path, run_dir: Path) -> pd.DataFrame:
    """The accuracies of two run folders side by side (e.g. two image sizes)."""
    both = pd.DataFrame({baseline.name: scores(baseline), run_dir.name: scores(run_dir)})
    return both.rename_axis("model (notebook, split)").reset_index()


def report(
    run_dir: Path, command: str, total_seconds: float | None, loads=None, baseline=None
) -> str:
    """BENCHMARKS.md from the results a cpu-profile run folder holds."""
    results = run_dir / "results"
    out = [
        "# Benchmarks",
        "",
        "Written by `benchmarks/cpu_profile.py` from a real run of the `cpu` profile on the real "
        "Kaggle photos (1,500 / 500 / 500 per class) with the real ImageNet VGG-16 weights.",
        "",
        f"- Machine: {machine()}",
        f"- Command: `{command}`",
        f"- Date: {time.strftime('%Y-%m-%d')}",
    ]
    if total_seconds:
        out.append(f"- Total wall time: {total_seconds / 60:.1f} min")
    if loads:
        out.append(f"- Load average (1 / 5 / 15 min) before: {loads[0]}; after: {loads[1]}")
    times = _read(results / "notebook_times.csv")
    if times is not None:
        times["minutes"] = times["seconds"] / 60
        out += ["", "## Wall time per notebook", "", _md(times[["notebook", "status", "minutes"]])]
        minutes = times.set_index("notebook")["minutes"]
        case_study = minutes[[f"{n:02d}" for n in range(1, 8) if f"{n:02d}" in minutes.index]]
        book = minutes[[f"{n:02d}" for n in range(10) if f"{n:02d}" in minutes.index]]
        out.append(
            f"\nAll notebooks: {minutes.sum():.1f} min; the cats-vs-dogs case study "
            f"(01-07): {case_study.sum():.1f} min; the book's notebooks (00-09): "
            f"{book.sum():.1f} min."
        )
    table = _read(results / "07_model_evaluation.csv")
    if table is not None:
        out += ["", "## Cats vs dogs: every model on the test photos (notebook 07)", ""]
        out.append(_md(table))
    for name, title in [
        ("02_cnn_from_scratch_summary.csv", "From scratch, validation (notebook 02)"),
        ("04_vgg16_feature_extractor.csv", "Frozen VGG-16 features, validation (notebook 04)"),
        ("04_preprocessing_comparison.csv", "Preprocessing: VGG-16's own vs x/255 (notebook 04)"),
        ("05_vgg16_augmentation_routes.csv", "Augmentation routes (notebook 05)"),
        ("06_vgg16_fine_tuning.csv", "Fine-tuning (notebook 06)"),
        ("09_negative_transfer_variants.csv", "Negative transfer on MNIST 8 vs 6 (notebook 09)"),
        ("11_keras_blog_2016.csv", "The 2016 Keras blog post's recipe, validation (notebook 11)"),
    ]:
        frame = _read(results / name)
        if frame is not None:
            out += ["", f"## {title}", "", _md(frame)]
    for breeds in sorted(results.glob("dog_breeds_*_test_metrics.csv")):
        out += ["", f"## Dog breeds ({breeds.stem})", "", _md(_read(breeds))]
    if baseline:
        out += ["", f"## This run against `{baseline.name}` (another run folder)", ""]
        out.append(_md(compare(baseline, run_dir)))
    memory = results / "memory_08.json"
    if memory.is_file():
        runs = json.loads(memory.read_text())["runs"]
        rows = [
            {
                "images": f"{r['times']}x ({sum(r['images'].values()):,})",
                "peak RSS MiB": max(s["peak_rss_mib"] for s in r["stages"].values()),
            }
            for r in runs
        ]
        out += ["", "## Notebook 08 peak memory (streaming)", "", _md(pd.DataFrame(rows))]
    return "\n".join(out) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--source", required=True)
    parser.add_argument("--weights", required=True)
    parser.add_argument("--breeds-source")
    parser.add_argument("--mnist")
    parser.add_argument("--run-dir", default=str(ROOT / "runs" / "benchmark-cpu"))
    parser.add_argument("--notebooks", help="comma-separated numbers (default: all), e.g. 01,07")
    parser.add_argument("--report-only", action="store_true")
    parser.add_argument("--out", default=str(ROOT / "BENCHMARKS.md"))
    parser.add_argument("--baseline", help="another run folder to compare accuracies with")
    args = parser.parse_args()
    run_dir = Path(args.run_dir).resolve()
    total = loads = None
    if not args.report_only:
        before = load()
        start = time.perf_counter()
        run_profile(args, run_dir)
        total = time.perf_counter() - start
        loads = (before, load())
        if args.breeds_source:
            run_memory(args, run_dir)
    command = "python benchmarks/cpu_profile.py " + " ".join(sys.argv[1:])
    baseline = Path(args.baseline).resolve() if args.baseline else None
    Path(args.out).write_text(report(run_dir, command, total, loads, baseline))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
