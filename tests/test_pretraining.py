"""bertcore.training.pretraining / bertcore.variants.domain: heads against transformers, pair builders, the
training loop."""
import pytest
import torch
import transformers

import bertcore.variants.domain as domain  # first: bertcore sets OMP_WAIT_POLICY before torch loads (10x on busy CPUs)
from bertcore.config import BertConfig
from bertcore.masking import IGNORE_INDEX
from bertcore.training.pretraining import (
    BertForPreTraining,
    _losses,
    encode_pairs,
    evaluate_pretraining,
    make_sop_pairs,
    mlm_fill,
    pretrain,
    split_sentences,
)

SMALL = dict(vocab_size=30522, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
             intermediate_size=64, max_position_embeddings=64)
DOCS = [["The pill helped.", "I slept well.", "No side effects."],
        ["It made me dizzy.", "I stopped after a week."],
        ["Great for my migraines.", "Works in an hour.", "Costly though."]] * 4


@pytest.fixture(scope="module")
def tokenizer(pretrained):
    return pretrained[0]


def _hf_twin(seed=0):
    """A random transformers BertForPreTraining and our model holding the same weights."""
    torch.manual_seed(seed)
    hf = transformers.BertForPreTraining(transformers.BertConfig(**SMALL, hidden_dropout_prob=0.0,
                                                                 attention_probs_dropout_prob=0.0)).eval()
    ours = BertForPreTraining(BertConfig(**SMALL)).eval()
    state = hf.state_dict()
    ours.bert.load_hf_state_dict({k: v for k, v in state.items() if k.startswith("bert.")})
    with torch.no_grad():
        ours.transform.weight.copy_(state["cls.predictions.transform.dense.weight"])
        ours.transform.bias.copy_(state["cls.predictions.transform.dense.bias"])
        ours.norm.weight.copy_(state["cls.predictions.transform.LayerNorm.weight"])
        ours.norm.bias.copy_(state["cls.predictions.transform.LayerNorm.bias"])
        ours.decoder_bias.copy_(state["cls.predictions.bias"])
        ours.pair_head.weight.copy_(state["cls.seq_relationship.weight"])
        ours.pair_head.bias.copy_(state["cls.seq_relationship.bias"])
    return hf, ours


def test_heads_and_loss_match_transformers():
    hf, ours = _hf_twin()
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(1000, 2000, (3, 11), generator=g)
    types = torch.zeros_like(ids)
    types[:, 6:] = 1
    attn = torch.ones_like(ids)
    attn[2, 8:] = 0
    labels = torch.full_like(ids, IGNORE_INDEX)
    labels[:, 2], labels[1, 7] = ids[:, 2], ids[1, 7]
    nsp = torch.tensor([0, 1, 1])
    ref = hf(input_ids=ids, token_type_ids=types, attention_mask=attn, labels=labels, next_sentence_label=nsp)
    full, pair = ours(ids, types, attn)
    torch.testing.assert_close(full, ref.prediction_logits, atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(pair, ref.seq_relationship_logits, atol=1e-5, rtol=1e-4)
    # logits at the masked positions only: the same numbers as the full (B, T, V) scores
    at, _ = ours(ids, types, attn, labels != IGNORE_INDEX)
    assert at.shape == (4, SMALL["vocab_size"])
    torch.testing.assert_close(at, full[labels != IGNORE_INDEX])
    batch = {"token_type_ids": types, "attention_mask": attn, "pair_labels": nsp}
    loss, stats = _losses(ours, batch, ids, labels, True, "nsp")
    torch.testing.assert_close(loss, ref.loss, atol=1e-5, rtol=1e-4)
    assert set(stats) == {"mlm_loss", "mlm_acc", "pair_loss", "pair_acc"}


def test_decoder_is_tied_to_the_word_embeddings():
    model = BertForPreTraining(BertConfig(**SMALL))
    encoder_params = sum(p.numel() for p in model.bert.parameters())
    H, V = SMALL["hidden_size"], SMALL["vocab_size"]
    head_params = H * H + H + 2 * H + V + 2 * H + 2  # transform, LayerNorm, decoder bias, pair head
    assert sum(p.numel() for p in model.parameters()) == encoder_params + head_params
    x = torch.randn(H)
    before = model.mlm_logits(x)
    with torch.no_grad():
        model.bert.embeddings.word_embeddings.weight[5] += 1.0
    assert (model.mlm_logits(x) - before).abs().argmax() == 5  # only row 5's score moved


def test_fresh_model_uses_bert_initialisation():
    model = BertForPreTraining(BertConfig(**SMALL))
    std = model.bert.embeddings.word_embeddings.weight[1:].std().item()
    assert 0.015 < std < 0.025  # N(0, 0.02), not PyTorch's N(0, 1)
    assert model.bert.embeddings.word_embeddings.weight[0].abs().sum() == 0  # padding row


def test_split_sentences():
    assert split_sentences("It works! Took it for 2.5 weeks. Really? yes") == [
        "It works!", "Took it for 2.5 weeks.", "Really?", "yes"]
    with pytest.raises(TypeError, match="string"):
        split_sentences(["a"])


def test_sop_pairs_swap_consecutive_sentences():
    docs = [[f"d{d}s{i}" for i in range(6)] for d in range(50)]
    pairs = make_sop_pairs(docs, rng=0)
    assert len(pairs) == 50 * 5
    for a, b, label in pairs:
        da, ia = a[1:].split("s")
        db, ib = b[1:].split("s")
        assert da == db  # both halves always come from one document
        assert int(ib) - int(ia) == (1 if label == 0 else -1)
    share = sum(label for *_, label in pairs) / len(pairs)
    assert 0.4 < share < 0.6
    assert pairs == make_sop_pairs(docs, rng=0)


def test_encode_pairs_shapes_and_tasks(tokenizer):
    nsp = encode_pairs(tokenizer, DOCS, pair_task="nsp", max_len=16, seed=1)
    assert nsp["input_ids"].shape == nsp["token_type_ids"].shape and nsp["input_ids"].shape[1] <= 16
    assert len(nsp["pair_labels"]) == sum(len(d) - 1 for d in DOCS)
    only_next = encode_pairs(tokenizer, DOCS, pair_task=None)
    assert only_next["pair_labels"].sum() == 0
    with pytest.raises(ValueError, match="pair_task"):
        encode_pairs(tokenizer, DOCS, pair_task="mlm")


def test_pretrain_is_deterministic_and_learns(tokenizer):
    kw = dict(config=BertConfig(**SMALL), tokenizer=tokenizer, documents=DOCS, batch_size=8, seed=3)
    _, h1 = pretrain(steps=3, **kw)
    _, h2 = pretrain(steps=3, **kw)
    cols = ["mlm_loss", "pair_loss", "pair_acc"]
    assert h1[cols].equals(h2[cols])
    model, h = pretrain(steps=15, lr=1e-2, **kw)
    assert h["mlm_loss"].iloc[-3:].mean() < h["mlm_loss"].iloc[:3].mean() - 1.0
    assert list(h.columns) == ["step", "mlm_loss", "mlm_acc", "pair_loss", "pair_acc", "seconds"]
    assert not model.training


def test_static_masking_repeats_masks_dynamic_does_not(tokenizer):
    # lr = 0 and no dropout: the model never changes, and one batch is the whole data set,
    # so the loss can only change between steps if the masks change
    cfg = BertConfig(**{**SMALL, "hidden_dropout_prob": 0.0, "attention_probs_dropout_prob": 0.0})
    kw = dict(config=cfg, tokenizer=tokenizer, documents=DOCS, batch_size=20, lr=0.0, steps=4,
              objectives="mlm")
    _, static = pretrain(dynamic_masking=False, **kw)
    _, dynamic = pretrain(dynamic_masking=True, **kw)
    assert static["mlm_loss"].round(4).nunique() == 1  # batch order only changes float rounding
    assert dynamic["mlm_loss"].round(4).nunique() > 1
    assert static["pair_loss"].isna().all()


def test_objectives_sop_and_freeze_encoder(tokenizer):
    model = BertForPreTraining(BertConfig(**SMALL))
    before = {k: v.clone() for k, v in model.state_dict().items()}
    model, h = pretrain(model=model, tokenizer=tokenizer, documents=DOCS, objectives="sop", steps=2,
                        batch_size=4, train_layers=0)
    after = model.state_dict()
    assert h["mlm_loss"].isna().all() and h["pair_acc"].between(0, 1).all()
    assert torch.equal(before["bert.layers.0.intermediate.weight"], after["bert.layers.0.intermediate.weight"])
    assert not torch.equal(before["pair_head.weight"], after["pair_head.weight"])


def test_evaluate_and_fill(tokenizer):
    model = BertForPreTraining(BertConfig(**SMALL))
    res = evaluate_pretraining(model, tokenizer, DOCS, objectives="mlm+nsp", max_pairs=10)
    assert res["pairs"] == 10 and res["masked_tokens"] > 0 and 0 <= res["pair_acc"] <= 1
    table = mlm_fill(model, tokenizer, "side [MASK] were [MASK].", top_k=3)
    assert len(table) == 6 and list(table.columns) == ["mask", "rank", "token", "probability"]
    assert (table.groupby("mask")["probability"].diff().dropna() <= 0).all()
    with pytest.raises(ValueError, match=r"\[MASK\]"):
        mlm_fill(model, tokenizer, "no mask here")


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(objectives="mlm+xyz"), ValueError, "objectives must be one of"),
    (dict(steps=0), ValueError, "steps must be a positive int"),
    (dict(model="bert"), TypeError, "BertForPreTraining"),
])
def test_pretrain_bad_arguments(tokenizer, kwargs, error, message):
    with pytest.raises(error, match=message):
        pretrain(tokenizer=tokenizer, documents=DOCS, **kwargs)


def test_domain_adapt_caches_by_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("BERTCORE_CACHE", str(tmp_path))
    kw = dict(steps=2, batch_size=2, max_len=16, seed=0)
    model, hist = domain.domain_adapt(**kw)
    assert len(hist) == 2 and len(list(tmp_path.glob("domain-adapt-*"))) == 1
    again, hist2 = domain.domain_adapt(**kw)  # loaded, not retrained
    for (k, v), w in zip(model.state_dict().items(), again.state_dict().values(), strict=True):
        assert torch.equal(v, w), k
    assert hist2["mlm_loss"].tolist() == pytest.approx(hist["mlm_loss"].tolist())
    assert len(list(tmp_path.glob("domain-adapt-*"))) == 1


def test_pack_segments_joins_sentences_until_long_enough():
    from bertcore.training.pretraining import pack_segments

    docs = [["A b.", "C d.", "E f g."], ["One two three four five."]]
    assert pack_segments(docs, 4) == [["A b. C d.", "E f g."], ["One two three four five."]]
    assert pack_segments(docs, 1) == docs
    with pytest.raises(ValueError, match="min_words"):
        pack_segments(docs, 0)


def test_evaluate_per_item_matches_a_direct_cross_entropy(tokenizer):
    model = BertForPreTraining(BertConfig(**SMALL), seed=1)
    res = evaluate_pretraining(model, tokenizer, DOCS, objectives="mlm+nsp", max_pairs=12, batch_size=5,
                               per_item=True)
    assert len(res["mlm_token_loss"]) == len(res["mlm_target"]) == res["masked_tokens"]
    assert res["pair_correct"].mean() == pytest.approx(res["pair_acc"])
    # the same masks and pairs, scored in one batch by torch's cross-entropy
    data = encode_pairs(tokenizer, DOCS, pair_task="nsp", max_len=64, seed=0)
    data = {k: v[:12] for k, v in data.items()}
    from bertcore.training.pretraining import _mask
    masked, labels = _mask(data["input_ids"], data["attention_mask"], tokenizer, SMALL["vocab_size"],
                           torch.Generator().manual_seed(0))
    with torch.no_grad():
        logits, _ = model(masked, data["token_type_ids"], data["attention_mask"], labels != IGNORE_INDEX)
    ref = torch.nn.functional.cross_entropy(logits, labels[labels != IGNORE_INDEX], reduction="none")
    assert torch.allclose(torch.from_numpy(res["mlm_token_loss"]), ref, atol=1e-4)
    assert res["mlm_loss"] == pytest.approx(ref.mean().item(), abs=1e-4)


def test_cached_pretrain_builds_once_then_loads(tokenizer, tmp_path, monkeypatch):
    from bertcore.training.pretraining import cached_pretrain

    monkeypatch.setenv("BERTCORE_CACHE", str(tmp_path))
    cfg = BertConfig(**SMALL)
    kw = dict(tokenizer=tokenizer, documents=DOCS, steps=3, batch_size=4, max_len=32, seed=0)
    m1, h1, info1 = cached_pretrain(cfg, **kw)
    m2, h2, info2 = cached_pretrain(cfg, **kw)
    assert not info1["cached"] and info2["cached"] and info1["path"] == info2["path"]
    same = zip(m1.state_dict().values(), m2.state_dict().values(), strict=True)
    assert len(h2) == 3 and all(torch.equal(a, b) for a, b in same)
    _, _, info3 = cached_pretrain(cfg, **{**kw, "seed": 1})
    assert info3["path"] != info1["path"]
    with pytest.raises(ValueError, match="documents explicitly"):
        cached_pretrain(cfg, tokenizer=tokenizer, documents=None)
