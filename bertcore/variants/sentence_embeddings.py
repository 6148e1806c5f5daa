"""Sentence embeddings: pool token vectors into one vector per text, search by cosine, train contrastively.

Simplifies: three poolings ([CLS], masked mean, masked max) computed from one forward pass;
single texts only (no pairs); a disk cache (``bertcore.support.cache``: ``data/cache/embeddings-*.npz``)
keyed by the texts, the settings and a fingerprint of the weights, so chapters that embed the same
reviews pay for it once. ``mean`` pooling + L2 normalisation is exactly what
sentence-transformers does for all-MiniLM-L6-v2 (checked in ``tests/test_embeddings.py``).
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from bertcore._checks import check_positive_int, check_texts
from bertcore.support import cache
from bertcore.training.batching import bucket_batches, collate, encode_ids

POOLINGS = ("cls", "mean", "max")


def pool(hidden: torch.Tensor, attention_mask: torch.Tensor, method: str = "mean") -> torch.Tensor:
    """(B, T, H) token vectors -> (B, H) text vectors, padding ignored, e.g. ``pool(h, mask, 'max')``."""
    if method not in POOLINGS:
        raise ValueError(f"method must be one of {POOLINGS}, got {method!r}")
    if not isinstance(hidden, torch.Tensor) or hidden.dim() != 3:
        raise ValueError(f"hidden must be a (B, T, H) tensor, got {getattr(hidden, 'shape', type(hidden))}")
    if not isinstance(attention_mask, torch.Tensor) or attention_mask.shape != hidden.shape[:2]:
        raise ValueError(f"attention_mask must be a (B, T) tensor matching hidden {tuple(hidden.shape[:2])}")
    if method == "cls":
        return hidden[:, 0]  # position 0 is [CLS] in every BERT input
    mask = attention_mask.bool().unsqueeze(-1)  # (B, T, 1): True on real tokens
    if method == "mean":
        summed = hidden.masked_fill(~mask, 0.0).sum(dim=1)  # (B, H)
        return summed / mask.sum(dim=1).clamp(min=1)  # divide by the number of real tokens
    return hidden.masked_fill(~mask, float("-inf")).max(dim=1).values  # padding never wins the max


@torch.no_grad()
def encode_pooled(model, tokenizer, texts: Sequence[str], *, poolings: Sequence[str] = POOLINGS,
                  max_length: int = 128, batch_size: int = 32, all_layers: bool = False) -> dict[str, torch.Tensor]:
    """Unnormalised text vectors for several poolings from one pass, e.g. ``encode_pooled(m, tok, ['Fine.'])['mean']``.

    Returns {pooling: (N, H)} for the last layer; with ``all_layers`` also 'mean_layers':
    (L + 1, N, H), the mean-pooled output of the embeddings (0) and of every layer.
    Works with a Hugging Face ``BertModel`` and with ``bertcore.BertModel``.
    """
    texts = check_texts(texts)
    check_positive_int("batch_size", batch_size)
    unknown = [p for p in poolings if p not in POOLINGS]
    if unknown or not poolings:
        raise ValueError(f"poolings must be a non-empty subset of {POOLINGS}, got {list(poolings)}")
    if not hasattr(model, "config"):
        raise TypeError("model must be a BertModel (Hugging Face or bertcore)")
    ids = encode_ids(tokenizer, texts, max_length)  # truncated WordPiece ids with [CLS] ... [SEP]
    N, H, L = len(ids), model.config.hidden_size, model.config.num_hidden_layers
    out = {p: torch.zeros(N, H) for p in poolings}
    if all_layers:
        out["mean_layers"] = torch.zeros(L + 1, N, H)
    was_training = model.training
    model.eval()
    hf = hasattr(model.config, "output_hidden_states")  # transformers model: ask for hidden states
    for batch in bucket_batches([len(r) for r in ids], batch_size):  # similar lengths, little padding
        inputs = collate([ids[i] for i in batch], tokenizer.pad_token_id)
        res = model(**inputs, output_hidden_states=True) if hf and all_layers else model(**inputs)
        mask = inputs["attention_mask"]  # (B, T)
        for p in poolings:
            out[p][batch] = pool(res.last_hidden_state, mask, p)
        if all_layers:
            for layer, h in enumerate(res.hidden_states):  # L + 1 tensors (B, T, H)
                out["mean_layers"][layer, batch] = pool(h, mask, "mean")
    model.train(was_training)
    return out


def embed(model, tokenizer, texts: Sequence[str], *, pooling: str = "mean", normalize: bool = True,
           max_length: int = 128, batch_size: int = 32) -> torch.Tensor:
    """(N, H) sentence embeddings, unit length by default, e.g. ``embed(model, tok, ['Fine.'])``."""
    vecs = encode_pooled(model, tokenizer, texts, poolings=(pooling,), max_length=max_length,
                         batch_size=batch_size)[pooling]
    return F.normalize(vecs, dim=-1) if normalize else vecs


def cached_encode_pooled(model, tokenizer, texts: Sequence[str], *, max_length: int = 128,
                         all_layers: bool = True, cache_dir: str | Path | None = None) -> dict[str, torch.Tensor]:
    """``encode_pooled`` with every pooling, stored on disk after the first call, e.g. for the reviews.

    The key covers the texts, max_length, all_layers, the vocabulary size and the weights'
    fingerprint, so a different model or setting never reads a stale file; ``cache_dir``
    replaces the cache root (``bertcore.support.cache``) for this call.
    """
    texts = check_texts(texts)
    settings = dict(texts=hashlib.sha256(json.dumps(texts).encode()).hexdigest(), n=len(texts),
                    max_length=max_length, all_layers=all_layers, vocab_size=len(tokenizer))
    path = cache.entry_path("embeddings", settings, model, suffix=".npz", root=cache_dir)
    expected = [*POOLINGS, "mean_layers"] if all_layers else list(POOLINGS)

    def load(path):
        with np.load(path) as data:
            out = {k: torch.from_numpy(data[k]) for k in expected}  # KeyError if one is missing
        rows = {k: v.shape[1] if k == "mean_layers" else v.shape[0] for k, v in out.items()}
        if set(rows.values()) != {len(texts)}:
            raise cache.CorruptEntry(f"rows {rows}, expected {len(texts)} (one per text)")
        return out

    def save(out, tmp):
        np.savez(tmp, **{k: v.numpy() for k, v in out.items()})

    def build():
        return encode_pooled(model, tokenizer, texts, max_length=max_length, all_layers=all_layers)

    return cache.load_or_build(path, load, build, save)[0]


def cosine_top_k(queries: torch.Tensor, corpus: torch.Tensor, k: int = 5) -> tuple[torch.Tensor, torch.Tensor]:
    """Best k corpus rows per query by cosine: (scores, indices), each (Q, k), e.g. ``cosine_top_k(q, c, 3)``."""
    for name, t in (("queries", queries), ("corpus", corpus)):
        if not isinstance(t, torch.Tensor) or t.dim() != 2:
            raise ValueError(f"{name} must be a 2-d tensor (rows = texts), got {getattr(t, 'shape', type(t))}")
    if queries.shape[1] != corpus.shape[1]:
        raise ValueError(f"queries have {queries.shape[1]} dims but the corpus has {corpus.shape[1]}")
    check_positive_int("k", k)
    if k > corpus.shape[0]:
        raise ValueError(f"k={k} is larger than the corpus ({corpus.shape[0]} rows)")
    scores = F.normalize(queries, dim=-1) @ F.normalize(corpus, dim=-1).T  # (Q, N) cosine similarities
    return scores.topk(k, dim=-1)


def multiple_negatives_ranking_loss(anchors: torch.Tensor, positives: torch.Tensor,
                                    scale: float = 20.0) -> torch.Tensor:
    """In-batch contrastive loss: row i of positives is the answer for anchor i, every other row a negative.

    cross_entropy(scale * cos(a_i, p_j), target j = i), as in sentence-transformers'
    MultipleNegativesRankingLoss. Example: ``multiple_negatives_ranking_loss(a, a)`` is small.
    """
    if anchors.dim() != 2 or anchors.shape != positives.shape:
        raise ValueError(f"anchors and positives must both be (B, H); "
                         f"got {tuple(anchors.shape)} and {tuple(positives.shape)}")
    if not scale > 0:
        raise ValueError(f"scale must be > 0 (it is 1 / temperature), got {scale}")
    sims = F.normalize(anchors, dim=-1) @ F.normalize(positives, dim=-1).T  # (B, B)
    return F.cross_entropy(scale * sims, torch.arange(len(anchors), device=anchors.device))
