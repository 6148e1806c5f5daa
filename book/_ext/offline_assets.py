"""Serve the book's JavaScript from its own ``_static/`` so pages render without internet.

What it does (see scripts/fetch_assets.sh for where the files come from):

* copies ``assets/vendor/`` (require.js, d3, jQuery, the ipywidgets HTML manager and its
  fonts, MathJax 3) to ``_static/vendor/``;
* writes ``_static/vendor/bertviz-libs.js`` (jQuery + d3 wrapped by ``bertcore.support.viz``), which the
  attention views of the executed notebooks load;
* tells the widget manager where its font files are (pages with widgets only);
* removes duplicated inline scripts (a `const` declared twice breaks the page).

``mathjax_path`` and ``nb_ipywidgets_js`` in ``_config.yml`` point at these local copies.
When ``assets/vendor/`` was never fetched (no npm), both are switched back to the public CDNs
and a notice is printed: the book still builds but needs internet to show maths and widgets.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENDOR = ROOT / "assets" / "vendor"
CDN_MATHJAX = "https://cdn.jsdelivr.net/npm/mathjax@3.2.2/es5/tex-mml-chtml.js"
CDN_WIDGETS = {
    "https://cdnjs.cloudflare.com/ajax/libs/require.js/2.3.6/require.min.js": {},
    "https://cdn.jsdelivr.net/npm/@jupyter-widgets/html-manager@1.0.15/dist/embed-amd.js": {
        "data-jupyter-widgets-cdn": "https://cdn.jsdelivr.net/npm/"},
}
REQUIRED = ["require.min.js", "d3.min.js", "jquery.min.js", "html-manager/embed-amd.js",
            "mathjax/tex-mml-chtml.js", ".fetched"]


def offline_ready() -> bool:
    """True when scripts/fetch_assets.sh has fetched every file the pages need."""
    return all((VENDOR / name).is_file() for name in REQUIRED)


def _configure(app, config):
    if not offline_ready():
        if os.environ.get("BERTBOOK_REQUIRE_ALL") == "1":  # `make test`: never fall back to CDNs
            raise RuntimeError("assets/vendor/ is incomplete: run `make assets` (needs npm)")
        print("NOTICE offline_assets: assets/vendor/ is incomplete (run `make assets`); "
              "MathJax and the widget manager load from CDNs: this book needs internet to render.",
              file=sys.stderr)
        config.mathjax_path = CDN_MATHJAX
        config.nb_ipywidgets_js = CDN_WIDGETS
        return
    sys.path.insert(0, str(ROOT))  # bertcore, also when it is not installed
    from bertcore.support.viz import LIBS_FILE, libs_bundle

    generated = Path(app.outdir).parent / "offline_static"
    (generated / LIBS_FILE).parent.mkdir(parents=True, exist_ok=True)
    (generated / LIBS_FILE).write_text(libs_bundle(), encoding="utf-8")
    # both land in _static/: assets/vendor/* -> _static/vendor/*, and vendor/bertviz-libs.js
    config.html_static_path = [*config.html_static_path, str(ROOT / "assets"), str(generated)]


def _page(app, pagename, templatename, context, doctree):
    """On pages with saved widgets: tell the widget manager where its font files are.

    The manager computes its asset folder from the AMD module id
    ``@jupyter-widgets/html-manager/dist/...``, which require.js resolves against the page's
    folder; a ``require`` config object defined before require.js maps it to _static/vendor.
    """
    files = context.get("script_files") or []
    if not offline_ready() or not any("html-manager/embed-amd.js" in str(getattr(js, "filename", js) or "")
                                      for js in files):
        return
    folder = context["pathto"]("_static/vendor/html-manager", 1)
    config = json.dumps({"paths": {"@jupyter-widgets/html-manager/dist": folder}})
    app.add_js_file(None, body=f"var require = {config};\n"
                               f"window.__jupyter_widgets_assets_path__ = {json.dumps(folder + '/')};",
                    priority=400)


def _dedupe_scripts(app, pagename, templatename, context, doctree):
    """Drop repeated inline scripts: sphinx-thebe's `const THEBE_JS_URL` is emitted twice under
    Jupyter Book 1.0 + Sphinx 7.4, and declaring a const twice is a JavaScript error."""
    files = context.get("script_files")
    if not isinstance(files, list):
        return
    seen, unique = set(), []
    for js in files:
        # the same inline script may come once with filename None and once with ''
        key = (getattr(js, "filename", str(js)) or "", repr(sorted(getattr(js, "attributes", {}).items())))
        if key not in seen:
            seen.add(key)
            unique.append(js)
    files[:] = unique


def setup(app):
    app.connect("config-inited", _configure, priority=100)  # before myst-nb reads its config
    app.connect("html-page-context", _page, priority=800)  # after myst-nb added the widget JS
    app.connect("html-page-context", _dedupe_scripts, priority=900)  # after everyone else's
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
