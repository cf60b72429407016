"""Executing the course notebooks with parameters (papermill), for the runner and the tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import papermill as pm

NOTEBOOKS_DIR = Path(__file__).resolve().parents[1] / "notebooks"


def notebook_path(name: str) -> Path:
    """The notebook whose file name starts with ``name`` (``"02"`` or ``"02_cnn_from_scratch"``)."""
    matches = sorted(NOTEBOOKS_DIR.glob(f"{name}*.ipynb"))
    if len(matches) != 1:
        raise FileNotFoundError(f"expected one notebook matching {name!r} in {NOTEBOOKS_DIR}")
    return matches[0]


def execute_notebook(
    name: str,
    output: str | Path,
    parameters: dict[str, Any] | None = None,
    progress: bool = True,
    timeout: int | None = None,
    log_output: bool = False,
) -> Path:
    """Run a notebook top to bottom on a fresh kernel, writing the executed copy to ``output``.

    It runs in the ``notebooks/`` folder (relative defaults resolve as in Jupyter). Parameters
    should be absolute paths where they name files. A failing cell raises
    ``papermill.PapermillExecutionError`` showing the cell and its traceback.
    """
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    pm.execute_notebook(
        str(notebook_path(name)),
        str(output),
        parameters=parameters or {},
        cwd=str(NOTEBOOKS_DIR),
        progress_bar=progress,
        execution_timeout=timeout,
        kernel_name="python3",
        log_output=log_output,
    )
    return output
