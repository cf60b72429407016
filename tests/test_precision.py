"""utils.precision: fixed policies, the "auto" choice by speed, and the remembered choice."""

from __future__ import annotations

import json
import time

import keras
import pytest

from utils import precision


def test_fixed_settings_need_no_timing():
    never = {p: pytest.fail for p in precision.POLICIES}
    assert precision.choose(False, never, items=1) == ("float32", {})
    assert precision.choose(True, never, items=1) == ("mixed_bfloat16", {})
    assert precision.choose("mixed_bfloat16", never, items=1) == ("mixed_bfloat16", {})
    with pytest.raises(ValueError, match="MIXED_PRECISION"):
        precision.choose("fast", never, items=1)


def test_auto_keeps_the_faster_and_remembers_it(tmp_path):
    calls = []

    def step(policy, seconds):
        return lambda: (calls.append(policy), time.sleep(seconds))

    steps = {"float32": step("float32", 0.001), "mixed_bfloat16": step("mixed_bfloat16", 0.03)}
    memo = tmp_path / "precision.json"
    policy, speeds = precision.choose("auto", steps, items=4, memo=memo, task="t")
    assert policy == "float32" and speeds["float32"] > speeds["mixed_bfloat16"] > 0
    record = json.loads(memo.read_text())["t"]
    assert record["policy"] == "float32" and record["machine"] == precision.machine()
    n = len(calls)
    assert precision.choose("auto", steps, items=4, memo=memo, task="t") == (policy, speeds)
    assert len(calls) == n, "a remembered choice is not timed again"
    precision.choose("auto", steps, items=4, memo=memo, task="other")
    assert len(calls) > n and set(json.loads(memo.read_text())) == {"t", "other"}


def test_global_policy_is_restored():
    before = keras.mixed_precision.global_policy().name
    with precision.global_policy("mixed_bfloat16"):
        layer = keras.layers.Dense(2)
    assert layer.compute_dtype == "bfloat16" and layer.variable_dtype == "float32"
    assert keras.mixed_precision.global_policy().name == before
