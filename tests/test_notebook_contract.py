"""The notebook contract: numbered names, one `parameters` cell, no outputs, paired .py in sync."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import jupytext
import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
IPYNBS = sorted(NOTEBOOKS.glob("*.ipynb"))
SHARED_NAMES = {
    "DATA_DIR",
    "MODELS_DIR",
    "RESULTS_DIR",
    "CACHE_DIR",
    "IMAGE_SIZE",
    "BATCH_SIZE",
    "EPOCHS",
    "SEED",
    "WEIGHTS",
}
EXPECTED = {
    "00": "00_concepts",
    "01": "01_datasets",
    "02": "02_cnn_from_scratch",
    "03": "03_cnn_augmentation",
    "04": "04_vgg16_feature_extractor",
    "05": "05_vgg16_feature_extractor_augmentation",
    "06": "06_vgg16_fine_tuning",
    "07": "07_model_evaluation",
    "08": "08_dog_breeds",
    "09": "09_negative_transfer",
    "10": "10_how_much_data",
    "11": "11_keras_blog_2016",
}


def test_there_are_notebooks():
    assert IPYNBS, "no notebooks found"


@pytest.mark.parametrize("path", IPYNBS, ids=lambda p: p.stem)
def test_name_is_numbered(path):
    number = path.stem[:2]
    assert number in EXPECTED and path.stem == EXPECTED[number]


@pytest.mark.parametrize("path", IPYNBS, ids=lambda p: p.stem)
def test_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name}: a cell has outputs"
            assert cell.execution_count is None, f"{path.name}: a cell has an execution count"


def _parameter_cells(nb):
    return [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]


@pytest.mark.parametrize("path", IPYNBS, ids=lambda p: p.stem)
def test_one_parameters_cell_with_upper_case_names(path):
    cells = _parameter_cells(nbformat.read(path, as_version=4))
    assert len(cells) == 1, f"{path.name}: expected exactly one cell tagged 'parameters'"
    tree = ast.parse(cells[0].source)
    names = [t.id for node in tree.body if isinstance(node, ast.Assign) for t in node.targets]
    assert names, "the parameters cell assigns nothing"
    for name in names:
        assert re.fullmatch(r"[A-Z][A-Z0-9_]*", name), f"{path.name}: {name} is not UPPER_CASE"
    # the cell holds assignments only, so papermill can override every value
    assert all(isinstance(node, ast.Assign) for node in tree.body)


@pytest.mark.parametrize("path", IPYNBS, ids=lambda p: p.stem)
def test_shared_parameter_defaults_are_consistent(path):
    cell = _parameter_cells(nbformat.read(path, as_version=4))[0]
    values = {}
    for node in ast.parse(cell.source).body:
        for target in node.targets:
            values[target.id] = node.value
    for name in SHARED_NAMES & values.keys():
        if name == "SEED":
            assert ast.literal_eval(values[name]) == 42
        if name in {"MODELS_DIR", "RESULTS_DIR", "CACHE_DIR"}:
            default = ast.literal_eval(values[name])
            assert default == "../" + name.split("_")[0].lower(), f"{path.name}: {name}"


@pytest.mark.parametrize("path", IPYNBS, ids=lambda p: p.stem)
def test_paired_py_in_sync(path):
    paired = path.with_suffix(".py")
    assert paired.is_file(), f"{paired.name} is missing (jupytext --set-formats ipynb,py:percent)"
    from_py = jupytext.read(paired)
    from_ipynb = nbformat.read(path, as_version=4)
    assert [(c.cell_type, c.source.strip()) for c in from_py.cells] == [
        (c.cell_type, c.source.strip()) for c in from_ipynb.cells
    ], f"{path.name} and {paired.name} differ: run jupytext --sync {paired}"
