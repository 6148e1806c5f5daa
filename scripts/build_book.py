"""Build the HTML book (warnings are errors) and print how long each chapter took to execute.

Usage: .venv/bin/python scripts/build_book.py [--mode cache|force]

  cache  execute only notebooks whose code changed since the last build (jupyter-cache in
         _build/.jupyter_cache), reuse stored outputs for the rest (the default, `make book`)
  force  empty that cache, re-read every page and execute every notebook from scratch
         (`make test`, CI); the fresh outputs refill the cache for later `make book` runs

Runs Jupyter Book's Sphinx build with -W --keep-going: every warning, and every notebook
cell that raises (allow_errors is false), is reported and makes the exit status non-zero.
The output lands in _build/html; per-chapter seconds also go to _build/execution.json.
"""
from __future__ import annotations

import argparse
import json
import os
import pickle
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "_build"
BUDGET_S = 120  # per chapter, from chapters/AUTHORING.md


def exec_table(doctrees: Path) -> list[dict]:
    """Per-notebook execution data that myst-nb stored in the Sphinx environment."""
    env_file = doctrees / "environment.pickle"
    if not env_file.is_file():
        return []
    with env_file.open("rb") as f:
        env = pickle.load(f)
    rows = []
    for docname, data in sorted(getattr(env, "nb_metadata", {}).items()):
        exec_data = data.get("exec_data")
        if exec_data:
            rows.append({"doc": docname, "method": exec_data.get("method"),
                         "seconds": exec_data.get("runtime"), "succeeded": exec_data.get("succeeded"),
                         "error": exec_data.get("error")})
    return rows


def print_table(rows: list[dict], wall: float) -> bool:
    """Print the table; return True when every notebook executed successfully."""
    if not rows:
        print("\nNo notebook execution data found.")
        return True
    width = max(len(r["doc"]) for r in rows)
    print(f"\n{'notebook':<{width}}  {'method':<6}  {'seconds':>8}  status")
    print("-" * (width + 28))
    total, ok = 0.0, True
    for r in rows:
        secs = r["seconds"] or 0.0
        total += secs
        status = "ok" if r["succeeded"] else f"FAILED ({r['error']})"
        ok &= bool(r["succeeded"])
        note = f"  over the {BUDGET_S} s budget" if secs > BUDGET_S else ""
        print(f"{r['doc']:<{width}}  {str(r['method']):<6}  {secs:8.1f}  {status}{note}")
    print("-" * (width + 28))
    print(f"{'total execution':<{width}}  {'':<6}  {total:8.1f}  ({len(rows)} notebooks)")
    print(f"{'build wall time':<{width}}  {'':<6}  {wall:8.1f}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=["cache", "force"], default="cache")
    parser.add_argument("--builder", default="html")
    args = parser.parse_args()

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ["BERTCORE_BOOK_BUILD"] = "1"  # bertcore.support.viz: views load JS from _static
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    os.chdir(ROOT)

    from jupyter_book.sphinx import build_sphinx

    outdir = BUILD / args.builder
    doctrees = BUILD / (".doctrees" if args.builder == "html" else f".doctrees-{args.builder}")
    overrides = {"external_toc_path": (ROOT / "_toc.yml").as_posix(), "latex_individualpages": False}
    # Outputs depend on the model, which the notebooks' code does not show: one execution
    # cache per model, and every page re-read when the model differs from the last build.
    model = os.environ.get("BERTCORE_MODEL", "")
    cache = BUILD / ".jupyter_cache"
    if model:
        slug = "".join(c if c.isalnum() or c in "-_." else "_" for c in model)
        cache = BUILD / f".jupyter_cache-{slug}"
    overrides["nb_execution_cache_path"] = str(cache)
    if args.mode == "force":
        # from scratch: every notebook executes and is cached afresh, and no page of a removed
        # chapter (or image of an old output) survives in the output
        for stale in (cache, outdir, doctrees, BUILD / "jupyter_execute"):
            shutil.rmtree(stale, ignore_errors=True)
    model_stamp = BUILD / ".book-model"
    fresh = args.mode == "force" or not model_stamp.is_file() or model_stamp.read_text() != model
    print(f"Model: {model or 'packaged all-MiniLM-L6-v2'}", flush=True)
    print(f"Building the book ({args.mode} mode) into {outdir.relative_to(ROOT)}", flush=True)
    start = time.perf_counter()
    result = build_sphinx(
        ROOT, outdir, noconfig=True, path_config=str(ROOT / "_config.yml"), confoverrides=overrides,
        doctreedir=doctrees, builder=args.builder, warningiserror=True, keep_going=True,
        freshenv=fresh, force_all=fresh,
    )
    wall = time.perf_counter() - start
    rows = exec_table(doctrees)
    BUILD.mkdir(exist_ok=True)
    if args.builder == "html":  # the HTML build is the one whose statistics the book reports
        model_stamp.write_text(model)
        (BUILD / "execution.json").write_text(json.dumps({"mode": args.mode, "wall_seconds": wall,
                                                          "notebooks": rows}, indent=1))
    all_ok = print_table(rows, wall)
    if isinstance(result, Exception) or result != 0 or not all_ok:
        print(f"\nBuild FAILED (status {result!r}): see the warnings above; "
              "every warning and every failing cell counts.", file=sys.stderr)
        return 1
    print(f"\nBook built: {outdir / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
