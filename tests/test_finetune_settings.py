"""Fine-tuning settings added for chapter 5: truncation schemes, class weights, cached predictions."""
import copy

import numpy as np
import pytest
import torch

import bertcore as bc
from bertcore.analysis.long_documents import truncate_ids
from bertcore.support import cache
from bertcore.training.finetune import (
    SequenceClassifier,
    class_weights,
    encode_truncated,
    fine_tune,
    predict_proba,
)

TEXTS = ["great drug", "terrible side effects " * 30, "it was fine I guess", "no change at all"]
LABELS = ["pos", "neg", "neu", "neg"]

pytestmark = pytest.mark.usefixtures("one_thread")  # see conftest.py


def test_encode_truncated_head_is_the_tokenizer_and_head_tail_keeps_both_ends(pretrained):
    tok, _ = pretrained
    long = " ".join(f"w{i}" for i in range(300))
    texts = TEXTS + [long]
    assert encode_truncated(tok, texts, 16) == tok(texts, truncation=True, max_length=16)["input_ids"]
    ids = encode_truncated(tok, texts, 16, "head+tail")
    pieces = tok(long, add_special_tokens=False)["input_ids"]
    assert ids[-1] == [tok.cls_token_id, *pieces[:3], *pieces[-11:], tok.sep_token_id]  # 14 = 3 + 11
    assert ids[-1][1:-1] == truncate_ids(pieces, 14, "head+tail")
    assert ids[0] == tok(TEXTS[0])["input_ids"]  # short texts are not cut
    assert max(map(len, ids)) == 16  # the same cost as "head"
    with pytest.raises(ValueError, match="truncation must be one of"):
        encode_truncated(tok, texts, 16, "tail")
    with pytest.raises(ValueError, match="at least 3"):
        encode_truncated(tok, texts, 2, "head+tail")


def test_class_weights_match_scikit_learn():
    from sklearn.utils.class_weight import compute_class_weight

    labels = ["a"] * 6 + ["b"] * 3 + ["c"]
    ref = compute_class_weight("balanced", classes=np.array(["a", "b", "c"]), y=np.array(labels))
    np.testing.assert_allclose(class_weights(labels, ["a", "b", "c"]).numpy(), ref, rtol=1e-6)
    with pytest.raises(ValueError, match="missing"):
        class_weights(["a", "a"], ["a", "b"])
    with pytest.raises(ValueError, match="outside"):
        class_weights(["a", "z"], ["a"])


def test_weighted_loss_is_torch_weighted_cross_entropy(tiny, monkeypatch):
    tok, enc = tiny
    seen = []
    real = torch.nn.functional.cross_entropy

    def spy(logits, target, weight=None):
        seen.append(weight)
        return real(logits, target, weight=weight)

    monkeypatch.setattr(torch.nn.functional, "cross_entropy", spy)
    clf = SequenceClassifier(copy.deepcopy(enc), ["neg", "neu", "pos"])
    fine_tune(clf, tok, TEXTS, LABELS, epochs=1, batch_size=4, max_len=16, class_weight="balanced")
    np.testing.assert_allclose(seen[0].numpy(), [4 / 6, 4 / 3, 4 / 3])  # n / (C * n_c)
    seen.clear()
    fine_tune(clf, tok, TEXTS, LABELS, epochs=1, batch_size=4, max_len=16)
    assert seen == [None]
    with pytest.raises(ValueError, match="class_weight"):
        fine_tune(clf, tok, TEXTS, LABELS, class_weight="inverse")


def test_predict_uses_the_truncation_it_is_given(tiny):
    tok, enc = tiny
    clf = SequenceClassifier(enc, ["neg", "pos"], pooling="mean").eval()
    texts = ["good " * 5 + "bad " * 40]
    head = predict_proba(clf, tok, texts, max_len=12)
    both = predict_proba(clf, tok, texts, max_len=12, truncation="head+tail")
    batch = bc.collate(encode_truncated(tok, texts, 12, "head+tail"), tok.pad_token_id)
    with torch.no_grad():
        ref = clf(**batch).softmax(-1).numpy()
    np.testing.assert_allclose(both, ref, atol=1e-6)
    assert not np.allclose(head, both)


def test_new_settings_keep_old_cache_keys_and_cache_predictions(tiny, tmp_path, monkeypatch):
    import bertcore.support.finetuned_models as ft

    tok, enc = tiny
    monkeypatch.setenv("BERTCORE_CACHE", str(tmp_path))
    small = {split: bc.load_topics(split).groupby("label").head(3).reset_index(drop=True)
             for split in ("train", "test")}
    monkeypatch.setitem(ft.TASKS, "topics", lambda split: small[split].copy())  # a few reviews per class: fast
    kw = dict(epochs=1, max_len=8, batch_size=64, lr=1e-3)
    _, clf, info = ft.fine_tuned("topics", tokenizer=tok, encoder=enc, **kw)
    # the key of a default run is the key from before truncation/class_weight existed
    assert info["path"] == cache.entry_path("finetune-topics", {**ft.FINE_TUNE_DEFAULTS, **kw}, enc)
    _, clf2, info2 = ft.fine_tuned("topics", tokenizer=tok, encoder=enc, truncation="head+tail", **kw)
    assert info2["path"] != info["path"] and info2["settings"]["truncation"] == "head+tail"
    with pytest.raises(ValueError, match="truncation"):
        ft.fine_tuned("topics", tokenizer=tok, encoder=enc, truncation="middle")
    with pytest.raises(ValueError, match="class_weight"):
        ft.fine_tuned("topics", tokenizer=tok, encoder=enc, class_weight="inverse")

    texts = small["test"]["text"].tolist()
    probs = ft.fine_tuned_proba(clf2, tok, info2)
    np.testing.assert_allclose(probs, predict_proba(clf2, tok, texts, max_len=8, truncation="head+tail"),
                               atol=1e-6)
    monkeypatch.setattr(ft, "predict_proba", lambda *a, **k: pytest.fail("should load, not predict"))
    np.testing.assert_array_equal(ft.fine_tuned_proba(clf2, tok, info2), probs)
    with pytest.raises(TypeError, match="info"):
        ft.fine_tuned_proba(clf2, tok, {})
