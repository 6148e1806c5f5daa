"""RoBERTa's FULL-SENTENCES input format: whole sentences packed in order up to a token budget.

Simplifies, compared with RoBERTa's pre-processing: token ids come in already split into
sentences; a sentence longer than the budget is cut to it (RoBERTa never needs this with 512
tokens); the special tokens that start and end a sequence are left to the caller.
``recipe_run`` pre-trains a tiny BERT with one setting of RoBERTa's recipe (masking, NSP,
batch size) and scores it, cached, so a comparison over several seeds trains each run once.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence


def pack_full_sentences(documents: Sequence[Sequence[Sequence[int]]], max_len: int,
                        sep_id: int) -> list[list[int]]:
    """Pack sentences contiguously into sequences of at most ``max_len`` ids, e.g.
    ``pack_full_sentences([[[1, 2], [3]], [[4]]], 4, 0)``.

    Sentences are taken in order and never split across sequences; a sequence may run from one
    document into the next, with ``sep_id`` between the two documents (RoBERTa's "extra
    separator token"). The example gives ``[[1, 2, 3, 0], [4]]``.
    """
    if type(max_len) is not int or max_len < 1:
        raise ValueError(f"max_len must be an int >= 1, got {max_len!r}")
    if type(sep_id) is not int:
        raise TypeError(f"sep_id must be an int token id, got {type(sep_id).__name__}")
    if isinstance(documents, (str, bytes)) or not all(
            isinstance(doc, Sequence) and all(isinstance(s, Sequence) and all(type(i) is int for i in s)
                                              for s in doc) for doc in documents):
        raise TypeError("documents must be a list of documents, each a list of sentences, each a list "
                        "of int ids, e.g. [[tok(s, add_special_tokens=False)['input_ids'] for s in doc] ...]")
    sequences: list[list[int]] = []
    current: list[int] = []
    for d, doc in enumerate(documents):
        if d > 0 and current:                       # a document boundary inside this sequence
            if len(current) < max_len:
                current.append(sep_id)
            else:
                sequences.append(current)
                current = []
        for sentence in doc:
            sentence = list(sentence)[:max_len]     # (simplification) cut an over-long sentence
            if current and len(current) + len(sentence) > max_len:
                sequences.append(current)           # the sentence does not fit: start a new one
                current = []
            current.extend(sentence)
    if current:
        sequences.append(current)
    return sequences


def recipe_run(tokenizer, documents, test_documents, *, seed: int = 0, objectives: str = "mlm",
               dynamic_masking: bool = True, steps: int = 100, batch_size: int = 16, max_len: int = 48,
               lr: float = 1e-3, eval_pairs: int = 160, config=None) -> dict:
    """Pre-train a fresh ``BertConfig.tiny`` model with ``pretrain`` and score it, cached; one result dict.

    Example: ``r = recipe_run(tok, docs[:30], test_docs, seed=1, dynamic_masking=False)``. Keys:
    'train loss (last 10 steps)', 'train pairs, new masks' (the training pairs masked afresh),
    'test loss', 'test accuracy' (MLM on the first ``eval_pairs`` test pairs), 'NSP accuracy
    (last 10 steps)' (with NSP), 'seconds', 'seconds per step', 'history' (DataFrame), 'cached'.
    The cache key (``bertcore.support.cache``) holds every setting, the configuration, the
    tokenizer's vocabulary and both document lists.
    """
    import pandas as pd

    from bertcore.config import BertConfig
    from bertcore.support import cache
    from bertcore.training.pretraining import evaluate_pretraining, pretrain

    if not hasattr(tokenizer, "get_vocab"):
        raise TypeError("tokenizer must be a transformers tokenizer (e.g. bc.to_fast_tokenizer(wordpiece))")
    if type(eval_pairs) is not int or eval_pairs < 1:
        raise ValueError(f"eval_pairs must be an int >= 1, got {eval_pairs!r}")
    if not documents or not test_documents:
        raise ValueError("documents and test_documents must be non-empty lists of documents (lists of sentences)")
    config = config or BertConfig.tiny(vocab_size=len(tokenizer))
    if not isinstance(config, BertConfig):
        raise TypeError("config must be a bertcore.BertConfig (default: BertConfig.tiny for the tokenizer)")
    settings = dict(objectives=objectives, dynamic_masking=dynamic_masking, steps=steps, batch_size=batch_size,
                    max_len=max_len, lr=lr, seed=seed)
    vocab = tokenizer.get_vocab()
    digest = hashlib.sha256(json.dumps([sorted(vocab, key=vocab.get), [list(d) for d in documents],
                                        [list(d) for d in test_documents]]).encode()).hexdigest()[:16]
    key = {**settings, "eval_pairs": eval_pairs, "config": config.to_dict(), "data": digest}
    path = cache.entry_path("recipe-run", key, suffix=".json")

    def build():
        model, hist = pretrain(config, tokenizer=tokenizer, documents=documents, **settings)
        held = evaluate_pretraining(model, tokenizer, test_documents, objectives="mlm", max_len=max_len,
                                    max_pairs=eval_pairs)
        # new masks for the training pairs: a mask seed that no training run uses
        fresh = evaluate_pretraining(model, tokenizer, documents, objectives="mlm", max_len=max_len,
                                     max_pairs=eval_pairs, seed=10_000 + seed)
        seconds = float(hist["seconds"].iloc[-1])
        row = {"train loss (last 10 steps)": float(hist["mlm_loss"].iloc[-10:].mean()),
               "train pairs, new masks": fresh["mlm_loss"], "test loss": held["mlm_loss"],
               "test accuracy": held["mlm_acc"], "seconds": seconds, "seconds per step": seconds / steps}
        if "nsp" in objectives:
            row["NSP accuracy (last 10 steps)"] = float(hist["pair_acc"].iloc[-10:].mean())
        return {**row, "history": hist.astype(float).to_dict("list")}

    def load(p):
        out = json.loads(p.read_text())
        if len(out["history"]["step"]) != steps:
            raise cache.CorruptEntry("its history does not have one row per step")
        return out

    out, cached = cache.load_or_build(path, load, build, lambda out, tmp: tmp.write_text(json.dumps(out)))
    return {**out, "history": pd.DataFrame(out["history"]), "cached": cached}
