"""Scaled dot-product and multi-head self-attention, written out for reading.

Simplifies: no key/value cache, no fused kernels. Dropout sits where BERT and Hugging Face's
``BertSelfAttention`` put it, on the attention probabilities (training only).
Masks are boolean with True = "may attend", which is easier to read than additive -inf masks.
"""
from __future__ import annotations

import math

import torch
from torch import nn


def _check_mask(mask: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
    if not isinstance(mask, torch.Tensor):
        raise TypeError(f"mask must be a torch.Tensor or None, got {type(mask).__name__}")
    if mask.dtype != torch.bool:
        raise TypeError(
            f"mask must be boolean (True = may attend), got {mask.dtype}; "
            "convert a 0/1 attention_mask with mask.bool()"
        )
    try:
        torch.broadcast_shapes(mask.shape, scores.shape)
    except RuntimeError as err:
        raise ValueError(
            f"mask of shape {tuple(mask.shape)} does not broadcast to the scores "
            f"{tuple(scores.shape)}; use (B, 1, 1, T) for padding or (T, T) for a pattern"
        ) from err
    return mask


def scaled_dot_product_attention(q, k, v, mask=None, dropout=None):
    """softmax(q k^T / sqrt(d) + mask) v, e.g. ``out, w = scaled_dot_product_attention(q, q, q)``.

    q: (B, H, Tq, D), k: (B, H, Tk, D), v: (B, H, Tk, Dv); mask: bool, broadcastable to
    (B, H, Tq, Tk), True where a query may attend to a key. ``dropout`` (e.g. an ``nn.Dropout``)
    is applied to the weights before they multiply v. Returns (output, weights).
    """
    for name, t in (("q", q), ("k", k), ("v", v)):
        if not isinstance(t, torch.Tensor):
            raise TypeError(f"{name} must be a torch.Tensor, got {type(t).__name__}")
        if t.dim() < 2:
            raise ValueError(f"{name} must have at least 2 dims (..., T, D), got shape {tuple(t.shape)}")
    if q.shape[-1] != k.shape[-1]:
        raise ValueError(f"q and k need the same last dim, got {q.shape[-1]} and {k.shape[-1]}")
    if k.shape[-2] != v.shape[-2]:
        raise ValueError(f"k and v need the same length, got {k.shape[-2]} and {v.shape[-2]}")
    if dropout is not None and not callable(dropout):
        raise TypeError(f"dropout must be None or a callable such as nn.Dropout(0.1), got {type(dropout).__name__}")
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])  # (B, H, Tq, Tk)
    if mask is not None:
        mask = _check_mask(mask, scores)
        # the most negative finite number, not -inf: a fully masked row then gives a
        # uniform distribution instead of NaN (the same choice transformers makes)
        scores = scores.masked_fill(~mask, torch.finfo(scores.dtype).min)
    weights = scores.softmax(dim=-1)  # (B, H, Tq, Tk), each row sums to 1
    if dropout is not None:
        # BERT drops whole attention links: zero some weights, scale the rest by 1/(1-p).
        # The weights returned are these dropped ones, as transformers' eager BertSelfAttention
        # returns them as `attentions` in train mode (in eval mode dropout is the identity).
        weights = dropout(weights)
    return weights @ v, weights  # (B, H, Tq, Dv), (B, H, Tq, Tk)


class MultiHeadAttention(nn.Module):
    """BERT's self-attention block: project, split into heads, attend, merge, project.

    Example: ``MultiHeadAttention(384, 12)(torch.randn(2, 5, 384))[0].shape == (2, 5, 384)``.
    Parameter names (query, key, value, output) map one to one onto Hugging Face's BERT.
    """

    def __init__(self, hidden_size: int, num_attention_heads: int, attention_probs_dropout_prob: float = 0.0):
        super().__init__()
        for name, val in (("hidden_size", hidden_size), ("num_attention_heads", num_attention_heads)):
            if not isinstance(val, int) or isinstance(val, bool) or val <= 0:
                raise ValueError(f"{name} must be a positive int, got {val!r}")
        if hidden_size % num_attention_heads:
            raise ValueError(
                f"hidden_size ({hidden_size}) must be divisible by num_attention_heads "
                f"({num_attention_heads}); pick a head count that divides it"
            )
        self.num_heads = num_attention_heads
        self.head_dim = hidden_size // num_attention_heads
        self.query = nn.Linear(hidden_size, hidden_size)
        self.key = nn.Linear(hidden_size, hidden_size)
        self.value = nn.Linear(hidden_size, hidden_size)
        self.output = nn.Linear(hidden_size, hidden_size)
        self.dropout = nn.Dropout(attention_probs_dropout_prob)

    def split_heads(self, x: torch.Tensor) -> torch.Tensor:
        B, T, _ = x.shape
        return x.view(B, T, self.num_heads, self.head_dim).transpose(1, 2)  # (B, H, T, D)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None):
        """x: (B, T, hidden); mask: bool (B, 1, 1, T) or (T, T). Returns (output, weights)."""
        if not isinstance(x, torch.Tensor) or x.dim() != 3:
            raise ValueError(f"x must be a (B, T, hidden) tensor, got {getattr(x, 'shape', type(x))}")
        q, k, v = (self.split_heads(proj(x)) for proj in (self.query, self.key, self.value))
        context, weights = scaled_dot_product_attention(q, k, v, mask, self.dropout)  # (B, H, T, D)
        B, H, T, D = context.shape
        merged = context.transpose(1, 2).reshape(B, T, H * D)  # heads side by side again
        return self.output(merged), weights
