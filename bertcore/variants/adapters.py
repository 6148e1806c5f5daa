"""Houlsby bottleneck adapters inside bertcore's encoder, for parameter-efficient fine-tuning.

Simplifies: the adapter layout of Houlsby et al. (2019) only (two adapters per layer, after
the attention output projection and after the feed-forward output, each before the
residual sum and LayerNorm); no adapter fusion, no per-task adapter switching. Works on
``bertcore.BertModel`` (whose blocks we can rewire), not on the Hugging Face model.
``few_shot_adapters`` trains adapters on a few examples per class and caches the scores, as
``few_shot_fine_tune`` does for full fine-tuning.
"""
from __future__ import annotations

import copy

import torch
from torch import nn

from bertcore.config import ACTIVATIONS
from bertcore.encoder import BertLayer, BertModel


class Adapter(nn.Module):
    """x + up(gelu(down(x))) with ``up`` zero-initialised, so it starts as the identity.

    Example: ``Adapter(384, 32)(x)`` equals ``x`` until it is trained.
    """

    def __init__(self, hidden_size: int, size: int, *, seed: int = 0):
        super().__init__()
        for name, val in (("hidden_size", hidden_size), ("size", size)):
            if not isinstance(val, int) or isinstance(val, bool) or val <= 0:
                raise ValueError(f"{name} must be a positive int, got {val!r}")
        self.down = nn.Linear(hidden_size, size)  # (.., H) -> (.., size): the bottleneck
        self.act = ACTIVATIONS["gelu"]
        self.up = nn.Linear(size, hidden_size)  # (.., size) -> (.., H)
        gen = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            # small random down-projection; zero up-projection => output = input at init
            self.down.weight.normal_(0.0, 0.02, generator=gen)
            self.down.bias.zero_()
            self.up.weight.zero_()
            self.up.bias.zero_()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.up(self.act(self.down(x)))  # (B, T, H)


class AdapterLayer(nn.Module):
    """A ``BertLayer`` with an adapter after its attention output and one after its FFN."""

    def __init__(self, layer: BertLayer, size: int, *, seed: int = 0):
        super().__init__()
        if not isinstance(layer, BertLayer):
            raise TypeError(f"layer must be a bertcore BertLayer, got {type(layer).__name__}")
        hidden = layer.attention_norm.normalized_shape[0]
        self.layer = layer
        self.attention_adapter = Adapter(hidden, size, seed=seed)
        self.ffn_adapter = Adapter(hidden, size, seed=seed + 1)

    def forward(self, x: torch.Tensor, mask=None):
        # the same steps as BertLayer.forward, with the two adapters slotted in
        b = self.layer
        attended, weights = b.attention(x, mask)  # (B, T, H), (B, heads, T, T)
        x = b.attention_norm(x + b.dropout(self.attention_adapter(attended)))
        ffn = b.output(b.act(b.intermediate(x)))  # (B, T, H)
        return b.output_norm(x + b.dropout(self.ffn_adapter(ffn))), weights


def add_adapters(model: BertModel, size: int = 32, *, seed: int = 0) -> BertModel:
    """Wrap every layer of ``model`` (in place) with two adapters, e.g. ``add_adapters(enc, 32)``."""
    if not isinstance(model, BertModel):
        raise TypeError(
            "add_adapters needs a bertcore.BertModel: convert a Hugging Face model with "
            "bertcore.BertModel.from_pretrained(hf_model)"
        )
    if any(isinstance(layer, AdapterLayer) for layer in model.layers):
        raise ValueError("this model already has adapters")
    for i, layer in enumerate(model.layers):
        model.layers[i] = AdapterLayer(layer, size, seed=seed + 2 * i)
    return model


def freeze_for_adapters(module: nn.Module, train_layer_norms: bool = True) -> None:
    """Freeze everything except adapters, the classifier head and (as Houlsby et al. do) LayerNorms."""
    if not isinstance(module, nn.Module):
        raise TypeError(f"module must be a torch.nn.Module, got {type(module).__name__}")
    if not any(isinstance(m, Adapter) for m in module.modules()):
        raise ValueError("no adapters found: call add_adapters(encoder) first")
    for name, p in module.named_parameters():
        keep = "adapter" in name or name.startswith("head.")
        keep = keep or (train_layer_norms and "norm" in name)
        p.requires_grad_(keep)


def trainable_parameters(module: nn.Module) -> dict:
    """Trainable and total parameter counts, e.g. ``trainable_parameters(clf)['fraction']``."""
    if not isinstance(module, nn.Module):
        raise TypeError(f"module must be a torch.nn.Module, got {type(module).__name__}")
    total = sum(p.numel() for p in module.parameters())
    trainable = sum(p.numel() for p in module.parameters() if p.requires_grad)
    return {"trainable": trainable, "total": total, "fraction": trainable / max(total, 1)}


def few_shot_adapters(encoder: BertModel, tokenizer, task: str = "topics", per_class: int = 8, seed: int = 0, *,
                      size: int = 32, **settings) -> dict:
    """Train adapters of ``size`` on ``per_class`` training examples per class and score them on the test split; cached.

    Example: ``run = few_shot_adapters(enc, tok, 'topics', per_class=8, seed=1, lr=1e-3)``. The
    adapter counterpart of ``bertcore.analysis.fewshot.few_shot_fine_tune``, with the same draw
    (``sample_per_class``), recipe (``FINE_TUNE_DEFAULTS``, head from a linear probe) and result:
    a dict with rows, pred (test label names), macro_f1, accuracy, steps, train_seconds,
    seconds_per_step, trainable, cached. ``seed`` draws the examples and seeds the adapters,
    dropout and batch order; the cache key holds the settings and ``encoder``'s weights.
    """
    from bertcore.analysis.fewshot import cached_few_shot_run
    from bertcore.support.finetuned_models import FINE_TUNE_DEFAULTS
    from bertcore.training.finetune import SequenceClassifier

    if not isinstance(encoder, BertModel):
        raise TypeError("encoder must be a bertcore.BertModel (adapters rewire its layers): convert a "
                        "Hugging Face model with bertcore.BertModel.from_pretrained(hf_model)")
    unknown = set(settings) - set(FINE_TUNE_DEFAULTS) - {"seed"}
    if unknown or "seed" in settings:
        raise ValueError(f"unknown settings {sorted(unknown | ({'seed'} & set(settings)))}; allowed: "
                         f"{sorted(set(FINE_TUNE_DEFAULTS) - {'seed'})} (pass seed as its own argument)")
    if not isinstance(size, int) or isinstance(size, bool) or size < 1:
        raise ValueError(f"size must be a positive int (the adapter bottleneck), got {size!r}")

    def classifier(cfg, classes):
        enc = add_adapters(copy.deepcopy(encoder), size=size, seed=seed)  # identity at the start
        clf = SequenceClassifier(enc, classes, pooling=cfg["pooling"], dropout=cfg["dropout"], seed=seed)
        freeze_for_adapters(clf)  # adapters, LayerNorms and head only
        return clf

    return cached_few_shot_run("adapters", classifier, encoder, tokenizer, task, per_class, seed, settings,
                               key={"size": size},
                               report=lambda clf: {"trainable": trainable_parameters(clf)["trainable"]})
