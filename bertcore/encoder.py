"""A BERT encoder built from ``bertcore.attention``, loadable with Hugging Face weights.

Simplifies: no gradient checkpointing, no cross-attention or decoder mode, no relative
positions. Dropout sits where ``transformers.BertModel`` puts it (after the embeddings, on the
attention probabilities, after each sub-layer) and draws in the same order, so in train mode
the same seed gives the same output (``tests/test_training_parity.py``). Module names differ
from Hugging Face's (``layers.0.attention.query`` vs ``encoder.layer.0.attention.self.query``)
but map one to one (see ``HF_KEY_MAP``), and the config keeps Hugging Face's field names.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import torch
from torch import nn

from bertcore._checks import check_token_ids
from bertcore.attention import MultiHeadAttention
from bertcore.config import ACTIVATIONS, BertConfig


class BertEmbeddings(nn.Module):
    """token + learned position + segment embeddings, then LayerNorm and dropout."""

    def __init__(self, c: BertConfig):
        super().__init__()
        self.word_embeddings = nn.Embedding(c.vocab_size, c.hidden_size, padding_idx=c.pad_token_id)
        self.position_embeddings = nn.Embedding(c.max_position_embeddings, c.hidden_size)
        self.token_type_embeddings = nn.Embedding(c.type_vocab_size, c.hidden_size)
        self.layer_norm = nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)
        self.dropout = nn.Dropout(c.hidden_dropout_prob)

    def forward(self, input_ids, token_type_ids, position_ids):
        x = self.word_embeddings(input_ids) + self.token_type_embeddings(token_type_ids)
        if position_ids is not None:  # None = no position information at all (chapter 8)
            x = x + self.position_embeddings(position_ids)
        return self.dropout(self.layer_norm(x))  # (B, T, hidden)


class BertLayer(nn.Module):
    """One post-LayerNorm encoder block: attention + residual + norm, FFN + residual + norm."""

    def __init__(self, c: BertConfig):
        super().__init__()
        self.attention = MultiHeadAttention(c.hidden_size, c.num_attention_heads, c.attention_probs_dropout_prob)
        self.attention_norm = nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)
        self.intermediate = nn.Linear(c.hidden_size, c.intermediate_size)
        self.act = ACTIVATIONS[c.hidden_act]
        self.output = nn.Linear(c.intermediate_size, c.hidden_size)
        self.output_norm = nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)
        self.dropout = nn.Dropout(c.hidden_dropout_prob)

    def forward(self, x, mask=None):
        attended, weights = self.attention(x, mask)  # (B, T, hidden), (B, H, T, T)
        x = self.attention_norm(x + self.dropout(attended))
        ffn = self.output(self.act(self.intermediate(x)))  # (B, T, intermediate) -> (B, T, hidden)
        return self.output_norm(x + self.dropout(ffn)), weights


@dataclass
class BertOutput:
    last_hidden_state: torch.Tensor  # (B, T, hidden)
    pooler_output: torch.Tensor  # (B, hidden): tanh(W h_[CLS])
    hidden_states: tuple  # L + 1 tensors (B, T, hidden): embeddings, then each layer
    attentions: tuple  # L tensors (B, H, T, T): bertviz's format


def _check_inputs(config, input_ids, token_type_ids, position_ids) -> None:
    """Shapes and id ranges of ``BertModel.forward``'s inputs, checked before any lookup."""
    if not isinstance(input_ids, torch.Tensor) or input_ids.dim() != 2:
        raise TypeError("input_ids must be an integer tensor of shape (B, T), e.g. "
                        "tokenizer(texts, padding=True, return_tensors='pt')['input_ids']")
    check_token_ids("input_ids", input_ids, config.vocab_size,
                    "use the tokenizer that belongs to this model (vocab_size = len(tokenizer))")
    B, T = input_ids.shape
    if T == 0 or B == 0:
        raise ValueError(f"input_ids has shape {(B, T)}: each row needs at least one token "
                         "(the tokenizer adds [CLS] and [SEP], so tokenize even an empty text)")
    limit = config.max_position_embeddings
    if T > limit:
        raise ValueError(
            f"input has {T} tokens but the position table has only {limit} rows: "
            f"truncate to {limit} (tokenizer(..., truncation=True, max_length={limit})) "
            "or split the text into windows"
        )
    for name, ids, size in (("token_type_ids", token_type_ids, config.type_vocab_size),
                            ("position_ids", position_ids, limit)):
        if ids is None or isinstance(ids, str):
            continue
        check_token_ids(name, ids, size, "segment A is 0, segment B is 1" if name == "token_type_ids"
                        else f"positions run from 0 to {limit - 1}")
        if ids.shape not in ((B, T), (1, T), (T,)):
            raise ValueError(f"{name} must have the shape of input_ids {(B, T)}, got {tuple(ids.shape)}")


class BertModel(nn.Module):
    """Embeddings, a stack of ``BertLayer`` and a pooler, e.g. ``BertModel(BertConfig.tiny())``."""

    def __init__(self, config: BertConfig):
        super().__init__()
        if not isinstance(config, BertConfig):
            raise TypeError(f"config must be a bertcore.BertConfig, got {type(config).__name__}")
        self.config = config
        self.embeddings = BertEmbeddings(config)
        self.layers = nn.ModuleList(BertLayer(config) for _ in range(config.num_hidden_layers))
        self.pooler = nn.Linear(config.hidden_size, config.hidden_size)

    def _mask(self, attention_mask, B, T):
        if attention_mask is None:
            return None
        if not isinstance(attention_mask, torch.Tensor):
            raise TypeError("attention_mask must be a torch.Tensor of 0/1 or bool")
        m = attention_mask.bool()
        # A 2-D mask shaped (B, T) is always read as padding, as in Hugging Face. A (T, T)
        # pattern is ambiguous when B == T, so pass patterns as (1, T, T) or (B, T, T).
        if m.shape == (B, T):  # padding mask: which keys exist
            return m[:, None, None, :]  # (B, 1, 1, T)
        if m.shape == (T, T):  # a pattern shared by the batch (causal, sliding window, ...)
            return m
        if m.dim() == 3 and m.shape[0] in (1, B) and m.shape[1:] == (T, T):
            return m[:, None]  # (B or 1, 1, T, T): one pattern per sequence
        raise ValueError(
            f"attention_mask must have shape (B, T) for padding, or (1, T, T) / (B, T, T) for a "
            f"pattern; got {tuple(m.shape)} for input (B={B}, T={T})"
        )

    def forward(self, input_ids, token_type_ids=None, attention_mask=None, position_ids="default"):
        """Encode a batch; ``position_ids=None`` drops position embeddings altogether."""
        _check_inputs(self.config, input_ids, token_type_ids, position_ids)
        B, T = input_ids.shape
        if token_type_ids is None:
            token_type_ids = torch.zeros_like(input_ids)
        if isinstance(position_ids, str):
            position_ids = torch.arange(T, device=input_ids.device).expand(B, T)
        mask = self._mask(attention_mask, B, T)
        x = self.embeddings(input_ids, token_type_ids, position_ids)
        hidden, attentions = [x], []
        for layer in self.layers:
            x, w = layer(x, mask)
            hidden.append(x)
            attentions.append(w)
        pooled = torch.tanh(self.pooler(x[:, 0]))  # the [CLS] vector through a dense + tanh
        return BertOutput(x, pooled, tuple(hidden), tuple(attentions))

    @classmethod
    def from_pretrained(cls, source) -> BertModel:
        """Load Hugging Face BERT weights from a folder, hub id or ``transformers.BertModel``."""
        from transformers import BertModel as HFBertModel

        if isinstance(source, HFBertModel):
            hf = source
        elif isinstance(source, str):
            from bertcore.support.loading import load_hf_bert

            hf = load_hf_bert(source)  # refuses a non-BERT checkpoint or missing weights
        else:
            raise TypeError("source must be a folder, a hub id or a transformers.BertModel")
        model = cls(BertConfig.from_hf(hf.config))
        model.load_hf_state_dict(hf.state_dict())
        model.name_or_path = hf.config.name_or_path  # what describe() reports
        return model.eval()

    def load_hf_state_dict(self, hf_state: dict) -> None:
        """Copy a Hugging Face state dict in, checking every name and shape."""
        self.load_state_dict(map_hf_state(self.state_dict(), hf_state, hf_to_bertcore_key))


def map_hf_state(own: dict, hf_state: dict, rename, aliases=None) -> dict:
    """Rename Hugging Face weights for a module whose state dict is ``own``, checking names and shapes.

    ``rename(key)`` gives our name (None skips the weight); ``aliases(own, mapped)`` may fill
    names that share a tensor (ALBERT's shared layer) before the completeness check.
    """
    mapped = {}
    for key, tensor in hf_state.items():
        new = rename(key)
        if new is None:
            continue  # e.g. the position_ids buffer
        if new not in own:
            raise ValueError(f"unexpected weight {key!r} (maps to {new!r})")
        if own[new].shape != tensor.shape:
            raise ValueError(f"shape mismatch for {key}: {tuple(tensor.shape)} vs {tuple(own[new].shape)}")
        mapped[new] = tensor
    if aliases is not None:
        aliases(own, mapped)
    missing = sorted(set(own) - set(mapped))
    if missing:
        raise ValueError(f"weights missing from the checkpoint: {missing[:5]}")
    return mapped


HF_KEY_MAP = [  # (Hugging Face pattern, bertcore replacement)
    (r"^(bert\.)?embeddings\.LayerNorm\.", "embeddings.layer_norm."),
    (r"^(bert\.)?embeddings\.(word|position|token_type)_embeddings\.", r"embeddings.\2_embeddings."),
    (r"^(bert\.)?encoder\.layer\.(\d+)\.attention\.self\.(query|key|value)\.", r"layers.\2.attention.\3."),
    (r"^(bert\.)?encoder\.layer\.(\d+)\.attention\.output\.dense\.", r"layers.\2.attention.output."),
    (r"^(bert\.)?encoder\.layer\.(\d+)\.attention\.output\.LayerNorm\.", r"layers.\2.attention_norm."),
    (r"^(bert\.)?encoder\.layer\.(\d+)\.intermediate\.dense\.", r"layers.\2.intermediate."),
    (r"^(bert\.)?encoder\.layer\.(\d+)\.output\.dense\.", r"layers.\2.output."),
    (r"^(bert\.)?encoder\.layer\.(\d+)\.output\.LayerNorm\.", r"layers.\2.output_norm."),
    (r"^(bert\.)?pooler\.dense\.", "pooler."),
]


def translate_key(key: str, table) -> str | None:
    """Rename a weight with the first matching (pattern, replacement) of ``table``; None if none matches."""
    for pattern, repl in table:
        if re.match(pattern, key):
            return re.sub(pattern, repl, key)
    return None


def hf_to_bertcore_key(key: str) -> str | None:
    """Translate a Hugging Face BERT weight name, e.g. 'pooler.dense.weight' -> 'pooler.weight'."""
    return translate_key(key, HF_KEY_MAP)
