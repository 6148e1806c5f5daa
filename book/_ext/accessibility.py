"""Accessibility fixes the theme and the widget manager leave to the book (WCAG 2 A/AA).

The browser test (tests/test_browser.py) audits every page with axe-core; these are the
fixes for what it found beyond the book's own content:

* the bibliography's citation list claims ``role="list"`` but holds no list items: the role is
  removed at build time;
* live controls drawn by the ipywidgets HTML manager (sliders, drop-downs, text boxes) have a
  visible label that is not tied to the control: a small script names each control after it
  (``aria-label``), also for controls drawn later;
* output and code regions that scroll sideways are made reachable by keyboard (``tabindex``),
  also those that the widget manager draws after the page has loaded;
* buttons and folded-cell toggles whose ``aria-label`` differs from their visible text are
  named by that text (icon-only buttons by their tooltip), so what is seen is what is announced;
* links are a shade darker, to keep a 4.5:1 contrast on the tinted backgrounds of admonitions.
"""
from __future__ import annotations

import re
from pathlib import Path

_CITATION_LIST = re.compile(r'<div role="list" class="citation-list">')

_CSS = """
html[data-theme="light"] { --pst-color-link: #0f5bc0; --pst-color-link-hover: #0a3f85; }
p.bertcore-live-note { font-size: 0.9em; color: #3d3d3d; margin: 0.2em 0; }
"""

_JS = r"""
(function () {
  function text(el) { return el ? el.textContent.replace(/\s+/g, ' ').trim() : ''; }
  function labelWidgets(root) {
    root.querySelectorAll('.widget-inline-hbox, .widget-hbox, .widget-box').forEach(function (box) {
      var label = text(box.querySelector(':scope > .widget-label'));
      if (!label) { return; }
      box.querySelectorAll('[role="slider"], select, input, textarea').forEach(function (c) {
        if (!c.getAttribute('aria-label') && !c.getAttribute('aria-labelledby')) {
          c.setAttribute('aria-label', label);
        }
      });
    });
  }
  function focusScrollers(root) {
    var scrollers = '.cell_output pre, .cell_output div, .highlight pre, .output pre, table, .jp-RenderedHTMLCommon';
    root.querySelectorAll(scrollers).forEach(function (el) {
      if (el.hasAttribute('tabindex') || el.scrollWidth <= el.clientWidth + 1) { return; }
      var style = getComputedStyle(el);
      if (/(auto|scroll)/.test(style.overflowX + style.overflow)) {
        el.setAttribute('tabindex', '0');
        if (!el.getAttribute('aria-label')) { el.setAttribute('aria-label', 'scrollable output'); }
      }
    });
  }
  function nameFromContent() {
    // a button or summary whose aria-label differs from its visible text: its name becomes its
    // text (or its tooltip title, for icon-only buttons), so what is seen is what is announced
    var labelled = 'button[aria-label], summary[aria-label]';
    document.querySelectorAll(labelled).forEach(function (el) {
      var label = el.getAttribute('aria-label');
      if (!el.getAttribute('title') && !text(el)) { el.setAttribute('title', label); }
      el.removeAttribute('aria-label');
    });
  }
  function fix() { nameFromContent(); labelWidgets(document); focusScrollers(document); }
  document.addEventListener('DOMContentLoaded', function () {
    fix();
    var pending = false;
    new MutationObserver(function () {
      if (pending) { return; }
      pending = true;
      setTimeout(function () { pending = false; labelWidgets(document); focusScrollers(document); }, 50);
    }).observe(document.body, {childList: true, subtree: true});
    window.addEventListener('load', fix);
  });
})();
"""


def _page(app, pagename, templatename, context, doctree):
    if "body" in context:
        context["body"] = _CITATION_LIST.sub('<div class="citation-list">', context["body"])


def _add_css(app):
    """Write the style rules to _static/bertcore-a11y.css and link it from every page."""
    if app.builder.format != "html":
        return
    static = Path(app.outdir) / "_static"
    static.mkdir(parents=True, exist_ok=True)
    (static / "bertcore-a11y.css").write_text(_CSS, encoding="utf-8")
    app.add_css_file("bertcore-a11y.css")


def setup(app):
    app.add_js_file(None, body=_JS)
    app.connect("builder-inited", _add_css)
    app.connect("html-page-context", _page)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
