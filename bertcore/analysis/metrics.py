"""Classification scores in one call (accuracy, macro-F1, report, confusion), and the noise of a gap.

Simplifies: a thin layer over scikit-learn that fixes the label order (so a class absent
from the predictions still gets its row) and returns pandas tables ready to display.
``paired_bootstrap`` tells how much a macro-F1 gap between two systems on one test set moves
when the test set is redrawn: the test-set part of the noise (training seeds add their own).
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from bertcore._checks import check_positive_int


def _check_labels(labels: list, *sequences: list) -> None:
    """Every label that occurs in ``sequences`` is one of ``labels``."""
    unknown = set().union(*map(set, sequences)) - set(labels)
    if unknown:
        raise ValueError(f"labels {sorted(map(str, unknown))} are not in labels={labels}: pass every class name")


def classification_scores(y_true: Sequence, y_pred: Sequence, labels: Sequence[str]) -> dict:
    """Scores for label names, e.g. ``classification_scores(['a', 'b'], ['a', 'a'], ['a', 'b'])['accuracy'] == 0.5``.

    Returns ``{'accuracy', 'macro_f1', 'report' (DataFrame), 'confusion' (DataFrame, rows = true)}``.
    """
    from sklearn.metrics import accuracy_score, classification_report, confusion_matrix, f1_score

    y_true, y_pred, labels = list(y_true), list(y_pred), list(labels)
    if len(y_true) != len(y_pred):
        raise ValueError(f"y_true and y_pred differ in length: {len(y_true)} vs {len(y_pred)}")
    if not y_true:
        raise ValueError("need at least one example to score")
    _check_labels(labels, y_true, y_pred)
    report = classification_report(y_true, y_pred, labels=labels, output_dict=True, zero_division=0)
    table = pd.DataFrame({k: report[k] for k in labels}).T[["precision", "recall", "f1-score", "support"]]
    table["support"] = table["support"].astype(int)
    confusion = pd.DataFrame(confusion_matrix(y_true, y_pred, labels=labels), index=labels, columns=labels)
    confusion.index.name, confusion.columns.name = "true", "predicted"
    return {
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "macro_f1": float(f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0)),
        "report": table,
        "confusion": confusion,
    }


def _macro_f1(true: np.ndarray, pred: np.ndarray, n_classes: int) -> float:
    """Macro-F1 over class codes 0..n_classes-1; a class absent from both counts as 0 (as scikit-learn)."""
    hits = np.bincount(true[true == pred], minlength=n_classes)
    both = np.bincount(pred, minlength=n_classes) + np.bincount(true, minlength=n_classes)
    return float(np.mean(np.where(both > 0, 2 * hits / np.maximum(both, 1), 0.0)))


def paired_bootstrap(y_true: Sequence, pred_a: Sequence, pred_b: Sequence, labels: Sequence[str], *,
                     draws: int = 300, seed: int = 0) -> tuple[float, np.ndarray]:
    """Macro-F1 of ``pred_a`` minus ``pred_b``, and that gap on ``draws`` resamples of the test set.

    Both systems are scored on the same resampled examples (paired), so the spread of the
    returned gaps is the test-set noise of the gap, e.g.
    ``gap, gaps = paired_bootstrap(y, a, b, labels); tie = abs(gap) < 2 * gaps.std()``.
    """
    y_true, pred_a, pred_b, labels = list(y_true), list(pred_a), list(pred_b), list(labels)
    if not (len(y_true) == len(pred_a) == len(pred_b)):
        raise ValueError(f"y_true, pred_a and pred_b must have one entry per example, got "
                         f"{len(y_true)}, {len(pred_a)} and {len(pred_b)}")
    if not y_true:
        raise ValueError("need at least one example to score")
    check_positive_int("draws", draws)
    _check_labels(labels, y_true, pred_a, pred_b)
    code = {label: i for i, label in enumerate(labels)}
    y, a, b = (np.array([code[v] for v in seq]) for seq in (y_true, pred_a, pred_b))
    k = len(labels)
    rng = np.random.default_rng(seed)
    gaps = np.empty(draws)
    for d in range(draws):
        idx = rng.integers(0, len(y), len(y))  # one resample of the test set, used for both systems
        gaps[d] = _macro_f1(y[idx], a[idx], k) - _macro_f1(y[idx], b[idx], k)
    return _macro_f1(y, a, k) - _macro_f1(y, b, k), gaps


def gap_verdict(gaps: Sequence[float], *, noise_sd: float = 0.0) -> tuple[str, float]:
    """The book's rule for a gap between two methods: ``(verdict, bar)``, verdict "ahead", "behind" or "tied".

    ``gaps`` holds one gap (a minus b) per seed or draw, at least three. The bar is twice the
    larger of their standard deviation and ``noise_sd`` (for example the bootstrap SD of one
    gap, when one side is deterministic); a is "ahead" only when the mean gap exceeds the bar,
    e.g. ``gap_verdict([0.063, 0.055, 0.004])`` gives ``("tied", 0.064...)``.
    """
    gaps = np.asarray(gaps, dtype=float)
    if gaps.ndim != 1 or len(gaps) < 3 or not np.isfinite(gaps).all():
        raise ValueError(f"gaps must be at least 3 finite numbers, one per seed or draw; got {gaps.tolist()}")
    if not noise_sd >= 0:
        raise ValueError(f"noise_sd must be >= 0, got {noise_sd}")
    bar = 2 * max(float(gaps.std(ddof=1)), float(noise_sd))
    mean = float(gaps.mean())
    return ("ahead" if mean > bar else "behind" if mean < -bar else "tied"), bar
