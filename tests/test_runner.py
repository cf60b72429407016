"""run_all.py / utils.runner: overrides, profiles and parameters (the end-to-end runs are in
tests/test_run_all.py)."""

from __future__ import annotations

import pytest

from utils import runner


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("EPOCHS=3", ("all", "EPOCHS", 3)),
        ("05:AUG_PASSES=2", ("05", "AUG_PASSES", 2)),
        ("WEIGHTS=None", ("all", "WEIGHTS", None)),
        ("DATA_DIR=/tmp/my data", ("all", "DATA_DIR", "/tmp/my data")),
        ("LEARNING_RATE=1e-5", ("all", "LEARNING_RATE", 1e-5)),
        ("MIXED_PRECISION=True", ("all", "MIXED_PRECISION", True)),
    ],
)
def test_parse_override(text, expected):
    assert runner.parse_override(text) == expected


@pytest.mark.parametrize("text", ["EPOCHS", "epochs=3", "02:=1"])
def test_parse_override_rejects(text):
    with pytest.raises(ValueError):
        runner.parse_override(text)


def test_every_profile_names_only_declared_parameters():
    declared = {n: runner.notebook_parameters(n) for n in runner.ORDER if _exists(n)}
    for name, profile in runner.PROFILES.items():
        for scope, values in profile.items():
            if scope in ("split", "all"):
                continue
            if scope in declared:
                unknown = set(values) - declared[scope]
                assert not unknown, f"profile {name}, notebook {scope}: {unknown} not declared"


def test_parameters_are_filtered_and_overridden(tmp_path):
    config = runner.RunConfig(
        profile="smoke",
        weights=str(tmp_path / "w.h5"),
        overrides={"all": {"EPOCHS": 2}, "02": {"BATCH_SIZE": 4}},
    )
    params = runner.parameters_for("02", config, tmp_path, tmp_path / "data")
    assert params["EPOCHS"] == 2 and params["BATCH_SIZE"] == 4
    assert params["MODELS_DIR"] == str(tmp_path / "models")
    assert "WEIGHTS" not in params  # notebook 02 has no pretrained weights
    params = runner.parameters_for("04", config, tmp_path, tmp_path / "data")
    assert params["WEIGHTS"] == str(tmp_path / "w.h5") and params["EPOCHS"] == 2


def test_unknown_profile(tmp_path):
    with pytest.raises(ValueError, match="unknown profile"):
        runner.run(runner.RunConfig(profile="gpu", run_dir=tmp_path))


def _exists(number: str) -> bool:
    try:
        runner.notebook_path(number)
    except FileNotFoundError:
        return False
    return True
