"""Argument checks shared by the public functions: one short call, a message that names the fix.

Every check takes ``(name, value, ...)`` in that order, raises TypeError for a wrong type and
ValueError for a wrong value, and returns the (possibly normalised) value, e.g.
``texts = check_texts(texts)`` or ``check_int("steps", steps, low=1)``.
"""
from __future__ import annotations

import math
import numbers
from collections.abc import Iterable


def _is_int(value) -> bool:
    """A Python or numpy integer, but not a bool (True is an int in Python)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool) and type(value).__name__ != "bool_"


def _got(value) -> str:
    return f"{type(value).__name__} {value!r}" if not isinstance(value, str) else repr(value)


def check_int(name: str, value, low: int | None = None, high: int | None = None) -> int:
    """``value`` as an int in [low, high] (either bound optional), e.g. ``check_int("layer", 3, 0, 5)``."""
    if not _is_int(value):
        hint = f" (write {int(value)})" if isinstance(value, float) and value.is_integer() else ""
        raise TypeError(f"{name} must be an int, got {_got(value)}{hint}")
    if (low is not None and value < low) or (high is not None and value > high):
        bounds = (f"in [{low}, {high}]" if low is not None and high is not None
                  else f">= {low}" if low is not None else f"<= {high}")
        raise ValueError(f"{name} must be an int {bounds}, got {value!r}")
    return int(value)


def check_positive_int(name: str, value) -> int:
    """``value`` as an int >= 1, e.g. ``check_positive_int("batch_size", 32)``."""
    if not _is_int(value) or value < 1:
        error = ValueError if _is_int(value) else TypeError
        raise error(f"{name} must be a positive int (1, 2, ...), got {_got(value)}")
    return int(value)


def check_finite(name: str, value, low: float | None = None, high: float | None = None, *,
                 low_open: bool = False) -> float:
    """``value`` as a finite float in [low, high] (``low_open``: > low), e.g. ``check_finite("lr", lr, 0)``."""
    if not isinstance(value, numbers.Real) or isinstance(value, bool) or type(value).__name__ == "bool_":
        raise TypeError(f"{name} must be a number, got {_got(value)}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value}")
    too_low = low is not None and (value <= low if low_open else value < low)
    if too_low or (high is not None and value > high):
        lo = "" if low is None else (f"> {low}" if low_open else f">= {low}")
        hi = "" if high is None else f"<= {high}"
        raise ValueError(f"{name} must be {' and '.join(s for s in (lo, hi) if s)}, got {value}")
    return value


def check_probability(name: str, value) -> float:
    """``value`` as a float in [0, 1], e.g. ``check_probability("mlm_probability", 0.15)``."""
    return check_finite(name, value, 0.0, 1.0)


def check_str(name: str, value, hint: str = "call once per text") -> str:
    """``value`` as a str, e.g. ``check_str("text", "Fine.")``."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, got {type(value).__name__}; {hint}")
    return value


def check_text(name: str, value) -> str:
    """A str that a fast (Rust) tokenizer accepts: no unpaired surrogate characters."""
    check_str(name, value)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as err:
        char = value[err.start]
        raise ValueError(
            f"{name} contains an unpaired surrogate character U+{ord(char):04X} at position {err.start} "
            "(half of an emoji, usually from a bad decode): repair it with "
            "text.encode('utf-16', 'surrogatepass').decode('utf-16', 'replace')"
        ) from None
    return value


def check_texts(texts, *, name: str = "texts", allow_empty: bool = False) -> list[str]:
    """A non-empty list of str (a bare str is refused), e.g. ``texts = check_texts(df['text'].tolist())``."""
    if isinstance(texts, (str, bytes)):
        raise TypeError(f"{name} must be a list of strings, not one string: wrap it as [text]")
    if not isinstance(texts, Iterable):
        raise TypeError(f"{name} must be a list of strings, got {type(texts).__name__}")
    texts = list(texts)
    if not texts and not allow_empty:
        raise ValueError(f"{name} is empty: pass at least one text, e.g. ['Worked great.']")
    for i, t in enumerate(texts):
        if not isinstance(t, str):
            raise TypeError(f"{name} must contain only strings, but {name}[{i}] is {type(t).__name__} "
                            "(convert with df['text'].astype(str).tolist())")
        check_text(f"{name}[{i}]", t)
    return texts


def check_choice(name: str, value, choices) -> str:
    """``value`` is one of ``choices``, e.g. ``check_choice("keep", "head", ("head", "tail"))``."""
    if value not in tuple(choices):
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}; got {value!r}")
    return value


def check_length(n_tokens: int, limit: int, what: str = "the text") -> None:
    """Refuse a sequence longer than the position table, naming the fix."""
    if n_tokens > limit:
        raise ValueError(
            f"{what} has {n_tokens} tokens but the model has only {limit} positions: shorten it, "
            f"truncate (tokenizer(..., truncation=True, max_length={limit})) or split it into windows "
            "(bc.sliding_windows)"
        )


def check_token_ids(name: str, ids, size: int, hint: str = "") -> None:
    """An integer tensor whose entries lie in [0, size), e.g. input ids against the vocabulary."""
    import torch

    if not isinstance(ids, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor of integer ids, got {type(ids).__name__}")
    if ids.is_floating_point() or ids.is_complex() or ids.dtype == torch.bool:
        raise TypeError(f"{name} must be an integer tensor of token ids, got dtype {ids.dtype}: "
                        "convert with .long()")
    if ids.is_meta or not ids.numel():  # meta tensors (FLOP counting) have shapes but no values
        return
    if int(ids.min()) < 0 or int(ids.max()) >= size:
        bad = int(ids.min()) if int(ids.min()) < 0 else int(ids.max())
        raise ValueError(f"{name} must lie in [0, {size}), found {bad}" + (f": {hint}" if hint else ""))
