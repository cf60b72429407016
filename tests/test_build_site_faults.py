"""build_site.py on runs that did not go well: notebooks cut short or damaged, an interrupted
build, and outputs that would run scripts or fetch from elsewhere on a shared page. The run
folders are written here with nbformat (no kernel, no browser: seconds)."""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path

import nbformat
import pandas as pd
from PIL import Image

import build_site as site

STARTED = "2026-01-01T00:00:00.000000"


def executed(path: Path, statuses: list[str], outputs: list | None = None) -> None:
    """A notebook as papermill leaves it: a status per code cell in its metadata. ``cleaned``
    is a cell papermill marks "completed" after an interrupt though it never started."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["papermill"] = {"exception": "failed" in statuses or None}
    nb.cells = [nbformat.v4.new_markdown_cell(f"# Notebook {path.stem}")]
    for i, status in enumerate(statuses):
        cell = nbformat.v4.new_code_cell(f"x = {i}", outputs=(outputs or []) if i == 0 else [])
        start = None if status in ("pending", "cleaned") else STARTED
        cell.metadata["papermill"] = {
            "status": "completed" if status == "cleaned" else status,
            "start_time": start,
            "exception": status == "failed",
        }
        nb.cells.append(cell)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)


def index_statuses(index: Path) -> dict[str, str]:
    """``{"02": status}`` from the index's table of notebooks."""
    rows = re.findall(r"<tr><td>(\d\d)</td><td>.*?</td><td>(.*?)</td>", index.read_text())
    return dict(rows)


def test_the_index_says_where_each_notebook_stopped(tmp_path):
    """Guards the status of a run cut short: papermill's per-cell record, not "executed" for
    every page (no run_times.csv here, as after an interrupted run_all.py)."""
    notebooks = tmp_path / "run" / "notebooks"
    executed(notebooks / "02_a.ipynb", ["completed", "running", "pending"])
    executed(notebooks / "03_b.ipynb", ["completed", "failed", "pending"])
    # Ctrl-C in cell 2: papermill marks it and every cell left "completed" on its way out
    executed(notebooks / "04_c.ipynb", ["completed", "completed", "cleaned", "cleaned"])
    executed(notebooks / "05_d.ipynb", ["completed", "completed", "completed"])

    index = site.build_site(tmp_path / "run")

    assert index_statuses(index) == {
        "02": "stopped at cell 2 of 3",
        "03": "failed at cell 2",
        "04": "stopped at cell 2 of 4",
        "05": "executed",
    }
    page = (index.parent / "02_a.html").read_text()
    stopped_cell = nbformat.read(notebooks / "02_a.ipynb", as_version=4).cells[2]
    assert "This run did not complete: stopped at cell 2 of 3." in page  # the banner
    assert f'href="#cell-id={stopped_cell.id}"' in page  # links to the cell, which is there
    assert f'id="cell-id={stopped_cell.id}"' in page
    assert "failed at cell 2" in (index.parent / "03_b.html").read_text()
    assert 'class="course-stopped"' not in (index.parent / "05_d.html").read_text()


def test_the_runners_record_still_counts(tmp_path):
    """Guards reading results/run_times.csv beside the notebooks' record: a status a notebook
    cannot show (interrupted in its last cell) comes from the runner, with a banner."""
    run_dir = tmp_path / "run"
    executed(run_dir / "notebooks" / "02_a.ipynb", ["completed", "completed"])
    executed(run_dir / "notebooks" / "03_b.ipynb", ["completed"])
    (run_dir / "results").mkdir()
    (run_dir / "results" / "run_times.csv").write_text(
        "notebook,status,seconds\n01,skipped: not selected,0.0\n02,interrupted,4.21\n03,ok,1"
    )

    index = site.build_site(run_dir)

    assert index_statuses(index) == {"01": "skipped: not selected", "02": "interrupted", "03": "ok"}
    assert "<td>interrupted</td><td>4.2</td>" in index.read_text()
    assert "This run did not complete: interrupted." in (index.parent / "02_a.html").read_text()


def test_a_truncated_notebook_is_one_error_line(tmp_path, capsys):
    """Guards the traceback of a notebook cut short: one error line naming it, exit code 2,
    and nothing written."""
    run_dir = tmp_path / "run"
    executed(run_dir / "notebooks" / "01_a.ipynb", ["completed"])
    (run_dir / "notebooks" / "02_cut.ipynb").write_text('{"cells": [')

    assert site.main([str(run_dir)]) == 2

    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert "02_cut.ipynb" in err and "not a readable notebook" in err
    assert not (run_dir / "site").exists()


def test_an_interrupted_build_leaves_no_half_page(tmp_path, monkeypatch, capsys):
    """Guards the in-place page write: Ctrl-C while a page is written leaves no half page, and
    the command ends with one line and exit code 130."""
    run_dir = tmp_path / "run"
    executed(run_dir / "notebooks" / "01_a.ipynb", ["completed"])

    def write_half(self, text, *args, **kwargs):
        with open(self, "w", encoding="utf-8") as handle:
            handle.write(text[: len(text) // 2])
        raise KeyboardInterrupt

    monkeypatch.setattr(Path, "write_text", write_half)
    try:
        code = site.main([str(run_dir)])
    except KeyboardInterrupt:  # today's code: let the test fail, not stop the whole session
        code = "raised"
    monkeypatch.undo()

    assert code == 130
    assert list((run_dir / "site").iterdir()) == []
    err = capsys.readouterr().err
    assert err.startswith("error: interrupted") and err.count("\n") == 1, err


def test_outputs_run_no_script_and_fetch_nothing(tmp_path):
    """Guards the shared pages: an output's script and remote image are gone, while a pandas
    table and a figure of the notebook's own stay."""
    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), (200, 30, 30)).save(buffer, "PNG")
    png = base64.b64encode(buffer.getvalue()).decode("ascii")
    table = pd.DataFrame({"model": ["cnn"], "accuracy": [0.91]})._repr_html_()
    hostile = '<script>alert(1)</script><img src="https://example.com/x.png"><b>kept</b>'
    new = nbformat.v4.new_output
    outputs = [
        new("display_data", data={"text/html": hostile, "text/plain": "hostile"}),
        new("display_data", data={"text/html": table, "text/plain": "a table"}),
        new("display_data", data={"image/png": png, "text/plain": "<Figure>"}),
        new("display_data", data={"application/javascript": "alert(2)", "text/plain": "js"}),
    ]
    executed(tmp_path / "run" / "notebooks" / "01_a.ipynb", ["completed"], outputs)

    page = (site.build_site(tmp_path / "run").parent / "01_a.html").read_text()

    assert "<script" not in page and "alert(" not in page
    assert "example.com" not in page
    assert "<b>kept</b>" in page
    assert 'class="dataframe"' in page and "<th>accuracy</th>" in page
    assert "<td>0.91</td>" in page
    assert f'src="data:image/png;base64,{png}"' in page
