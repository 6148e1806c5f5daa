"""BERT's hyper-parameters as a typed dataclass, with Hugging Face's field names and presets.

Simplifies: only the fields the encoder uses; ``from_hf`` copies the shared fields of a
``transformers.BertConfig`` and ignores the rest.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from torch import nn

from bertcore._checks import check_finite


@dataclass
class BertConfig:
    """Hyper-parameters with Hugging Face's names, e.g. ``BertConfig.base().hidden_size == 768``."""

    vocab_size: int = 30522
    hidden_size: int = 768
    num_hidden_layers: int = 12
    num_attention_heads: int = 12
    intermediate_size: int = 3072
    hidden_act: str = "gelu"
    hidden_dropout_prob: float = 0.1
    attention_probs_dropout_prob: float = 0.1
    max_position_embeddings: int = 512
    type_vocab_size: int = 2
    layer_norm_eps: float = 1e-12
    pad_token_id: int = 0

    def __post_init__(self):
        for f in fields(self):
            val = getattr(self, f.name)
            if f.type == "int" and (not isinstance(val, int) or isinstance(val, bool) or val < 0):
                raise ValueError(f"{f.name} must be a non-negative int, got {val!r}")
        if self.hidden_size % max(self.num_attention_heads, 1):
            raise ValueError(
                f"hidden_size ({self.hidden_size}) must be divisible by num_attention_heads "
                f"({self.num_attention_heads})"
            )
        if self.hidden_act not in ACTIVATIONS:
            raise ValueError(f"hidden_act must be one of {sorted(ACTIVATIONS)}, got {self.hidden_act!r}")
        for name in ("hidden_dropout_prob", "attention_probs_dropout_prob"):
            check_finite(name, getattr(self, name), 0.0, 1.0)
        check_finite("layer_norm_eps", self.layer_norm_eps, 0.0, low_open=True)

    @classmethod
    def base(cls, **kw) -> BertConfig:
        """BERT-Base: 12 layers, hidden 768, 12 heads (Devlin et al., 2019)."""
        return cls(**kw)

    @classmethod
    def large(cls, **kw) -> BertConfig:
        """BERT-Large: 24 layers, hidden 1024, 16 heads."""
        return cls(**{**dict(hidden_size=1024, num_hidden_layers=24, num_attention_heads=16,
                             intermediate_size=4096), **kw})

    @classmethod
    def tiny(cls, **kw) -> BertConfig:
        """A 2-layer, hidden-128 BERT that trains on a CPU in a minute."""
        return cls(**{**dict(hidden_size=128, num_hidden_layers=2, num_attention_heads=2,
                             intermediate_size=512, max_position_embeddings=128), **kw})

    @classmethod
    def from_hf(cls, hf_config) -> BertConfig:
        """Copy the shared fields of a ``transformers.BertConfig``."""
        return cls(**{f.name: getattr(hf_config, f.name) for f in fields(cls) if hasattr(hf_config, f.name)})

    def to_dict(self) -> dict:
        return asdict(self)


ACTIVATIONS = {
    "gelu": nn.GELU(),  # exact erf form, as BERT uses
    "gelu_new": nn.GELU(approximate="tanh"),
    "relu": nn.ReLU(),
}
