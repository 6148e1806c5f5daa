"""bertcore.encoder.BertModel against transformers.BertModel on the packaged weights."""
import pytest
import torch

from bertcore.config import BertConfig
from bertcore.encoder import BertModel, hf_to_bertcore_key

PAIRS = (
    ["The bank raised its rates.", "Side effects were mild, but the nausea lasted for two weeks and I stopped."],
    ["She sat on the river bank.", "Would not recommend."],
)


@pytest.fixture(scope="module")
def both(pretrained):
    tokenizer, hf = pretrained
    return tokenizer, hf, BertModel.from_pretrained(hf)


def test_hidden_states_and_attentions_match_reference(both):
    tokenizer, hf, ours = both
    batch = tokenizer(*PAIRS, padding=True, return_tensors="pt")  # padded sentence pairs
    assert (batch["attention_mask"] == 0).any() and (batch["token_type_ids"] == 1).any()
    with torch.no_grad():
        ref = hf(**batch, output_hidden_states=True, output_attentions=True)
        out = ours(**batch)
    assert len(out.hidden_states) == len(ref.hidden_states) == hf.config.num_hidden_layers + 1
    real = batch["attention_mask"].bool()  # padded rows are not compared: nobody reads them
    for a, b in zip(ref.hidden_states, out.hidden_states, strict=True):
        assert (a - b)[real].abs().max() < 1e-5
    for a, b in zip(ref.attentions, out.attentions, strict=True):
        assert a.shape == b.shape
        assert (a - b).abs().max() < 1e-5
    assert (ref.pooler_output - out.pooler_output).abs().max() < 1e-5


def test_loading_from_folder_equals_loading_from_instance(both):
    import bertcore

    _, _, ours = both
    from_path = BertModel.from_pretrained(str(bertcore.packaged_model_path()))
    for (k1, v1), (k2, v2) in zip(ours.state_dict().items(), from_path.state_dict().items(), strict=True):
        assert k1 == k2 and torch.equal(v1, v2)


def test_every_hf_weight_has_a_home(both):
    _, hf, ours = both
    mapped = {hf_to_bertcore_key(k) for k in hf.state_dict()} - {None}
    assert mapped == set(ours.state_dict())


@pytest.mark.parametrize("preset, expected", [("base", 109_482_240), ("large", 335_141_888)])
def test_parameter_counts_match_transformers(preset, expected):
    from transformers import BertConfig as HFConfig
    from transformers import BertModel as HFModel

    cfg = getattr(BertConfig, preset)()
    with torch.device("meta"):  # shapes only, no memory
        ours = sum(p.numel() for p in BertModel(cfg).parameters())
        ref = sum(p.numel() for p in HFModel(HFConfig(**cfg.to_dict())).parameters())
    assert ours == ref == expected


def test_causal_mask_stops_right_context(both):
    tokenizer, _, ours = both
    a = tokenizer("the pill made me sleepy", return_tensors="pt")["input_ids"]
    b = a.clone()
    b[0, -2] = tokenizer.convert_tokens_to_ids("happy")  # change the last word only
    T = a.shape[1]
    causal = torch.tril(torch.ones(T, T, dtype=torch.bool))
    with torch.no_grad():
        ha, hb = ours(a, attention_mask=causal).last_hidden_state, ours(b, attention_mask=causal).last_hidden_state
        fa, fb = ours(a).last_hidden_state, ours(b).last_hidden_state
    torch.testing.assert_close(ha[0, : T - 2], hb[0, : T - 2])  # left of the edit: untouched
    assert (fa[0, 1] - fb[0, 1]).abs().max() > 1e-3  # bidirectional: the edit reaches the start


def test_pattern_masks_are_unambiguous_when_batch_equals_length(both):
    _, _, ours = both
    ids = torch.randint(1000, 2000, (4, 4), generator=torch.Generator().manual_seed(0))
    causal = torch.tril(torch.ones(4, 4, dtype=torch.bool))
    with torch.no_grad():
        one = ours(ids, attention_mask=causal[None]).attentions[0]  # (1, T, T): a pattern
        each = ours(ids, attention_mask=causal.expand(4, 4, 4)).attentions[0]
    torch.testing.assert_close(one, each)
    assert (one[..., 0, 1:] == 0).all()  # the first token sees only itself


def test_positions_can_be_dropped_or_permuted(both):
    tokenizer, _, ours = both
    ids = tokenizer("one two three four", return_tensors="pt")["input_ids"]
    with torch.no_grad():
        base = ours(ids).last_hidden_state
        none = ours(ids, position_ids=None).last_hidden_state
        same = ours(ids, position_ids=torch.arange(ids.shape[1])[None]).last_hidden_state
    torch.testing.assert_close(base, same)
    assert (base - none).abs().max() > 1e-3


def test_too_long_input_gives_a_clear_error(both):
    _, _, ours = both
    with pytest.raises(ValueError, match="position table has only 512 rows"):
        ours(torch.ones(1, 513, dtype=torch.long))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(hidden_size=30, num_attention_heads=4), "divisible"),
        (dict(hidden_act="swish"), "hidden_act"),
        (dict(num_hidden_layers=-1), "non-negative int"),
    ],
)
def test_bad_config_raises(kwargs, message):
    with pytest.raises(ValueError, match=message):
        BertConfig(**kwargs)


def test_bad_forward_arguments():
    model = BertModel(BertConfig.tiny())
    with pytest.raises(TypeError, match="integer tensor"):
        model(torch.randn(1, 4))
    with pytest.raises(ValueError, match="attention_mask must have shape"):
        model(torch.ones(2, 4, dtype=torch.long), attention_mask=torch.ones(3, 4))
    with pytest.raises(TypeError, match="bertcore.BertConfig"):
        BertModel({"hidden_size": 8})
    with pytest.raises(TypeError, match="source must be"):
        BertModel.from_pretrained(42)


def test_shape_mismatch_when_loading_is_reported():
    model = BertModel(BertConfig.tiny(vocab_size=100))
    state = {"embeddings.word_embeddings.weight": torch.zeros(99, 128)}
    with pytest.raises(ValueError, match="shape mismatch"):
        model.load_hf_state_dict(state)
