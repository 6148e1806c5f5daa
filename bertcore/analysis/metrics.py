"""Classification scores in one call: accuracy, macro-F1, per-class report, confusion matrix.

Simplifies: a thin layer over scikit-learn that fixes the label order (so a class absent
from the predictions still gets its row) and returns pandas tables ready to display.
"""
from __future__ import annotations

from collections.abc import Sequence

import pandas as pd


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
    unknown = (set(y_true) | set(y_pred)) - set(labels)
    if unknown:
        raise ValueError(f"labels {sorted(map(str, unknown))} are not in labels={labels}: pass every class name")
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
