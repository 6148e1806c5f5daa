"""Texts to padded batches, with similar lengths grouped so little compute goes to padding.

Simplifies: single texts only (no sentence pairs, so token_type_ids are all zero); lengths
are grouped into fixed-width buckets (8 WordPieces) instead of an exact sort, which keeps
some randomness in training batches at the price of a few padding positions per row.
"""
from __future__ import annotations

from collections.abc import Sequence

import torch

BUCKET_WIDTH = 8  # WordPieces: batches mix lengths within one bucket, never across buckets


def _check_texts(texts) -> list[str]:
    if isinstance(texts, str):
        raise TypeError("texts must be a list of strings, not one string: wrap it as [text]")
    texts = list(texts)
    if not all(isinstance(t, str) for t in texts):
        raise TypeError("texts must contain only strings (convert with df['text'].tolist())")
    return texts


def _check_positive_int(name: str, value) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"{name} must be a positive int, got {value!r}")


def encode_ids(tokenizer, texts: Sequence[str], max_len: int = 128) -> list[list[int]]:
    """WordPiece ids with [CLS] and [SEP], truncated, unpadded, e.g. ``encode_ids(tok, ['Fine.'], 16)``."""
    texts = _check_texts(texts)
    _check_positive_int("max_len", max_len)
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
    _check_positive_int("batch_size", batch_size)
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
    if len(ids) == 0:
        raise ValueError("collate needs at least one sequence")
    T = max(len(row) for row in ids)
    input_ids = torch.full((len(ids), T), pad_id, dtype=torch.long)
    attention_mask = torch.zeros((len(ids), T), dtype=torch.long)
    for i, row in enumerate(ids):
        input_ids[i, : len(row)] = torch.as_tensor(row, dtype=torch.long)
        attention_mask[i, : len(row)] = 1  # 1 = a real token, 0 = padding
    return {"input_ids": input_ids, "attention_mask": attention_mask}


def padded_tokens(lengths: Sequence[int], batches: Sequence[Sequence[int]]) -> int:
    """Token positions the encoder computes for these batches (rows x longest row), padding included."""
    return sum(len(b) * max(lengths[i] for i in b) for b in batches if len(b))
