"""utils.mixed_precision: the policy a notebook gets, measured once per machine and size."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import pytest

from utils import mixed_precision, runner


@pytest.fixture
def timed(monkeypatch):
    """Fake speeds (bfloat16 faster), counting the measurements."""
    calls = []

    def speed(policy, image_size, **_):
        calls.append((policy, image_size))
        return {"float32": 10.0, "mixed_bfloat16": 20.0}[policy]

    monkeypatch.setattr(mixed_precision, "speed", speed)
    return calls


def test_fixed_settings_are_plain_policy_names(timed):
    assert mixed_precision.resolve(False, 64) == "float32"
    assert mixed_precision.resolve(True, 64) == "mixed_bfloat16"
    assert mixed_precision.resolve("mixed_bfloat16", 64) == "mixed_bfloat16"
    with pytest.raises(ValueError, match="'float32', 'mixed_bfloat16' or 'auto'"):
        mixed_precision.resolve("fast", 64)
    assert timed == []


def test_auto_measures_once_per_machine_and_size(tmp_path, timed, capsys):
    assert mixed_precision.resolve("auto", 64, tmp_path) == "mixed_bfloat16"
    assert "mixed precision: mixed_bfloat16" in capsys.readouterr().out
    record = json.loads((tmp_path / mixed_precision.MEMO).read_text())
    entry = record["vgg16 64 px"]
    assert entry["machine"] == mixed_precision.machine() and entry["policy"] == "mixed_bfloat16"
    assert mixed_precision.resolve("auto", 64, tmp_path) == "mixed_bfloat16"
    assert len(timed) == 2, "remembered: not measured again"
    mixed_precision.resolve("auto", 180, tmp_path)
    assert len(timed) == 4 and set(json.loads((tmp_path / mixed_precision.MEMO).read_text())) == {
        "vgg16 64 px",
        "vgg16 180 px",
    }


@pytest.mark.parametrize("content", ["", "{not json", '{"vgg16 64 px": 3}', "[1, 2]"])
def test_a_damaged_memo_is_measured_again(tmp_path, timed, capsys, content):
    (tmp_path / mixed_precision.MEMO).write_text(content)
    assert mixed_precision.resolve("auto", 64, tmp_path) == "mixed_bfloat16"
    assert len(timed) == 2
    if content:
        assert "is damaged: measuring float32 and bfloat16 again" in capsys.readouterr().out
    json.loads((tmp_path / mixed_precision.MEMO).read_text())  # healed


def test_an_unreadable_memo_is_measured_again(tmp_path, timed, capsys, monkeypatch):
    """A memo the run may not read used to stop it with PermissionError: measured instead."""
    memo = tmp_path / mixed_precision.MEMO
    memo.write_text("{}")
    read_text = Path.read_text

    def refuse(self, *args, **kwargs):
        if self.name == mixed_precision.MEMO:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(self))
        return read_text(self, *args, **kwargs)

    monkeypatch.setattr(Path, "read_text", refuse)
    assert mixed_precision.resolve("auto", 64, tmp_path) == "mixed_bfloat16"
    assert len(timed) == 2
    out = capsys.readouterr().out
    assert f"{memo} cannot be read ({os.strerror(errno.EACCES)}): measuring" in out


@pytest.mark.parametrize(
    ("method", "code"),
    [("mkdir", errno.EACCES), ("write_text", errno.EROFS), ("write_text", errno.ENOSPC)],
)
def test_a_memo_that_cannot_be_written_does_not_stop_the_run(
    tmp_path, timed, capsys, monkeypatch, method, code
):
    """A cache folder that cannot be made, a read-only one, a full disk: these used to stop the
    run with OSError. The measured policy is used, one line names the file, and nothing is left
    behind (not the part of the temporary a full disk took)."""
    cache_dir = tmp_path / "cache"
    if method == "write_text":
        cache_dir.mkdir()
    original = getattr(Path, method)

    def fail(self, *args, **kwargs):
        if code == errno.ENOSPC:
            original(self, args[0][:10])  # a part is written, then the disk is full
        raise OSError(code, os.strerror(code), str(self))

    monkeypatch.setattr(Path, method, fail)
    assert mixed_precision.resolve("auto", 64, cache_dir) == "mixed_bfloat16"
    out = capsys.readouterr().out
    assert f"{cache_dir / mixed_precision.MEMO} cannot be written ({os.strerror(code)})" in out
    assert list(tmp_path.rglob("*")) == ([cache_dir] if method == "write_text" else [])


def test_another_machine_is_measured_again(tmp_path, timed):
    memo = tmp_path / mixed_precision.MEMO
    entry = {"policy": "float32", "machine": "another CPU", "photos_per_second": {}}
    memo.write_text(json.dumps({"vgg16 64 px": entry}))
    assert mixed_precision.resolve("auto", 64, tmp_path) == "mixed_bfloat16"
    assert len(timed) == 2


def test_the_runner_passes_notebooks_a_policy_name(tmp_path, timed):
    config = runner.RunConfig(profile="cpu", cache_dir=str(tmp_path))
    params = runner.parameters_for("04", config, tmp_path, tmp_path / "data")
    assert params["MIXED_PRECISION"] == "mixed_bfloat16" and params["IMAGE_SIZE"] == 180
    assert timed == [("float32", 180), ("mixed_bfloat16", 180)]
    smoke = runner.RunConfig(profile="smoke", cache_dir=str(tmp_path))
    assert "MIXED_PRECISION" not in runner.parameters_for("05", smoke, tmp_path, tmp_path)
    forced = runner.RunConfig(
        profile="cpu", cache_dir=str(tmp_path), overrides={"all": {"MIXED_PRECISION": "float32"}}
    )
    assert runner.parameters_for("06", forced, tmp_path, tmp_path)["MIXED_PRECISION"] == "float32"


def test_a_near_tie_keeps_float32(tmp_path, monkeypatch):
    """6.12 against 6.04 photos/s (a CPU that emulates bfloat16, measured): float32."""
    speeds = {"float32": 6.04, "mixed_bfloat16": 6.12}
    monkeypatch.setattr(mixed_precision, "speed", lambda policy, image_size, **_: speeds[policy])
    assert mixed_precision.resolve("auto", 180, tmp_path) == "float32"
    speeds["mixed_bfloat16"] = 6.04 * mixed_precision.MARGIN
    assert mixed_precision.resolve("auto", 150, tmp_path) == "mixed_bfloat16"
