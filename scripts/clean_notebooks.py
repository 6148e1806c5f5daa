"""Keep the chapter notebooks in their committed form: no outputs, a Colab setup cell, solutions folded.

Usage: .venv/bin/python scripts/clean_notebooks.py chapters/*.ipynb [--check]

For every notebook it
- strips outputs, execution counts and per-cell UI state (the book build executes them);
- writes the Colab setup cell, the first code cell: in Colab it installs the book's package from
  the repository named by ``repository.url`` in ``_config.yml``; elsewhere it does nothing, and the
  HTML book does not show it (tag ``remove-cell``);
- folds the hidden solution of each coding exercise (a ``hide-input`` cell that calls
  ``bc.check``): collapsed in JupyterLab (``jupyter.source_hidden``) and in Colab (a form whose
  ``#@title`` names it), tagged ``solution``.
``--check`` changes nothing and exits 1 if a notebook is not in this form (``tests/test_layout.py``).
"""
import sys
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parent.parent
SETUP_TAG, SOLUTION_TAG = "colab-setup", "solution"
SOLUTION_TITLE = "#@title Solution (double-click to show the code)"


def repository() -> tuple[str, str]:
    """(url, branch) from _config.yml; the url is empty until the book is published."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8")).get("repository") or {}
    return (config.get("url") or "").strip().rstrip("/"), (config.get("branch") or "main").strip()


def setup_source() -> str:
    url, branch = repository()
    head = ("# Colab only: install this book's package, bertcore, with its quizzes and data.\n"
            "# Elsewhere (JupyterLab, the book's build) this cell does nothing.\n"
            "import sys\n\n"
            'if "google.colab" in sys.modules:\n')
    if not url:
        return head + ('    raise RuntimeError("This copy of the book names no repository (repository.url in "\n'
                       '                       "_config.yml), so Colab cannot install its package: "\n'
                       '                       "run it with `make lab`.")')
    return head + ("    import subprocess\n\n"
                   '    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet",\n'
                   f'                    "bertcore @ git+{url}@{branch}"], check=True)')


def _is_solution(cell) -> bool:
    tags = cell.metadata.get("tags", [])
    return cell.cell_type == "code" and (SOLUTION_TAG in tags or ("hide-input" in tags and "bc.check(" in cell.source))


def normalise(nb) -> None:
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
        for key in ("execution", "collapsed", "scrolled"):
            cell.get("metadata", {}).pop(key, None)
    nb.metadata.pop("widgets", None)
    # the setup cell: first code cell, regenerated from _config.yml
    nb.cells = [c for c in nb.cells if SETUP_TAG not in c.metadata.get("tags", [])]
    first_code = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")
    setup = nbformat.v4.new_code_cell(setup_source(), id="colab-setup")
    setup.metadata["tags"] = [SETUP_TAG, "remove-cell"]
    nb.cells.insert(first_code, setup)
    # solutions folded in JupyterLab and Colab
    for cell in nb.cells:
        if _is_solution(cell):
            tags = cell.metadata.setdefault("tags", [])
            if SOLUTION_TAG not in tags:
                tags.append(SOLUTION_TAG)
            cell.metadata["jupyter"] = {**cell.metadata.get("jupyter", {}), "source_hidden": True}
            cell.metadata["cellView"] = "form"
            if not cell.source.startswith("#@title"):
                cell.source = f"{SOLUTION_TITLE}\n{cell.source}"


def main(paths: list[str], check: bool) -> int:
    stale = []
    for path in paths:
        before = Path(path).read_text(encoding="utf-8")
        nb = nbformat.reads(before, as_version=4)
        normalise(nb)
        after = nbformat.writes(nb) + "\n"
        if after != before:
            stale.append(path)
            if not check:
                Path(path).write_text(after, encoding="utf-8")
    verb = "not in committed form (run scripts/clean_notebooks.py)" if check else "cleaned"
    for path in stale:
        print(f"{verb}: {path}")
    return 1 if check and stale else 0


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--check"]
    sys.exit(main(args, check="--check" in sys.argv))
