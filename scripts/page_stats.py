"""How heavy each chapter page is: words of prose and lines of code a reader sees unfolded.

Usage: .venv/bin/python scripts/page_stats.py [chapters/*.ipynb] [--json]

Words count every markdown cell (short answer, prose, admonitions, exercises) as the reader
sees it: a ``{term}`` link counts as its text, a citation as nothing. Visible code
lines are the non-blank lines of code cells that the HTML book shows unfolded: cells tagged
``hide-input`` (collapsed), ``remove-input`` or ``remove-cell`` (not shown) do not count.
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FOLDED = {"hide-input", "remove-input", "remove-cell"}
# {term}`shown text <Target>` and {cite}`key`: count what the reader sees, not the markup
_ROLE = re.compile(r"\{(\w+)(?::\w+)?\}`([^`<]*)(?:<[^>]*>)?`")


def _shown(markdown: str) -> str:
    return _ROLE.sub(lambda m: "" if m[1] == "cite" else m[2], markdown)


def page_stats(path: Path) -> dict:
    """{'words', 'visible_code_lines', 'hidden_code_lines', 'figures'} of one chapter notebook."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    words = visible = hidden = 0
    for cell in cells:
        source = "".join(cell["source"])
        if cell["cell_type"] == "markdown":
            words += len(_shown(source).split())
        elif cell["cell_type"] == "code":
            lines = sum(1 for line in source.splitlines() if line.strip())
            if FOLDED & set(cell.get("metadata", {}).get("tags", [])):
                hidden += lines
            else:
                visible += lines
    return {"words": words, "visible_code_lines": visible, "hidden_code_lines": hidden}


def main(argv: list[str]) -> int:
    as_json = "--json" in argv
    paths = [Path(a) for a in argv if a != "--json"] or sorted((ROOT / "chapters").glob("[0-9][0-9]-*.ipynb"))
    rows = {p.stem: page_stats(p) for p in paths}
    if as_json:
        print(json.dumps(rows, indent=1))
        return 0
    print(f"{'chapter':<34} {'words':>6} {'visible code':>13} {'folded code':>12}")
    for name, r in rows.items():
        print(f"{name:<34} {r['words']:>6} {r['visible_code_lines']:>13} {r['hidden_code_lines']:>12}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
