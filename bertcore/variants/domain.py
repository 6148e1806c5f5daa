"""Continue MLM pre-training of the book's pretrained encoder on the reviews (or other text), cached on disk.

Simplifies: no installable package ships the pretrained MLM head of the offline model, so the
head is new (its decoder tied to the pretrained word embeddings) and is trained together with
the encoder for a short, CPU-sized run. Results are cached under ``data/cache/domain-adapt-<key>/``
(``bertcore.support.cache``), keyed by every setting and the starting encoder's weights, so
chapters share one deterministic run. ``documents`` swaps the reviews for another corpus (the
control run of chapter 22: the same training on text that is not reviews); its text enters the key.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
import torch

from bertcore.config import BertConfig
from bertcore.encoder import BertModel
from bertcore.support.cache import CorruptEntry, entry_path, load_or_build
from bertcore.training.pretraining import BertForPreTraining, pretrain


def domain_adapt(steps: int = 60, *, seed: int = 0, batch_size: int = 32, max_len: int = 32,
                 mlm_probability: float = 0.3, lr: float = 3e-4, head_lr: float = 5e-3,
                 train_layers: int | None = None, cache: bool = True, model_name: str | None = None,
                 documents: list[list[str]] | None = None):
    """MLM-train the pretrained encoder (plus a new head) on the training reviews; return ``(model, history)``.

    Example: ``model, hist = domain_adapt(steps=60, seed=0)`` (about a minute on 2 idle CPU cores
    the first time, then loaded from ``data/cache/``). ``train_layers=0`` trains only the head.
    The defaults mask 30% of the tokens (more targets per forward pass, as Wettig et al. (2023)
    recommend) and use a large learning rate for the new head, so 60 steps give in-domain fills.
    ``documents`` (lists of sentences, e.g. ``bc.load_docstrings('train', tokenizer=tok)``)
    replaces the training reviews with another corpus; everything else stays the same.
    """
    from bertcore.support.loading import load_pretrained

    if not isinstance(cache, bool):
        raise TypeError("cache must be True or False")
    if documents is not None and (isinstance(documents, str) or not all(
            isinstance(d, (list, tuple)) and all(isinstance(x, str) for x in d) for d in documents)):
        raise TypeError("documents must be a list of documents, each a list of sentence strings "
                        "(or None for the training reviews)")
    tokenizer, hf_model = load_pretrained(model_name)
    start = BertModel.from_pretrained(hf_model)
    settings = dict(steps=steps, seed=seed, batch_size=batch_size, max_len=max_len,
                    mlm_probability=mlm_probability, lr=lr, head_lr=head_lr, train_layers=train_layers)
    if documents is not None:  # in the key only when given: the review runs keep their entries
        text = json.dumps([list(d) for d in documents])
        settings["documents"] = hashlib.sha256(text.encode()).hexdigest()[:16]

    def build():
        return pretrain(model=BertForPreTraining(start), tokenizer=tokenizer, objectives="mlm", steps=steps,
                        seed=seed, batch_size=batch_size, max_len=max_len, mlm_probability=mlm_probability,
                        lr=lr, head_lr=head_lr, train_layers=train_layers,
                        documents=None if documents is None else [list(d) for d in documents])

    if not cache:
        return build()
    folder = entry_path("domain-adapt", settings, start)  # keyed on the starting weights, not a name
    return load_or_build(folder, _load_adapted, build, lambda result, tmp: _save_adapted(result, tmp, settings),
                         folder=True)[0]


def _save_adapted(result, folder: Path, settings: dict) -> None:
    model, history = result
    torch.save(model.state_dict(), folder / "model.pt")
    history.to_csv(folder / "history.csv", index=False)
    meta = dict(config=model.bert.config.to_dict(), settings=settings, history_rows=len(history))
    (folder / "meta.json").write_text(json.dumps(meta, indent=1))


def _load_adapted(folder: Path):
    meta = json.loads((folder / "meta.json").read_text())
    model = BertForPreTraining(BertModel(BertConfig(**meta["config"])))
    model.load_state_dict(torch.load(folder / "model.pt", weights_only=True))
    history = pd.read_csv(folder / "history.csv")
    if len(history) != meta["history_rows"]:  # a truncated csv still parses
        raise CorruptEntry(f"history.csv has {len(history)} rows, meta.json records {meta['history_rows']}")
    return model.eval(), history
