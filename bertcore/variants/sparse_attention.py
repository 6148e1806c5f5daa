"""Sparse attention patterns for long inputs (sliding window, Longformer, BigBird) and a
blocked local attention that computes only the band.

Simplifies: patterns are boolean (T, T) masks (True = may attend) that any dense attention
accepts, which shows *what* each token sees but saves no compute; ``local_attention`` is the
one pattern here computed sparsely. BigBird's random and window parts are per token here;
the paper works with blocks of tokens (e.g. 64) so that GPUs get dense tiles. Global tokens
attend to and are attended by every position, as in Longformer and BigBird's ITC variant.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F

from bertcore._checks import check_int


def _global_index(global_tokens: Sequence[int], T: int) -> torch.Tensor:
    if isinstance(global_tokens, (int, str)) or not isinstance(global_tokens, (Sequence, torch.Tensor)):
        raise TypeError("global_tokens must be a list of positions, e.g. [0] for [CLS]")
    idx = torch.as_tensor(list(global_tokens), dtype=torch.long)
    if idx.numel() and (idx.min() < 0 or idx.max() >= T):
        raise ValueError(f"global_tokens must be positions in 0..{T - 1}, got {idx.tolist()}")
    return idx


def sliding_window_mask(T: int, radius: int) -> torch.Tensor:
    """(T, T) band: i may attend to j when |i - j| <= radius, e.g. ``sliding_window_mask(5, 1)``."""
    check_int("T", T, low=1)
    check_int("radius", radius, low=0)
    pos = torch.arange(T)
    return (pos[:, None] - pos[None, :]).abs() <= radius  # (T, T) bool


def longformer_mask(T: int, radius: int, global_tokens: Sequence[int] = (0,)) -> torch.Tensor:
    """Sliding window plus global rows and columns, e.g. ``longformer_mask(16, 2, [0])``."""
    mask = sliding_window_mask(T, radius)
    idx = _global_index(global_tokens, T)
    mask[idx, :] = True  # a global token attends to everything ...
    mask[:, idx] = True  # ... and everything attends to it
    return mask


def bigbird_mask(T: int, radius: int, n_random: int, global_tokens: Sequence[int] = (0,), *,
                 generator: torch.Generator | None = None) -> torch.Tensor:
    """Window + ``n_random`` random keys per query + global tokens, e.g. ``bigbird_mask(64, 3, 2, generator=g)``.

    Random keys are drawn, without replacement, among the keys a query does not see yet;
    pass a seeded ``torch.Generator`` for a reproducible pattern.
    """
    check_int("n_random", n_random, low=0)
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError("generator must be a torch.Generator, e.g. torch.Generator().manual_seed(0)")
    mask = longformer_mask(T, radius, global_tokens)
    for i in range(T):
        free = (~mask[i]).nonzero().flatten()  # keys query i cannot see yet
        if free.numel() == 0 or n_random == 0:
            continue
        pick = torch.randperm(free.numel(), generator=generator)[:n_random]
        mask[i, free[pick]] = True
    return mask


def attention_flops(mask: torch.Tensor, head_dim: int) -> int:
    """FLOPs a kernel that skips masked pairs spends per head: 2 * 2 * nnz * head_dim (q.k and weights.v).

    Example: ``attention_flops(torch.ones(4, 4, dtype=torch.bool), 64) == 4096``.
    """
    if not isinstance(mask, torch.Tensor) or mask.dtype != torch.bool or mask.dim() != 2:
        raise TypeError("mask must be a (T, T) bool tensor, e.g. sliding_window_mask(T, radius)")
    check_int("head_dim", head_dim, low=1)
    return 2 * 2 * int(mask.sum()) * head_dim


def local_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, radius: int) -> torch.Tensor:
    """Sliding-window attention in O(T * radius) memory, e.g. ``local_attention(q, k, v, 32)``.

    Equals ``scaled_dot_product_attention(q, k, v, sliding_window_mask(T, radius))[0]`` but
    never builds the (T, T) scores: queries are cut into blocks of ``radius`` (at least 1)
    and each block scores only the keys of its own block and its two neighbours.
    q, k, v: (B, H, T, D). Returns (B, H, T, D).
    """
    for name, t in (("q", q), ("k", k), ("v", v)):
        if not isinstance(t, torch.Tensor) or t.dim() != 4:
            raise ValueError(f"{name} must be a (B, H, T, D) tensor, got {getattr(t, 'shape', type(t).__name__)}")
    if not q.shape == k.shape == v.shape:
        raise ValueError(f"q, k, v must have the same shape (self-attention), got "
                         f"{tuple(q.shape)}, {tuple(k.shape)}, {tuple(v.shape)}")
    check_int("radius", radius, low=0)
    B, H, T, D = q.shape
    w = max(radius, 1)                       # block size: neighbours within radius are <= 1 block away
    nb = math.ceil(T / w)                    # number of query blocks
    pad = nb * w - T
    qb = F.pad(q, (0, 0, 0, pad)).view(B, H, nb, w, D)               # (B, H, nb, w, D)
    # keys/values with one empty block before and after, then 3 consecutive blocks per query block
    kp = F.pad(k, (0, 0, w, pad + w)).view(B, H, nb + 2, w, D)
    vp = F.pad(v, (0, 0, w, pad + w)).view(B, H, nb + 2, w, D)
    kb = torch.cat([kp[:, :, :-2], kp[:, :, 1:-1], kp[:, :, 2:]], dim=3)  # (B, H, nb, 3w, D)
    vb = torch.cat([vp[:, :, :-2], vp[:, :, 1:-1], vp[:, :, 2:]], dim=3)
    scores = qb @ kb.transpose(-2, -1) / math.sqrt(D)                    # (B, H, nb, w, 3w)
    # which (query, key) pairs are real and inside the band
    qpos = torch.arange(nb)[:, None, None] * w + torch.arange(w)[None, :, None]           # (nb, w, 1)
    kpos = torch.arange(nb)[:, None, None] * w - w + torch.arange(3 * w)[None, None, :]   # (nb, 1, 3w)
    allowed = ((qpos - kpos).abs() <= radius) & (kpos >= 0) & (kpos < T)                  # (nb, w, 3w)
    scores = scores.masked_fill(~allowed, torch.finfo(scores.dtype).min)
    out = scores.softmax(-1) @ vb                                        # (B, H, nb, w, D)
    return out.reshape(B, H, nb * w, D)[:, :, :T]
