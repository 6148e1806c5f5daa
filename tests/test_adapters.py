"""bertcore.variants.adapters: identity at initialisation, the expected parameter budget, training only adapters."""
import pytest
import torch

import bertcore as bc
from bertcore.training.batching import collate, encode_ids
from bertcore.training.finetune import SequenceClassifier, fine_tune
from bertcore.variants.adapters import Adapter, AdapterLayer, add_adapters, freeze_for_adapters, trainable_parameters

pytestmark = pytest.mark.usefixtures("one_thread")  # see conftest.py


def test_adapter_is_identity_at_init_and_not_after_a_change():
    x = torch.randn(2, 5, 16, generator=torch.Generator().manual_seed(0))
    a = Adapter(16, 4)
    torch.testing.assert_close(a(x), x, atol=0, rtol=0)
    with torch.no_grad():
        a.up.weight.fill_(0.1)
    assert not torch.allclose(a(x), x)
    with pytest.raises(ValueError):
        Adapter(16, 0)


def test_adapters_leave_pretrained_outputs_unchanged(pretrained):
    tok, hf = pretrained
    plain = bc.BertModel.from_pretrained(hf)
    adapted = add_adapters(bc.BertModel.from_pretrained(hf), size=32)
    assert all(isinstance(layer, AdapterLayer) for layer in adapted.layers)
    batch = collate(encode_ids(tok, ["adapters start as the identity", "short"]), tok.pad_token_id)
    with torch.no_grad():
        a, b = plain(**batch), adapted(**batch)
    torch.testing.assert_close(a.last_hidden_state, b.last_hidden_state, atol=1e-6, rtol=0)
    # and the reference model agrees too
    with torch.no_grad():
        ref = hf(**batch).last_hidden_state
    mask = batch["attention_mask"].bool()
    torch.testing.assert_close(b.last_hidden_state[mask], ref[mask], atol=1e-4, rtol=1e-4)
    with pytest.raises(ValueError, match="already"):
        add_adapters(adapted)
    with pytest.raises(TypeError, match="from_pretrained"):
        add_adapters(hf)


def test_parameter_budget_matches_the_formula(pretrained):
    _, hf = pretrained
    enc = add_adapters(bc.BertModel.from_pretrained(hf), size=32)
    clf = SequenceClassifier(enc, [str(i) for i in range(8)])
    freeze_for_adapters(clf)
    H, L, m = hf.config.hidden_size, hf.config.num_hidden_layers, 32
    adapters = L * 2 * (H * m + m + m * H + H)  # two bottlenecks per layer
    norms = (2 * L + 1) * 2 * H  # LayerNorm weight + bias: two per layer + embeddings
    head = H * 8 + 8
    counts = trainable_parameters(clf)
    assert counts["trainable"] == adapters + norms + head
    assert counts["total"] == sum(p.numel() for p in hf.parameters()) + adapters + head
    assert 0.005 < counts["fraction"] < 0.03


def test_training_changes_only_adapters_norms_and_head():
    torch.manual_seed(0)
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(bc.packaged_model_path()))
    enc = add_adapters(bc.BertModel(bc.BertConfig.tiny()), size=8)
    clf = SequenceClassifier(enc, ["neg", "pos"], pooling="mean")
    freeze_for_adapters(clf)
    before = {k: v.clone() for k, v in clf.state_dict().items()}
    texts = ["good", "bad", "great stuff", "awful stuff"] * 2
    fine_tune(clf, tok, texts, ["pos", "neg", "pos", "neg"] * 2, epochs=3, batch_size=4, lr=1e-2, max_len=8)
    changed = {k for k, v in clf.state_dict().items() if not torch.equal(v, before[k])}
    assert changed and all("adapter" in k or "norm" in k or k.startswith("head.") for k in changed)
    assert any("adapter.up" in k for k in changed)  # the zero init does not stay zero
    with pytest.raises(ValueError, match="add_adapters"):
        freeze_for_adapters(torch.nn.Linear(2, 2))


def test_few_shot_adapters_matches_a_direct_run_and_is_cached(tmp_path, monkeypatch, pretrained):
    from bertcore.analysis.fewshot import sample_per_class
    from bertcore.training.initialization import init_bert_weights
    from bertcore.variants.adapters import few_shot_adapters

    monkeypatch.setenv("BERTCORE_CACHE", str(tmp_path))
    tok = pretrained[0]
    enc = init_bert_weights(bc.BertModel(bc.BertConfig.tiny(vocab_size=len(tok))), seed=0).eval()
    before = {k: v.clone() for k, v in enc.state_dict().items()}
    fast = dict(epochs=2, max_len=8, batch_size=8, lr=1e-2, head_init="random")
    run = few_shot_adapters(enc, tok, "topics", per_class=2, seed=1, size=4, **fast)
    assert all(torch.equal(v, enc.state_dict()[k]) for k, v in before.items())  # trains a copy
    # the same recipe by hand: draw 1, seed 1 for the adapters, the head and the loop
    train, test = bc.load_topics("train"), bc.load_topics("test")
    rows = sample_per_class(train["label"], 2, seed=1)
    copy = bc.BertModel(enc.config)
    copy.load_state_dict(enc.state_dict())
    clf = SequenceClassifier(add_adapters(copy, size=4, seed=1), sorted(train["label"].unique()),
                             pooling="mean", seed=1)
    freeze_for_adapters(clf)
    hist = fine_tune(clf, tok, train["text"].iloc[rows].tolist(), train["label"].iloc[rows].tolist(),
                     epochs=2, batch_size=8, lr=1e-2, max_len=8, seed=1)
    pred = bc.predict(clf, tok, test["text"].tolist(), max_len=8)
    assert run["rows"] == rows.tolist() and run["pred"] == pred and run["steps"] == len(hist)
    assert run["trainable"] == trainable_parameters(clf)["trainable"] and run["seconds_per_step"] > 0
    assert run["macro_f1"] == pytest.approx(bc.classification_scores(test["label"], pred, clf.labels)["macro_f1"])
    assert not run["cached"]
    again = few_shot_adapters(enc, tok, "topics", per_class=2, seed=1, size=4, **fast)
    assert again["cached"] and again["pred"] == run["pred"]
    few_shot_adapters(enc, tok, "topics", per_class=2, seed=1, size=8, **fast)  # another size, another entry
    assert len(list(tmp_path.glob("adapters-topics-*.json"))) == 2


def test_few_shot_adapters_rejects_bad_arguments(pretrained):
    from bertcore.variants.adapters import few_shot_adapters

    tok, hf = pretrained
    with pytest.raises(TypeError, match="from_pretrained"):
        few_shot_adapters(hf, tok)
    enc = bc.BertModel(bc.BertConfig.tiny(vocab_size=len(tok)))
    with pytest.raises(ValueError, match="task"):
        few_shot_adapters(enc, tok, "news")
    with pytest.raises(ValueError, match="unknown settings"):
        few_shot_adapters(enc, tok, epoch=3)
    with pytest.raises(ValueError, match="size"):
        few_shot_adapters(enc, tok, size=0)
