"""ALBERT's two parameter savings built on bertcore's encoder: factorised embeddings, shared layers.

Simplifies: one layer group (Hugging Face's ``num_hidden_groups=1``); sharing strategies
'all' (ALBERT), 'attention', 'ffn' and 'none' (BERT-style layers), the four compared by
Lan et al. (2020, Table 4); no MLM or SOP heads. The layers are ``bertcore.encoder.BertLayer``;
sharing is done by reusing the same module objects, so PyTorch counts, stores and updates a
shared weight once. With sharing='all' the model equals ``transformers.AlbertModel`` (weights
load with ``load_hf_state_dict``; see ``tests/test_albert.py``).
"""
from __future__ import annotations

import re

import torch
from torch import nn

from bertcore.config import BertConfig
from bertcore.encoder import BertLayer, BertModel, BertOutput, map_hf_state, translate_key

SHARING = ("all", "attention", "ffn", "none")
_ATTENTION_PARTS = ("attention", "attention_norm")
_FFN_PARTS = ("intermediate", "output", "output_norm")


def _check(config, embedding_size, sharing) -> None:
    if not isinstance(config, BertConfig):
        raise TypeError(f"config must be a bertcore.BertConfig, got {type(config).__name__}")
    if not isinstance(embedding_size, int) or isinstance(embedding_size, bool) or embedding_size < 1:
        raise ValueError(f"embedding_size must be a positive int (ALBERT uses 128), got {embedding_size!r}")
    if sharing not in SHARING:
        raise ValueError(f"sharing must be one of {SHARING}, got {sharing!r}")


def albert_parameters(config: BertConfig, embedding_size: int = 128, sharing: str = "all") -> dict[str, int]:
    """Closed-form count per part, e.g. ``sum(albert_parameters(BertConfig.base()).values())``.

    embeddings (V + P + S) E + 2E; projection E H + H; attention 4 (H^2 + H) + 2H and FFN
    2 H I + I + 3H per layer, counted once when shared; pooler H^2 + H.
    """
    _check(config, embedding_size, sharing)
    c, E = config, embedding_size
    H, I, L = c.hidden_size, c.intermediate_size, c.num_hidden_layers
    attention = 4 * (H * H + H) + 2 * H  # Q, K, V, output projections + the LayerNorm after them
    ffn = 2 * H * I + I + H + 2 * H  # two linear maps + the LayerNorm after them
    return {
        "embeddings": (c.vocab_size + c.max_position_embeddings + c.type_vocab_size) * E + 2 * E,
        "projection E->H": E * H + H,
        "attention": attention * (1 if sharing in ("all", "attention") else L),
        "ffn": ffn * (1 if sharing in ("all", "ffn") else L),
        "pooler": H * H + H,
    }


class AlbertEmbeddings(nn.Module):
    """token + position + segment embeddings of width E (not H), then LayerNorm and dropout."""

    def __init__(self, c: BertConfig, embedding_size: int):
        super().__init__()
        self.word_embeddings = nn.Embedding(c.vocab_size, embedding_size, padding_idx=c.pad_token_id)
        self.position_embeddings = nn.Embedding(c.max_position_embeddings, embedding_size)
        self.token_type_embeddings = nn.Embedding(c.type_vocab_size, embedding_size)
        self.layer_norm = nn.LayerNorm(embedding_size, eps=c.layer_norm_eps)
        self.dropout = nn.Dropout(c.hidden_dropout_prob)

    def forward(self, input_ids, token_type_ids, position_ids):
        x = self.word_embeddings(input_ids) + self.token_type_embeddings(token_type_ids)
        x = x + self.position_embeddings(position_ids)
        return self.dropout(self.layer_norm(x))  # (B, T, E)


class AlbertModel(nn.Module):
    """Factorised embeddings + L applications of (partly) shared BertLayers, e.g. ``AlbertModel(BertConfig.base())``."""

    def __init__(self, config: BertConfig, embedding_size: int = 128, sharing: str = "all"):
        super().__init__()
        _check(config, embedding_size, sharing)
        self.config, self.embedding_size, self.sharing = config, embedding_size, sharing
        self.embeddings = AlbertEmbeddings(config, embedding_size)
        self.projection = nn.Linear(embedding_size, config.hidden_size)  # (E) -> (H), once, before layer 1
        L = config.num_hidden_layers
        if sharing == "all":
            one = BertLayer(config)
            layers = [one] * L  # the same module L times: one set of weights, L applications
        else:
            layers = [BertLayer(config) for _ in range(L)]
            parts = {"attention": _ATTENTION_PARTS, "ffn": _FFN_PARTS}.get(sharing, ())
            for layer in layers[1:]:
                for name in parts:  # point every layer's sub-module at layer 0's
                    setattr(layer, name, getattr(layers[0], name))
        self.layers = nn.ModuleList(layers)
        self.pooler = nn.Linear(config.hidden_size, config.hidden_size)

    def forward(self, input_ids, token_type_ids=None, attention_mask=None) -> BertOutput:
        """Encode a batch exactly like ``bertcore.BertModel`` does (same output fields)."""
        if not isinstance(input_ids, torch.Tensor) or input_ids.dim() != 2 or input_ids.is_floating_point():
            raise TypeError("input_ids must be an integer tensor of shape (B, T)")
        B, T = input_ids.shape
        if T > self.config.max_position_embeddings:
            raise ValueError(f"input has {T} tokens but the position table has only "
                             f"{self.config.max_position_embeddings} rows: truncate the input")
        if token_type_ids is None:
            token_type_ids = torch.zeros_like(input_ids)
        positions = torch.arange(T, device=input_ids.device).expand(B, T)
        mask = BertModel._mask(self, attention_mask, B, T)  # same mask rules as BertModel
        x = self.projection(self.embeddings(input_ids, token_type_ids, positions))  # (B, T, H)
        hidden, attentions = [x], []
        for layer in self.layers:  # with sharing='all' this is one layer applied L times
            x, w = layer(x, mask)
            hidden.append(x)
            attentions.append(w)
        pooled = torch.tanh(self.pooler(x[:, 0]))
        return BertOutput(x, pooled, tuple(hidden), tuple(attentions))

    def load_hf_state_dict(self, hf_state: dict) -> None:
        """Copy ``transformers.AlbertModel`` weights in (sharing='all' only), checking names and shapes."""
        if self.sharing != "all":
            raise ValueError("Hugging Face ALBERT checkpoints share all layers: build AlbertModel(..., sharing='all')")

        def shared_aliases(own, mapped):
            # the shared layer appears as layers.0 ... layers.L-1 in our state dict: fill every alias
            for key in own:
                m = re.match(r"layers\.\d+\.(.*)", key)
                if m and f"layers.0.{m.group(1)}" in mapped:
                    mapped[key] = mapped[f"layers.0.{m.group(1)}"]

        self.load_state_dict(map_hf_state(self.state_dict(), hf_state, hf_albert_key, shared_aliases))


_LAYER = r"^(albert\.)?encoder\.albert_layer_groups\.0\.albert_layers\.0\."  # the one shared layer
_HF_ALBERT_MAP = [  # (Hugging Face pattern, bertcore replacement)
    (r"^(albert\.)?embeddings\.LayerNorm\.", "embeddings.layer_norm."),
    (r"^(albert\.)?embeddings\.(word|position|token_type)_embeddings\.", r"embeddings.\2_embeddings."),
    (r"^(albert\.)?encoder\.embedding_hidden_mapping_in\.", "projection."),
    (_LAYER + r"attention\.(query|key|value)\.", r"layers.0.attention.\2."),
    (_LAYER + r"attention\.dense\.", "layers.0.attention.output."),
    (_LAYER + r"attention\.LayerNorm\.", "layers.0.attention_norm."),
    (_LAYER + r"ffn\.", "layers.0.intermediate."),
    (_LAYER + r"ffn_output\.", "layers.0.output."),
    (_LAYER + r"full_layer_layer_norm\.", "layers.0.output_norm."),
    (r"^(albert\.)?pooler\.", "pooler."),
]


def hf_albert_key(key: str) -> str | None:
    """Translate a Hugging Face ALBERT weight name, e.g.
    'encoder.embedding_hidden_mapping_in.bias' -> 'projection.bias'."""
    return translate_key(key, _HF_ALBERT_MAP)


def config_from_hf_albert(hf_config) -> tuple[BertConfig, int]:
    """(BertConfig, embedding_size) of a ``transformers.AlbertConfig``, e.g.
    for ``AlbertModel(*config_from_hf_albert(c))``."""
    for name in ("embedding_size", "hidden_size", "num_hidden_layers", "intermediate_size"):
        if not hasattr(hf_config, name):
            raise TypeError(f"hf_config must be a transformers.AlbertConfig; it lacks {name!r}")
    if getattr(hf_config, "num_hidden_groups", 1) != 1 or getattr(hf_config, "inner_group_num", 1) != 1:
        raise ValueError("only num_hidden_groups=1 and inner_group_num=1 (the released ALBERT models) are supported")
    config = BertConfig(
        vocab_size=hf_config.vocab_size, hidden_size=hf_config.hidden_size,
        num_hidden_layers=hf_config.num_hidden_layers, num_attention_heads=hf_config.num_attention_heads,
        intermediate_size=hf_config.intermediate_size, hidden_act=hf_config.hidden_act,
        hidden_dropout_prob=hf_config.hidden_dropout_prob,
        attention_probs_dropout_prob=hf_config.attention_probs_dropout_prob,
        max_position_embeddings=hf_config.max_position_embeddings, type_vocab_size=hf_config.type_vocab_size,
        layer_norm_eps=hf_config.layer_norm_eps, pad_token_id=hf_config.pad_token_id)
    return config, hf_config.embedding_size
