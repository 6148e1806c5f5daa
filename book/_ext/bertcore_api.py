"""Generate the API index of ``bertcore`` for book/bertcore.md, so the page never goes stale.

Reads the source with ``ast`` (nothing is imported or executed): for every module of
``bertcore/``, its summary line, its public functions and classes with the first line of
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
    """bertcore/__init__.py's name -> module map (``_EXPORTS``)."""
    tree = ast.parse((ROOT / "bertcore" / "__init__.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "_EXPORTS" for t in node.targets):
            return ast.literal_eval(node.value)
    return {}


def _tests_using(module: str, names: set[str]) -> list[str]:
    hits = []
    for test in sorted((ROOT / "tests").glob("test_*.py")):
        src = test.read_text(encoding="utf-8")
        direct = re.search(rf"(from bertcore\.{module} import|import bertcore\.{module}\b|bertcore\.{module}\.)", src)
        via_package = any(re.search(rf"\b(bc|bertcore)\.{re.escape(n)}\b", src) or
                          re.search(rf"from bertcore import [^\n]*\b{re.escape(n)}\b", src) for n in names)
        if direct or via_package:
            hits.append(test.name)
    return hits


def render() -> str:
    exports = _exports()
    lines = ["| module | public names (first docstring line) | tests |", "|---|---|---|"]
    for path in sorted((ROOT / "bertcore").glob("*.py")):
        if path.name == "__init__.py":
            continue
        module = path.stem
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
    newest = max(p.stat().st_mtime for p in [*(ROOT / "bertcore").glob("*.py"), *(ROOT / "tests").glob("*.py")])
    return [doc] if newest * 1e6 > read_at else []


def setup(app):
    app.connect("config-inited", _generate)
    app.connect("env-get-outdated", _outdated)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
