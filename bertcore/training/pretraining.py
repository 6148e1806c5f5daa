"""BERT's pre-training: MLM and NSP (or SOP) heads on ``bertcore.BertModel``, trained by the shared loop.

Simplifies: the corpus is the review data (a document = a review, split into sentences by
punctuation), an example is one sentence pair (not packed 512-token segments), the MLM head
scores only the masked positions (the same loss, about 3x faster on a CPU), and training
runs for minutes, not days. Everything random comes from the ``seed`` argument.
"""
from __future__ import annotations

import hashlib
import json
import re
import time
from itertools import pairwise
from pathlib import Path

import pandas as pd
import torch
from torch import nn

from bertcore._checks import check_finite, check_int, check_positive_int, check_probability, check_text
from bertcore.config import ACTIVATIONS, BertConfig
from bertcore.encoder import BertModel
from bertcore.masking import IGNORE_INDEX, as_rng, make_nsp_pairs, mask_tokens
from bertcore.training.initialization import init_bert_weights
from bertcore.training.loop import train_loop

OBJECTIVES = ("mlm", "nsp", "sop", "mlm+nsp", "mlm+sop")


class BertForPreTraining(nn.Module):
    """Encoder + MLM head (tied decoder) + 2-way pair head, e.g. ``BertForPreTraining(BertConfig.tiny())``."""

    def __init__(self, encoder: BertModel | BertConfig, seed: int = 0):
        super().__init__()
        fresh = isinstance(encoder, BertConfig)
        if not fresh and not isinstance(encoder, BertModel):
            raise TypeError("encoder must be a bertcore.BertModel or a BertConfig (for a fresh one)")
        self.bert = BertModel(encoder) if fresh else encoder
        c = self.bert.config
        # MLM head as in BERT: dense + activation + LayerNorm, then the word embeddings transposed
        self.transform = nn.Linear(c.hidden_size, c.hidden_size)
        self.act = ACTIVATIONS[c.hidden_act]
        self.norm = nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)
        self.decoder_bias = nn.Parameter(torch.zeros(c.vocab_size))
        self.pair_head = nn.Linear(c.hidden_size, 2)  # on the pooled [CLS]: NSP or SOP
        # BERT's initialisation, seeded: everything for a fresh model, else only the new heads
        init_bert_weights(self if fresh else nn.ModuleList([self.transform, self.norm, self.pair_head]), seed)

    def mlm_logits(self, hidden: torch.Tensor) -> torch.Tensor:
        """(..., hidden) vectors -> (..., vocab) scores; the decoder is the word embedding matrix."""
        h = self.norm(self.act(self.transform(hidden)))
        return h @ self.bert.embeddings.word_embeddings.weight.T + self.decoder_bias

    def forward(self, input_ids, token_type_ids=None, attention_mask=None, mlm_positions=None):
        """Return (mlm_logits, pair_logits): (N, V) at the True cells of ``mlm_positions`` (B, T),
        or (B, T, V) when it is None; pair logits (B, 2) with 0 = IsNext / in order."""
        out = self.bert(input_ids, token_type_ids, attention_mask)
        h = out.last_hidden_state  # (B, T, hidden)
        mlm = self.mlm_logits(h if mlm_positions is None else h[mlm_positions])
        return mlm, self.pair_head(out.pooler_output)


def split_sentences(text: str) -> list[str]:
    """Naive sentence split at . ! ? followed by a space, e.g. ``split_sentences('A b. C d!')``."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a string, got {type(text).__name__}")
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if s.strip()]


def review_documents(split: str = "train") -> list[list[str]]:
    """The reviews as documents (lists of sentences), e.g. ``review_documents('test')[0]``."""
    from bertcore.support.data import load_reviews

    return [split_sentences(t) for t in load_reviews(split)["text"]]


def pack_segments(documents, min_words: int = 20) -> list[list[str]]:
    """Join consecutive sentences into segments of at least ``min_words`` words (the last may be shorter).

    BERT's "sentences" are such segments, packed to fill the sequence; longer segments carry more
    evidence about their topic. Example: ``pack_segments([["A b.", "C d.", "E f g."]], 4)``
    gives ``[["A b. C d.", "E f g."]]``.
    """
    _check_documents(documents)
    check_positive_int("min_words", min_words)
    packed = []
    for doc in documents:
        segments, current = [], []
        for sentence in doc:
            current.append(sentence)
            if sum(len(s.split()) for s in current) >= min_words:
                segments.append(" ".join(current))
                current = []
        if current:
            segments.append(" ".join(current))
        packed.append(segments)
    return packed


def make_sop_pairs(documents, *, rng=0, p_in_order=0.5):
    """Sentence Order Prediction pairs (ALBERT): consecutive sentences, swapped with 1 - p_in_order.

    Label 0 = in order, 1 = swapped; both sentences always come from the same document.
    Example: ``make_sop_pairs([["A1.", "A2."]], rng=0)``.
    """
    rng = as_rng(rng)
    if not 0.0 <= p_in_order <= 1.0:
        raise ValueError(f"p_in_order must be between 0 and 1, got {p_in_order}")
    pairs = []
    for doc in documents:
        for a, b in pairwise(doc):
            pairs.append((a, b, 0) if rng.random() < p_in_order else (b, a, 1))
    return pairs


def _check_objectives(objectives: str) -> tuple[bool, str | None]:
    if objectives not in OBJECTIVES:
        raise ValueError(f"objectives must be one of {OBJECTIVES}, got {objectives!r}")
    pair = objectives.split("+")[-1]
    return "mlm" in objectives, (pair if pair in ("nsp", "sop") else None)


def encode_pairs(tokenizer, documents, *, pair_task: str | None = "nsp", max_len: int = 64, seed: int = 0):
    """Build sentence pairs and tokenize them: dict of (N, T) tensors plus 'pair_labels' (N,).

    ``pair_task`` 'nsp' (random-document negatives), 'sop' (swapped order) or None (always
    the true next sentence, for MLM only). Example: ``encode_pairs(tok, review_documents())``.
    """
    if pair_task not in ("nsp", "sop", None):
        raise ValueError(f"pair_task must be 'nsp', 'sop' or None, got {pair_task!r}")
    if not isinstance(max_len, int) or not 8 <= max_len <= 512:
        raise ValueError(f"max_len must be an int in [8, 512], got {max_len!r}")
    if pair_task == "sop":
        pairs = make_sop_pairs(documents, rng=seed)
    else:
        pairs = make_nsp_pairs(documents, rng=seed, p_is_next=0.5 if pair_task == "nsp" else 1.0)
    a, b, labels = zip(*pairs, strict=True)
    enc = tokenizer(list(a), list(b), truncation="longest_first", max_length=max_len,
                    padding=True, return_tensors="pt")
    return {"input_ids": enc["input_ids"], "token_type_ids": enc["token_type_ids"],
            "attention_mask": enc["attention_mask"], "pair_labels": torch.tensor(labels)}


def _mask(ids, attention_mask, tokenizer, vocab_size, generator, mlm_probability=0.15):
    return mask_tokens(ids, vocab_size=vocab_size, mask_token_id=tokenizer.mask_token_id,
                       special_token_ids=tokenizer.all_special_ids, generator=generator,
                       attention_mask=attention_mask, mlm_probability=mlm_probability)


def _losses(model, batch, masked_ids, labels, use_mlm, pair_task):
    """Cross-entropy of both heads; MLM logits only where labels != -100."""
    positions = labels != IGNORE_INDEX  # (B, T) bool
    mlm_logits, pair_logits = model(masked_ids, batch["token_type_ids"], batch["attention_mask"], positions)
    targets = labels[positions]  # (N,)
    stats, loss = {}, torch.zeros(())
    if use_mlm and len(targets):
        mlm_loss = nn.functional.cross_entropy(mlm_logits, targets)  # mlm_logits: (N, V)
        loss = loss + mlm_loss
        stats.update(mlm_loss=mlm_loss.item(), mlm_acc=(mlm_logits.argmax(-1) == targets).float().mean().item())
    if pair_task:
        pair_loss = nn.functional.cross_entropy(pair_logits, batch["pair_labels"])  # (B, 2)
        loss = loss + pair_loss
        stats.update(pair_loss=pair_loss.item(),
                     pair_acc=(pair_logits.argmax(-1) == batch["pair_labels"]).float().mean().item())
    return loss, stats


def _batch(data, index):
    """Rows ``index`` of every tensor, trimmed to the longest real sequence in the batch."""
    T = int(data["attention_mask"][index].sum(1).max())
    return {k: (v[index][:, :T] if v.dim() == 2 else v[index]) for k, v in data.items()}


def _check_pretrain_settings(*, steps, batch_size, max_len, seed, lr, head_lr, warmup, mlm_probability,
                             documents) -> None:
    for name, val in (("steps", steps), ("batch_size", batch_size), ("max_len", max_len)):
        check_positive_int(name, val)
    check_int("seed", seed, low=0)
    check_finite("lr", lr, 0.0)  # 0 is allowed: a frozen model (tests use it to isolate the masks)
    if head_lr is not None:
        check_finite("head_lr", head_lr, 0.0)
    check_probability("warmup", warmup)
    check_probability("mlm_probability", mlm_probability)
    _check_documents(documents)


def _check_documents(documents) -> None:
    """None (the reviews) or a non-empty list of documents; an empty list must not mean 'the reviews'."""
    if documents is None:
        return
    if isinstance(documents, (str, bytes)) or not hasattr(documents, "__len__"):
        raise TypeError("documents must be a list of documents, each a list of sentences "
                        "(e.g. review_documents('train')), or None for the reviews")
    if len(documents) == 0:
        raise ValueError("documents is empty: pass at least two documents, or documents=None "
                         "to use the reviews")


def pretrain(config: BertConfig | None = None, *, objectives: str = "mlm+nsp", dynamic_masking: bool = True,
             steps: int = 300, batch_size: int = 32, max_len: int = 64, mlm_probability: float = 0.15,
             lr: float = 1e-3,
             head_lr: float | None = None, warmup: float = 0.1, seed: int = 0, tokenizer=None,
             documents=None, model: BertForPreTraining | None = None, train_layers: int | None = None):
    """Pre-train and return ``(model, history)``, e.g. ``model, hist = pretrain(steps=50, seed=0)``.

    ``config`` (default ``BertConfig.tiny()``) builds a fresh model unless ``model`` is given.
    ``objectives``: 'mlm', 'nsp', 'sop', 'mlm+nsp' (BERT) or 'mlm+sop' (ALBERT).
    ``dynamic_masking``: a fresh mask every time a pair is seen (RoBERTa) vs one fixed mask.
    History columns: step, mlm_loss, mlm_acc, pair_loss, pair_acc (per batch), seconds.
    The loop is ``training.loop.train_loop``: AdamW (weight decay 0.01, none on biases and
    LayerNorm weights), linear warm-up and decay; ``head_lr`` (default ``lr``) for the heads.
    ``train_layers``: None trains everything; k trains the heads and the top k layers only
    (0 = heads only; the embeddings, hence the tied decoder, stay frozen).
    """
    use_mlm, pair_task = _check_objectives(objectives)
    _check_pretrain_settings(steps=steps, batch_size=batch_size, max_len=max_len, seed=seed, lr=lr,
                             head_lr=head_lr, warmup=warmup, mlm_probability=mlm_probability,
                             documents=documents)
    if model is not None and not isinstance(model, BertForPreTraining):
        raise TypeError("model must be a bertcore BertForPreTraining (or None for a fresh one)")
    if tokenizer is None:
        from transformers import AutoTokenizer

        from bertcore.support.loading import model_name_or_path
        tokenizer = AutoTokenizer.from_pretrained(model_name_or_path())
    model = model or BertForPreTraining(config or BertConfig.tiny(vocab_size=len(tokenizer)), seed=seed)
    if len(tokenizer) > model.bert.config.vocab_size:
        raise ValueError(f"the tokenizer has {len(tokenizer)} tokens but the model only "
                         f"{model.bert.config.vocab_size}: build the config with vocab_size=len(tokenizer)")
    data = encode_pairs(tokenizer, documents or review_documents("train"), pair_task=pair_task,
                        max_len=min(max_len, model.bert.config.max_position_embeddings), seed=seed)
    gen = torch.Generator().manual_seed(seed)  # batches and masks
    vocab = model.bert.config.vocab_size
    if not dynamic_masking:  # masks drawn once for the whole data set, reused every epoch
        fixed = _mask(data["input_ids"], data["attention_mask"], tokenizer, vocab, gen, mlm_probability)
    n_layers = model.bert.config.num_hidden_layers
    if train_layers is not None and (not isinstance(train_layers, int) or not 0 <= train_layers <= n_layers):
        raise ValueError(f"train_layers must be None or an int in [0, {n_layers}], got {train_layers!r}")
    trained = {f"bert.layers.{i}." for i in range(n_layers - (train_layers or 0), n_layers)}
    heads = [p for n, p in model.named_parameters() if not n.startswith("bert.")]
    body = [p for n, p in model.named_parameters() if n.startswith("bert.")
            and (train_layers is None or n.startswith("bert.pooler") or any(n.startswith(t) for t in trained))]
    for p in model.parameters():
        p.requires_grad_(False)
    for p in heads + body:
        p.requires_grad_(True)
    groups = [{"params": heads, "lr": lr if head_lr is None else head_lr}, {"params": body, "lr": lr}]

    def step_loss(index):
        batch = _batch(data, index)
        if dynamic_masking:
            masked, labels = _mask(batch["input_ids"], batch["attention_mask"], tokenizer, vocab, gen, mlm_probability)
        else:
            T = batch["input_ids"].shape[1]
            masked, labels = fixed[0][index][:, :T], fixed[1][index][:, :T]
        return _losses(model, batch, masked, labels, use_mlm, pair_task)

    # the shared loop: shuffled full batches across epochs, AdamW (no decay on biases and
    # LayerNorm weights), linear warm-up and decay, clipping at 1; ``gen`` also draws the masks
    history = train_loop(model, step_loss, [1] * len(data["input_ids"]), steps=steps, batch_size=batch_size,
                         bucket=False, lr=lr, warmup=warmup, weight_decay=0.01, params=groups, seed=seed,
                         generator=gen)
    for p in model.parameters():
        p.requires_grad_(True)  # leave nothing frozen behind for the caller
    cols = ["step", "mlm_loss", "mlm_acc", "pair_loss", "pair_acc", "seconds"]
    return model.eval(), pd.DataFrame(history).reindex(columns=cols)


def _fingerprint(obj) -> str:
    """16 hex digits of a JSON-able object (a vocabulary, the documents): part of a cache key."""
    return hashlib.sha256(json.dumps(obj, ensure_ascii=False).encode()).hexdigest()[:16]


def cached_pretrain(config: BertConfig, *, tokenizer, documents, objectives: str = "mlm+nsp", steps: int = 300,
                    batch_size: int = 32, max_len: int = 64, mlm_probability: float = 0.15, lr: float = 1e-3,
                    head_lr: float | None = None, warmup: float = 0.1, seed: int = 0):
    """``pretrain`` a fresh model once and keep it on disk; return ``(model, history, info)``.

    Example: ``model, hist, info = cached_pretrain(cfg, tokenizer=tok, documents=docs, steps=1000)``.
    The cache key (``bertcore.support.cache``) holds every setting, the configuration, the
    tokenizer's vocabulary and the documents, so any change trains a new model. info: settings,
    train_seconds (of the run that built the entry), cached (bool), path.
    """
    from bertcore.support import cache

    if not isinstance(config, BertConfig):
        raise TypeError("config must be a bertcore.BertConfig (the fresh model to pre-train)")
    _check_documents(documents)
    if documents is None:
        raise ValueError("pass the documents explicitly (e.g. review_documents('train')): they enter the cache key")
    if not hasattr(tokenizer, "get_vocab"):
        raise TypeError("tokenizer must be a transformers tokenizer (e.g. to_fast_tokenizer(train_wordpiece(...)))")
    settings = dict(objectives=objectives, steps=steps, batch_size=batch_size, max_len=max_len,
                    mlm_probability=mlm_probability, lr=lr, head_lr=head_lr, warmup=warmup, seed=seed)
    vocab = tokenizer.get_vocab()
    key = {**settings, "config": config.to_dict(),
           "vocab": _fingerprint(sorted(vocab, key=vocab.get)),
           "lowercase": bool(getattr(tokenizer, "do_lower_case", True)),
           "documents": _fingerprint([list(d) for d in documents])}
    path = cache.entry_path("pretrain", key)

    def build():
        start = time.perf_counter()
        model, history = pretrain(config, tokenizer=tokenizer, documents=documents, **settings)
        return model, history, {"settings": settings, "train_seconds": time.perf_counter() - start}

    def save(result, folder: Path):
        model, history, meta = result
        torch.save(model.state_dict(), folder / "model.pt")
        history.to_csv(folder / "history.csv", index=False)
        (folder / "meta.json").write_text(json.dumps({**meta, "config": config.to_dict(), "rows": len(history)}))

    def load(folder: Path):
        meta = json.loads((folder / "meta.json").read_text())
        model = BertForPreTraining(BertConfig(**meta.pop("config")))
        model.load_state_dict(torch.load(folder / "model.pt", weights_only=True))
        history = pd.read_csv(folder / "history.csv")
        if len(history) != meta.pop("rows"):  # a truncated csv still parses
            raise cache.CorruptEntry("history.csv has fewer rows than meta.json records")
        return model.eval(), history, meta

    (model, history, meta), cached = cache.load_or_build(path, load, build, save, folder=True)
    return model, history, {**meta, "cached": cached, "path": path}


@torch.no_grad()
def evaluate_pretraining(model: BertForPreTraining, tokenizer, documents=None, *, objectives: str = "mlm+nsp",
                         max_len: int = 64, max_pairs: int | None = 512, batch_size: int = 64, seed: int = 0,
                         per_item: bool = False) -> dict:
    """Held-out MLM loss/accuracy and pair accuracy on the first ``max_pairs`` pairs (None = all).

    Example: ``evaluate_pretraining(model, tok, review_documents('test'), objectives='mlm')``.
    ``per_item=True`` adds numpy arrays for intervals: 'mlm_token_loss', 'mlm_target' and
    'mlm_correct' (one per masked token, in order) and 'pair_correct' (one bool per pair).
    """
    if not isinstance(model, BertForPreTraining):
        raise TypeError("model must be a bertcore BertForPreTraining")
    if not isinstance(per_item, bool):
        raise TypeError("per_item must be True or False")
    use_mlm, pair_task = _check_objectives(objectives)
    _check_documents(documents)
    data = encode_pairs(tokenizer, documents or review_documents("test"), pair_task=pair_task,
                        max_len=min(max_len, model.bert.config.max_position_embeddings), seed=seed)
    data = {k: v[:max_pairs] for k, v in data.items()}  # pairs come in document order
    masked, labels = _mask(data["input_ids"], data["attention_mask"], tokenizer,
                           model.bert.config.vocab_size, torch.Generator().manual_seed(seed))
    model.eval()
    token_loss, token_hit, targets, pair_loss, pair_correct = [], [], [], [], []
    for i in range(0, len(labels), batch_size):
        index = torch.arange(i, min(i + batch_size, len(labels)))
        b = _batch(data, index)
        T = b["input_ids"].shape[1]
        y = labels[index][:, :T]  # (B, T), -100 where nothing is masked
        mlm_logits, pair_logits = model(masked[index][:, :T], b["token_type_ids"], b["attention_mask"],
                                        y != IGNORE_INDEX)  # (N, V), (B, 2)
        t = y[y != IGNORE_INDEX]  # (N,)
        token_loss.append(nn.functional.cross_entropy(mlm_logits, t, reduction="none"))
        token_hit.append(mlm_logits.argmax(-1) == t)
        targets.append(t)
        pair_loss.append(nn.functional.cross_entropy(pair_logits, b["pair_labels"], reduction="none"))
        pair_correct.append(pair_logits.argmax(-1) == b["pair_labels"])
    token_loss, token_hit = torch.cat(token_loss).numpy(), torch.cat(token_hit).numpy()
    pair_correct = torch.cat(pair_correct).numpy()
    out = {}
    if use_mlm and len(token_loss):
        out.update(mlm_loss=float(token_loss.mean()), mlm_acc=float(token_hit.mean()))
    if pair_task:
        out.update(pair_loss=float(torch.cat(pair_loss).mean()), pair_acc=float(pair_correct.mean()))
    out.update(masked_tokens=len(token_loss), pairs=len(pair_correct))
    if per_item:
        out.update(mlm_token_loss=token_loss, mlm_target=torch.cat(targets).numpy(), mlm_correct=token_hit,
                   pair_correct=pair_correct)
    return out


@torch.no_grad()
def mlm_fill(model: BertForPreTraining, tokenizer, text: str, top_k: int = 5) -> pd.DataFrame:
    """Top-k guesses for every [MASK] in ``text``, e.g. ``mlm_fill(m, tok, 'side [MASK] were mild')``."""
    if not isinstance(model, BertForPreTraining):
        raise TypeError("model must be a bertcore BertForPreTraining (see pretrain / domain_adapt)")
    if not isinstance(text, str) or tokenizer.mask_token not in text:
        raise ValueError(f"text must be a string containing {tokenizer.mask_token}")
    check_text("text", text)
    if not isinstance(top_k, int) or top_k < 1:
        raise ValueError(f"top_k must be a positive int, got {top_k!r}")
    enc = tokenizer(text, return_tensors="pt", truncation=True,
                    max_length=model.bert.config.max_position_embeddings)
    positions = enc["input_ids"] == tokenizer.mask_token_id  # (1, T)
    model.eval()
    logits, _ = model(enc["input_ids"], enc["token_type_ids"], enc["attention_mask"], positions)
    probs, ids = logits.softmax(-1).topk(top_k, dim=-1)  # (n_masks, k)
    return pd.DataFrame([
        {"mask": m, "rank": r + 1, "token": tokenizer.convert_ids_to_tokens(int(ids[m, r])),
         "probability": float(probs[m, r])}
        for m in range(len(ids)) for r in range(top_k)
    ])
