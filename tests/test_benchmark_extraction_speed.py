"""benchmarks/extraction_speed.py: its command line, and a tiny run on random weights."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT

SCRIPT = ROOT / "benchmarks" / "extraction_speed.py"


def test_help_runs():
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--help"], capture_output=True, text=True, check=True
    )
    assert "--precisions" in done.stdout and "streamed" in done.stdout


def test_tiny_run(cats_dogs_split, tmp_path):
    sys.path.insert(0, str(SCRIPT.parent))
    try:
        import extraction_speed
    finally:
        sys.path.remove(str(SCRIPT.parent))
    out = tmp_path / "speed.csv"
    table = extraction_speed.main(
        [
            "--data-dir",
            str(cats_dogs_split / "train"),
            "--images",
            "4",
            "--image-size",
            "32",
            "--batch-size",
            "2",
            "--weights",
            "none",
            "--out",
            str(out),
        ]
    )
    assert list(table.index) == ["float32", "mixed_bfloat16"]
    assert (table["streamed_img_s"] > 0).all() and table.loc["float32", "max_abs_diff"] == 0
    assert (table["cache_hit_s"] >= 0).all() and out.is_file()
