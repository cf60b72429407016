#!/usr/bin/env python
"""The executed course as pages: one run's notebooks, readable in a browser without Jupyter.

    python build_site.py runs/<time>-<profile>

writes ``site/index.html`` into the run folder (notebook 07's results table, each notebook's
wall time, a link to every page) and one page per executed notebook (nbconvert's HTMLExporter).
Every page is self-contained, figures embedded as data URIs, nothing loaded from the network
(LaTeX maths becomes MathML with latex2mathml: MathJax would come from a CDN).
"""

from __future__ import annotations

import base64
import csv
import html
import os
import sys
from pathlib import Path

import nbformat
import pandas as pd
from jinja2 import DictLoader, pass_context
from latex2mathml.converter import convert as mathml
from nbconvert import HTMLExporter
from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath

from cli import OK, OneLineParser, fail

# nbconvert's JupyterLab page without the scripts it would fetch from CDNs (require.js, MathJax,
# Mermaid, the widget renderer) nor a favicon request; a bar links to the index and neighbours.
TEMPLATE = """{%- extends 'lab/index.html.j2' -%}
{% block html_head_js %}{% endblock html_head_js %}
{% block jupyter_widgets %}{% endblock jupyter_widgets %}
{% block html_head_js_mathjax %}{% endblock html_head_js_mathjax %}
{% block html_head_js_mermaidjs %}{% endblock html_head_js_mermaidjs %}
{% block extra_css %}<link rel="icon" href="data:,">
<style>{{ resources.course_css }}</style>{% endblock extra_css %}
{% block body_header %}{{ super() }}{{ resources.course_nav }}{% endblock body_header %}
{% block body_footer %}{{ resources.course_nav }}{{ super() }}{% endblock body_footer %}
"""
CSS = "nav.course { font: 14px sans-serif; padding: 8px 16px; background: #f2f4f7; display: flex;"
CSS += " gap: 24px; } nav.course a { color: #1a5fb4; }"
INDEX_CSS = """body { font: 15px/1.5 sans-serif; max-width: 1100px; margin: 24px auto; color: #222;
padding: 0 16px; } table { border-collapse: collapse; margin: 8px 0 24px; } img { max-width: 100%; }
th, td { border: 1px solid #ccd; padding: 4px 10px; text-align: right; } th { background: #eef1f6; }
th:first-child, td:first-child, .runs :nth-child(2) { text-align: left; } .muted { color: #666; }"""


class _MathMLRenderer(IPythonRenderer):
    """Markdown with its LaTeX maths as MathML, which browsers draw without MathJax."""

    def _math(self, body: str, display: str, tex: str) -> str:
        try:
            return mathml(body, display=display)
        except Exception:  # a command latex2mathml does not know: show the LaTeX source
            return self.escape_html(tex)

    def inline_math(self, body: str) -> str:
        return self._math(body, "inline", f"${body}$")

    def block_math(self, body: str) -> str:
        return self._math(body, "block", f"$${body}$$")


class _Exporter(HTMLExporter):
    """nbconvert's HTML exporter, its Markdown renderer swapped for :class:`_MathMLRenderer`."""

    @pass_context
    def markdown2html(self, context, source):
        renderer = _MathMLRenderer(
            escape=False,
            attachments=context.get("cell", {}).get("attachments", {}),
            embed_images=self.embed_images,
            path=context.get("resources", {}).get("metadata", {}).get("path", ""),
            anchor_link_text=self.anchor_link_text,
        )
        return MarkdownWithMath(renderer=renderer).render(source)


def _title(nb, fallback: str) -> str:
    """The notebook's first Markdown heading, without its ``#`` marks."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
    return fallback


def _nav(prev: Path | None, nxt: Path | None, run_name: str) -> str:
    """The bar on top and at the bottom of a notebook page: the index, the previous, the next."""
    links = [("index.html", f"&#8593; {html.escape(run_name)}: all notebooks")]
    links += [(f"{p.stem}.html", f"&#8592; {html.escape(p.stem)}") for p in [prev] if p]
    links += [(f"{p.stem}.html", f"{html.escape(p.stem)} &#8594;") for p in [nxt] if p]
    items = "".join(f'<a href="{html.escape(href)}">{text}</a>' for href, text in links)
    return f'<nav class="course">{items}</nav>'


def _times(run_dir: Path) -> dict[str, tuple[str, str]]:
    """``{"02": (status, seconds)}`` from ``results/run_times.csv`` (written by the runner)."""
    path = run_dir / "results" / "run_times.csv"
    with open(path if path.is_file() else os.devnull, newline="") as handle:
        return {
            row["notebook"].zfill(2): (row["status"], f"{float(row['seconds'] or 0):.1f}")
            for row in csv.DictReader(handle)
        }


def _results(run_dir: Path) -> str:
    """The results table of notebook 07 (CSV, else Markdown shown as text), escaped."""
    results = run_dir / "results"
    table = results / "07_model_evaluation.csv"
    if table.is_file():
        frame = pd.read_csv(table)
        out = frame.to_html(index=False, escape=True, float_format="{:.4f}".format, na_rep="")
        figure = results / "07_model_evaluation.png"
        if figure.is_file():  # the chart the 07 page shows, embedded as on the pages
            data = base64.b64encode(figure.read_bytes()).decode("ascii")
            out += f'<p><img src="data:image/png;base64,{data}" alt="scores of every model"></p>'
        return out
    table = results / "07_model_evaluation.md"
    if table.is_file():
        return f"<pre>{html.escape(table.read_text())}</pre>"
    return '<p class="muted">No results table: notebook 07 did not run in this run.</p>'


def build_site(run_dir: str | Path) -> Path:
    """Write ``run_dir/site/`` (index + one page per executed notebook); returns index.html."""
    run_dir = Path(run_dir).resolve()
    notebooks = sorted((run_dir / "notebooks").glob("*.ipynb"))
    if not notebooks:
        raise FileNotFoundError(f"{run_dir}: no executed notebooks in notebooks/")
    site = run_dir / "site"
    site.mkdir(exist_ok=True)
    exporter = _Exporter(
        template_name="lab",
        extra_loaders=[DictLoader({"course.html.j2": TEMPLATE})],
        template_file="course.html.j2",
        embed_images=True,
    )
    titles = {}
    for i, path in enumerate(notebooks):
        nb = nbformat.read(path, as_version=4)
        nb.metadata.pop("widgets", None)  # widget views need a renderer from a CDN
        nb.metadata["title"] = titles[path.stem] = _title(nb, path.stem)
        resources = {
            "metadata": {"name": path.stem, "path": str(path.parent)},
            "course_css": CSS,
            "course_nav": _nav(
                notebooks[i - 1] if i else None,
                notebooks[i + 1] if i + 1 < len(notebooks) else None,
                run_dir.name,
            ),
        }
        body, _ = exporter.from_notebook_node(nb, resources=resources)
        (site / f"{path.stem}.html").write_text(body, encoding="utf-8")

    times = _times(run_dir)
    pages = {p.stem[:2]: p.stem for p in notebooks}
    rows = []
    for number in sorted(set(times) | set(pages)):
        status, seconds = times.get(number, ("executed", ""))
        stem = pages.get(number)
        link = f'<a href="{html.escape(stem)}.html">{html.escape(titles[stem])}</a>' if stem else ""
        cells = [html.escape(number), link, html.escape(status), html.escape(seconds)]
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    total = sum(float(s) for _, s in times.values() if s)
    name = html.escape(run_dir.name)
    index = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>Run {name}</title>
<style>{INDEX_CSS}</style></head><body>
<h1>The executed course: run {name}</h1>
<p class="muted">Every notebook of this run as a page, with its outputs and figures.</p>
<h2>Results (notebook 07)</h2>
{_results(run_dir)}
<h2>Notebooks</h2>
<table class="runs"><thead><tr>
<th>No.</th><th>Notebook</th><th>Status</th><th>Wall time (s)</th></tr></thead>
<tbody>{"".join(rows)}</tbody></table>
<p class="muted">Total wall time: {total:.1f} s.</p>
</body></html>
"""
    (site / "index.html").write_text(index, encoding="utf-8")
    return site / "index.html"


def main(argv: list[str] | None = None) -> int:
    parser = OneLineParser(prog="build_site.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("run_dir", help="a run folder: runs/<time>-<profile>")
    args = parser.parse_args(argv)
    try:
        print(f"Open {build_site(args.run_dir)} in a browser.")
        return OK
    except FileNotFoundError as err:
        return fail(str(err))


if __name__ == "__main__":
    sys.exit(main())
