"""bertcore.analysis.sizing: closed-form counts against built models and FLOPs against FlopCounterMode."""
import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from bertcore.analysis.sizing import (
    COMPONENTS,
    component_of,
    count_parameters,
    forward_flops,
    parameter_breakdown,
)
from bertcore.config import BertConfig
from bertcore.encoder import BertModel

CONFIGS = [
    BertConfig.base(), BertConfig.large(), BertConfig.tiny(),
    BertConfig(hidden_size=384, num_hidden_layers=6, num_attention_heads=12, intermediate_size=1536),
    BertConfig(vocab_size=1000, hidden_size=64, num_hidden_layers=3, num_attention_heads=4,
               intermediate_size=100, max_position_embeddings=77, type_vocab_size=3),
]


def test_published_totals():
    assert sum(count_parameters(BertConfig.base()).values()) == 109_482_240
    assert sum(count_parameters(BertConfig.large()).values()) == 335_141_888


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: f"L{c.num_hidden_layers}H{c.hidden_size}")
def test_formula_equals_bertcore_and_transformers_models(config):
    from transformers import BertConfig as HFConfig
    from transformers import BertModel as HFModel

    with torch.device("meta"):  # shapes only: no memory even for BERT-Large
        ours = BertModel(config)
        hf = HFModel(HFConfig(**config.to_dict()))
    formula = count_parameters(config)
    assert parameter_breakdown(ours) == formula
    assert parameter_breakdown(hf) == formula  # Hugging Face names land in the same buckets
    assert sum(formula.values()) == sum(p.numel() for p in hf.parameters())
    assert count_parameters(hf.config) == formula  # a transformers config works too


def test_component_names():
    assert component_of("layers.3.attention.output.weight") == "attention"
    assert component_of("encoder.layer.3.attention.output.dense.weight") == "attention"
    assert component_of("encoder.layer.3.output.dense.bias") == "ffn"
    assert component_of("layers.3.output.bias") == "ffn"
    assert component_of("encoder.layer.3.attention.output.LayerNorm.weight") == "layer_norm"
    assert component_of("embeddings.layer_norm.bias") == "layer_norm"
    assert component_of("classifier.weight") == "other"
    assert set(COMPONENTS) <= {"embeddings", "attention", "ffn", "layer_norm", "pooler"}


@pytest.mark.parametrize("T,B", [(7, 1), (33, 2), (128, 3)])
def test_flops_equal_flop_counter(T, B):
    config = BertConfig(hidden_size=96, num_hidden_layers=2, num_attention_heads=4, intermediate_size=200)
    with torch.device("meta"):
        model = BertModel(config)
        ids = torch.zeros(B, T, dtype=torch.long)
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        model(ids)
    assert counter.get_total_flops() == forward_flops(config, T, B)["total"]


def test_flops_grow_quadratically_only_in_attention():
    c = BertConfig.base()
    a, b = forward_flops(c, 128), forward_flops(c, 256)
    assert b["ffn"] == 2 * a["ffn"] and b["projections"] == 2 * a["projections"]
    assert b["attention_scores"] == 4 * a["attention_scores"]


def test_validation():
    with pytest.raises(TypeError, match="BertConfig"):
        count_parameters({"hidden_size": 3})
    with pytest.raises(ValueError, match="seq_len"):
        forward_flops(BertConfig.tiny(), 0)
    with pytest.raises(TypeError, match="Module"):
        parameter_breakdown("bert")
