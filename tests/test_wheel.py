"""The package as a reader installs it: a wheel, outside the repository, executing a chapter.

Builds the wheel, installs it (no dependencies, no editable link) into a fresh virtual
environment that borrows the project's pinned dependencies through a path file, and executes
one chapter copied into a temporary folder. The quiz and the reviews must come from the wheel,
and caches must go to the user cache folder, never into site-packages.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHAPTER = ROOT / "chapters" / "04-wordpiece.ipynb"  # the reviews, the quiz, the packaged model
pytestmark = pytest.mark.slow


def _run(*cmd, **kw):
    result = subprocess.run(cmd, capture_output=True, text=True, **kw)
    assert result.returncode == 0, f"{' '.join(map(str, cmd))}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out, src = tmp_path_factory.mktemp("wheel"), tmp_path_factory.mktemp("source")
    # build from a copy of what git tracks: setuptools' build/ folder and caches stay out of it
    tracked = _run("git", "ls-files", "pyproject.toml", "README.md", "bertcore", "data", cwd=ROOT).stdout.split()
    for name in tracked:
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, src / name)
    _run(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", str(out),
         str(src))
    (path,) = out.glob("bertcore-*.whl")
    return path


def test_wheel_ships_the_package_quizzes_and_reviews(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    modules = {p.relative_to(ROOT).as_posix() for p in (ROOT / "bertcore").rglob("*.py")}
    assert modules <= names, sorted(modules - names)
    quizzes = {f"bertcore/book_data/quizzes/{p.name}" for p in (ROOT / "data" / "quizzes").glob("*.json")}
    assert len(quizzes) >= 26 and quizzes <= names
    assert {"bertcore/book_data/reviews/drugsComTrain.tsv", "bertcore/book_data/reviews/drugsComTest.tsv",
            "bertcore/book_data/reviews/README.md"} <= names
    assert not any("/cache/" in n or n.startswith("bertcore/book_data/extracted") for n in names)


def test_installed_wheel_executes_a_chapter_outside_the_repository(wheel, tmp_path):
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    site = Path(_run(str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").stdout.strip())
    # the project's pinned dependencies, without the editable bertcore (its .pth is not read from here)
    (site / "borrowed-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    _run(sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps", "--no-index",
         str(wheel))
    work = tmp_path / "reader"
    work.mkdir()
    shutil.copy(CHAPTER, work / CHAPTER.name)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BERTCORE_", "PYTHONPATH"))}
    env.update(HOME=str(tmp_path / "home"), XDG_CACHE_HOME=str(tmp_path / "cache"),
               JUPYTER_PATH=str(env_dir / "share" / "jupyter"), HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1",
               MPLBACKEND="Agg")
    where = _run(str(python), "-c", "import bertcore, bertcore.support.quiz as q; print(bertcore.__file__); "
                 "print(q.quiz_dir())", cwd=work, env=env).stdout.split()
    assert all(str(site) in line for line in where), where  # the wheel's code and quizzes, not the repository's
    before = sorted(p for p in (site / "bertcore").rglob("*") if "__pycache__" not in p.parts)
    _run(str(python), "-m", "ipykernel", "install", "--prefix", str(env_dir), "--name", "bertcore-wheel",
         cwd=work, env=env)
    _run(str(python), "-c", (
        "import nbformat; from nbclient import NotebookClient; "
        f"nb = nbformat.read('{CHAPTER.name}', as_version=4); "
        "NotebookClient(nb, kernel_name='bertcore-wheel', timeout=600, "
        "resources={'metadata': {'path': '.'}}).execute()"), cwd=work, env=env, timeout=900)
    after = sorted(p for p in (site / "bertcore").rglob("*") if "__pycache__" not in p.parts)
    assert after == before, "the chapter wrote into site-packages"
