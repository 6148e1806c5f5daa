"""BERT's weight initialisation, for a "same architecture, no pre-training" control.

Simplifies: the scheme of Devlin et al. (2019) as Hugging Face implements it (normal(0, 0.02)
for linear and embedding weights, zero biases, LayerNorm weight 1 and bias 0), drawn from an
explicit generator so two calls with one seed give identical models.
"""
from __future__ import annotations

import torch
from torch import nn


@torch.no_grad()
def init_bert_weights(module: nn.Module, seed: int = 0, std: float = 0.02) -> nn.Module:
    """Re-initialise every weight in place and return the module, e.g. ``init_bert_weights(bc.BertModel(cfg))``."""
    if not isinstance(module, nn.Module):
        raise TypeError(f"module must be a torch.nn.Module, got {type(module).__name__}")
    if not std > 0:
        raise ValueError(f"std must be > 0, got {std}")
    gen = torch.Generator().manual_seed(seed)
    for m in module.modules():  # modules() visits in a fixed order: deterministic draws
        if isinstance(m, (nn.Linear, nn.Embedding)):
            m.weight.normal_(0.0, std, generator=gen)
            if isinstance(m, nn.Linear) and m.bias is not None:
                m.bias.zero_()
            if isinstance(m, nn.Embedding) and m.padding_idx is not None:
                m.weight[m.padding_idx].zero_()  # the [PAD] row stays zero, as in BERT
        elif isinstance(m, nn.LayerNorm):
            m.weight.fill_(1.0)
            m.bias.zero_()
    return module
