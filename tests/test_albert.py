"""bertcore.variants.albert against transformers.AlbertModel: parameter counts, weights and outputs."""
import pytest
import torch

from bertcore.config import BertConfig
from bertcore.variants.albert import SHARING, AlbertModel, albert_parameters, config_from_hf_albert, hf_albert_key


def _count(model):
    return sum(p.numel() for p in model.parameters())  # shared tensors are listed once


def test_hf_default_config_is_xxlarge_and_matches_formula():
    from transformers import AlbertConfig
    from transformers import AlbertModel as HFAlbert

    hf_config = AlbertConfig()  # the library default is ALBERT-xxlarge, not base
    config, E = config_from_hf_albert(hf_config)
    assert (config.hidden_size, E) == (4096, 128)
    with torch.device("meta"):
        hf, ours = HFAlbert(hf_config), AlbertModel(config, E, "all")
    assert _count(hf) == _count(ours) == sum(albert_parameters(config, E).values()) == 222_595_584


@pytest.mark.parametrize("sharing", SHARING)
@pytest.mark.parametrize("E", [64, 128, 768])
def test_formula_equals_built_model(sharing, E):
    config = BertConfig.base(vocab_size=30000)
    with torch.device("meta"):
        model = AlbertModel(config, E, sharing)
    assert _count(model) == sum(albert_parameters(config, E, sharing).values())


def test_close_to_the_papers_tables():
    """Lan et al. (2020) Tables 3 and 4 (ALBERT-base, V = 30,000), in millions, rounded by the authors."""
    paper = {("all", 64): 10, ("all", 128): 12, ("all", 256): 16, ("all", 768): 31,
             ("none", 64): 87, ("none", 128): 89, ("none", 256): 93,
             ("attention", 128): 64, ("ffn", 128): 38, ("attention", 768): 83, ("ffn", 768): 57}
    config = BertConfig.base(vocab_size=30000)
    for (sharing, E), millions in paper.items():
        ours = sum(albert_parameters(config, E, sharing).values()) / 1e6
        assert abs(ours - millions) < 1.0, (sharing, E, ours)


def test_sharing_ties_the_right_modules_and_gradients_add_up():
    config = BertConfig.tiny()
    att = AlbertModel(config, 32, "attention")
    assert att.layers[1].attention is att.layers[0].attention
    assert att.layers[1].intermediate is not att.layers[0].intermediate
    ffn = AlbertModel(config, 32, "ffn")
    assert ffn.layers[1].output is ffn.layers[0].output and ffn.layers[1].attention is not ffn.layers[0].attention
    torch.manual_seed(0)
    model = AlbertModel(config, 32, "all")
    assert model.layers[0] is model.layers[1]
    ids = torch.randint(5, 100, (2, 7))
    model(ids).last_hidden_state.sum().backward()
    assert model.layers[0].intermediate.weight.grad is not None  # one tensor, gradient from both uses


def test_outputs_equal_transformers_albert():
    from transformers import AlbertConfig
    from transformers import AlbertModel as HFAlbert

    hf_config = AlbertConfig(vocab_size=200, embedding_size=16, hidden_size=48, num_hidden_layers=3,
                             num_attention_heads=4, intermediate_size=96, hidden_dropout_prob=0.0,
                             attention_probs_dropout_prob=0.0)
    torch.manual_seed(0)
    hf = HFAlbert(hf_config, add_pooling_layer=True).eval()
    hf.config._attn_implementation = "eager"
    ours = AlbertModel(*config_from_hf_albert(hf_config), sharing="all").eval()
    ours.load_hf_state_dict(hf.state_dict())
    ids = torch.randint(5, 200, (2, 9), generator=torch.Generator().manual_seed(1))
    mask = torch.ones(2, 9, dtype=torch.long)
    mask[1, 6:] = 0  # padding in the second row
    types = torch.zeros_like(ids)
    types[:, 5:] = 1
    with torch.no_grad():
        ref = hf(input_ids=ids, attention_mask=mask, token_type_ids=types)
        out = ours(ids, types, mask)
    real = mask.bool()
    assert (ref.last_hidden_state - out.last_hidden_state)[real].abs().max() < 1e-5
    assert (ref.pooler_output - out.pooler_output).abs().max() < 1e-5


def test_train_mode_with_attention_dropout_equals_transformers_albert():
    """Same seed, same dropout masks: outputs and gradients agree (measured difference ~1e-13).

    hidden_dropout_prob is 0 here because ``transformers.AlbertLayer`` never applies dropout
    after the FFN (it builds ``self.dropout`` but does not call it), while the original ALBERT
    code (``attention_ffn_block``) and bertcore's ``BertLayer`` do; the released ALBERT v2
    configurations use 0 for both dropouts anyway.
    """
    from transformers import AlbertConfig
    from transformers import AlbertModel as HFAlbert

    hf_config = AlbertConfig(vocab_size=200, embedding_size=16, hidden_size=48, num_hidden_layers=3,
                             num_attention_heads=4, intermediate_size=96, hidden_dropout_prob=0.0,
                             attention_probs_dropout_prob=0.1, attn_implementation="eager")
    torch.manual_seed(0)
    hf = HFAlbert(hf_config, add_pooling_layer=True).train()
    ours = AlbertModel(*config_from_hf_albert(hf_config), sharing="all").train()
    ours.load_hf_state_dict(hf.state_dict())
    ids = torch.randint(5, 200, (2, 9), generator=torch.Generator().manual_seed(1))
    mask = torch.ones(2, 9, dtype=torch.long)
    mask[1, 6:] = 0
    torch.manual_seed(4)
    ref = hf(input_ids=ids, attention_mask=mask, output_attentions=True)
    torch.manual_seed(4)
    out = ours(ids, None, mask)
    real = mask.bool()
    assert (ref.last_hidden_state - out.last_hidden_state)[real].abs().max() < 1e-5
    for a, b in zip(ref.attentions, out.attentions, strict=True):
        assert (a - b).abs().max() < 1e-5
    keys = real[:, None, None, :].expand_as(out.attentions[0])  # links to real (not padding) tokens
    assert any((a[keys] == 0).any() for a in out.attentions)  # dropout really acted on the probabilities
    ref.last_hidden_state[real].sum().backward()
    out.last_hidden_state[real].sum().backward()
    torch.testing.assert_close(ours.embeddings.word_embeddings.weight.grad,
                               hf.embeddings.word_embeddings.weight.grad, atol=1e-5, rtol=1e-4)
    shared = hf.encoder.albert_layer_groups[0].albert_layers[0]
    torch.testing.assert_close(ours.layers[0].attention.query.weight.grad, shared.attention.query.weight.grad,
                               atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(ours.layers[0].intermediate.weight.grad, shared.ffn.weight.grad, atol=1e-5, rtol=1e-4)


def test_validation_and_key_map():
    with pytest.raises(ValueError, match="sharing"):
        AlbertModel(BertConfig.tiny(), 32, "half")
    with pytest.raises(ValueError, match="embedding_size"):
        albert_parameters(BertConfig.tiny(), 0)
    with pytest.raises(TypeError, match="BertConfig"):
        AlbertModel({"hidden_size": 8})
    with pytest.raises(ValueError, match="share all layers"):
        AlbertModel(BertConfig.tiny(), 32, "none").load_hf_state_dict({})
    assert hf_albert_key("encoder.embedding_hidden_mapping_in.bias") == "projection.bias"
    assert hf_albert_key("embeddings.position_ids") is None
