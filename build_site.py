#!/usr/bin/env python
"""The executed course as pages: one run's notebooks, readable in a browser without Jupyter.

    python build_site.py runs/<time>-<profile>

writes ``site/index.html`` into the run folder (notebook 07's results table, each notebook's
wall time, a link to every page) and one page per executed notebook (nbconvert's HTMLExporter).
Every page is self-contained, figures embedded as data URIs, nothing loaded from the network
(LaTeX maths becomes MathML with latex2mathml: MathJax would come from a CDN), and no output runs
a script. A notebook whose run did not complete says so, in the index and on top of its page.
"""

from __future__ import annotations

import base64
import csv
import html
import os
import re
import sys
from pathlib import Path

import bleach
import nbformat
import pandas as pd
from bleach.css_sanitizer import ALLOWED_CSS_PROPERTIES, CSSSanitizer
from jinja2 import DictLoader, pass_context
from latex2mathml.converter import convert as mathml
from nbconvert import HTMLExporter
from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath

from cli import FAILED, INTERRUPTED, OK, OneLineParser, fail

# nbconvert's JupyterLab page without the scripts it would fetch from CDNs (require.js, MathJax,
# Mermaid, the widget renderer) nor a favicon request; a bar links to the index and neighbours,
# and a banner says where a run that did not complete stopped.
TEMPLATE = """{%- extends 'lab/index.html.j2' -%}
{% block html_head_js %}{% endblock html_head_js %}
{% block jupyter_widgets %}{% endblock jupyter_widgets %}
{% block html_head_js_mathjax %}{% endblock html_head_js_mathjax %}
{% block html_head_js_mermaidjs %}{% endblock html_head_js_mermaidjs %}
{% block extra_css %}<link rel="icon" href="data:,">
<style>{{ resources.course_css }}</style>{% endblock extra_css %}
{% block body_header %}{{ super() }}{{ resources.course_nav }}{{ resources.course_banner }}
{% endblock body_header %}
{% block body_footer %}{{ resources.course_nav }}{{ super() }}{% endblock body_footer %}
"""
CSS = "nav.course { font: 14px sans-serif; padding: 8px 16px; background: #f2f4f7; display: flex;"
CSS += " gap: 24px; } nav.course a { color: #1a5fb4; } .course-stopped { font: 15px sans-serif;"
CSS += " padding: 10px 16px; background: #fdecea; color: #611a15; border: 1px solid #f1b0ab; }"
# pandas' own table style, which its outputs carry in a <style> block the pages leave out
CSS += " .dataframe thead th { text-align: right; } .dataframe tbody tr th { vertical-align: top; }"
CSS += " .dataframe tbody tr th:only-of-type { vertical-align: middle; }"
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


# What a page shows of an output: text, LaTeX and images as they are; HTML cleaned by
# _clean_html. Scripts (application/javascript), widgets and other types are dropped, so a
# shared course page never runs a notebook's code nor fetches anything from elsewhere.
SAFE_OUTPUTS = {"text/plain", "text/latex", "text/html", "image/png", "image/jpeg", "image/svg+xml"}
HTML_TAGS = bleach.ALLOWED_TAGS | {
    *"div span p br hr pre sub sup small dl dt dd details summary h1 h2 h3 h4 h5 h6".split(),
    *"table caption colgroup col thead tbody tfoot tr th td img".split(),
}
LAYOUT = {"class", "id", "title", "style", "align", "border", "colspan", "rowspan", "alt"}
# bleach's safe CSS without "cursor" (it can load an image) and with what Keras' summaries use
CSS_PROPERTIES = ALLOWED_CSS_PROPERTIES - {"cursor"} | {"overflow-x", "text-decoration-color"}


def _allowed(tag: str, name: str, value: str) -> bool:
    """Layout attributes; links; an image only when embedded (``data:``), never from elsewhere."""
    plain = re.sub(r"[\x00-\x20]+", "", html.unescape(value)).lower()  # as a browser reads it
    if name == "href":
        return tag == "a" and not plain.startswith("data:")
    if name == "src":
        return tag == "img" and plain.startswith("data:image/")
    return name in LAYOUT or (tag == "img" and name in ("width", "height"))


_CLEANER = bleach.Cleaner(
    tags=HTML_TAGS,
    attributes=_allowed,
    protocols={"http", "https", "mailto", "data"},
    strip=True,
    css_sanitizer=CSSSanitizer(allowed_css_properties=CSS_PROPERTIES),
)


def _clean_html(text: str) -> str:
    """An output's HTML without scripts, styles, frames, forms or remote loads; tables stay."""
    # Whole <script> and <style> elements go first, so their code is not left behind as text.
    return _CLEANER.clean(re.sub(r"<(script|style)\b.*?</\1\s*>", "", text, flags=re.I | re.S))


def _safe_outputs(nb) -> None:
    """Keep of each output what a shared page may show (see ``SAFE_OUTPUTS``), in place."""
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "text/markdown" in data:  # shown as its source: raw HTML in it stays text
                data["text/plain"] = data.pop("text/markdown")
            if "text/html" in data:
                data["text/html"] = _clean_html(data["text/html"])
            for mime in set(data) - SAFE_OUTPUTS:
                del data[mime]


def _stop(nb) -> tuple[str, object]:
    """Where papermill's record (``metadata.papermill`` of the notebook and of each cell) says
    the run ended: ``("executed", None)`` when every code cell completed, ``("failed at cell N",
    cell)``, ``("stopped at cell N of M", cell)`` when cut short, ``("", None)`` without a
    record. N counts code cells from 1."""
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    marks = [cell.metadata.get("papermill") or {} for cell in code]
    if not any(marks) and not nb.metadata.get("papermill"):
        return "", None
    for n, mark in enumerate(marks, 1):
        if mark.get("status") == "failed":
            return f"failed at cell {n}", code[n - 1]
    if (nb.metadata.get("papermill") or {}).get("exception"):
        return "failed", None
    for n, mark in enumerate(marks, 1):
        if mark.get("status") != "completed":  # running when it stopped, or never reached
            return f"stopped at cell {n} of {len(code)}", code[n - 1]
        if "start_time" in mark and not mark["start_time"]:
            # "completed" but never started: after an interrupt or a dead kernel papermill marks
            # the cells left so, and the cell before this one was running when it stopped.
            n = max(n - 1, 1)
            return f"stopped at cell {n} of {len(code)}", code[n - 1]
    return "executed", None


def _banner(status: str, cell) -> str:
    """A warning on top of the page of a run that did not complete, linking to where it ended."""
    if not status.startswith(("failed", "stopped", "interrupted")):
        return ""
    link = ""
    if cell is not None and cell.get("id"):
        link = f' <a href="#{html.escape("cell-id=" + cell.id)}">Go to that cell.</a>'
    return (
        f'<div class="course-stopped" role="alert"><strong>This run did not complete: '
        f"{html.escape(status)}.</strong> The outputs end there: the cells after it did not run."
        f"{link}</div>"
    )


class NotebookError(ValueError):
    """An executed notebook that cannot be read (cut short by an interrupt or a full disk)."""


def _read(path: Path):
    """The notebook at ``path``; a damaged file is a :class:`NotebookError` naming it."""
    try:
        return nbformat.read(path, as_version=4)
    except (ValueError, KeyError, TypeError, AttributeError) as err:  # not JSON, not a notebook
        reason = " ".join(str(err.__cause__ or err).split())
        raise NotebookError(
            f"{path}: not a readable notebook ({reason}); run it again or delete it"
        ) from err


def _write(path: Path, text: str) -> None:
    """Write a page whole or not at all: a temporary file beside it, then renamed over it."""
    partial = path.with_name(f".{path.name}.partial-{os.getpid()}")
    try:
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def _seconds(value: str | None) -> str:
    """A wall time as the index shows it, or nothing when the runner's row was cut short."""
    try:
        return f"{float(value):.1f}"
    except (TypeError, ValueError):
        return ""


def _times(run_dir: Path) -> dict[str, tuple[str, str]]:
    """``{"02": (status, seconds)}`` from ``results/run_times.csv`` (written by the runner:
    ``ok``, ``failed``, ``skipped: why``, or any other word such as ``interrupted``)."""
    path = run_dir / "results" / "run_times.csv"
    times = {}
    with open(path if path.is_file() else os.devnull, newline="", errors="replace") as handle:
        for row in csv.DictReader(handle):
            number = (row.get("notebook") or "").strip()
            if number:
                times[number.zfill(2)] = (row.get("status") or "", _seconds(row.get("seconds")))
    return times


def _results(run_dir: Path) -> str:
    """The results table of notebook 07 (CSV, else Markdown shown as text), escaped."""
    results = run_dir / "results"
    table = results / "07_model_evaluation.csv"
    if table.is_file():
        try:
            frame = pd.read_csv(table)
        except ValueError as err:  # cut short or empty (pandas' errors are ValueErrors)
            return f'<p class="muted">{html.escape(f"{table}: not a readable table ({err})")}</p>'
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
    """Write ``run_dir/site/`` (index + one page per executed notebook); returns index.html.

    Every notebook is read before a page is written (a damaged one is refused by name), and
    each page is written whole or not at all, the index last."""
    run_dir = Path(run_dir).resolve()
    notebooks = sorted((run_dir / "notebooks").glob("*.ipynb"))
    if not notebooks:
        raise FileNotFoundError(f"{run_dir}: no executed notebooks in notebooks/")
    books = [_read(path) for path in notebooks]  # all of them, before anything is written
    times = _times(run_dir)
    site = run_dir / "site"
    site.mkdir(exist_ok=True)
    exporter = _Exporter(
        template_name="lab",
        extra_loaders=[DictLoader({"course.html.j2": TEMPLATE})],
        template_file="course.html.j2",
        embed_images=True,
    )
    titles, statuses = {}, {}
    for i, (path, nb) in enumerate(zip(notebooks, books, strict=True)):
        stop, cell = _stop(nb)
        recorded = times.get(path.stem[:2], ("", ""))[0]
        # where the notebook says it stopped, else the runner's word, else the notebook's
        status = stop if stop not in ("", "executed") else recorded or stop or "no run record"
        statuses[path.stem[:2]] = status
        nb.metadata.pop("widgets", None)  # widget views need a renderer from a CDN
        nb.metadata["title"] = titles[path.stem] = _title(nb, path.stem)
        _safe_outputs(nb)
        resources = {
            "metadata": {"name": path.stem, "path": str(path.parent)},
            "course_css": CSS,
            "course_banner": _banner(status, cell),
            "course_nav": _nav(
                notebooks[i - 1] if i else None,
                notebooks[i + 1] if i + 1 < len(notebooks) else None,
                run_dir.name,
            ),
        }
        body, _ = exporter.from_notebook_node(nb, resources=resources)
        _write(site / f"{path.stem}.html", body)

    pages = {p.stem[:2]: p.stem for p in notebooks}
    rows = []
    for number in sorted(set(times) | set(pages)):
        status = statuses.get(number, times.get(number, ("", ""))[0])
        seconds = times.get(number, ("", ""))[1]
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
    _write(site / "index.html", index)
    return site / "index.html"


def main(argv: list[str] | None = None) -> int:
    parser = OneLineParser(prog="build_site.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("run_dir", help="a run folder: runs/<time>-<profile>")
    args = parser.parse_args(argv)
    try:
        print(f"Open {build_site(args.run_dir)} in a browser.")
        return OK
    except (FileNotFoundError, NotebookError) as err:
        return fail(str(err))
    except OSError as err:  # a full disk, a read-only run folder
        return fail(f"{err.filename or args.run_dir}: {err.strerror or err}", FAILED)
    except KeyboardInterrupt:
        return fail("interrupted; every page written is whole: run it again", INTERRUPTED)


if __name__ == "__main__":
    sys.exit(main())
