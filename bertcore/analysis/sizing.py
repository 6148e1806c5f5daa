"""How big is a BERT? Parameter counts per component and forward FLOPs, in closed form.

Simplifies: counts the encoder only (embeddings, layers, pooler), no pre-training or task
heads. FLOPs count matrix multiplications only, at 2 FLOPs per multiply-add, which is what
``torch.utils.flop_counter.FlopCounterMode`` counts; layer norms, softmax, GELU and bias adds
are left out (a few per cent of the total at most). The formulas are checked against models
built on the meta device and against FlopCounterMode in ``tests/test_sizing.py``.
"""
from __future__ import annotations

import re

COMPONENTS = ("embeddings", "attention", "ffn", "layer_norm", "pooler")
_FIELDS = ("vocab_size", "hidden_size", "num_hidden_layers", "intermediate_size",
           "max_position_embeddings", "type_vocab_size")


def _shape(config) -> dict[str, int]:
    """Read the integer fields of a bertcore or Hugging Face BERT config."""
    missing = [f for f in _FIELDS if not hasattr(config, f)]
    if missing:
        raise TypeError(
            f"config must be a bertcore.BertConfig or transformers.BertConfig; it lacks {missing}"
        )
    shape = {f: getattr(config, f) for f in _FIELDS}
    for name, val in shape.items():
        if not isinstance(val, int) or isinstance(val, bool) or val < 0:
            raise ValueError(f"config.{name} must be a non-negative int, got {val!r}")
    return shape


def count_parameters(config) -> dict[str, int]:
    """Closed-form parameter count per component, e.g. ``sum(count_parameters(BertConfig.base()).values())``.

    With V vocabulary, P positions, S segment types, H hidden, I intermediate, L layers:
    embeddings (V + P + S) H; attention per layer 4 (H^2 + H) (query, key, value, output);
    FFN per layer 2 H I + I + H; layer norms 2 H each (one after the embeddings, two per
    layer); pooler H^2 + H.
    """
    s = _shape(config)
    H, I, L = s["hidden_size"], s["intermediate_size"], s["num_hidden_layers"]
    return {
        "embeddings": (s["vocab_size"] + s["max_position_embeddings"] + s["type_vocab_size"]) * H,
        "attention": L * 4 * (H * H + H),
        "ffn": L * (2 * H * I + I + H),
        "layer_norm": (1 + 2 * L) * 2 * H,
        "pooler": H * H + H,
    }


# (regex on a bertcore or Hugging Face parameter name, component); first match wins
_RULES = [
    (r"(layer_norm|LayerNorm|attention_norm|output_norm)", "layer_norm"),
    (r"embeddings\.", "embeddings"),
    (r"\battention\.", "attention"),
    (r"(intermediate|\.output\.dense|layers\.\d+\.output\.)", "ffn"),
    (r"pooler", "pooler"),
]


def component_of(name: str) -> str:
    """Component of a parameter name, e.g. ``component_of('layers.0.attention.query.weight') == 'attention'``."""
    if not isinstance(name, str):
        raise TypeError(f"name must be a parameter name string, got {type(name).__name__}")
    for pattern, component in _RULES:
        if re.search(pattern, name):
            return component
    return "other"


def parameter_breakdown(model) -> dict[str, int]:
    """Count a built model's parameters per component, e.g. ``parameter_breakdown(model)['ffn']``.

    Works for ``bertcore.BertModel`` and ``transformers.BertModel`` (also on the meta device,
    where no memory is allocated). Parameters it cannot place go to ``'other'``.
    """
    if not hasattr(model, "named_parameters"):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    counts = dict.fromkeys(COMPONENTS, 0)
    for name, p in model.named_parameters():  # shared (tied) weights are listed once
        key = component_of(name)
        counts[key] = counts.get(key, 0) + p.numel()
    return counts


def forward_flops(config, seq_len: int, batch_size: int = 1) -> dict[str, int]:
    """Matmul FLOPs of one forward pass, e.g. ``forward_flops(BertConfig.base(), 128)['total']``.

    Per token and layer: 2 * (4 H^2) for the four attention projections, 2 * (2 H I) for the
    FFN, and 2 * 2 T H for the attention scores (q k^T) and the weighted sum of values: the
    only term that grows with the length T. The pooler adds 2 H^2 per sequence.
    """
    for name, val in (("seq_len", seq_len), ("batch_size", batch_size)):
        if not isinstance(val, int) or isinstance(val, bool) or val < 1:
            raise ValueError(f"{name} must be a positive int, got {val!r}")
    s = _shape(config)
    H, I, L, T = s["hidden_size"], s["intermediate_size"], s["num_hidden_layers"], seq_len
    tokens = batch_size * T
    out = {
        "projections": tokens * L * 2 * 4 * H * H,
        "ffn": tokens * L * 2 * 2 * H * I,
        "attention_scores": tokens * L * 2 * 2 * T * H,
        "pooler": batch_size * 2 * H * H,
    }
    out["total"] = sum(out.values())
    return out
