"""benchmarks/memory_08.py builds notebook 08's model from the notebook's own cell."""

from __future__ import annotations

import importlib.util

from tests.conftest import ROOT

SPEC = importlib.util.spec_from_file_location("memory_08", ROOT / "benchmarks" / "memory_08.py")
memory_08 = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(memory_08)


def test_the_notebooks_model_cell_runs_outside_the_notebook():
    model = memory_08.notebook_model("vgg16", None, 32, ["a", "b", "c"])
    assert model.input_shape == (None, 32, 32, 3)
    assert model.output_shape == (None, 3)
    assert model.optimizer is not None  # compiled as the notebook compiles it
