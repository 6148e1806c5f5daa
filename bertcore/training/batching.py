"""Texts to padded batches, with similar lengths grouped so little compute goes to padding.

Simplifies: single texts only (no sentence pairs, so token_type_ids are all zero); lengths
are grouped into fixed-width buckets (8 WordPieces) instead of an exact sort, which keeps
some randomness in training batches at the price of a few padding positions per row.
"""
from __future__ import annotations

from collections.abc import Sequence

import torch

from bertcore._checks import check_int, check_positive_int, check_texts

BUCKET_WIDTH = 8  # WordPieces: batches mix lengths within one bucket, never across buckets


def encode_ids(tokenizer, texts: Sequence[str], max_len: int = 128) -> list[list[int]]:
    """WordPiece ids with [CLS] and [SEP], truncated, unpadded, e.g. ``encode_ids(tok, ['Fine.'], 16)``."""
    texts = check_texts(texts)
    check_positive_int("max_len", max_len)
    if max_len < 3:
        raise ValueError(f"max_len must be at least 3 ([CLS], one piece, [SEP]), got {max_len}")
    return tokenizer(texts, truncation=True, max_length=max_len)["input_ids"]


def bucket_batches(
    lengths: Sequence[int], batch_size: int, *, generator: torch.Generator | None = None
) -> list[list[int]]:
    """Index batches of similar lengths, e.g. ``bucket_batches([5, 9, 6], 2) == [[0, 2], [1]]``.

    With a ``generator`` (training) rows are shuffled inside each length bucket and the
    batch order is shuffled; without one (evaluation) the order is deterministic.
    """
    check_positive_int("batch_size", batch_size)
    lengths = _check_lengths(lengths)
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError("generator must be a torch.Generator, e.g. torch.Generator().manual_seed(0)")
    lengths = list(lengths)
    order = list(range(len(lengths)))
    if generator is not None:
        order = torch.randperm(len(lengths), generator=generator).tolist()
    # a stable sort by bucket keeps the random order inside a bucket
    order.sort(key=lambda i: lengths[i] // BUCKET_WIDTH)
    batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    if generator is not None:
        batches = [batches[i] for i in torch.randperm(len(batches), generator=generator).tolist()]
    return batches


def collate(ids: Sequence[Sequence[int]], pad_id: int = 0) -> dict[str, torch.Tensor]:
    """Pad to the longest row: ``{'input_ids': (B, T), 'attention_mask': (B, T)}``."""
    ids = _check_rows(ids)
    check_int("pad_id", pad_id, low=0)
    T = max(len(row) for row in ids)
    input_ids = torch.full((len(ids), T), pad_id, dtype=torch.long)
    attention_mask = torch.zeros((len(ids), T), dtype=torch.long)
    for i, row in enumerate(ids):
        input_ids[i, : len(row)] = torch.as_tensor(row, dtype=torch.long)
        attention_mask[i, : len(row)] = 1  # 1 = a real token, 0 = padding
    return {"input_ids": input_ids, "attention_mask": attention_mask}


def _check_lengths(lengths) -> list[int]:
    lengths = lengths.tolist() if hasattr(lengths, "tolist") else lengths
    if isinstance(lengths, (str, bytes)) or not isinstance(lengths, Sequence):
        raise TypeError("lengths must be a list of ints (tokens per row), e.g. [len(r) for r in ids]")
    if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in lengths):
        raise TypeError("lengths must hold non-negative ints (tokens per row), e.g. [len(r) for r in ids]")
    return list(lengths)


def _check_rows(ids) -> list[list[int]]:
    """Rows of int token ids (lists, tuples, 1-D tensors or arrays)."""
    ids = ids.tolist() if hasattr(ids, "tolist") else ids
    if isinstance(ids, (str, bytes)) or not isinstance(ids, Sequence):
        raise TypeError("ids must be a list of rows of token ids, e.g. encode_ids(tokenizer, texts)")
    if len(ids) == 0:
        raise ValueError("collate needs at least one sequence")
    rows = []
    for i, row in enumerate(ids):
        row = row.tolist() if hasattr(row, "tolist") else row
        if isinstance(row, (str, bytes)) or not isinstance(row, Sequence):
            raise TypeError(f"ids[{i}] is {type(row).__name__}: each row must be a list of token ids")
        bad = [t for t in row if not isinstance(t, int) or isinstance(t, bool)]
        if bad:
            raise TypeError(f"ids[{i}] holds {type(bad[0]).__name__} {bad[0]!r}: token ids must be ints "
                            "(from encode_ids or tokenizer(...)['input_ids'])")
        rows.append(list(row))
    return rows


def padded_tokens(lengths: Sequence[int], batches: Sequence[Sequence[int]]) -> int:
    """Token positions the encoder computes for these batches (rows x longest row), padding included."""
    lengths = _check_lengths(lengths)
    if any(not isinstance(i, int) or not 0 <= i < len(lengths) for b in batches for i in b):
        raise ValueError(f"batches must hold row indices in [0, {len(lengths)}), "
                         "as bucket_batches(lengths, ...) returns")
    return sum(len(b) * max(lengths[i] for i in b) for b in batches if len(b))
