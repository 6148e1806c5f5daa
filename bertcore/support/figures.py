"""Figures shown with alt text: one way for every plot and diagram to reach the page.

A matplotlib figure shown by the notebook's inline backend becomes an ``<img>`` whose only
description is its file name. ``show_figure(fig, alt)`` instead shows the figure as an image
that carries ``alt``, a sentence saying what the figure shows, in the built book, in
JupyterLab (trusted outputs) and in the PDF; a PNG copy rides along for viewers that do not
render HTML. The figure is closed afterwards, so the inline backend does not draw it twice.
"""
from __future__ import annotations

import base64
import html
import io

from bertcore._checks import check_str

MIN_ALT_WORDS = 4  # "Bar chart of accuracy": a name for the figure, not yet a description
DPI = 120  # drawn at 1.2x and shown at 100 px per inch: sharper than the inline backend, still light


def figure_html(fig, alt: str) -> tuple[str, bytes]:
    """(HTML ``<img>`` with ``alt`` and an inline PNG, the PNG bytes) for a matplotlib figure."""
    alt = check_alt(alt)
    if not hasattr(fig, "savefig"):
        raise TypeError(f"fig must be a matplotlib Figure (e.g. plt.subplots()[0]), got {type(fig).__name__}")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight", facecolor="white")
    png = buf.getvalue()
    width = round(fig.get_size_inches()[0] * 100)  # CSS pixels; the page scales it down to fit
    tag = (f'<img class="bertcore-figure" alt="{html.escape(alt, quote=True)}" width="{width}" '
           f'style="max-width: 100%; height: auto;" '
           f'src="data:image/png;base64,{base64.b64encode(png).decode("ascii")}">')
    return tag, png


def check_alt(alt) -> str:
    """Alt text is a short description (>= 4 words), not a file name or a placeholder."""
    check_str("alt", alt, "give one sentence saying what the figure shows")
    alt = " ".join(alt.split())
    if len(alt.split()) < MIN_ALT_WORDS or alt.lower().endswith((".png", ".svg", ".jpg")):
        raise ValueError(f"alt={alt!r} does not describe the figure: write a sentence of at least "
                         f"{MIN_ALT_WORDS} words saying what it shows, e.g. 'Line chart: training loss "
                         "falls from 6.8 to 6.1 over 60 steps'")
    return alt


def show_figure(fig, alt: str) -> None:
    """Show ``fig`` with alt text (``alt``: what it shows, in a sentence) and close it."""
    import matplotlib.pyplot as plt
    from IPython.display import display

    tag, png = figure_html(fig, alt)
    plt.close(fig)
    display({"text/html": tag, "image/png": base64.b64encode(png).decode("ascii"),
             "text/plain": f"[figure: {' '.join(alt.split())}]"}, raw=True)
