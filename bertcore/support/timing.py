"""Timing for the book's speed comparisons: repeats interleaved across the contenders, medians reported.

Simplifies: whole calls are timed with ``time.perf_counter`` (wall clock) unless another clock
is passed, e.g. ``time.process_time`` for CPU seconds of this process; the summary is the
median, which one slow moment on a shared machine cannot move much; no confidence intervals.
Interleaving (round r calls every function once, the first being function r mod k) spreads
slow moments, and the cache left warm by the previous call, over every contender alike.
"""
from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Mapping

from bertcore._checks import check_int, check_positive_int


def compare_times(fns: Mapping[str, Callable[[], object]], *, repeats: int = 3, warmup: int = 1,
                  clock: Callable[[], float] = time.perf_counter) -> dict[str, float]:
    """Median seconds per name, calls interleaved, e.g. ``compare_times({'a': f, 'b': g}, repeats=5)``.

    ``warmup`` untimed rounds come first (the first call often allocates buffers).
    """
    _check_timing(fns, repeats, warmup, clock)
    names = list(fns)
    for _ in range(warmup):
        for name in names:
            fns[name]()
    seconds: dict[str, list[float]] = {name: [] for name in names}
    for r in range(repeats):
        for j in range(len(names)):
            name = names[(r + j) % len(names)]  # rotate who goes first
            start = clock()
            fns[name]()
            seconds[name].append(clock() - start)
    return {name: statistics.median(seconds[name]) for name in names}


def time_call(fn: Callable[[], object], *, repeats: int = 3, warmup: int = 1,
              clock: Callable[[], float] = time.perf_counter) -> float:
    """Median seconds of ``fn()``, e.g. ``time_call(lambda: model(ids), repeats=5)``; see ``compare_times``."""
    return compare_times({"fn": fn}, repeats=repeats, warmup=warmup, clock=clock)["fn"]


def _check_timing(fns, repeats, warmup, clock) -> None:
    if not isinstance(fns, Mapping) or not fns:
        raise TypeError("fns must be a non-empty dict of name -> function, e.g. {'ours': lambda: model(ids)}")
    for name, fn in fns.items():
        if not callable(fn):
            raise TypeError(f"fns[{name!r}] is a {type(fn).__name__}, not a function: pass the call itself, "
                            "e.g. lambda: model(ids), not model(ids)")
    check_positive_int("repeats", repeats)
    check_int("warmup", warmup, low=0)
    if not callable(clock):
        raise TypeError("clock must be a function returning seconds, e.g. time.perf_counter or time.process_time")
