"""Fine-tune once, reuse everywhere: a classifier trained on first use and cached on disk.

Simplifies: the cache key is a hash of the task, the training settings and the encoder's
configuration and weights (``bertcore.support.cache``); nothing is ever evicted (delete
``data/cache/finetune-*`` to retrain). Training is deterministic, so a cache miss on
another machine reproduces the same model up to floating-point summation order.
"""
from __future__ import annotations

import copy
import json
import time

import pandas as pd
import torch

from bertcore.support import cache
from bertcore.support.data import load_reviews, load_topics
from bertcore.training.finetune import SequenceClassifier, fine_tune, init_head_from_probe

TASKS = {"reviews": load_reviews, "topics": load_topics}
FINE_TUNE_DEFAULTS = dict(max_len=64, epochs=3, lr=5e-5, batch_size=8, warmup=0.1, weight_decay=0.01,
                          pooling="mean", dropout=0.1, seed=0, freeze_embeddings=True, head_init="probe")
HEAD_INITS = ("random", "probe")  # probe: start the head from a logistic regression on frozen features


def fine_tuned(task: str = "topics", *, tokenizer=None, encoder=None, progress: bool = False,
               **settings) -> tuple:
    """``(tokenizer, classifier, info)`` trained on ``task``'s train split, cached (``bertcore.support.cache``).

    Example: ``tok, clf, info = fine_tuned('topics', epochs=3)``. ``encoder`` (copied, never
    changed) defaults to ``load_pretrained()``; settings default to ``FINE_TUNE_DEFAULTS``.
    info: task, settings, history (DataFrame), train_seconds, cached (bool), path.
    """
    if task not in TASKS:
        raise ValueError(f"task must be one of {sorted(TASKS)}, got {task!r}")
    unknown = set(settings) - set(FINE_TUNE_DEFAULTS)
    if unknown:
        raise ValueError(f"unknown settings {sorted(unknown)}; allowed: {sorted(FINE_TUNE_DEFAULTS)}")
    if (tokenizer is None) != (encoder is None):
        raise ValueError("pass both tokenizer and encoder, or neither (then the book's model is loaded)")
    if encoder is None:
        from bertcore.support.loading import load_pretrained

        tokenizer, encoder = load_pretrained()
    cfg = {**FINE_TUNE_DEFAULTS, **settings}
    if cfg["head_init"] not in HEAD_INITS:
        raise ValueError(f"head_init must be one of {HEAD_INITS}, got {cfg['head_init']!r}")
    path = cache.entry_path(f"finetune-{task}", cfg, encoder)  # keyed on the encoder's weights
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
                                 max_len=cfg["max_len"])
        history = fine_tune(clf, tokenizer, frame["text"].tolist(), frame["label"].tolist(),
                            epochs=cfg["epochs"], batch_size=cfg["batch_size"], lr=cfg["lr"],
                            warmup=cfg["warmup"], weight_decay=cfg["weight_decay"], max_len=cfg["max_len"],
                            seed=cfg["seed"], progress=progress)
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
