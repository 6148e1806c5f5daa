"""Fine-tuning accuracy, macro-F1 and time of the book's settings, against the TF-IDF baseline.

Usage: .venv/bin/python benchmarks/bench_finetune.py [topics|reviews ...]   (default: both)
Trains every time with the settings chapter 5 uses: FINE_TUNE_DEFAULTS for topics, updated with
SENTIMENT_SETTINGS for reviews (bertcore.support.finetuned_models; the cache is not used, so the
time is real), evaluates on the test split and prints one row per task; main()
returns the rows. Also records the machine load, because on a shared CPU the wall-clock time
says as much about the neighbours as about us.
"""
from __future__ import annotations

import copy
import os
import sys
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import pandas as pd  # noqa: E402
import torch  # noqa: E402

import bertcore  # noqa: E402
from bertcore.analysis.baselines import tfidf_baseline  # noqa: E402
from bertcore.analysis.metrics import classification_scores  # noqa: E402
from bertcore.support.finetuned_models import EXTRA_DEFAULTS, FINE_TUNE_DEFAULTS, SENTIMENT_SETTINGS, TASKS  # noqa: E402
from bertcore.training.finetune import SequenceClassifier, evaluate_classifier, fine_tune, init_head_from_probe  # noqa: E402


def bench_task(task: str, tokenizer, encoder, settings: dict) -> dict:
    """Train one classifier with ``settings`` on ``task`` and score it next to TF-IDF."""
    train_df, test_df = TASKS[task]("train"), TASKS[task]("test")
    labels = sorted(train_df["label"].unique())
    clf = SequenceClassifier(copy.deepcopy(encoder), labels, pooling=settings["pooling"],
                             dropout=settings["dropout"], seed=settings["seed"])
    if settings["freeze_embeddings"]:
        for p in clf.encoder.embeddings.parameters():
            p.requires_grad_(False)
    load_before = os.getloadavg()[0]
    cpu, wall = time.process_time(), time.perf_counter()
    if settings["head_init"] == "probe":
        init_head_from_probe(clf, tokenizer, train_df["text"].tolist(), train_df["label"].tolist(),
                             max_len=settings["max_len"], truncation=settings["truncation"])
    fine_tune(clf, tokenizer, train_df["text"].tolist(), train_df["label"].tolist(),
          **{k: settings[k] for k in ("epochs", "batch_size", "lr", "warmup", "weight_decay", "max_len", "seed",
                                      "truncation", "class_weight")})
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    scores = evaluate_classifier(clf, tokenizer, test_df["text"].tolist(), test_df["label"].tolist(),
                      max_len=settings["max_len"], truncation=settings["truncation"])
    base = tfidf_baseline(train_df["text"].tolist(), train_df["label"].tolist())
    base_scores = classification_scores(test_df["label"], base.predict(test_df["text"].tolist()), labels)
    return {"task": task, "train": len(train_df), "test": len(test_df),
            "accuracy": scores["accuracy"], "macro_f1": scores["macro_f1"],
            "tfidf_accuracy": base_scores["accuracy"], "tfidf_macro_f1": base_scores["macro_f1"],
            "train_wall_s": wall, "train_cpu_s": cpu, "threads": torch.get_num_threads(),
            "load_1min": (load_before + os.getloadavg()[0]) / 2}


def main(tasks: list[str] | None = None) -> dict:
    tasks = tasks or sorted(TASKS)
    tokenizer, encoder = bertcore.load_pretrained()
    base = {**FINE_TUNE_DEFAULTS, **EXTRA_DEFAULTS}
    settings = {t: {**base, **SENTIMENT_SETTINGS} if t == "reviews" else base for t in tasks}
    print(f"settings: {settings}")
    rows = [bench_task(t, tokenizer, encoder, settings[t]) for t in tasks]
    table = pd.DataFrame(rows).set_index("task")
    print(table.round(3).to_string())
    return {"settings": settings, "results": rows}


if __name__ == "__main__":
    main(sys.argv[1:] or None)
