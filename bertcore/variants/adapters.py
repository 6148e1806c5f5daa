"""Houlsby bottleneck adapters inside bertcore's encoder, for parameter-efficient fine-tuning.

Simplifies: the adapter layout of Houlsby et al. (2019) only (two adapters per layer, after
the attention output projection and after the feed-forward output, each before the
residual sum and LayerNorm); no adapter fusion, no per-task adapter switching. Works on
``bertcore.BertModel`` (whose blocks we can rewire), not on the Hugging Face model.
"""
from __future__ import annotations

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
