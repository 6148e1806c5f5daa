"""The whole book as one PDF: the single-page HTML build, printed by the Debian chromium of the tests.

Usage: .venv/bin/python scripts/build_pdf.py   (or `make pdf`)

Builds ``_build/singlehtml`` with the execution cache of the HTML build (a chapter executes only
if its code changed since `make book`), serves it on 127.0.0.1, waits until MathJax has typeset,
checks that every chapter is on the page, and prints it to ``_build/html/bert-book.pdf``, where
the intro links to it. Exits non-zero if a chapter is missing or the PDF has fewer pages than
chapters.
"""
from __future__ import annotations

import functools
import http.server
import json
import re
import subprocess
import sys
import threading
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
SINGLE = ROOT / "_build" / "singlehtml"
PDF = ROOT / "_build" / "html" / "bert-book.pdf"
CHROMIUM = "/usr/bin/chromium"
SMART_QUOTES = str.maketrans("\u2018\u2019\u201c\u201d", "''\"\"")  # Sphinx's smartquotes, undone
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chapter_titles() -> list[str]:
    """The first heading of every chapter notebook, e.g. '1. Understanding BERT'."""
    titles = []
    for path in sorted((ROOT / "chapters").glob("[0-9][0-9]-*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        first = "".join(cells[0]["source"]).splitlines()[0]
        titles.append(first.lstrip("#").strip())
    return titles


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def main() -> int:
    build = [sys.executable, str(ROOT / "scripts" / "build_book.py"), "--builder", "singlehtml"]
    if subprocess.run(build, cwd=ROOT).returncode:
        return 1
    from playwright.sync_api import sync_playwright

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(SINGLE)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
            page = browser.new_page()
            page.route(re.compile(r"^(?!http://127\.0\.0\.1)"), lambda route: route.abort())  # offline
            root = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))["root"]  # index.html redirects
            page.goto(f"http://127.0.0.1:{httpd.server_address[1]}/{root}.html", wait_until="load", timeout=300_000)
            page.wait_for_function("() => !window.MathJax || (MathJax.startup && MathJax.startup.promise)",
                                   timeout=120_000)
            page.evaluate("() => window.MathJax && MathJax.startup.promise")
            text = page.inner_text("body").translate(SMART_QUOTES)
            missing = [t for t in chapter_titles() if t not in text]
            if missing:
                print(f"chapters missing from the single page: {missing}", file=sys.stderr)
                return 1
            PDF.parent.mkdir(parents=True, exist_ok=True)
            page.emulate_media(media="print")
            page.add_style_tag(content="pre { white-space: pre-wrap; overflow-wrap: anywhere; }")  # no cut lines
            page.pdf(path=str(PDF), format="A4", print_background=True,
                     margin={"top": "15mm", "bottom": "15mm", "left": "12mm", "right": "12mm"})
            browser.close()
    finally:
        httpd.shutdown()
    pages = len(re.findall(rb"/Type\s*/Page\b", PDF.read_bytes()))
    chapters = len(chapter_titles())
    print(f"{PDF.relative_to(ROOT)}: {pages} pages, {PDF.stat().st_size / 1e6:.1f} MB, {chapters} chapters")
    return 0 if pages >= chapters else 1


if __name__ == "__main__":
    sys.exit(main())
