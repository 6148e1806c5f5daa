"""Generate the API index of ``bertcore`` for book/bertcore.md, so the page never goes stale.

Reads the source with ``ast`` (nothing is imported or executed): for every module of
``bertcore/`` and its subpackages, its summary line, its public functions and classes with the first line of
their docstrings, and the test files that import it (``from bertcore.X import``,
``import bertcore.X``) or use one of its names through the package (``bc.name``,
``from bertcore import name``). The result is written to ``_build/generated/bertcore_api.md``,
which book/bertcore.md includes.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "_build" / "generated" / "bertcore_api.md"


def _first_line(node) -> str:
    doc = ast.get_docstring(node) or ""
    line = doc.strip().split("\n\n")[0].replace("\n", " ").strip()
    return line.replace("|", "\\|")


def _exports() -> dict[str, str]:
    """Name -> defining module (dotted, without ``bertcore.``) of ``bertcore/__init__.py``'s re-exports."""
    tree = ast.parse((ROOT / "bertcore" / "__init__.py").read_text(encoding="utf-8"))
    return {alias.asname or alias.name: node.module.removeprefix("bertcore.")
            for node in tree.body if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("bertcore.")
            for alias in node.names}


def _modules() -> list[tuple[str, Path]]:
    """(dotted name, path) of every module: the core first, then each subpackage."""
    paths = sorted((ROOT / "bertcore").rglob("*.py"), key=lambda p: (len(p.relative_to(ROOT).parts), str(p)))
    return [(".".join(p.relative_to(ROOT / "bertcore").with_suffix("").parts), p) for p in paths
            if p.name != "__init__.py" and not p.name.startswith("_")]


def _tests_using(module: str, names: set[str]) -> list[str]:
    hits = []
    for test in sorted((ROOT / "tests").glob("test_*.py")):
        src = test.read_text(encoding="utf-8")
        mod = re.escape(module)
        direct = re.search(rf"(from bertcore\.{mod} import|import bertcore\.{mod}\b|bertcore\.{mod}\.)", src)
        via_package = any(re.search(rf"\b(bc|bertcore)\.{re.escape(n)}\b", src) or
                          re.search(rf"from bertcore import [^\n]*\b{re.escape(n)}\b", src) for n in names)
        if direct or via_package:
            hits.append(test.name)
    return hits


def render() -> str:
    exports = _exports()
    lines = ["| module | public names (first docstring line) | tests |", "|---|---|---|"]
    for module, path in _modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        items = [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))
                 and not n.name.startswith("_")]
        exported = {n for n, m in exports.items() if m == module}
        names = "<br>".join(
            f"`{n.name}`{' (`bc.`)' if n.name in exported else ''}: {_first_line(n)}" for n in items)
        tests = ", ".join(f"`{t}`" for t in _tests_using(module, exported | {n.name for n in items})) or "none"
        lines.append(f"| `bertcore.{module}`<br>{_first_line(tree)} | {names} | {tests} |")
    return "\n".join(lines) + "\n"


def _generate(app, config=None):
    OUT.parent.mkdir(parents=True, exist_ok=True)
    text = render()
    if not OUT.is_file() or OUT.read_text(encoding="utf-8") != text:  # keep mtime when unchanged
        OUT.write_text(text, encoding="utf-8")


def _outdated(app, env, added, changed, removed):
    """Re-read book/bertcore.md whenever bertcore/ or tests/ changed since it was last read."""
    doc = "book/bertcore"
    if doc not in env.all_docs:
        return []
    read_at = env.all_docs[doc]  # mtime of the last read, in microseconds
    newest = max(p.stat().st_mtime for p in [*(ROOT / "bertcore").rglob("*.py"), *(ROOT / "tests").glob("*.py")])
    return [doc] if newest * 1e6 > read_at else []


def setup(app):
    app.connect("config-inited", _generate)
    app.connect("env-get-outdated", _outdated)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
