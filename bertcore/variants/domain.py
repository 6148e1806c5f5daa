"""Continue MLM pre-training of the book's pretrained encoder on the reviews, cached on disk.

Simplifies: no installable package ships the pretrained MLM head of the offline model, so the
head is new (its decoder tied to the pretrained word embeddings) and is trained together with
the encoder for a short, CPU-sized run. Results are cached under ``data/cache/<name>-<hash>/``,
keyed by every setting and the model name, so chapters share one deterministic run.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pandas as pd
import torch

from bertcore.config import BertConfig
from bertcore.encoder import BertModel
from bertcore.training.pretraining import BertForPreTraining, pretrain

CACHE_ROOT = Path(__file__).resolve().parents[2] / "data" / "cache"
_VERSION = 1  # bump when the training code changes, so old caches are not reused


def cache_folder(name: str, settings: dict) -> Path:
    """``data/cache/<name>-<12 hex of the settings>``, e.g. ``cache_folder('demo', {'steps': 5})``."""
    if not isinstance(name, str) or not name.isidentifier() and not name.replace("-", "_").isidentifier():
        raise ValueError(f"name must be a short identifier such as 'domain-adapt', got {name!r}")
    if not isinstance(settings, dict):
        raise TypeError("settings must be a dict of JSON-serialisable values")
    digest = hashlib.sha1(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:12]
    return CACHE_ROOT / f"{name}-{digest}"


def domain_adapt(steps: int = 60, *, seed: int = 0, batch_size: int = 32, max_len: int = 32,
                 mlm_probability: float = 0.3, lr: float = 3e-4, head_lr: float = 5e-3,
                 train_layers: int | None = None, cache: bool = True, model_name: str | None = None):
    """MLM-train the pretrained encoder (plus a new head) on the training reviews; return ``(model, history)``.

    Example: ``model, hist = domain_adapt(steps=60, seed=0)`` (about a minute on 2 idle CPU cores
    the first time, then loaded from ``data/cache/``). ``train_layers=0`` trains only the head.
    The defaults mask 30% of the tokens (more targets per forward pass, as Wettig et al. (2023)
    recommend) and use a large learning rate for the new head, so 60 steps give in-domain fills.
    """
    from bertcore.support.loading import ENV_VAR, load_pretrained

    if not isinstance(cache, bool):
        raise TypeError("cache must be True or False")
    name = model_name or os.environ.get(ENV_VAR) or "packaged-all-MiniLM-L6-v2"
    settings = dict(model=name, steps=steps, seed=seed, batch_size=batch_size, max_len=max_len,
                    mlm_probability=mlm_probability, lr=lr, head_lr=head_lr, train_layers=train_layers,
                    version=_VERSION)
    folder = cache_folder("domain-adapt", settings)
    if cache and (folder / "model.pt").exists():
        config = BertConfig(**json.loads((folder / "config.json").read_text()))
        model = BertForPreTraining(BertModel(config))
        model.load_state_dict(torch.load(folder / "model.pt", weights_only=True))
        return model.eval(), pd.read_csv(folder / "history.csv")
    tokenizer, hf_model = load_pretrained(model_name)
    model = BertForPreTraining(BertModel.from_pretrained(hf_model))
    model, history = pretrain(model=model, tokenizer=tokenizer, objectives="mlm", steps=steps, seed=seed,
                              batch_size=batch_size, max_len=max_len, mlm_probability=mlm_probability,
                              lr=lr, head_lr=head_lr, train_layers=train_layers)
    if cache:  # write to a temporary folder, then rename: readers never see half a cache
        tmp = folder.with_name(folder.name + f".tmp{os.getpid()}")
        tmp.mkdir(parents=True, exist_ok=True)
        torch.save(model.state_dict(), tmp / "model.pt")
        (tmp / "config.json").write_text(json.dumps(model.bert.config.to_dict()))
        (tmp / "settings.json").write_text(json.dumps(settings, indent=1))
        history.to_csv(tmp / "history.csv", index=False)
        try:
            tmp.rename(folder)
        except OSError:  # another process finished first: keep theirs
            shutil.rmtree(tmp, ignore_errors=True)
    return model, history
