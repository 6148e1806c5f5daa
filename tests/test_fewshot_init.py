"""bertcore.analysis.fewshot.sample_per_class and bertcore.training.initialization.init_bert_weights."""
import numpy as np
import pytest
import torch

import bertcore as bc
from bertcore.analysis.fewshot import sample_per_class
from bertcore.training.initialization import init_bert_weights


def test_sample_per_class_counts_and_reproducibility():
    labels = ["a"] * 10 + ["b"] * 3 + ["c"] * 7
    idx = sample_per_class(labels, 4, seed=0)
    picked = np.array(labels)[idx]
    assert {c: int((picked == c).sum()) for c in "abc"} == {"a": 4, "b": 3, "c": 4}  # b has only 3
    assert len(set(idx.tolist())) == len(idx) and list(idx) == sorted(idx)
    assert np.array_equal(idx, sample_per_class(labels, 4, seed=0))
    assert not np.array_equal(idx, sample_per_class(labels, 4, seed=1))
    # the class order does not depend on the row order
    assert set(np.array(labels)[sample_per_class(labels[::-1], 2, seed=3)]) == {"a", "b", "c"}
    with pytest.raises(ValueError):
        sample_per_class(labels, 0)
    with pytest.raises(ValueError):
        sample_per_class([], 2)


def test_init_bert_weights_matches_the_scheme_and_is_seeded():
    from transformers import BertConfig as HFConfig
    from transformers import BertModel as HFModel

    cfg = bc.BertConfig.tiny()
    a = init_bert_weights(bc.BertModel(cfg), seed=5)
    b = init_bert_weights(bc.BertModel(cfg), seed=5)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))
    w = a.layers[0].intermediate.weight
    assert abs(w.std().item() - 0.02) < 0.002 and abs(w.mean().item()) < 0.002
    assert torch.all(a.layers[0].output_norm.weight == 1) and torch.all(a.layers[0].intermediate.bias == 0)
    assert torch.all(a.embeddings.word_embeddings.weight[cfg.pad_token_id] == 0)
    # the same statistics as Hugging Face's own initialisation of the same architecture
    torch.manual_seed(0)
    hf = HFModel(HFConfig(vocab_size=cfg.vocab_size, hidden_size=128, num_hidden_layers=2,
                          num_attention_heads=2, intermediate_size=512))
    ref = hf.encoder.layer[0].intermediate.dense.weight
    assert abs(ref.std().item() - w.std().item()) < 0.002
    with pytest.raises(TypeError):
        init_bert_weights("not a module")


FAST = dict(epochs=1, max_len=8, batch_size=64, lr=1e-3, head_init="random")  # a tiny, quick recipe


def test_few_shot_fine_tune_matches_a_direct_run_and_is_cached(tmp_path, monkeypatch, pretrained, one_thread):
    from bertcore.analysis.fewshot import few_shot_fine_tune

    monkeypatch.setenv("BERTCORE_CACHE", str(tmp_path))
    tok = pretrained[0]
    enc = init_bert_weights(bc.BertModel(bc.BertConfig.tiny(vocab_size=len(tok))), seed=0).eval()
    before = {k: v.clone() for k, v in enc.state_dict().items()}
    run = few_shot_fine_tune(enc, tok, "topics", per_class=2, seed=1, **FAST)
    assert all(torch.equal(v, enc.state_dict()[k]) for k, v in before.items())  # trains a copy
    # the same recipe by hand: draw 1, seed 1 for the head and the loop
    train, test = bc.load_topics("train"), bc.load_topics("test")
    rows = sample_per_class(train["label"], 2, seed=1)
    clf = bc.SequenceClassifier(bc.BertModel(enc.config), sorted(train["label"].unique()), pooling="mean", seed=1)
    clf.encoder.load_state_dict(enc.state_dict())
    for p in clf.encoder.embeddings.parameters():
        p.requires_grad_(False)
    hist = bc.fine_tune(clf, tok, train["text"].iloc[rows].tolist(), train["label"].iloc[rows].tolist(),
                        epochs=1, batch_size=64, lr=1e-3, max_len=8, seed=1)
    pred = bc.predict(clf, tok, test["text"].tolist(), max_len=8)
    assert run["rows"] == rows.tolist() and run["pred"] == pred and run["steps"] == len(hist)
    assert not run["cached"] and run["seconds_per_step"] > 0
    assert run["macro_f1"] == pytest.approx(bc.classification_scores(test["label"], pred, clf.labels)["macro_f1"])
    again = few_shot_fine_tune(enc, tok, "topics", per_class=2, seed=1, **FAST)
    assert again["cached"] and again["pred"] == run["pred"]
    assert len(list(tmp_path.glob("fewshot-topics-*.json"))) == 1
    other = few_shot_fine_tune(enc, tok, "topics", per_class=2, seed=2, **FAST)  # another draw, another entry
    assert other["rows"] != run["rows"] and len(list(tmp_path.glob("fewshot-topics-*.json"))) == 2


def test_few_shot_fine_tune_rejects_bad_arguments(pretrained):
    from bertcore.analysis.fewshot import few_shot_fine_tune

    tok, model = pretrained
    with pytest.raises(ValueError, match="task"):
        few_shot_fine_tune(model, tok, "news")
    with pytest.raises(ValueError, match="unknown settings"):
        few_shot_fine_tune(model, tok, "topics", epoch=3)
    with pytest.raises(ValueError, match="per class"):
        few_shot_fine_tune(model, tok, "topics", per_class=0)
    with pytest.raises(TypeError, match="BertModel"):
        few_shot_fine_tune("bert", tok, "topics")
