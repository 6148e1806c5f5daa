"""Execute chapter notebooks top to bottom (no outputs saved) and print seconds per chapter.

Usage: .venv/bin/python scripts/run_chapter.py chapters/01-*.ipynb [--timeout 300]
Exits non-zero if any cell fails. The notebooks on disk are left untouched.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent


def run(path: Path, timeout: int) -> float:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=timeout, kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    start = time.perf_counter()
    client.execute()
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--timeout", type=int, default=300, help="seconds per cell")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    failed = 0
    for path in args.notebooks:
        try:
            seconds = run(path, args.timeout)
            print(f"{path.name}: {seconds:.1f} s", flush=True)
        except Exception as err:  # report every failing chapter, not only the first
            failed += 1
            print(f"{path.name}: FAILED\n{err}", file=sys.stderr, flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
