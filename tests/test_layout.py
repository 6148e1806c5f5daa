"""The package layout: the core at the top, roles in subpackages, one way in, README in sync."""
import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import bertcore

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "bertcore"
CORE = {"tokenization", "masking", "attention", "config", "encoder"}
ROLES = {"training", "variants", "analysis", "support"}


def _modules():
    return [p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts]


def test_core_at_the_top_and_roles_in_subpackages():
    top = {p.stem for p in PACKAGE.glob("*.py") if not p.name.startswith("_")}
    assert top == CORE
    subpackages = {p.name for p in PACKAGE.iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert subpackages == ROLES
    assert all((PACKAGE / r / "__init__.py").is_file() for r in ROLES)


def test_every_module_says_what_it_is_for():
    for path in _modules():
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
        assert doc and len(doc.split("\n")[0]) > 20, f"{path.relative_to(ROOT)} needs a first docstring line"


def test_module_names_never_collide():
    stems = [p.stem for p in _modules() if p.name != "__init__.py"]
    assert len(stems) == len(set(stems)), sorted(s for s in stems if stems.count(s) > 1)


def test_one_way_in_plain_imports_no_string_table():
    tree = ast.parse((PACKAGE / "__init__.py").read_text(encoding="utf-8"))
    assert not any(isinstance(n, ast.Assign) and isinstance(n.value, ast.Dict) for n in tree.body)
    assert not any(isinstance(n, ast.FunctionDef) and n.name == "__getattr__" for n in tree.body)
    for name in bertcore.__all__:
        obj = getattr(bertcore, name)
        module = getattr(obj, "__module__", None)
        if callable(obj) and module:  # a function or class is re-exported from where it is defined
            assert module.startswith("bertcore."), (name, module)


def test_public_names_are_unique_across_modules():
    tree = ast.parse((PACKAGE / "__init__.py").read_text(encoding="utf-8"))
    names = [a.asname or a.name for n in tree.body if isinstance(n, ast.ImportFrom) for a in n.names]
    assert len(names) == len(set(names))


def test_chapters_use_one_import_style():
    for nb in sorted((ROOT / "chapters").glob("*.ipynb")):
        code = "\n".join("".join(c["source"]) for c in json.loads(nb.read_text(encoding="utf-8"))["cells"]
                         if c["cell_type"] == "code")
        assert "import bertcore as bc" in code, nb.name
        assert not re.search(r"^\s*(from bertcore[\w.]* import|import bertcore\.)", code, re.M), nb.name


def test_readme_is_current():
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "sync_readme.py"), "--check"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
