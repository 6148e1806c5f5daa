"""Few-shot subsets: k labelled examples per class, drawn reproducibly, for learning curves.

Simplifies: sampling without replacement inside each class, independently per seed; a class
with fewer than k examples contributes all it has (the caller sees that in the counts).
``few_shot_fine_tune`` fine-tunes on one such draw with chapter 5's recipe and caches only what
a learning curve needs (the test predictions and the timing), not the weights.
"""
from __future__ import annotations

import copy
import json
import time
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


def few_shot_fine_tune(encoder, tokenizer, task: str = "topics", per_class: int = 8, seed: int = 0,
                       **settings) -> dict:
    """Fine-tune a copy of ``encoder`` on ``per_class`` training examples per class; cached.

    Example: ``run = few_shot_fine_tune(model, tok, 'topics', per_class=8, seed=1)``. The seed
    draws the examples (``sample_per_class``) and seeds the training (head, dropout, batch
    order). The recipe is ``bc.fine_tuned``'s (``FINE_TUNE_DEFAULTS``: a head started from a
    linear probe, AdamW, 3 epochs, frozen word embeddings); ``settings`` override it. The
    result (a dict: rows, test predictions, macro_f1, accuracy, steps, train_seconds,
    seconds_per_step, cached) is cached under the settings and the encoder's weights
    (``bertcore.support.cache``), so a warm run neither trains nor predicts.
    """
    from bertcore.support.finetuned_models import FINE_TUNE_DEFAULTS
    from bertcore.training.finetune import SequenceClassifier

    unknown = set(settings) - set(FINE_TUNE_DEFAULTS)
    if unknown:
        raise ValueError(f"unknown settings {sorted(unknown)}; allowed: {sorted(FINE_TUNE_DEFAULTS)}")
    if not hasattr(encoder, "config"):
        raise TypeError("encoder must be a BertModel (Hugging Face or bertcore)")

    def classifier(cfg, classes):
        clf = SequenceClassifier(copy.deepcopy(encoder), classes, pooling=cfg["pooling"],
                                 dropout=cfg["dropout"], seed=seed)
        if cfg["freeze_embeddings"]:
            for p in clf.encoder.embeddings.parameters():
                p.requires_grad_(False)
        return clf

    return cached_few_shot_run("fewshot", classifier, encoder, tokenizer, task, per_class, seed, settings)


def cached_few_shot_run(kind: str, classifier, encoder, tokenizer, task: str, per_class: int, seed: int,
                        settings: dict, key: dict | None = None, report=None) -> dict:
    """Train ``classifier(cfg, classes)`` on one few-shot draw with chapter 5's recipe, score it; cached.

    The one loop behind ``few_shot_fine_tune`` and ``bertcore.variants.adapters.few_shot_adapters``:
    draw ``per_class`` examples (``sample_per_class(seed)``), start the head from a probe (if
    ``head_init`` says so), ``fine_tune``, predict the test split. The cache entry
    ``<kind>-<task>`` is keyed on the settings, ``per_class``, ``key`` and ``encoder``'s weights;
    ``report(clf)`` adds entries to the stored result.
    """
    from bertcore.analysis.metrics import classification_scores
    from bertcore.support import cache
    from bertcore.support.finetuned_models import FINE_TUNE_DEFAULTS, TASKS
    from bertcore.training.finetune import fine_tune, init_head_from_probe, predict

    if task not in TASKS:
        raise ValueError(f"task must be one of {sorted(TASKS)}, got {task!r}")
    cfg = {**FINE_TUNE_DEFAULTS, **settings, "seed": seed}
    train, test = TASKS[task]("train"), TASKS[task]("test")
    rows = sample_per_class(train["label"], per_class, seed=seed)  # validates per_class and seed
    texts, labels = train["text"].iloc[rows].tolist(), train["label"].iloc[rows].tolist()
    classes = sorted(train["label"].unique())
    path = cache.entry_path(f"{kind}-{task}", {**cfg, "per_class": per_class, **(key or {})}, encoder,
                            suffix=".json")

    def build():
        clf = classifier(cfg, classes)
        start = time.perf_counter()
        if cfg["head_init"] == "probe":
            init_head_from_probe(clf, tokenizer, texts, labels, max_len=cfg["max_len"])
        history = fine_tune(clf, tokenizer, texts, labels, epochs=cfg["epochs"], batch_size=cfg["batch_size"],
                            lr=cfg["lr"], warmup=cfg["warmup"], weight_decay=cfg["weight_decay"],
                            max_len=cfg["max_len"], seed=seed)
        seconds = time.perf_counter() - start
        steps_seconds = float(history["seconds"].iloc[-1])  # the training loop alone, without the probe
        pred = predict(clf, tokenizer, test["text"].tolist(), max_len=cfg["max_len"])
        return {"rows": rows.tolist(), "pred": list(pred), "steps": len(history), "train_seconds": seconds,
                "seconds_per_step": steps_seconds / len(history), **(report(clf) if report else {})}

    def load(path):
        run = json.loads(path.read_text())
        if len(run["pred"]) != len(test) or run["rows"] != rows.tolist():
            raise cache.CorruptEntry("its predictions or rows do not match this task's data")
        return run

    run, cached = cache.load_or_build(path, load, build, lambda run, tmp: tmp.write_text(json.dumps(run)))
    scores = classification_scores(test["label"].tolist(), run["pred"], classes)
    return {**run, "macro_f1": scores["macro_f1"], "accuracy": scores["accuracy"], "cached": cached}
