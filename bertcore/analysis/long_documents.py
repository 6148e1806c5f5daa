"""Fitting long documents into a fixed-size encoder: truncation and (sliding) windows.

Simplifies: works on one document's WordPiece ids (no special tokens) at a time; windows
are cut at WordPiece boundaries, not sentence boundaries; every window gets its own
``[CLS] ... [SEP]``. ``step`` is the distance between window starts: Hugging Face's
``tokenizer(..., stride=s, return_overflowing_tokens=True)`` gives the same windows with
``s = window - step`` (its ``stride`` is the *overlap*).
"""
from __future__ import annotations

from collections.abc import Sequence

import torch

from bertcore._checks import check_int

KEEP = ("head", "tail", "head+tail")


def _check_ids(ids) -> list[int]:
    if isinstance(ids, torch.Tensor):
        if ids.dim() != 1:
            raise ValueError(f"ids must be one document (1-D), got shape {tuple(ids.shape)}; loop over rows")
        ids = ids.tolist()
    if isinstance(ids, (str, bytes)) or not isinstance(ids, Sequence):
        raise TypeError("ids must be a list of token ids: tokenizer(text, add_special_tokens=False)['input_ids']")
    ids = list(ids)
    if not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
        raise TypeError("ids must contain ints (token ids), not tokens or floats")
    return ids


def window_spans(n_tokens: int, window: int, step: int) -> list[tuple[int, int]]:
    """[start, end) of windows covering n_tokens, e.g. ``window_spans(10, 4, 3) == [(0, 4), (3, 7), (6, 10)]``.

    Windows start every ``step`` tokens; the last one ends at ``n_tokens`` and may be
    shorter. ``step == window`` gives non-overlapping chunks, ``step < window`` overlap.
    """
    check_int("n_tokens", n_tokens, low=0)
    check_int("window", window, low=1)
    check_int("step", step, low=1)
    if step > window:
        raise ValueError(f"step ({step}) > window ({window}) would skip tokens: use step <= window")
    spans, start = [], 0
    while True:
        end = min(start + window, n_tokens)
        spans.append((start, end))
        if end >= n_tokens:
            return spans
        start += step


def sliding_windows(ids, window: int, step: int, *, cls_id: int, sep_id: int,
                    pad_id: int = 0) -> dict:
    """Model inputs for every window, e.g. ``sliding_windows(ids, 126, 63, cls_id=101, sep_id=102)``.

    Returns ``input_ids`` and ``attention_mask`` of shape (n_windows, window + 2), padded on
    the right, and ``spans``: the [start, end) of each window in ``ids``.
    """
    ids = _check_ids(ids)
    for name, val in (("cls_id", cls_id), ("sep_id", sep_id), ("pad_id", pad_id)):
        check_int(name, val, low=0)
    spans = window_spans(len(ids), window, step)
    input_ids = torch.full((len(spans), window + 2), pad_id, dtype=torch.long)  # (N, window + 2)
    mask = torch.zeros_like(input_ids)
    for row, (s, e) in enumerate(spans):
        piece = [cls_id, *ids[s:e], sep_id]
        input_ids[row, : len(piece)] = torch.tensor(piece)
        mask[row, : len(piece)] = 1  # 1 = real token (the last window may be short)
    return {"input_ids": input_ids, "attention_mask": mask, "spans": spans}


def truncate_ids(ids, max_tokens: int, keep: str = "head", head_tokens: int | None = None) -> list[int]:
    """Keep at most max_tokens ids, e.g. ``truncate_ids(list(range(10)), 4, 'head+tail', 1) == [0, 7, 8, 9]``.

    ``keep``: "head" (the start), "tail" (the end) or "head+tail" (``head_tokens`` from
    the start, the rest from the end; default a quarter of the budget).
    """
    ids = _check_ids(ids)
    check_int("max_tokens", max_tokens, low=1)
    if keep not in KEEP:
        raise ValueError(f"keep must be one of {KEEP}, got {keep!r}")
    if len(ids) <= max_tokens:
        return ids
    if keep == "head":
        return ids[:max_tokens]
    if keep == "tail":
        return ids[-max_tokens:]
    head = max_tokens // 4 if head_tokens is None else head_tokens
    check_int("head_tokens", head, low=0)
    if head > max_tokens:
        raise ValueError(f"head_tokens ({head}) cannot exceed max_tokens ({max_tokens})")
    tail = max_tokens - head
    return ids[:head] + (ids[-tail:] if tail else [])


def stitch_windows(window_states: torch.Tensor, spans: Sequence[tuple[int, int]]) -> torch.Tensor:
    """One vector per document token from overlapping windows, e.g.
    ``stitch_windows(out.last_hidden_state, w['spans'])``.

    ``window_states``: (n_windows, T, H) outputs for ``sliding_windows(...)['input_ids']``
    (row r, position 1 + k is token ``spans[r][0] + k``). Each token takes its vector from the
    window where it has the most context on its shorter side, ``min(left, right)``, as BERT's
    SQuAD code does; ties go to the earlier window. Returns (n_tokens, H).
    """
    if not isinstance(window_states, torch.Tensor) or window_states.dim() != 3:
        raise ValueError("window_states must be a (n_windows, T, H) tensor, e.g. model(**windows).last_hidden_state")
    spans = [tuple(sp) for sp in spans]
    if len(spans) != window_states.shape[0]:
        raise ValueError(f"{len(spans)} spans but {window_states.shape[0]} windows: pass the spans of the same windows")
    n = max(e for _, e in spans)
    if any(e - s + 2 > window_states.shape[1] for s, e in spans):
        raise ValueError("a span is longer than its window row (window + [CLS] + [SEP])")
    best = torch.full((n,), -1)                      # (n,): score of the chosen window per token
    out = window_states.new_zeros(n, window_states.shape[-1])
    for r, (s, e) in enumerate(spans):
        pos = torch.arange(s, e)
        score = torch.minimum(pos - s, e - 1 - pos)  # context on the shorter side inside window r
        take = score > best[s:e]                     # strictly better: ties keep the earlier window
        out[pos[take]] = window_states[r, 1 + (pos[take] - s)]
        best[s:e] = torch.where(take, score, best[s:e])
    if (best < 0).any():
        raise ValueError("the spans leave tokens uncovered: use spans from window_spans()")
    return out
