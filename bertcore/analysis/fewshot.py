"""Few-shot subsets: k labelled examples per class, drawn reproducibly, for learning curves.

Simplifies: sampling without replacement inside each class, independently per seed; a class
with fewer than k examples contributes all it has (the caller sees that in the counts).
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def sample_per_class(labels: Sequence, k: int, seed: int = 0) -> np.ndarray:
    """Sorted row indices with (up to) k rows of every class, e.g. ``sample_per_class(df['label'], 4, seed=1)``."""
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or k < 1:
        raise ValueError(f"k must be a positive int (examples per class), got {k!r}")
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    labels = np.asarray(list(labels), dtype=object)
    if labels.size == 0:
        raise ValueError("labels is empty")
    rng = np.random.default_rng(seed)
    picked = []
    for name in sorted(set(labels.tolist()), key=str):  # fixed class order: same draw everywhere
        rows = np.flatnonzero(labels == name)
        picked.append(rng.choice(rows, size=min(k, rows.size), replace=False))
    return np.sort(np.concatenate(picked))
