"""float32 or bfloat16: keep whichever computes faster on the machine at hand.

bfloat16 is about twice as fast on GPUs and CPUs with fast bfloat16 units (AMX, some AMD EPYC),
and slower where the CPU emulates it. ``MIXED_PRECISION="auto"`` times a few batches both ways
and keeps the faster; the choice is remembered per task and machine in a JSON file, so every
notebook of a run makes the same one and their caches match.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path

import keras

POLICIES = ("float32", "mixed_bfloat16")


def policy_for(setting: bool | str) -> str | None:
    """False/True → "float32"/"mixed_bfloat16", a policy name → itself, "auto" → None."""
    if setting == "auto":
        return None
    if isinstance(setting, str) and setting in POLICIES:
        return setting
    if isinstance(setting, bool):
        return POLICIES[setting]
    raise ValueError(f"MIXED_PRECISION must be False, True or 'auto', not {setting!r}")


@contextlib.contextmanager
def global_policy(name: str):
    """Build layers under the dtype policy ``name``; the previous policy comes back afterwards."""
    previous = keras.mixed_precision.global_policy().name
    keras.mixed_precision.set_global_policy(name)
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy(previous)


def items_per_second(step: Callable[[], object], items: int, repeats: int = 2) -> float:
    """Throughput of ``step`` (one batch of ``items``), after one untimed call that traces it."""
    step()
    start = time.perf_counter()
    for _ in range(repeats):
        step()
    return items * repeats / (time.perf_counter() - start)


def machine() -> str:
    """The processor, its cores and the Keras version: what the speeds depend on."""
    model = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        lines = Path("/proc/cpuinfo").read_text().splitlines()
        model = next((ln.split(":", 1)[1].strip() for ln in lines if "model name" in ln), model)
    return f"{model}, {os.cpu_count()} cores, keras {keras.__version__}"


def choose(setting, steps: dict[str, Callable[[], object]], items: int, memo=None, task=""):
    """(policy, {policy: items/s}): ``setting``'s policy, or for "auto" the faster ``steps``
    (policy → one batch of work); a choice ``memo`` holds for ``task`` on this machine is reused."""
    if (fixed := policy_for(setting)) is not None:
        return fixed, {}
    memo = Path(memo) if memo else None
    record = json.loads(memo.read_text()) if memo and memo.is_file() else {}
    if (entry := record.get(task)) and entry.get("machine") == machine():
        return entry["policy"], entry["items_per_second"]
    speeds = {p: round(items_per_second(step, items), 2) for p, step in steps.items()}
    policy = max(speeds, key=speeds.get)
    if memo:
        record[task] = {"policy": policy, "items_per_second": speeds, "machine": machine()}
        memo.parent.mkdir(parents=True, exist_ok=True)
        memo.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
    return policy, speeds
