"""Knowledge distillation of a fine-tuned classifier into a shallower student (DistilBERT's recipe, task-level).

Simplifies: DistilBERT (Sanh et al., 2019) distils during pre-training with MLM + soft
targets + hidden-state cosine; here we distil a *fine-tuned* teacher on one task with
soft targets (temperature) + hard labels + a cosine loss on the last hidden states. The
teacher runs once, in eval mode, and its outputs are stored, so each student step costs
only the student's forward and backward pass.
"""
from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import torch
import torch.nn.functional as F

from bertcore._checks import check_texts
from bertcore.config import BertConfig
from bertcore.encoder import BertModel
from bertcore.training.batching import bucket_batches, collate, encode_ids
from bertcore.training.finetune import SequenceClassifier, _label_ids
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
