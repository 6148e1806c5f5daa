"""Knowledge distillation of a fine-tuned classifier into a shallower student (DistilBERT's recipe, task-level).

Simplifies: DistilBERT (Sanh et al., 2019) distils during pre-training with MLM + soft
targets + hidden-state cosine; here we distil a *fine-tuned* teacher on one task with
soft targets (temperature) + hard labels + a cosine loss on the last hidden states. The
teacher runs once, in eval mode, and its outputs are stored, so each student step costs
only the student's forward and backward pass. ``cached_distil`` runs ``distil`` for several
seeds and keeps each run's history and test predictions on disk.
"""
from __future__ import annotations

import copy
import hashlib
import json
import time
from collections.abc import Sequence

import pandas as pd
import torch
import torch.nn.functional as F

from bertcore._checks import check_int, check_texts
from bertcore.config import BertConfig
from bertcore.encoder import BertModel
from bertcore.training.batching import bucket_batches, collate, encode_ids
from bertcore.training.finetune import SequenceClassifier, _label_ids, init_head_from_probe, predict
from bertcore.training.loop import train_loop


def student_from_teacher(teacher: torch.nn.Module, layers: Sequence[int] | None = None) -> BertModel:
    """A bertcore encoder with a subset of the teacher's layers, e.g. every other one by default.

    Example: ``student_from_teacher(hf_model).config.num_hidden_layers == 3`` for a 6-layer teacher.
    Embeddings, pooler and the chosen layers are copied (DistilBERT's initialisation).
    """
    full = teacher if isinstance(teacher, BertModel) else BertModel.from_pretrained(teacher)
    n = full.config.num_hidden_layers
    layers = list(range(0, n, 2)) if layers is None else list(layers)
    if not layers or any(not isinstance(i, int) or not 0 <= i < n for i in layers):
        raise ValueError(f"layers must be a non-empty list of indices in [0, {n - 1}], got {layers}")
    cfg = BertConfig(**{**full.config.to_dict(), "num_hidden_layers": len(layers)})
    student = BertModel(cfg)
    student.embeddings.load_state_dict(full.embeddings.state_dict())
    student.pooler.load_state_dict(full.pooler.state_dict())
    for new, old in enumerate(layers):
        student.layers[new].load_state_dict(full.layers[old].state_dict())
    return student.eval()


def soft_target_loss(student_logits: torch.Tensor, teacher_logits: torch.Tensor,
                     temperature: float = 2.0) -> torch.Tensor:
    """T^2 * KL(softmax(teacher/T) || softmax(student/T)), Hinton et al.'s soft-target loss."""
    if student_logits.shape != teacher_logits.shape:
        raise ValueError(f"logit shapes differ: {tuple(student_logits.shape)} vs {tuple(teacher_logits.shape)}")
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    log_p_student = F.log_softmax(student_logits / temperature, dim=-1)  # (B, C)
    p_teacher = F.softmax(teacher_logits / temperature, dim=-1)  # (B, C)
    # T^2 keeps the gradient scale comparable across temperatures (Hinton et al., 2015)
    return F.kl_div(log_p_student, p_teacher, reduction="batchmean") * temperature**2


def cosine_hidden_loss(student_hidden: torch.Tensor, teacher_hidden: torch.Tensor,
                       attention_mask: torch.Tensor) -> torch.Tensor:
    """Mean of 1 - cos(student, teacher) over real tokens; hidden states (B, T, H), mask (B, T)."""
    if student_hidden.shape != teacher_hidden.shape:
        raise ValueError(f"hidden shapes differ: {tuple(student_hidden.shape)} vs {tuple(teacher_hidden.shape)}")
    cos = F.cosine_similarity(student_hidden, teacher_hidden, dim=-1)  # (B, T)
    mask = attention_mask.to(cos.dtype)
    return ((1.0 - cos) * mask).sum() / mask.sum()


@torch.no_grad()
def teacher_outputs(teacher: SequenceClassifier, tokenizer, texts: Sequence[str], *,
                    max_len: int = 64, batch_size: int = 64) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """Teacher logits (N, C) and last hidden states (one (T_i, H) tensor per text), in input order."""
    texts = check_texts(texts)
    ids = encode_ids(tokenizer, texts, max_len)
    logits = torch.zeros(len(ids), len(teacher.labels))
    hidden: list[torch.Tensor] = [torch.empty(0)] * len(ids)
    teacher.eval()
    for batch in bucket_batches([len(r) for r in ids], batch_size):
        inputs = collate([ids[i] for i in batch], tokenizer.pad_token_id)
        out = teacher.encoder(**inputs)
        logits[batch] = teacher.head(teacher.pool(out, inputs["attention_mask"]))
        for row, i in enumerate(batch):
            hidden[i] = out.last_hidden_state[row, : len(ids[i])].clone()  # drop the padding
    return logits, hidden


def distil(student: SequenceClassifier, tokenizer, texts: Sequence[str], labels: Sequence[str],
           teacher_logits: torch.Tensor, teacher_hidden: Sequence[torch.Tensor] | None = None, *,
           temperature: float = 2.0, alpha: float = 0.5, beta: float = 1.0, epochs: int = 3,
           batch_size: int = 16, lr: float = 1e-4, warmup: float = 0.1, weight_decay: float = 0.01,
           max_len: int = 64, seed: int = 0) -> pd.DataFrame:
    """Train ``student`` on alpha * soft + (1 - alpha) * hard + beta * cosine; one history row per step.

    Example: ``distil(student, tok, x, y, *teacher_outputs(teacher, tok, x))``. ``alpha=0``
    and ``beta=0`` give plain fine-tuning of the same student (the no-teacher control).
    """
    if not isinstance(student, SequenceClassifier):
        raise TypeError("student must be a SequenceClassifier")
    texts = check_texts(texts)
    y = torch.tensor(_label_ids(student, labels))
    if not (len(texts) == len(y) == len(teacher_logits)):
        raise ValueError(f"need as many texts ({len(texts)}), labels ({len(y)}) "
                         f"and teacher rows ({len(teacher_logits)})")
    if not 0.0 <= alpha <= 1.0 or beta < 0:
        raise ValueError(f"need 0 <= alpha <= 1 and beta >= 0, got alpha={alpha}, beta={beta}")
    if beta > 0 and teacher_hidden is None:
        raise ValueError("beta > 0 needs teacher_hidden (the second value of teacher_outputs)")
    ids = encode_ids(tokenizer, texts, max_len)
    if teacher_hidden is not None and any(len(h) != len(r) for h, r in zip(teacher_hidden, ids, strict=True)):
        raise ValueError("teacher_hidden does not match these texts: compute it with the same max_len")

    def step_loss(batch):
        inputs = collate([ids[i] for i in batch], tokenizer.pad_token_id)
        out = student.encoder(**inputs)
        logits = student.head(student.dropout(student.pool(out, inputs["attention_mask"])))
        hard = F.cross_entropy(logits, y[batch])
        soft = soft_target_loss(logits, teacher_logits[batch], temperature)
        cos = torch.zeros(())
        if beta > 0:
            T = inputs["input_ids"].shape[1]
            target = torch.stack([F.pad(teacher_hidden[i], (0, 0, 0, T - len(teacher_hidden[i])))
                                  for i in batch])  # (B, T, H), zeros on padding
            cos = cosine_hidden_loss(out.last_hidden_state, target, inputs["attention_mask"])
        loss = alpha * soft + (1 - alpha) * hard + beta * cos
        return loss, {"hard": hard, "soft": soft, "cosine": cos}

    return pd.DataFrame(train_loop(student, step_loss, [len(r) for r in ids], epochs=epochs, batch_size=batch_size,
                                   lr=lr, warmup=warmup, weight_decay=weight_decay, seed=seed))


def cached_distil(student: SequenceClassifier, teacher: SequenceClassifier, tokenizer, texts: Sequence[str],
                  labels: Sequence[str], test_texts: Sequence[str], *, seeds: Sequence[int] = (0, 1, 2),
                  temperature: float = 2.0, alpha: float = 0.5, beta: float = 1.0, epochs: int = 3,
                  batch_size: int = 16, lr: float = 1e-4, warmup: float = 0.1, weight_decay: float = 0.01,
                  max_len: int = 64, probe_head: bool = True) -> list[dict]:
    """``distil`` a copy of ``student`` once per seed, cached; one dict per seed, in order.

    Example: ``runs = cached_distil(student, teacher, tok, x, y, x_test, seeds=(0, 1, 2))``.
    Each dict: seed, history (DataFrame, as ``distil`` returns it), test_predictions (label
    names), train_seconds, seconds_per_step, cached. ``student`` is never changed. Every seed
    starts from the same point: ``student`` with, if ``probe_head``, its head fitted as a linear
    probe on its frozen features (``init_head_from_probe``). The probe and the teacher's pass over
    ``texts`` run once, and only when a seed is missing from the cache (``bertcore.support.cache``),
    whose key holds every setting, the texts, the teacher's and the student's weights (and which
    of the student's weights are frozen).
    ``alpha=0, beta=0`` is the no-teacher control.
    """
    from bertcore.support import cache

    if not isinstance(student, SequenceClassifier) or not isinstance(teacher, SequenceClassifier):
        raise TypeError("student and teacher must be SequenceClassifiers")
    seeds = list(seeds)
    if not seeds or len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must be a non-empty list of different ints, got {seeds}")
    for seed in seeds:
        check_int("seed", seed, low=0)
    texts, test_texts = check_texts(texts), check_texts(test_texts, name="test_texts")
    if not isinstance(probe_head, bool):
        raise TypeError("probe_head must be True or False")
    settings = dict(temperature=temperature, alpha=alpha, beta=beta, epochs=epochs, batch_size=batch_size,
                    lr=lr, warmup=warmup, weight_decay=weight_decay, max_len=max_len)
    data = hashlib.sha256(json.dumps([texts, [str(y) for y in labels], test_texts]).encode()).hexdigest()[:16]
    frozen = [name for name, p in student.named_parameters() if not p.requires_grad]  # trained as they are
    key = {**settings, "data": data, "teacher": cache.weights_fingerprint(teacher), "probe_head": probe_head,
           "student": cache.weights_fingerprint(student), "frozen": frozen}
    targets: list = []  # the teacher's outputs on the texts, computed at most once
    origin: list = []  # the starting point shared by every seed, built at most once

    def build(seed):
        if not targets and alpha == 0 and beta == 0:  # the control never reads the teacher
            targets.extend([torch.zeros(len(texts), len(teacher.labels)), None])
        elif not targets:
            targets.extend(teacher_outputs(teacher, tokenizer, texts, max_len=max_len))
        if not origin:
            origin.append(copy.deepcopy(student))
            if probe_head:
                init_head_from_probe(origin[0], tokenizer, texts, labels, max_len=max_len)
        model = copy.deepcopy(origin[0])
        start = time.perf_counter()
        history = distil(model, tokenizer, texts, labels, *targets, seed=seed, **settings)
        seconds = time.perf_counter() - start
        return {"seed": seed, "history": history.to_dict("list"), "train_seconds": seconds,
                "seconds_per_step": float(history["seconds"].iloc[-1]) / len(history),
                "test_predictions": predict(model, tokenizer, test_texts, max_len=max_len)}

    def load(path):
        out = json.loads(path.read_text())
        if len(out["test_predictions"]) != len(test_texts):
            raise cache.CorruptEntry("its predictions do not match the test texts")
        return out

    runs = []
    for seed in seeds:
        path = cache.entry_path("distil", {**key, "seed": seed}, suffix=".json")
        out, cached = cache.load_or_build(path, load, lambda seed=seed: build(seed),
                                          lambda out, tmp: tmp.write_text(json.dumps(out)))
        runs.append({**out, "history": pd.DataFrame(out["history"]), "cached": cached})
    return runs
