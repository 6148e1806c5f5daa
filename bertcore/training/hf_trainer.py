"""The ecosystem's standard path: ``AutoModelForSequenceClassification`` trained by ``Trainer``.

The same fine-tune as ``bertcore.support.finetuned_models.fine_tuned``, written the way the
Hugging Face documentation writes it, so the two can be set side by side. It reads the same
packaged weights (``bertcore.support.loading.model_name_or_path``: offline, no hub) and takes
the same settings (lr, epochs, batch size, warm-up, weight decay, max_len, seed, frozen
embeddings, class weights). The library's head reads the ``[CLS]`` pooler output (tanh of a
dense layer), as ``fine_tuned(pooling="pooler")`` does (chapter 5's sentiment settings); it
starts random (the library's default) or, with ``head_init="probe"``, from a linear probe on
those pooler features, as ours does. Batches come in random order instead of length buckets.

Simplifies: single-text classification; CPU only (``use_cpu``), no checkpoints (a temporary
output folder, removed afterwards), no logging services (``report_to="none"``); the cache
keeps the test-split probabilities, the loss history and the time, not the weights.
"""
from __future__ import annotations

import json
import shutil
import tempfile
import time

import numpy as np
import pandas as pd
import torch

from bertcore.support import cache
from bertcore.support.data import load_reviews, load_topics

TASKS = {"reviews": load_reviews, "topics": load_topics}
TRAINER_SETTINGS = ("max_len", "epochs", "lr", "batch_size", "warmup", "weight_decay", "seed", "freeze_embeddings",
                    "class_weight", "head_init")
TRAINER_HEAD_INITS = ("random", "probe")  # random: the library's default; probe: as bertcore's fine_tuned


def train_with_trainer(source: str, train: pd.DataFrame, test: pd.DataFrame, *, max_len: int, epochs: int,
                       lr: float, batch_size: int, warmup: float, weight_decay: float, seed: int,
                       freeze_embeddings: bool = True, class_weight: str | None = None,
                       head_init: str = "random", progress: bool = False) -> dict:
    """Fine-tune ``source`` on ``train`` (columns text, label) with ``Trainer``; score ``test``.

    Example: ``train_with_trainer(bc.model_name_or_path(), train, test, max_len=64, epochs=1,
    lr=5e-5, batch_size=16, warmup=0.1, weight_decay=0.01, seed=0)``.
    Returns labels, test_proba (N, C), history (one row per step: step, loss, lr) and train_seconds.
    ``class_weight="balanced"`` weights the loss as ``fine_tune`` does, through the documented
    way to change Trainer's loss: a subclass that overrides ``compute_loss``.
    ``head_init="probe"`` sets the new classifier to a class-balanced logistic regression on the
    frozen pooler features of ``train`` (``bertcore.training.finetune.probe_weights``).
    """
    from transformers import (
        AutoModelForSequenceClassification,
        AutoTokenizer,
        DataCollatorWithPadding,
        PrinterCallback,
        Trainer,
        TrainingArguments,
        set_seed,
    )

    from bertcore.support.loading import _quiet
    from bertcore.training.finetune import CLASS_WEIGHTS, class_weights, probe_weights

    if class_weight not in CLASS_WEIGHTS:
        raise ValueError(f"class_weight must be one of {CLASS_WEIGHTS}, got {class_weight!r}")
    if head_init not in TRAINER_HEAD_INITS:
        raise ValueError(f"head_init must be one of {TRAINER_HEAD_INITS}, got {head_init!r}")
    labels = sorted(train["label"].unique())
    weight = class_weights(train["label"].tolist(), labels) if class_weight == "balanced" else None  # (C,)
    tokenizer = AutoTokenizer.from_pretrained(source)

    class WeightedTrainer(Trainer):
        def compute_loss(self, model, inputs, return_outputs=False, **kwargs):
            target = inputs.pop("labels")
            outputs = model(**inputs)
            loss = torch.nn.functional.cross_entropy(outputs.logits, target, weight=weight)
            return (loss, outputs) if return_outputs else loss

    def encode(frame: pd.DataFrame) -> list[dict]:
        ids = tokenizer(frame["text"].tolist(), truncation=True, max_length=max_len)["input_ids"]
        return [{"input_ids": row, "labels": labels.index(y)} for row, y in zip(ids, frame["label"], strict=True)]

    def new_model():
        with _quiet():  # the one expected warning: the classifier layer is new (random)
            model = AutoModelForSequenceClassification.from_pretrained(
                source, num_labels=len(labels), id2label=dict(enumerate(labels)),
                label2id={name: i for i, name in enumerate(labels)})
        if freeze_embeddings:
            for p in model.base_model.embeddings.parameters():
                p.requires_grad_(False)
        if head_init == "probe":
            probe_head(model)
        return model

    @torch.no_grad()
    def probe_head(model):  # the classifier's input is the pooler output (dropout is off in eval)
        model.eval()
        texts = train["text"].tolist()
        feats = np.concatenate([
            model.base_model(**tokenizer(texts[i:i + 64], truncation=True, max_length=max_len, padding=True,
                                         return_tensors="pt")).pooler_output.numpy()  # (B, H)
            for i in range(0, len(texts), 64)])
        weight, bias = probe_weights(feats, train["label"].tolist(), labels)
        model.classifier.weight.copy_(torch.as_tensor(weight, dtype=model.classifier.weight.dtype))
        model.classifier.bias.copy_(torch.as_tensor(bias, dtype=model.classifier.bias.dtype))
        model.train()

    out_dir = tempfile.mkdtemp(prefix="bertcore-trainer-")  # never inside the repository
    try:
        args = TrainingArguments(
            output_dir=out_dir, learning_rate=lr, num_train_epochs=epochs,
            per_device_train_batch_size=batch_size, per_device_eval_batch_size=64,
            warmup_ratio=warmup, weight_decay=weight_decay, lr_scheduler_type="linear", max_grad_norm=1.0,
            seed=seed, use_cpu=True, report_to="none", save_strategy="no", logging_steps=1,
            disable_tqdm=not progress, dataloader_num_workers=0)
        trainer_class = Trainer if weight is None else WeightedTrainer
        set_seed(seed)  # as the library's examples do: seed, then build the model (its new layer draws random numbers)
        trainer = trainer_class(model=new_model(), args=args, train_dataset=encode(train),
                                data_collator=DataCollatorWithPadding(tokenizer))
        trainer.remove_callback(PrinterCallback)  # without tqdm it would print every step's log
        start = time.perf_counter()
        trainer.train()
        seconds = time.perf_counter() - start
        logits = trainer.predict(encode(test)).predictions  # (N, C)
    finally:
        shutil.rmtree(out_dir, ignore_errors=True)
    history = pd.DataFrame([{"step": row["step"], "loss": row["loss"], "lr": row["learning_rate"]}
                            for row in trainer.state.log_history if "loss" in row])
    return {"labels": labels, "test_proba": torch.as_tensor(logits).softmax(-1).numpy(),
            "history": history, "train_seconds": seconds}


def trainer_fine_tuned(task: str = "reviews", *, encoder=None, progress: bool = False, **settings) -> dict:
    """``Trainer``'s fine-tune of the book's model on ``task``, cached, e.g. ``trainer_fine_tuned('reviews')``.

    Settings (``TRAINER_SETTINGS``) default to ``FINE_TUNE_DEFAULTS`` and ``EXTRA_DEFAULTS``, except
    ``head_init``, which defaults to the library's random head; ``pooling`` may be given, as "pooler"
    only (the library's head), so that ``SENTIMENT_SETTINGS`` pass through. ``encoder`` (default
    ``load_pretrained()``) only keys the cache on the weights; training reads them from
    ``model_name_or_path()``. Returns a dict: task, settings, labels, test_proba (N, C),
    history (DataFrame), train_seconds, cached (bool), path.
    """
    from bertcore.support.finetuned_models import EXTRA_DEFAULTS, FINE_TUNE_DEFAULTS
    from bertcore.support.loading import load_pretrained, model_name_or_path

    if task not in TASKS:
        raise ValueError(f"task must be one of {sorted(TASKS)}, got {task!r}")
    if settings.pop("pooling", "pooler") != "pooler":  # accepted so that bertcore's settings can be passed as they are
        raise ValueError("AutoModelForSequenceClassification's head reads the [CLS] pooler: pooling must be "
                         "'pooler' (use bertcore's fine_tuned for mean pooling)")
    unknown = set(settings) - set(TRAINER_SETTINGS)
    if unknown:
        raise ValueError(f"unknown settings {sorted(unknown)}; allowed: {sorted(TRAINER_SETTINGS)}")
    defaults = {**FINE_TUNE_DEFAULTS, **EXTRA_DEFAULTS, "head_init": "random"}
    cfg = {**{k: defaults[k] for k in TRAINER_SETTINGS}, **settings}  # values are checked by train_with_trainer
    if encoder is None:
        _, encoder = load_pretrained()
    # head_init came later: in the key only when not the default, so earlier entries keep theirs
    key = {k: v for k, v in cfg.items() if k != "head_init" or v != "random"}
    path = cache.entry_path(f"trainer-{task}", key, encoder)
    test = TASKS[task]("test")

    def load(path):
        meta = json.loads((path / "meta.json").read_text())
        probs = np.load(path / "test_proba.npy")
        if probs.shape != (len(test), len(meta["labels"])):
            raise cache.CorruptEntry(f"test_proba has shape {probs.shape}, expected {(len(test), len(meta['labels']))}")
        return {**meta, "history": pd.DataFrame(meta["history"]), "test_proba": probs}

    def build():
        out = train_with_trainer(model_name_or_path(), TASKS[task]("train"), test, progress=progress, **cfg)
        return {"task": task, "settings": cfg, **out}

    def save(run, tmp):
        np.save(tmp / "test_proba.npy", run["test_proba"])
        meta = {k: v for k, v in run.items() if k != "test_proba"}
        (tmp / "meta.json").write_text(json.dumps({**meta, "history": meta["history"].to_dict("records")}))

    run, cached = cache.load_or_build(path, load, build, save, folder=True)
    return {**run, "cached": cached, "path": path}
