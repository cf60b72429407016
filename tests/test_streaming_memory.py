"""Streaming from disk keeps memory flat: ``utils.data.image_dataset`` over 10x the files (the
pipeline of notebook 08, which once held every photo in memory the book's way)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, write_image

MEMORY_CHILD = """
import json, resource, sys
import numpy as np
import psutil
from utils import augment, data
root, times, keep = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "keep"
paths, labels, _ = data.list_images(root)
paths, labels = paths * times, np.tile(labels, times)
augmenter = None if keep else augment.book_augmentation(rotation_range=30, zoom_range=0, seed=42)
ds = data.image_dataset(paths, labels, (128, 128), 16, shuffle=True, augment=augmenter)
process = psutil.Process()
held, n, start, peak = [], 0, None, 0
for x, y in ds:
    n += int(y.shape[0])
    if keep:  # the book's way: every decoded image stays in memory
        held.append(x.numpy())
    rss = process.memory_info().rss / 2**20
    start = rss if start is None else start  # after tracing and the first batch
    peak = max(peak, rss)
peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10
print(json.dumps({"images": n, "growth_mib": peak - start, "peak_mib": peak_mib}))
"""


def _measure(root: Path, times: int, keep: bool = False) -> dict:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
    out = subprocess.run(
        [sys.executable, "-c", MEMORY_CHILD, str(root), str(times), "keep" if keep else "stream"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.slow
@pytest.mark.skipif(sys.platform != "linux", reason="ru_maxrss is in KiB on Linux only")
def test_streaming_memory_does_not_grow_with_the_number_of_images(tmp_path):
    """Memory while streaming 10x the files stays within bounds that keeping them would break.

    Each run is a fresh process iterating the training pipeline (shuffled, augmented) once; it
    reports its peak RSS (``ru_maxrss``) and how far its RSS rose during the loop, from the
    first batch on. 64 files at 128x128 are 12 MiB as float32, 640 files 120 MiB: streaming
    10x must add less than 60 MiB of loop growth and 100 MiB of peak RSS, while holding the
    decoded batches (the book's in-memory arrays) shows up as at least 90 MiB of loop growth,
    so the bound does see growth.
    """
    for i in range(64):
        color = (60 * (i % 4), 90, 160)
        write_image(tmp_path / f"c{i % 4}" / f"{i:03d}.jpg", size=(64, 48), color=color)
    one = _measure(tmp_path, 1)
    ten = _measure(tmp_path, 10)
    kept = _measure(tmp_path, 10, keep=True)
    assert (one["images"], ten["images"], kept["images"]) == (64, 640, 640)
    assert ten["growth_mib"] - one["growth_mib"] < 60, f"streaming grew: {one} -> {ten}"
    assert ten["peak_mib"] - one["peak_mib"] < 100, f"peak RSS grew: {one} -> {ten}"
    assert kept["growth_mib"] > 90, f"the bound cannot see growth: {kept}"
