"""float32 or bfloat16: which computes VGG-16 faster on this machine, measured once.

bfloat16 is about twice as fast on GPUs and on CPUs with fast bfloat16 units (AMX, some AMD
EPYC), and slower where the CPU emulates it. ``run_all.py`` turns the parameter value
``MIXED_PRECISION="auto"`` into the faster policy before any notebook starts (bfloat16 only
when at least ``MARGIN`` times as fast: near a tie, float32), so every notebook of a run gets
a plain ``"float32"`` or ``"mixed_bfloat16"`` and passes it to
``keras.mixed_precision.set_global_policy``. The measurement (a few batches of VGG-16 at the
run's image size, both ways) is remembered per machine and size in
``CACHE_DIR/mixed_precision.json``; a damaged or unreadable file is measured again, and a
file that cannot be written (a read-only folder, a full disk) is left as it is: the run goes on.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import time
from pathlib import Path

POLICIES = ("float32", "mixed_bfloat16")
MEMO = "mixed_precision.json"
MARGIN = 1.15  # how much faster bfloat16 must measure to be chosen


def machine() -> str:
    """The processor, its cores and the Keras version: what the speeds depend on."""
    import keras

    model = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        lines = Path("/proc/cpuinfo").read_text().splitlines()
        model = next((ln.split(":", 1)[1].strip() for ln in lines if "model name" in ln), model)
    return f"{model}, {os.cpu_count()} cores, keras {keras.__version__}"


def speed(policy: str, image_size: int, batch: int = 8, repeats: int = 2) -> float:
    """Photos per second of VGG-16's convolutional base computing in ``policy``."""
    import keras
    import numpy as np

    previous = keras.mixed_precision.global_policy().name
    keras.mixed_precision.set_global_policy(policy)
    try:
        shape = (image_size, image_size, 3)
        base = keras.applications.VGG16(include_top=False, weights=None, input_shape=shape)
    finally:
        keras.mixed_precision.set_global_policy(previous)
    photos = np.random.default_rng(0).uniform(0, 255, (batch, *shape)).astype("float32")
    base.predict_on_batch(photos)  # traces the function
    start = time.perf_counter()
    for _ in range(repeats):
        base.predict_on_batch(photos)
    return batch * repeats / (time.perf_counter() - start)


def fastest_policy(image_size: int, cache_dir: str | os.PathLike | None = None) -> str:
    """``"float32"`` or ``"mixed_bfloat16"``, whichever runs VGG-16 faster here (remembered in
    ``cache_dir``)."""
    memo = Path(cache_dir) / MEMO if cache_dir else None
    task, here = f"vgg16 {image_size} px", machine()
    record = {}
    if memo and memo.is_file():
        try:
            record = json.loads(memo.read_text())
            if not isinstance(record, dict):
                raise TypeError("not a JSON object")
            entry = record.get(task)
            if entry and entry["machine"] == here and entry["policy"] in POLICIES:
                return entry["policy"]
        except OSError as err:
            reason = err.strerror or err
            print(f"{memo} cannot be read ({reason}): measuring float32 and bfloat16 again")
            record = {}
        except (ValueError, TypeError, KeyError, AttributeError):
            print(f"{memo} is damaged: measuring float32 and bfloat16 again")
            record = {}
    speeds = {policy: round(speed(policy, image_size), 2) for policy in POLICIES}
    # bfloat16 only when clearly faster. Near a tie the CPU likely emulates it, and training
    # there can crawl: on 2026-12-03 a 2-core EPYC measured 6.12 against 6.04 photos/s, and
    # notebook 06's first epoch of block 5 in bfloat16 had not ended after 13 minutes (53 s
    # per epoch on 2026-11-24, BENCHMARKS.md)
    faster = speeds["mixed_bfloat16"] >= MARGIN * speeds["float32"]
    policy = "mixed_bfloat16" if faster else "float32"
    print(f"mixed precision: {policy} (VGG-16 at {image_size} px, photos/s: {speeds})")
    if memo:
        record[task] = {"policy": policy, "photos_per_second": speeds, "machine": here}
        _write(memo, record)
    return policy


def _write(memo: Path, record: dict) -> None:
    """Write the memo all or nothing; where it cannot be written, say so and go on."""
    tmp = memo.with_name(f".{memo.name}.{os.getpid()}.tmp")
    try:
        memo.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
        os.replace(tmp, memo)
    except OSError as err:
        with contextlib.suppress(OSError):
            tmp.unlink()
        reason = err.strerror or err
        print(f"{memo} cannot be written ({reason}): not remembered, measured again next run")


def resolve(setting, image_size: int, cache_dir: str | os.PathLike | None = None) -> str:
    """A notebook's ``MIXED_PRECISION`` as a policy name: ``"auto"`` measured (see
    :func:`fastest_policy`), ``True``/``False`` as bfloat16/float32, a policy name as it is."""
    if setting == "auto":
        return fastest_policy(int(image_size), cache_dir)
    if isinstance(setting, bool) or setting is None:
        return POLICIES[bool(setting)]
    if setting in POLICIES:
        return setting
    raise ValueError(
        f"MIXED_PRECISION must be 'float32', 'mixed_bfloat16' or 'auto', not {setting!r}"
    )
