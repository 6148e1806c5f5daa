"""Fine-tune once, reuse everywhere: a classifier trained on first use and cached on disk.

Simplifies: the cache key is a hash of the task, the training settings and the encoder's
configuration and weights (``bertcore.support.cache``); nothing is ever evicted (delete
``data/cache/finetune-*`` to retrain). Training is deterministic, so a cache miss on
another machine reproduces the same model up to floating-point summation order. Settings
added later (``EXTRA_DEFAULTS``) enter the key only when they differ from their default, so
the models trained before they existed keep their entries. ``fine_tuned_proba`` caches a
model's class probabilities on a labelled split, so a warm chapter neither trains nor predicts.
"""
from __future__ import annotations

import copy
import hashlib
import json
import time

import numpy as np
import pandas as pd
import torch

from bertcore.support import cache
from bertcore.support.data import load_reviews, load_topics
from bertcore.training.finetune import (
    CLASS_WEIGHTS,
    TRUNCATIONS,
    SequenceClassifier,
    fine_tune,
    init_head_from_probe,
    predict_proba,
)

TASKS = {"reviews": load_reviews, "topics": load_topics}
FINE_TUNE_DEFAULTS = dict(max_len=64, epochs=3, lr=5e-5, batch_size=8, warmup=0.1, weight_decay=0.01,
                          pooling="mean", dropout=0.1, seed=0, freeze_embeddings=True, head_init="probe")
# added after the first models were cached: in the cache key only when not at their default
EXTRA_DEFAULTS = dict(truncation="head", class_weight=None)
# chapter 5's sentiment runs: the defaults scaled to its CPU budget, with the baselines' class weighting and
# the seed's head, the [CLS] pooler (also the head of AutoModelForSequenceClassification, so Trainer can match it)
SENTIMENT_SETTINGS = dict(pooling="pooler", epochs=1, batch_size=16, class_weight="balanced")
HEAD_INITS = ("random", "probe")  # probe: start the head from a logistic regression on frozen features


def fine_tuned(task: str = "topics", *, tokenizer=None, encoder=None, progress: bool = False,
               **settings) -> tuple:
    """``(tokenizer, classifier, info)`` trained on ``task``'s train split, cached (``bertcore.support.cache``).

    Example: ``tok, clf, info = fine_tuned('topics', epochs=3)``. ``encoder`` (copied, never
    changed) defaults to ``load_pretrained()``; settings default to ``FINE_TUNE_DEFAULTS`` and
    ``EXTRA_DEFAULTS`` (``truncation="head"|"head+tail"``, ``class_weight=None|"balanced"``).
    info: task, settings, history (DataFrame), train_seconds, cached (bool), path.
    """
    if task not in TASKS:
        raise ValueError(f"task must be one of {sorted(TASKS)}, got {task!r}")
    allowed = {**FINE_TUNE_DEFAULTS, **EXTRA_DEFAULTS}
    unknown = set(settings) - set(allowed)
    if unknown:
        raise ValueError(f"unknown settings {sorted(unknown)}; allowed: {sorted(allowed)}")
    if (tokenizer is None) != (encoder is None):
        raise ValueError("pass both tokenizer and encoder, or neither (then the book's model is loaded)")
    if encoder is None:
        from bertcore.support.loading import load_pretrained

        tokenizer, encoder = load_pretrained()
    cfg = {**allowed, **settings}
    if cfg["head_init"] not in HEAD_INITS:
        raise ValueError(f"head_init must be one of {HEAD_INITS}, got {cfg['head_init']!r}")
    if cfg["truncation"] not in TRUNCATIONS:
        raise ValueError(f"truncation must be one of {TRUNCATIONS}, got {cfg['truncation']!r}")
    if cfg["class_weight"] not in CLASS_WEIGHTS:
        raise ValueError(f"class_weight must be one of {CLASS_WEIGHTS}, got {cfg['class_weight']!r}")
    key = {k: v for k, v in cfg.items() if k in FINE_TUNE_DEFAULTS or v != EXTRA_DEFAULTS[k]}
    path = cache.entry_path(f"finetune-{task}", key, encoder)  # keyed on the encoder's weights
    frame = TASKS[task]("train")
    labels = sorted(frame["label"].unique())
    clf = SequenceClassifier(copy.deepcopy(encoder), labels, pooling=cfg["pooling"],
                             dropout=cfg["dropout"], seed=cfg["seed"])

    def load(path):
        meta = json.loads((path / "meta.json").read_text())
        state = torch.load(path / "model.pt", weights_only=True)
        shapes = {k: tuple(v.shape) for k, v in clf.state_dict().items()}
        if meta["labels"] != labels or {k: tuple(v.shape) for k, v in state.items()} != shapes:
            raise cache.CorruptEntry("its labels or weight shapes do not match this task and encoder")
        meta["history"] = pd.DataFrame(meta["history"])
        clf.load_state_dict(state)  # last, after every check: a bad entry never half-loads
        clf.eval()
        return meta

    def build():
        if cfg["freeze_embeddings"]:
            # the word-embedding table is half of the small model's weights; leaving it fixed
            # skips its gradient and optimiser update (a common fine-tuning shortcut)
            for p in clf.encoder.embeddings.parameters():
                p.requires_grad_(False)
        start = time.perf_counter()
        if cfg["head_init"] == "probe":
            init_head_from_probe(clf, tokenizer, frame["text"].tolist(), frame["label"].tolist(),
                                 max_len=cfg["max_len"], truncation=cfg["truncation"])
        history = fine_tune(clf, tokenizer, frame["text"].tolist(), frame["label"].tolist(),
                            epochs=cfg["epochs"], batch_size=cfg["batch_size"], lr=cfg["lr"],
                            warmup=cfg["warmup"], weight_decay=cfg["weight_decay"], max_len=cfg["max_len"],
                            seed=cfg["seed"], truncation=cfg["truncation"], class_weight=cfg["class_weight"],
                            progress=progress)
        seconds = time.perf_counter() - start
        for p in clf.parameters():
            p.requires_grad_(True)
        return {"task": task, "settings": cfg, "labels": labels, "train_seconds": seconds,
                "history": history}

    def save(meta, tmp):
        torch.save(clf.state_dict(), tmp / "model.pt")
        (tmp / "meta.json").write_text(json.dumps({**meta, "history": meta["history"].to_dict("records")}))

    meta, cached = cache.load_or_build(path, load, build, save, folder=True)
    return tokenizer, clf, {**meta, "cached": cached, "path": path}


def fine_tuned_proba(clf: SequenceClassifier, tokenizer, info: dict, split: str = "test") -> np.ndarray:
    """Class probabilities (N, C) of a ``fine_tuned`` model on its task's ``split``, cached.

    Example: ``tok, clf, info = fine_tuned('reviews'); p = fine_tuned_proba(clf, tok, info)``.
    The texts are cut as in training (the run's ``max_len`` and ``truncation``). The key is the
    model's cache entry and the split's texts, so a retrained model never reads stale predictions.
    """
    if not isinstance(clf, SequenceClassifier):
        raise TypeError("clf must be the SequenceClassifier that fine_tuned returned")
    if not isinstance(info, dict) or "path" not in info or info.get("task") not in TASKS:
        raise TypeError("info must be the dict that fine_tuned returned with clf")
    texts = TASKS[info["task"]](split)["text"].tolist()  # load_* raises ValueError on an unknown split
    cfg = {**EXTRA_DEFAULTS, **info["settings"]}
    digest = hashlib.sha256("\x00".join(texts).encode()).hexdigest()[:16]
    path = cache.entry_path("proba", {"model": info["path"].name, "split": split, "texts": digest},
                            suffix=".npy")

    def load(path):
        probs = np.load(path)
        if probs.shape != (len(texts), len(clf.labels)):
            raise cache.CorruptEntry(f"shape {probs.shape}, expected {(len(texts), len(clf.labels))}")
        return probs

    def build():
        return predict_proba(clf, tokenizer, texts, max_len=cfg["max_len"], truncation=cfg["truncation"])

    probs, _ = cache.load_or_build(path, load, build, lambda probs, tmp: np.save(tmp, probs))
    return probs
