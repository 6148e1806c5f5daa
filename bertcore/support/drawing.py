"""Concept diagrams in one style: boxes, arrows, token rows and grids on a unit canvas.

Every chapter draws its picture of the idea with these few pieces, so that the book's
diagrams share one look: the same colours for the same roles, one font size, one arrow.
Coordinates are in *cells*: a token box is one cell wide, and one cell is half an inch, so a
16-cell-wide diagram fills the book's column. ``(0, 0)`` is the lower-left corner.

    fig, ax = new_diagram(12, 4)
    draw_tokens(ax, ["[CLS]", "the", "cat", "[SEP]"], x=1, y=0.5)
    draw_box(ax, 1, 2, 4, 1, "BERT encoder", role="model")
    show_figure(fig, alt="Four tokens enter the BERT encoder box.")

Colours come from the Okabe-Ito palette, which stays distinct under colour blindness; text is
always near-black on a light fill, so every label passes WCAG AA contrast.
"""
from __future__ import annotations

from collections.abc import Sequence

from bertcore._checks import check_choice

CELL_INCHES = 0.5  # one cell of the canvas on the page
MAX_CELLS = 24  # wider than this and the labels shrink below reading size in the column
FONT_SIZE = 10
TEXT = "#1a1a1a"
# role -> (fill, edge): what a box *is* decides its colour, in every chapter
ROLES = {
    "input": ("#e6f1fa", "#0072b2"),  # tokens, text, ids: what goes in
    "model": ("#fff2d9", "#e69f00"),  # encoder layers, attention, the network
    "head": ("#e2f4ec", "#009e73"),  # task heads, classifiers, outputs that are trained
    "output": ("#f5e6ef", "#cc79a7"),  # predictions, vectors, scores
    "mask": ("#fbe5d9", "#d55e00"),  # [MASK], replaced or hidden tokens, what is predicted
    "special": ("#ececec", "#666666"),  # [CLS], [SEP], [PAD]
    "plain": ("#ffffff", "#888888"),  # anything else
}
SPECIAL_TOKENS = {"[CLS]", "[SEP]", "[PAD]", "[UNK]", "<s>", "</s>", "<pad>"}
MASK_TOKENS = {"[MASK]", "<mask>"}


def new_diagram(width: float, height: float):
    """A blank canvas ``width`` x ``height`` cells, axes hidden; returns ``(fig, ax)``."""
    import matplotlib.pyplot as plt

    for name, value in (("width", width), ("height", height)):
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 < value <= MAX_CELLS:
            raise ValueError(f"{name} must be a number of cells in (0, {MAX_CELLS}], got {value!r}; "
                             f"a wider picture is unreadable in the book's column: split it in two")
    fig, ax = plt.subplots(figsize=(width * CELL_INCHES, height * CELL_INCHES))
    fig.subplots_adjust(0, 0, 1, 1)
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.set_aspect("equal")
    ax.axis("off")
    return fig, ax


def _colours(role: str) -> tuple[str, str]:
    return ROLES[check_choice("role", role, ROLES)]


def draw_box(ax, x: float, y: float, w: float, h: float, text: str = "", *, role: str = "model",
             fontsize: float = FONT_SIZE, dashed: bool = False, bold: bool = False):
    """A rounded box with its lower-left corner at (x, y), ``text`` centred; returns its centre."""
    from matplotlib.patches import FancyBboxPatch

    fill, edge = _colours(role)
    pad = min(0.08, w / 4, h / 4)
    ax.add_patch(FancyBboxPatch((x + pad, y + pad), w - 2 * pad, h - 2 * pad,
                                boxstyle=f"round,pad={pad},rounding_size={min(0.2, w / 4, h / 4)}",
                                facecolor=fill, edgecolor=edge, linewidth=1.4,
                                linestyle="--" if dashed else "-"))
    if text:
        ax.text(x + w / 2, y + h / 2, text, ha="center", va="center", fontsize=fontsize, color=TEXT,
                fontweight="bold" if bold else "normal")
    return (x + w / 2, y + h / 2)


def draw_arrow(ax, start: Sequence[float], end: Sequence[float], text: str = "", *,
               curve: float = 0.0, dashed: bool = False, linewidth: float = 1.3, fontsize: float = FONT_SIZE - 1):
    """An arrow from ``start`` to ``end`` (x, y), optionally bent (``curve``), thicker (``linewidth``,
    e.g. to show a weight) and labelled at its middle."""
    from matplotlib.patches import FancyArrowPatch

    ax.add_patch(FancyArrowPatch(tuple(start), tuple(end), arrowstyle="-|>", mutation_scale=12,
                                 connectionstyle=f"arc3,rad={curve}", color="#444444", linewidth=linewidth,
                                 linestyle="--" if dashed else "-", shrinkA=2, shrinkB=2))
    if text:
        mx, my = (start[0] + end[0]) / 2, (start[1] + end[1]) / 2
        ax.text(mx, my, text, ha="center", va="center", fontsize=fontsize, color=TEXT,
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 1.0})


def draw_text(ax, x: float, y: float, text: str, *, ha: str = "left", va: str = "center",
              fontsize: float = FONT_SIZE, bold: bool = False, italic: bool = False):
    """A label without a box, e.g. a caption beside a row of tokens."""
    ax.text(x, y, text, ha=check_choice("ha", ha, ("left", "center", "right")), va=va, fontsize=fontsize,
            color=TEXT, fontweight="bold" if bold else "normal", fontstyle="italic" if italic else "normal")


def draw_tokens(ax, tokens: Sequence[str], x: float, y: float, *, roles: Sequence[str] | dict | None = None,
                width: float = 1.0, height: float = 0.8, gap: float = 0.1, below: Sequence | None = None,
                fontsize: float = FONT_SIZE - 1) -> list[tuple[float, float]]:
    """A row of token boxes from (x, y) rightwards; returns each box's centre.

    ``roles``: one role per token, or ``{index: role}`` for a few (the rest are ``input``;
    ``[MASK]`` defaults to ``mask``, other special tokens such as ``[CLS]`` to ``special``).
    ``below``: a small label under each box, e.g. the token ids or positions.
    """
    tokens = [str(t) for t in tokens]
    if isinstance(roles, dict):
        roles = [roles.get(i) for i in range(len(tokens))]
    roles = list(roles) if roles is not None else [None] * len(tokens)
    if len(roles) != len(tokens):
        raise ValueError(f"roles has {len(roles)} entries for {len(tokens)} tokens: give one per token "
                         "or a dict {index: role}")
    if below is not None and len(below) != len(tokens):
        raise ValueError(f"below has {len(below)} labels for {len(tokens)} tokens: give one per token")
    centres = []
    for i, (tok, role) in enumerate(zip(tokens, roles, strict=True)):
        role = role or ("mask" if tok in MASK_TOKENS else "special" if tok in SPECIAL_TOKENS else "input")
        left = x + i * (width + gap)
        centres.append(draw_box(ax, left, y, width, height, tok, role=role, fontsize=fontsize))
        if below is not None:
            ax.text(left + width / 2, y - 0.25, str(below[i]), ha="center", va="center",
                    fontsize=fontsize - 1.5, color="#333333")
    return centres


def draw_grid(ax, values, x: float, y: float, *, cell: float = 0.4, role: str = "model",
              row_labels: Sequence[str] | None = None, col_labels: Sequence[str] | None = None,
              fontsize: float = FONT_SIZE - 2) -> None:
    """A matrix of cells with its top-left corner at (x, y): 0 is white, 1 is the role's edge colour.

    For attention patterns (row = query, column = key), masks and tables of weights; values
    between 0 and 1 are shaded in between.
    """
    import numpy as np
    from matplotlib.colors import to_rgb
    from matplotlib.patches import Rectangle

    grid = np.asarray(values, dtype=float)
    if grid.ndim != 2 or not np.isfinite(grid).all() or grid.min() < 0 or grid.max() > 1:
        raise ValueError(f"values must be a finite 2-D array in [0, 1], got shape {grid.shape}: "
                         "scale it first, e.g. values / values.max()")
    _, edge = _colours(role)
    ink = np.array(to_rgb(edge))
    rows, cols = grid.shape
    for r in range(rows):
        for c in range(cols):
            colour = 1 - grid[r, c] * (1 - ink)  # white -> the role's colour
            ax.add_patch(Rectangle((x + c * cell, y - (r + 1) * cell), cell, cell, facecolor=colour,
                                   edgecolor="#bbbbbb", linewidth=0.5))
    for r, label in enumerate(row_labels or []):
        ax.text(x - 0.1, y - (r + 0.5) * cell, label, ha="right", va="center", fontsize=fontsize, color=TEXT)
    for c, label in enumerate(col_labels or []):
        ax.text(x + (c + 0.5) * cell, y + 0.1, label, ha="center", va="bottom", fontsize=fontsize,
                color=TEXT, rotation=90)
