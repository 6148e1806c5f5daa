"""Position information: the Transformer's fixed sinusoids and tools to inspect a learned table.

Simplifies: only absolute positions (BERT's scheme); relative and rotary schemes are
described in the chapters, not implemented. The sinusoid layout (sin in even, cos in odd
columns) follows Vaswani et al. (2017) and ``transformers``' DistilBERT.
"""
from __future__ import annotations

import torch

from bertcore._checks import check_finite


def sinusoidal_positions(num_positions: int, dim: int, base: float = 10000.0) -> torch.Tensor:
    """Fixed encodings, shape (num_positions, dim), e.g. ``sinusoidal_positions(512, 768)``.

    PE[p, 2k] = sin(p / base^(2k/dim)), PE[p, 2k+1] = cos(p / base^(2k/dim)).
    """
    for name, val in (("num_positions", num_positions), ("dim", dim)):
        if not isinstance(val, int) or isinstance(val, bool) or val < 1:
            raise ValueError(f"{name} must be a positive int, got {val!r}")
    if dim % 2:
        raise ValueError(f"dim must be even (sin/cos pairs), got {dim}")
    check_finite("base", base, 1.0, low_open=True)
    # float64 for the angles: p / base^(2k/d) loses digits in float32 at large p
    position = torch.arange(num_positions, dtype=torch.float64)[:, None]  # (P, 1)
    k = torch.arange(0, dim, 2, dtype=torch.float64)  # (dim/2,): 0, 2, 4, ...
    angle = position / base ** (k / dim)  # (P, dim/2)
    table = torch.empty(num_positions, dim, dtype=torch.float64)
    table[:, 0::2] = torch.sin(angle)
    table[:, 1::2] = torch.cos(angle)
    return table.float()


def cosine_similarity_matrix(table: torch.Tensor) -> torch.Tensor:
    """Cosine similarity of every pair of rows, shape (P, P), e.g.
    of ``model.embeddings.position_embeddings.weight``."""
    if not isinstance(table, torch.Tensor) or table.dim() != 2:
        raise TypeError("table must be a 2-D tensor (positions, dim)")
    unit = torch.nn.functional.normalize(table.detach().float(), dim=-1)  # (P, dim), unit rows
    return unit @ unit.T


def pca_2d(table: torch.Tensor) -> torch.Tensor:
    """Project the rows onto their first two principal components, shape (P, 2).

    Example: ``pca_2d(sinusoidal_positions(128, 64)).shape == (128, 2)``. Signs follow
    ``torch.linalg.svd`` with the largest-magnitude entry of each component made positive.
    """
    if not isinstance(table, torch.Tensor) or table.dim() != 2 or table.shape[0] < 2:
        raise TypeError("table must be a 2-D tensor with at least two rows")
    centred = table.detach().double() - table.detach().double().mean(dim=0)  # (P, dim)
    _, _, vt = torch.linalg.svd(centred, full_matrices=False)  # rows of vt: principal axes
    axes = vt[:2]  # (2, dim)
    # fix the sign so the picture does not flip between library versions
    sign = torch.sign(axes.gather(1, axes.abs().argmax(dim=1, keepdim=True)))
    return (centred @ (axes * sign).T).float()
