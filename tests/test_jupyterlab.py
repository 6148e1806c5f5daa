"""JupyterLab as a reader sees a chapter: MyST rendered (jupyterlab-myst), solutions folded.

Starts JupyterLab on a temporary copy of a chapter (the repository's notebooks are never
opened, so no autosave can write outputs into them) and drives it with the Debian chromium
of tests/test_browser.py.
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_browser import CHROMIUM, CHROMIUM_ARGS, _missing

ROOT = Path(__file__).resolve().parents[1]
CHAPTER = ROOT / "chapters" / "09-masking-strategy.ipynb"  # admonitions, citations, exercise, solution
pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    if not CHROMIUM.exists():
        _missing("chromium is missing: run `make browser`")
    root = tmp_path_factory.mktemp("lab")
    shutil.copy(CHAPTER, root / CHAPTER.name)
    settings = root / ".settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)
    # draw every cell at once (JupyterLab otherwise renders only the cells in view)
    (settings / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
    port, token = _free_port(), "bertbook-test"
    env = {**os.environ, "JUPYTERLAB_SETTINGS_DIR": str(root / ".settings"),
           "JUPYTER_RUNTIME_DIR": str(root / ".runtime")}
    log = open(root / "lab.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", f"--port={port}",
         "--ServerApp.ip=127.0.0.1", f"--ServerApp.token={token}", f"--ServerApp.root_dir={root}"],
        env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        for _ in range(120):
            try:
                socket.create_connection(("127.0.0.1", port), 1).close()
                break
            except OSError:
                time.sleep(0.5)
        yield f"http://127.0.0.1:{port}/lab/tree/{CHAPTER.name}?token={token}"
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


def test_jupyterlab_renders_myst_and_folds_solutions(lab):
    from playwright.sync_api import sync_playwright

    cells = json.loads(CHAPTER.read_text(encoding="utf-8"))["cells"]
    solutions = [c for c in cells if "solution" in c["metadata"].get("tags", [])]
    assert solutions, "the chapter has a coding exercise with a solution cell"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(lab, timeout=120_000)
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=120_000)
        page.wait_for_selector(".myst-admonition", timeout=120_000)  # jupyterlab-myst drew a {note}
        # it renders cell by cell: wait until every markdown cell has been drawn
        n_markdown = sum(c["cell_type"] == "markdown" for c in cells)
        page.wait_for_function("n => document.querySelectorAll('.jp-MarkdownCell .myst').length >= n",
                               arg=n_markdown, timeout=120_000)
        rendered = page.locator(".jp-MarkdownCell .myst").all_inner_texts()  # jupyterlab-myst's renderer
        placeholders = page.locator(".jp-InputPlaceholder").all_inner_texts()
        others = "\n".join("".join(c["source"]) for c in cells if c not in solutions)
        body_lines = [line.strip() for c in solutions for line in "".join(c["source"]).splitlines()[1:]
                      if len(line.strip()) > 12 and line.strip() not in others]  # only in the solution
        assert body_lines
        visible = [line for line in body_lines if page.get_by_text(line, exact=False).first.is_visible()]
        browser.close()
    raw = [t[:80] for t in rendered if "```{" in t or "{cite}" in t or ":label:" in t]
    assert len(rendered) >= n_markdown and not raw, f"MyST shown as raw text: {raw}"
    assert sum("Solution" in t for t in placeholders) == len(solutions), placeholders
    assert not visible, f"solution code visible before it is unfolded: {visible[:3]}"
