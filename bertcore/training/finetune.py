"""Fine-tuning for text classification: a head on the encoder, a seeded training loop, predictions.

Simplifies: single-text classification only; one AdamW optimiser with a linear warm-up and
linear decay (the recipe of Devlin et al., 2019); batches grouped by length
(``bertcore.training.batching``); CPU-first, no mixed precision or gradient accumulation.
Long texts are cut to ``max_len`` WordPieces in one of ``TRUNCATIONS`` (``encode_truncated``),
the same way for training, the probe and prediction.
Works with a Hugging Face ``BertModel`` and with ``bertcore.BertModel`` alike.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import torch
from torch import nn

from bertcore._checks import check_positive_int, check_texts
from bertcore.analysis.long_documents import truncate_ids
from bertcore.analysis.metrics import classification_scores
from bertcore.training.batching import bucket_batches, collate, encode_ids
from bertcore.training.loop import train_loop

CLASSIFIER_POOLINGS = ("pooler", "cls", "mean")
TRUNCATIONS = ("head", "head+tail")  # head: the first pieces; head+tail: a quarter from the start, the rest the end
CLASS_WEIGHTS = (None, "balanced")


def encode_truncated(tokenizer, texts: Sequence[str], max_len: int = 128, truncation: str = "head") -> list[list[int]]:
    """``[CLS] ... [SEP]`` ids of at most ``max_len``, e.g. ``encode_truncated(tok, texts, 64, 'head+tail')``.

    "head" keeps the first ``max_len - 2`` WordPieces (the tokenizer's own truncation);
    "head+tail" keeps a quarter of them from the start and the rest from the end of the
    text (``bertcore.analysis.long_documents.truncate_ids``), which Sun et al. (2019) found
    best for long reviews. Both cost the same: every row has the same length.
    """
    if truncation not in TRUNCATIONS:
        raise ValueError(f"truncation must be one of {TRUNCATIONS}, got {truncation!r}")
    if truncation == "head":
        return encode_ids(tokenizer, texts, max_len)
    texts = check_texts(texts)
    encode_ids(tokenizer, texts[:1], max_len)  # validates max_len with the same messages
    pieces = tokenizer(texts, add_special_tokens=False)["input_ids"]
    return [[tokenizer.cls_token_id, *truncate_ids(ids, max_len - 2, "head+tail"), tokenizer.sep_token_id]
            for ids in pieces]


def class_weights(labels: Sequence[str], classes: Sequence[str]) -> torch.Tensor:
    """Inverse-frequency weights (C,), ``n / (C * n_c)``, e.g. ``class_weights(['a', 'a', 'b'], ['a', 'b'])``.

    The same formula as scikit-learn's ``class_weight="balanced"``: a class with half the
    average frequency counts twice in the loss, so every class carries the same total weight.
    """
    labels, classes = list(labels), list(classes)
    counts = torch.tensor([labels.count(c) for c in classes], dtype=torch.float32)  # (C,)
    if len(classes) == 0 or (counts == 0).any():
        missing = [c for c, n in zip(classes, counts.tolist(), strict=True) if n == 0]
        raise ValueError(f"every class needs at least one example to be weighted; missing: {missing}")
    if counts.sum() != len(labels):
        raise ValueError(f"labels hold names outside classes {classes}")
    return len(labels) / (len(classes) * counts)


class SequenceClassifier(nn.Module):
    """Encoder + pooling + dropout + linear head, e.g. ``SequenceClassifier(model, ['neg', 'pos'])``.

    pooling: 'pooler' = tanh(W h_[CLS]) as in BERT's paper, 'cls' = the raw [CLS] vector,
    'mean' = average of the real (non-padding) token vectors.
    """

    def __init__(self, encoder: nn.Module, labels: Sequence[str], *, pooling: str = "pooler",
                 dropout: float = 0.1, seed: int = 0):
        super().__init__()
        if not isinstance(encoder, nn.Module) or not hasattr(encoder, "config"):
            raise TypeError("encoder must be a BertModel (Hugging Face or bertcore) with a .config")
        labels = list(labels)
        if len(labels) < 2 or len(set(labels)) != len(labels):
            raise ValueError(f"labels must be at least two distinct class names, got {labels}")
        if pooling not in CLASSIFIER_POOLINGS:
            raise ValueError(f"pooling must be one of {CLASSIFIER_POOLINGS}, got {pooling!r}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        self.encoder, self.labels, self.pooling = encoder, labels, pooling
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(encoder.config.hidden_size, len(labels))
        # BERT's initialisation (normal, std 0.02) from an explicit generator: no global RNG
        gen = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            self.head.weight.normal_(0.0, 0.02, generator=gen)
            self.head.bias.zero_()

    def pool(self, out, attention_mask: torch.Tensor) -> torch.Tensor:
        """One vector per text (B, hidden) from the encoder output."""
        if self.pooling == "pooler":
            return out.pooler_output  # (B, hidden)
        hidden = out.last_hidden_state  # (B, T, hidden)
        if self.pooling == "cls":
            return hidden[:, 0]
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)  # (B, T, 1): padding contributes 0
        return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Logits (B, num_labels) for a padded batch."""
        out = self.encoder(input_ids=input_ids, attention_mask=attention_mask)
        return self.head(self.dropout(self.pool(out, attention_mask)))  # (B, C)


def probe_weights(features: np.ndarray, labels: Sequence[str], classes: Sequence[str], *,
                  C: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """A linear head ``(weight (C, H), bias (C,))`` in ``classes`` order, fitted as a class-balanced
    logistic regression on frozen features (N, H), e.g. ``probe_weights(feats, y, ['neg', 'pos'])``."""
    from bertcore.analysis.baselines import logistic_regression

    probe = logistic_regression(C=C).fit(features, list(labels))
    if len(probe.classes_) != len(classes):
        raise ValueError("every class needs at least one example to fit the probe")
    coef, intercept = probe.coef_, probe.intercept_  # (C, H), (C,)
    if coef.shape[0] == 1:  # two classes: sklearn keeps one row, the logit of classes_[1]
        coef, intercept = np.vstack([np.zeros_like(coef), coef]), np.concatenate([[0.0], intercept])
    order = [list(probe.classes_).index(name) for name in classes]  # sklearn sorts the classes
    return coef[order], intercept[order]


@torch.no_grad()
def init_head_from_probe(model: SequenceClassifier, tokenizer, texts: Sequence[str], labels: Sequence[str], *,
                         max_len: int = 128, C: float = 1.0, batch_size: int = 64, truncation: str = "head"):
    """Set the head to a logistic regression fitted on frozen pooled features ("linear probe, then fine-tune").

    Example: ``init_head_from_probe(clf, tok, texts, labels)``; returns ``(weight, bias)``.
    Starting from a trained head instead of a random one means the first gradients that
    reach the encoder are informative rather than noise (Kumar et al., 2022). The probe is
    class-balanced (``probe_weights``).
    """
    if not isinstance(model, SequenceClassifier):
        raise TypeError("model must be a SequenceClassifier")
    texts = check_texts(texts)
    _label_ids(model, labels)  # validates the names
    ids = encode_truncated(tokenizer, texts, max_len, truncation)
    feats = np.zeros((len(ids), model.head.in_features), dtype=np.float32)
    was_training = model.training
    model.eval()
    for batch in bucket_batches([len(r) for r in ids], batch_size):
        inputs = collate([ids[i] for i in batch], tokenizer.pad_token_id)
        feats[batch] = model.pool(model.encoder(**inputs), inputs["attention_mask"]).numpy()  # (B, H)
    model.train(was_training)
    weight, bias = probe_weights(feats, labels, model.labels, C=C)
    model.head.weight.copy_(torch.as_tensor(weight, dtype=model.head.weight.dtype))
    model.head.bias.copy_(torch.as_tensor(bias, dtype=model.head.bias.dtype))
    return weight, bias


def _check_class_weight(class_weight) -> None:
    if class_weight not in CLASS_WEIGHTS:
        raise ValueError(f"class_weight must be one of {CLASS_WEIGHTS}, got {class_weight!r}")


def _label_ids(model: SequenceClassifier, labels: Sequence[str]) -> list[int]:
    index = {name: i for i, name in enumerate(model.labels)}
    unknown = sorted({str(y) for y in labels if y not in index})
    if unknown:
        raise ValueError(f"labels {unknown} are not among the classifier's labels {model.labels}")
    return [index[y] for y in labels]


def fine_tune(model: SequenceClassifier, tokenizer, texts: Sequence[str], labels: Sequence[str], *,
          epochs: int = 3, batch_size: int = 16, lr: float = 5e-5, warmup: float = 0.1,
          weight_decay: float = 0.01, max_len: int = 128, seed: int = 0, truncation: str = "head",
          class_weight: str | None = None, progress: bool = False) -> pd.DataFrame:
    """Fine-tune in place; one history row per step, e.g. ``fine_tune(clf, tok, texts, labels, epochs=1)``.

    Only parameters with ``requires_grad`` are trained (freeze some to train fewer). The loop
    (AdamW, warm-up and decay, clipping, length-bucketed batches) is ``training.loop.train_loop``.
    History columns: epoch, step, loss, lr, seconds (since the start). ``truncation``: see
    ``encode_truncated``. ``class_weight="balanced"`` weights each example's cross-entropy by
    ``class_weights`` of its true class (a weighted mean over the batch, as PyTorch computes it).
    """
    if not isinstance(model, SequenceClassifier):
        raise TypeError("model must be a SequenceClassifier (wrap your encoder first)")
    texts = check_texts(texts)
    y = _label_ids(model, labels)
    if len(y) != len(texts):
        raise ValueError(f"{len(texts)} texts but {len(y)} labels")
    _check_class_weight(class_weight)
    weight = class_weights(labels, model.labels) if class_weight == "balanced" else None  # (C,) or None
    ids = encode_truncated(tokenizer, texts, max_len, truncation)

    def step_loss(batch):
        inputs = collate([ids[i] for i in batch], tokenizer.pad_token_id)
        target = torch.tensor([y[i] for i in batch])
        return nn.functional.cross_entropy(model(**inputs), target, weight=weight), {}

    return pd.DataFrame(train_loop(model, step_loss, [len(r) for r in ids], epochs=epochs, batch_size=batch_size,
                                   lr=lr, warmup=warmup, weight_decay=weight_decay, seed=seed,
                                   progress=progress, desc="fine-tuning"))


@torch.no_grad()
def predict_proba(model: SequenceClassifier, tokenizer, texts: Sequence[str], *,
                  max_len: int = 128, batch_size: int = 64, truncation: str = "head") -> np.ndarray:
    """Class probabilities (N, C) in input order, e.g. ``predict_proba(clf, tok, ['Great.'])``.

    Cut the texts as in training: the same ``max_len`` and ``truncation``.
    """
    if not isinstance(model, SequenceClassifier):
        raise TypeError("model must be a SequenceClassifier")
    texts = check_texts(texts)
    check_positive_int("batch_size", batch_size)
    ids = encode_truncated(tokenizer, texts, max_len, truncation)
    probs = np.zeros((len(ids), len(model.labels)), dtype=np.float32)
    was_training = model.training
    model.eval()
    for batch in bucket_batches([len(r) for r in ids], batch_size):  # sorted: little padding
        inputs = collate([ids[i] for i in batch], tokenizer.pad_token_id)
        probs[batch] = model(**inputs).softmax(-1).numpy()  # write back to the input positions
    model.train(was_training)
    return probs


def predict(model: SequenceClassifier, tokenizer, texts: Sequence[str], **kw) -> list[str]:
    """Predicted label names, e.g. ``predict(clf, tok, ['Worked great, no side effects.'])``."""
    return [model.labels[i] for i in predict_proba(model, tokenizer, texts, **kw).argmax(1)]


def evaluate_classifier(model: SequenceClassifier, tokenizer, texts: Sequence[str], labels: Sequence[str],
             **kw) -> dict:
    """Accuracy, macro-F1, report and confusion matrix on labelled texts (see ``classification_scores``)."""
    return classification_scores(list(labels), predict(model, tokenizer, texts, **kw), model.labels)
