"""Build the HTML book (warnings are errors) and print how long each chapter took to execute.

Usage: .venv/bin/python scripts/build_book.py [--mode cache|force]

  cache  execute only notebooks whose code changed since the last build (jupyter-cache in
         _build/.jupyter_cache), reuse stored outputs for the rest (the default, `make book`)
  force  empty that cache, re-read every page and execute every notebook from scratch
         (`make test`, CI); the fresh outputs refill the cache for later `make book` runs

Notebooks the cache lacks are first executed side by side (--workers, default: one per core,
at most 4; each kernel gets cores/workers torch threads) and stored in that cache, which
the Sphinx build then reads; a chapter spends much of its time in one-threaded Python (imports,
tokenising, plotting), so two at once on two cores finish sooner than one after the other.

Runs Jupyter Book's Sphinx build with -W --keep-going: every warning, and every notebook
cell that raises (allow_errors is false), is reported and makes the exit status non-zero.
The output lands in _build/html; per-chapter seconds also go to _build/execution.json.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import pickle
import shutil
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import yaml

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


def chapter_notebooks() -> list[Path]:
    """The chapter notebooks, in book order (_toc.yml takes every chapters/NN-slug.ipynb)."""
    return sorted((ROOT / "chapters").glob("[0-9][0-9]-*.ipynb"))


def _set_kernel_threads(threads: int) -> None:
    # kernels started by this worker inherit these: torch, OpenMP and BLAS use `threads` cores
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = str(threads)


def _execute(path: str, timeout: int) -> tuple[str, object, float, str | None]:
    """Run one notebook in its own folder (as myst-nb does); returns (path, notebook, seconds, error)."""
    import tempfile

    import nbformat
    from jupyter_cache.executors.utils import single_nb_execution
    from jupyter_client.manager import KernelManager

    nb = nbformat.read(path, as_version=4)
    # the kernel talks over sockets in a private folder, not TCP ports: kernels started at the
    # same moment by parallel workers can never pick the same port
    with tempfile.TemporaryDirectory(prefix="bertbook-kernel-") as sockets:
        km = KernelManager(kernel_name=nb.metadata.get("kernelspec", {}).get("name", "python3"),
                           transport="ipc", ip=os.path.join(sockets, "k"))
        try:
            result = single_nb_execution(nb, cwd=str(Path(path).parent), timeout=timeout,
                                         allow_errors=False, meta_override=True, km=km)
        finally:  # the client does not stop a kernel it was handed
            if km.has_kernel:
                km.shutdown_kernel(now=True)
    return path, result.nb, result.time, result.exc_string if result.err is not None else None


def pre_execute(cache_path: Path, workers: int, timeout: int, order_hint: dict[str, float]) -> None:
    """Execute, ``workers`` at a time, every chapter the execution cache lacks, and store it there.

    The slowest chapters of the last build (``order_hint``) start first. A notebook that fails is
    not stored: the Sphinx build then executes it again and reports the failing cell.
    """
    import nbformat
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    cache = get_cache(str(cache_path))
    todo = []
    for path in chapter_notebooks():
        try:
            cache.match_cache_notebook(nbformat.read(path, as_version=4))
        except KeyError:
            todo.append(path)
    if not todo:
        return
    todo.sort(key=lambda p: -order_hint.get(p.relative_to(ROOT).with_suffix("").as_posix(), 0.0))
    threads = max(1, (os.cpu_count() or 1) // workers)
    print(f"Executing {len(todo)} notebooks, {workers} at a time, {threads} torch thread(s) each", flush=True)
    start = time.perf_counter()
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_set_kernel_threads,
                             initargs=(threads,)) as pool:
        jobs = [pool.submit(_execute, str(p), timeout) for p in todo]
        for done, job in enumerate(as_completed(jobs), 1):
            path, nb, seconds, error = job.result()
            name = Path(path).relative_to(ROOT)
            if error is None:
                cache.cache_notebook_bundle(CacheBundleIn(nb, path, data={"execution_seconds": seconds}),
                                            check_validity=False, overwrite=True)
            status = "ok" if error is None else ("FAILED (executed again below, to report it):\n    "
                                                 + "\n    ".join(error.strip().splitlines()[-3:]))
            print(f"  [{done}/{len(todo)}] {name}: {seconds:.1f} s {status} "
                  f"(+{time.perf_counter() - start:.0f} s)", flush=True)


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
    parser.add_argument("--workers", type=int, default=min(4, os.cpu_count() or 1),
                        help="notebooks executed at once (default: one per core, at most 4)")
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
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    workers = max(1, args.workers)
    if workers > 1:
        # slowest first, from the last build here, else from the seconds recorded in the repository
        last = BUILD / "execution.json"
        last = last if last.is_file() else ROOT / "scripts" / "chapter_seconds.json"
        hint = ({r["doc"]: r["seconds"] or 0.0 for r in json.loads(last.read_text())["notebooks"]}
                if last.is_file() else {})
        pre_execute(cache, workers, config["execute"]["timeout"], hint)
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
        (BUILD / "execution.json").write_text(json.dumps(
            {"mode": args.mode, "wall_seconds": wall, "workers": workers,
             "threads_per_kernel": max(1, (os.cpu_count() or 1) // workers), "notebooks": rows}, indent=1))
    all_ok = print_table(rows, wall)
    if isinstance(result, Exception) or result != 0 or not all_ok:
        print(f"\nBuild FAILED (status {result!r}): see the warnings above; "
              "every warning and every failing cell counts.", file=sys.stderr)
        return 1
    print(f"\nBook built: {outdir / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
