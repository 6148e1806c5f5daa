"""Chapter budgets: seconds per chapter notebook, cold (empty model cache) and warm (cache filled).

Usage: .venv/bin/python benchmarks/bench_chapters.py [NN ...]   (default: every chapter)
Each chapter runs alone, top to bottom, in a fresh kernel with every core, as a reader runs it.
The first pass uses an empty bertcore cache (a temporary BERTCORE_CACHE), so a chapter that
trains shared models (for example chapter 5's fine-tunes) pays for them; the second pass reuses
that cache. Chapters run in book order, so a cache built by an earlier chapter counts there, as
in the book's build. Budgets (DEVELOPERS.md): warm <= 120 s, cold <= 300 s per chapter.
Takes about twice as long as the book's serial execution: run it on a quiet machine.
"""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

from run_chapter import run  # noqa: E402

WARM_BUDGET_S, COLD_BUDGET_S = 120, 300


def main(chapters: list[str] | None = None) -> dict:
    paths = sorted((ROOT / "chapters").glob("[0-9][0-9]-*.ipynb"))
    if chapters:
        paths = [p for p in paths if p.name[:2] in chapters]
    for var, value in (("HF_HUB_OFFLINE", "1"), ("TRANSFORMERS_OFFLINE", "1"),
                       ("TOKENIZERS_PARALLELISM", "false")):
        os.environ.setdefault(var, value)
    results = {}
    with tempfile.TemporaryDirectory(prefix="bertbook-bench-cache-") as cache:
        old = os.environ.get("BERTCORE_CACHE")
        os.environ["BERTCORE_CACHE"] = cache  # kernels inherit it
        try:
            for label in ("cold", "warm"):
                for path in paths:
                    seconds = run(path, timeout=600)
                    results.setdefault(path.stem, {})[label] = round(seconds, 1)
                    print(f"{label:4}  {path.stem:<40} {seconds:7.1f} s", flush=True)
        finally:
            if old is None:
                os.environ.pop("BERTCORE_CACHE")
            else:
                os.environ["BERTCORE_CACHE"] = old
    over = [name for name, r in results.items() if r["warm"] > WARM_BUDGET_S or r["cold"] > COLD_BUDGET_S]
    print(f"\n{'chapter':<40} {'cold s':>7} {'warm s':>7}")
    for name, r in results.items():
        print(f"{name:<40} {r['cold']:7.1f} {r['warm']:7.1f}{'  OVER BUDGET' if name in over else ''}")
    print(f"{'total':<40} {sum(r['cold'] for r in results.values()):7.1f} "
          f"{sum(r['warm'] for r in results.values()):7.1f}")
    return {"chapters": results, "over_budget": over}


if __name__ == "__main__":
    main(sys.argv[1:] or None)
