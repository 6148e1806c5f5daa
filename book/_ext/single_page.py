"""Let the single-page build (``make pdf``) draw myst-nb's folded code cells as the HTML build does.

myst-nb registers its HTML visitors for the ``html`` builder only; the theme's translator for
``singlehtml`` then fails on the first cell tagged ``hide-input``. The same visitors serve both.
"""
from __future__ import annotations

from myst_nb.sphinx_ import HideCodeCellNode, depart_HideCellInput, visit_HideCellInput


def setup(app):
    app.add_node(HideCodeCellNode, override=True, singlehtml=(visit_HideCellInput, depart_HideCellInput))
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
