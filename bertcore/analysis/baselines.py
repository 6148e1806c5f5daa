"""Classifiers without a neural network: TF-IDF n-grams + logistic regression, the baseline to beat.

Simplifies: fixed settings (word 1-2-grams seen in at least two texts, sublinear tf,
class-balanced logistic regression, C=1) chosen once by cross-validation on the training
splits, instead of a search on every call. The same logistic regression also serves as a probe
on frozen encoder features (``bertcore.variants.sentence_embeddings.encode(..., normalize=False)``).
"""
from __future__ import annotations

from collections.abc import Sequence

from bertcore._checks import check_texts


def logistic_regression(C: float = 1.0, seed: int = 0):
    """Class-balanced multinomial logistic regression, e.g. ``logistic_regression().fit(X, y)``."""
    from sklearn.linear_model import LogisticRegression

    if not C > 0:
        raise ValueError(f"C (inverse regularisation strength) must be > 0, got {C}")
    # balanced: rare classes (neutral is ~9% of reviews) weigh as much as common ones
    return LogisticRegression(C=C, class_weight="balanced", max_iter=2000, random_state=seed)


def tfidf_baseline(texts: Sequence[str], labels: Sequence[str], *, C: float = 1.0, min_df: int = 2,
                   seed: int = 0):
    """Fitted TF-IDF (1-2-grams) + logistic regression pipeline, e.g. ``tfidf_baseline(x, y).predict(x_test)``."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import make_pipeline

    texts, labels = check_texts(texts), list(labels)
    if len(texts) != len(labels):
        raise ValueError(f"{len(texts)} texts but {len(labels)} labels")
    if len(set(labels)) < 2:
        raise ValueError("need at least two classes among the labels")
    # min_df=2 drops n-grams seen in one review only; with C=1 it was the best (or within 0.01
    # macro-F1 of the best) of min_df in {1, 2, 3} x C in {1, 10, 100} by 5-fold
    # cross-validation on the training split of both tasks
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=min_df, sublinear_tf=True, lowercase=True)
    return make_pipeline(vectorizer, logistic_regression(C, seed)).fit(texts, labels)
