"""The executed course as pages (issue 14.4): a small run's site, read in a real headless Chromium.

The run folder is made here, not by the smoke profile: notebooks 00 (no weights) and 01 (the small
split) executed with papermill, plus a results table and the runner's wall times.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from pathlib import Path
from urllib.parse import unquote, urldefrag

import nbformat
import pytest

import build_site as site
from utils.runner import execute_notebook

# As root in a closed network: no sandbox, no GPU, no calls home (each would log a failure).
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TRICKY = "<b>cnn</b> & co"  # a model name the index must show as text, not as markup


def chromium_or_skip() -> str:
    """The Chromium binary to drive, or a skip that says what is missing."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.skip("no browser: playwright is not importable (pip install -r requirements.txt)")
    binary = (
        os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    )
    if not binary:
        pytest.skip("no browser: no chromium binary (apt-get install chromium)")
    return binary


def write_results(run_dir: Path, times: list[tuple[str, str, float]]) -> None:
    results = run_dir / "results"
    results.mkdir(parents=True, exist_ok=True)
    (results / "07_model_evaluation.csv").write_text(
        f"model,accuracy,f1,book_test_accuracy\n{TRICKY},0.51234,0.5,\nvgg16,0.9,0.91,0.96\n"
    )
    lines = ["notebook,status,seconds", *(f"{n},{s},{t}" for n, s, t in times)]
    (results / "run_times.csv").write_text("\n".join(lines) + "\n")


@pytest.fixture
def served(tmp_path):
    """Serve a folder on 127.0.0.1 from a thread; yields a function folder -> base URL."""
    servers = []

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    def serve(folder: Path) -> str:
        handler = functools.partial(Quiet, directory=str(folder))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/"

    yield serve
    for server in servers:
        server.shutdown()
        server.server_close()


def figure_count(notebook: Path) -> int:
    nb = nbformat.read(notebook, as_version=4)
    return sum(
        1
        for cell in nb.cells
        for out in cell.get("outputs", [])
        if any(k.startswith("image/") for k in out.get("data", {}))
    )


def crawl(binary: str, base: str) -> tuple[dict[str, dict], list[str]]:
    """Open the first page, follow every link on this site; returns {url: facts} and problems."""
    from playwright.sync_api import sync_playwright

    pages, problems, todo = {}, [], [base + "index.html"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=binary, args=CHROMIUM_FLAGS, headless=True)
        page = browser.new_page()
        page.on(
            "console",
            lambda m: m.type == "error" and problems.append(f"console: {m.text} ({page.url})"),
        )
        page.on("pageerror", lambda e: problems.append(f"script error: {e} ({page.url})"))
        page.on(
            "request",
            lambda r: (
                not r.url.startswith((base, "data:"))
                and problems.append(f"fetched from outside the site: {r.url}")
            ),
        )
        while todo:
            url = todo.pop(0)
            if url in pages:
                continue
            response = page.goto(url, wait_until="load")
            status = response.status if response else None
            facts = page.evaluate(
                """() => ({
                  title: document.title,
                  text: document.body.innerText,
                  links: Array.from(document.querySelectorAll('a[href]'), a => a.href),
                  images: Array.from(document.images, i => [i.complete, i.naturalWidth]),
                  ids: Array.from(document.querySelectorAll('[id]'), e => e.id),
                  bold_in_tables: document.querySelectorAll('table b').length,
                })"""
            )
            pages[url] = {"status": status, **facts}
            for link in facts["links"]:
                target, fragment = urldefrag(link)
                if not target.startswith(base):
                    continue  # a reference to the outside world: not followed offline
                ids = facts["ids"]  # a browser tries the fragment as written, then decoded
                if target == url and fragment and not {fragment, unquote(fragment)} & set(ids):
                    problems.append(f"{url}: no anchor #{fragment}")
                if target not in pages:
                    todo.append(target)
        browser.close()
    return pages, problems


@pytest.mark.notebook
@pytest.mark.slow
def test_a_small_run_reads_in_a_browser(tmp_path, served, request):
    binary = chromium_or_skip()  # before the small split is built: a skip costs nothing
    split = request.getfixturevalue("cats_dogs_split")
    run_dir = tmp_path / "20260101-000000-smoke"
    executed = run_dir / "notebooks"
    execute_notebook(
        "00", executed / "00_concepts.ipynb", {"IMAGE_SIZE": 64, "WEIGHTS": None}, progress=False
    )
    execute_notebook(
        "01",
        executed / "01_datasets.ipynb",
        {
            "SOURCE_DIR": None,
            "DATA_DIR": str(split),
            "BREEDS_SOURCE_DIR": str(tmp_path / "absent"),
            "BREEDS_DATA_DIR": str(tmp_path / "dog-breeds"),
            "IMAGE_SIZE": 32,
            "SAMPLES_PER_CLASS": 2,
        },
        progress=False,
    )
    write_results(run_dir, [("00", "ok", 26.25), ("01", "ok", 14.0), ("02", "skipped: test", 0)])

    index = site.build_site(run_dir)
    assert index == run_dir / "site" / "index.html"
    base = served(index.parent)
    pages, problems = crawl(binary, base)

    assert not problems, "\n".join(problems)
    expected = {base + "index.html"} | {base + f"{nb.stem}.html" for nb in executed.glob("*")}
    assert set(pages) == expected  # every page reached from the first one, and nothing else
    assert all(facts["status"] == 200 for facts in pages.values()), pages
    first = pages[base + "index.html"]
    assert TRICKY in first["text"] and first["bold_in_tables"] == 0  # escaped, shown as text
    assert "26.2" in first["text"] and "skipped: test" in first["text"]  # the wall times
    for notebook in executed.glob("*.ipynb"):
        facts = pages[base + f"{notebook.stem}.html"]
        assert base + "index.html" in facts["links"]  # each page links back to the first
        shown = [width for complete, width in facts["images"] if complete]
        assert len(shown) >= figure_count(notebook) > 0, notebook.name
        assert all(width > 0 for _, width in facts["images"]), notebook.name


def test_build_site_command_and_empty_run(tmp_path, capsys):
    run_dir = tmp_path / "run"
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Notebook 02: <CNN> & friends\n\nText."),
        nbformat.v4.new_code_cell("print('hi')", outputs=[]),
    ]
    (run_dir / "notebooks").mkdir(parents=True)
    nbformat.write(nb, run_dir / "notebooks" / "02_cnn.ipynb")
    (run_dir / "results").mkdir()  # the runner's times after a failing notebook
    (run_dir / "results" / "run_times.csv").write_text(
        "notebook,status,seconds\n01,skipped: <none>,0.0\n02,failed,12.345\n"
    )
    assert site.main([str(run_dir)]) == 0
    assert "index.html" in capsys.readouterr().out
    text = (run_dir / "site" / "index.html").read_text()
    assert "Notebook 02: &lt;CNN&gt; &amp; friends" in text  # titles escaped too
    assert "notebook 07 did not run" in text
    assert "skipped: &lt;none&gt;" in text and "<td>failed</td><td>12.3</td>" in text
    assert "cdnjs" not in (run_dir / "site" / "02_cnn.html").read_text()  # nothing from CDNs
    assert site.main([str(tmp_path / "nothing")]) == 2
    assert "no executed notebooks" in capsys.readouterr().err
