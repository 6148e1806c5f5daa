"""Run every benchmarks/bench_*.py and collect what each main() returns.

Usage: .venv/bin/python benchmarks/run_all.py [name ...]   (e.g. `tokenization`; default: all)
Each benchmark prints its own table; this script prints a summary and exits 1 if any failed.
"""
from __future__ import annotations

import importlib.util
import json
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent


def run_all(names: list[str] | None = None) -> dict[str, dict]:
    """Results of each benchmark's main(), keyed by name, e.g. ``run_all(["tokenization"])``."""
    results = {}
    for path in sorted(HERE.glob("bench_*.py")):
        name = path.stem.removeprefix("bench_")
        if names and name not in names:
            continue
        print(f"== {name}", flush=True)
        start = time.perf_counter()
        try:
            spec = importlib.util.spec_from_file_location(path.stem, path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            results[name] = module.main()
        except Exception:  # one broken benchmark must not hide the others
            traceback.print_exc()
            results[name] = {"error": traceback.format_exc(limit=1)}
        print(f"   ({time.perf_counter() - start:.1f} s)\n", flush=True)
    return results


if __name__ == "__main__":
    results = run_all(sys.argv[1:])
    print(json.dumps(results, indent=1, default=str))
    sys.exit(1 if any("error" in r for r in results.values() if isinstance(r, dict)) else 0)
