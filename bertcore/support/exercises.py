"""Auto-checked coding exercises: compare a reader's function with a reference.

Simplifies: outputs are compared structurally (tensors, arrays, numbers, strings, lists,
tuples, dicts, nested); ``check`` prints a short report and returns a bool, never raises
for a wrong or unfinished candidate, so a chapter can run top to bottom while the
exercise is still open. Each case has a time limit (``time_limit`` seconds): on the main
thread of a POSIX process (a Jupyter kernel, pytest) a timer signal interrupts a runaway
case; elsewhere the case runs in a daemon thread that is abandoned when it overruns (Python
cannot kill a thread, so an infinite loop there keeps one CPU core busy until the kernel
restarts).
"""
from __future__ import annotations

import copy
import math
import signal
import threading
import traceback

_NOT_WRITTEN = "Not implemented yet: fill in the function body"


class CheckResult(int):
    """The outcome of ``check``: behaves as True/False, but a notebook does not echo it under
    the report (``bc.check(...)`` is usually the last line of its cell)."""

    def __new__(cls, passed: bool):
        return super().__new__(cls, bool(passed))

    def __repr__(self) -> str:
        return repr(bool(self))

    __str__ = __repr__

    def _ipython_display_(self) -> None:
        pass


def _short(x, limit: int = 160) -> str:
    """A one-line description of a value for the report."""
    try:
        import torch

        if isinstance(x, torch.Tensor):
            body = repr(x.detach().cpu()).replace("\n", " ")
            return f"tensor shape {tuple(x.shape)} dtype {x.dtype}: " + _clip(" ".join(body.split()), limit)
    except ImportError:  # pragma: no cover
        pass
    try:
        import numpy as np

        if isinstance(x, np.ndarray):
            return f"array shape {x.shape} dtype {x.dtype}: " + _clip(" ".join(repr(x).split()), limit)
    except ImportError:  # pragma: no cover
        pass
    return _clip(" ".join(repr(x).split()), limit)


def _clip(s: str, limit: int) -> str:
    return s if len(s) <= limit else s[: limit - 3] + "..."


def _as_array(x):
    """torch tensor / numpy array -> numpy array, else None."""
    import numpy as np

    try:
        import torch

        if isinstance(x, torch.Tensor):
            return x.detach().cpu().numpy() if x.dtype != torch.bfloat16 else x.detach().float().cpu().numpy()
    except ImportError:  # pragma: no cover
        pass
    if isinstance(x, np.ndarray):
        return x
    return None


def compare(got, expected, *, atol: float = 1e-6, rtol: float = 1e-5, path: str = "output") -> str | None:
    """None if ``got`` matches ``expected``, else a one-line reason, e.g. ``compare([1, 2], [1, 3])``."""
    import numpy as np

    exp_arr = _as_array(expected)
    if exp_arr is not None:
        got_arr = _as_array(got)
        if got_arr is None and exp_arr.ndim == 0 and isinstance(got, (int, float, np.generic)):
            got_arr = np.asarray(got)
        if got_arr is None:
            return f"{path}: expected {type(expected).__name__}, got {type(got).__name__}"
        if got_arr.shape != exp_arr.shape:
            return f"{path}: shape {tuple(got_arr.shape)} but expected {tuple(exp_arr.shape)}"
        if exp_arr.dtype == bool or got_arr.dtype == bool or not (
                np.issubdtype(exp_arr.dtype, np.number) and np.issubdtype(got_arr.dtype, np.number)):
            if not np.array_equal(got_arr, exp_arr):
                return f"{path}: values differ at {int((got_arr != exp_arr).sum())} position(s)"
            return None
        if np.issubdtype(exp_arr.dtype, np.integer) and not np.issubdtype(got_arr.dtype, np.integer):
            return f"{path}: dtype {got_arr.dtype} but expected integers ({exp_arr.dtype})"
        g, e = got_arr.astype(np.float64), exp_arr.astype(np.float64)
        close = np.isclose(g, e, atol=atol, rtol=rtol, equal_nan=True)
        if not close.all():
            idx = tuple(int(i) for i in np.argwhere(~close)[0])
            return (f"{path}: {int((~close).sum())} of {close.size} values differ; first at index {idx}: "
                    f"got {g[idx]:.6g}, expected {e[idx]:.6g} (atol={atol}, rtol={rtol})")
        return None
    if isinstance(expected, dict):
        if not isinstance(got, dict):
            return f"{path}: expected a dict, got {type(got).__name__}"
        if set(got) != set(expected):
            return (f"{path}: keys {sorted(map(str, got))} but expected {sorted(map(str, expected))}")
        for k in expected:
            reason = compare(got[k], expected[k], atol=atol, rtol=rtol, path=f"{path}[{k!r}]")
            if reason:
                return reason
        return None
    if isinstance(expected, (list, tuple)):
        if not isinstance(got, (list, tuple)) or _as_array(got) is not None:
            return f"{path}: expected a {type(expected).__name__}, got {type(got).__name__}"
        if len(got) != len(expected):
            return f"{path}: length {len(got)} but expected {len(expected)}"
        for i, (g, e) in enumerate(zip(got, expected, strict=True)):
            reason = compare(g, e, atol=atol, rtol=rtol, path=f"{path}[{i}]")
            if reason:
                return reason
        return None
    if isinstance(expected, (bool, np.bool_)):
        ok = isinstance(got, (bool, np.bool_)) and bool(got) == bool(expected)
        return None if ok else f"{path}: got {_short(got)}, expected {expected}"
    if isinstance(expected, (int, float)) or _is_scalar(expected):
        arr = _as_array(got)
        if arr is not None and arr.ndim == 0:  # a 0-d tensor for a number is fine
            got = arr.item()
        if isinstance(got, (bool, np.bool_)) or not (isinstance(got, (int, float)) or _is_scalar(got)):
            return f"{path}: expected a number, got {type(got).__name__} {_short(got, 60)}"
        g, e = float(got), float(expected)
        if math.isnan(e) and math.isnan(g):
            return None
        if not math.isclose(g, e, rel_tol=rtol, abs_tol=atol):
            return f"{path}: got {g:.6g}, expected {e:.6g}"
        return None
    try:
        same = bool(got == expected) and type(got) is type(expected)
    except Exception:  # objects whose == is not a plain truth value
        same = False
    return None if same else f"{path}: got {_short(got)}, expected {_short(expected)}"


def _is_scalar(x) -> bool:
    import numpy as np

    return isinstance(x, np.generic) and np.issubdtype(type(x), np.number)


def _call(fn, case):
    args, kwargs = (((), dict(case)) if isinstance(case, dict)
                    else (tuple(case), {}) if isinstance(case, tuple) else ((case,), {}))
    # each function gets its own copy, so an in-place edit by one cannot leak into the other
    return fn(*copy.deepcopy(args), **copy.deepcopy(kwargs))


class _TimedOut(BaseException):
    """Raised into a case that overran its time limit (a BaseException, so a reader's
    ``except Exception`` inside the loop cannot swallow it)."""


def _run_limited(fn, case, limit: float | None):
    """``_call(fn, case)``, raising ``_TimedOut`` after ``limit`` seconds (None: no limit)."""
    if limit is None:
        return _call(fn, case)
    if hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread():
        def on_alarm(signum, frame):
            raise _TimedOut

        old = signal.signal(signal.SIGALRM, on_alarm)
        signal.setitimer(signal.ITIMER_REAL, limit, 0.25)  # repeats if a bare `except:` swallows it
        try:
            return _call(fn, case)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, old)
    box = {}

    def target():
        try:
            box["value"] = _call(fn, case)
        except BaseException as err:  # handed to the caller below
            box["error"] = err

    worker = threading.Thread(target=target, daemon=True, name="bc.check case")
    worker.start()
    worker.join(limit)
    if worker.is_alive():  # left running: threads cannot be stopped from outside
        raise _TimedOut
    if "error" in box:
        raise box["error"]
    return box["value"]


def _describe_case(case) -> str:
    if isinstance(case, dict):
        return ", ".join(f"{k}={_short(v, 80)}" for k, v in case.items())
    if isinstance(case, tuple):
        return ", ".join(_short(v, 80) for v in case)
    return _short(case, 80)


def check(candidate, reference, cases=(), *, name: str | None = None, atol: float = 1e-6,
          rtol: float = 1e-5, random_cases=None, n_random: int = 5, seed: int = 0,
          time_limit: float | None = 5.0) -> CheckResult:
    """Run ``candidate`` and ``reference`` on the same inputs and print what differs.

    ``cases``: inputs, each a tuple of positional args or a dict of keyword args.
    ``random_cases``: optional ``f(rng) -> case`` called ``n_random`` times with one seeded
    ``torch.Generator`` (a numpy ``Generator`` instead if ``f``'s parameter is named ``np_rng``
    or annotated ``numpy.random.Generator``).
    ``time_limit``: seconds each call may take (None: no limit); an overrun is reported as a
    failure ("an infinite loop?"), never a hang.
    Returns whether all checks passed (truthy/falsy; not echoed by the notebook); never raises.
    Example: ``check(my_softmax, torch.softmax_ref, [(torch.randn(3),)])``.
    """
    label = name if isinstance(name, str) and name else getattr(candidate, "__name__", "your function")
    try:
        return _check(candidate, reference, cases, label=label, name=name, atol=atol, rtol=rtol,
                      random_cases=random_cases, n_random=n_random, seed=seed, time_limit=time_limit)
    except Exception as err:  # check's own failure is reported, never raised into the chapter
        print(f"{label}: the check itself failed ({type(err).__name__}: {err})")
        return CheckResult(False)


def _check(candidate, reference, cases, *, label, name, atol, rtol, random_cases, n_random, seed,
           time_limit) -> CheckResult:
    if not callable(candidate) or not callable(reference):
        print(f"{label}: candidate and reference must both be functions")
        return CheckResult(False)
    if time_limit is not None and (isinstance(time_limit, bool) or not isinstance(time_limit, (int, float))
                                   or not 0 < time_limit < float("inf")):
        print(f"{label}: time_limit must be a positive number of seconds or None, got {time_limit!r}")
        return CheckResult(False)
    try:
        all_cases = list(cases)
    except TypeError:
        print(f"{label}: cases must be a list of tuples (positional args) or dicts (keyword args)")
        return CheckResult(False)
    if random_cases is not None:
        if not callable(random_cases):
            print(f"{label}: random_cases must be a function rng -> case")
            return CheckResult(False)
        all_cases += _random_cases(random_cases, n_random, seed)
    if not all_cases:
        print(f"{label}: no cases to check")
        return CheckResult(False)
    for i, case in enumerate(all_cases, 1):
        try:
            expected = _run_limited(reference, case, time_limit)
        except _TimedOut:
            print(f"{label}: the reference did not finish in {time_limit:g} s on case {i}; "
                  "pass a larger time_limit")
            return CheckResult(False)
        except Exception as err:  # a broken reference is the author's bug: say so plainly
            print(f"{label}: the reference itself failed on case {i} ({type(err).__name__}: {err})")
            return CheckResult(False)
        try:
            got = _run_limited(candidate, case, time_limit)
        except _TimedOut:
            print(f"{label}: did not finish in {time_limit:g} s: an infinite loop?\n"
                  f"  on case {i}: {_describe_case(case)} (a slow but correct function: pass time_limit=...)")
            return CheckResult(False)
        except NotImplementedError:
            print(_NOT_WRITTEN)
            return CheckResult(False)
        except Exception as err:
            print(f"{label}: raised {type(err).__name__}: {err}\n  on case {i}: {_describe_case(case)}"
                  + _where(err))
            return CheckResult(False)
        try:
            reason = compare(got, expected, atol=atol, rtol=rtol)
        except Exception as err:  # exotic outputs
            reason = f"output could not be compared ({type(err).__name__}: {err})"
        if reason:
            print(f"{label}: wrong on case {i} of {len(all_cases)}\n  input: {_describe_case(case)}\n"
                  f"  {reason}\n  expected: {_short(expected)}\n  got:      {_short(got)}")
            return CheckResult(False)
    print(f"All {len(all_cases)} checks passed" + (f" for {name}" if name else ""))
    return CheckResult(True)


def _where(err: BaseException) -> str:
    """'at line N: code' for the reader's deepest frame (not library code), or ''."""
    frames = [f for f in traceback.extract_tb(err.__traceback__)
              if f.filename != __file__ and "site-packages" not in f.filename]
    return f"\n  at line {frames[-1].lineno}: {frames[-1].line}" if frames and frames[-1].line else ""


def _random_cases(make, n: int, seed: int) -> list:
    import inspect

    import numpy as np
    import torch

    params = list(inspect.signature(make).parameters.values())
    if params and (params[0].name == "np_rng" or params[0].annotation in (np.random.Generator, "np.random.Generator")):
        rng = np.random.default_rng(seed)
        return [make(rng) for _ in range(n)]
    gen = torch.Generator().manual_seed(seed)
    return [make(gen) for _ in range(n)]
