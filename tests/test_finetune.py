"""bertcore.training.batching / finetune / metrics / baselines / finetuned against references.

References: the tokenizer itself, transformers' linear schedule, scikit-learn's metrics,
sentence-transformers' mean pooling, and Hugging Face's BertModel for the classifier.
"""
import numpy as np
import pytest
import torch

import bertcore as bc
from bertcore.analysis.baselines import logistic_regression, tfidf_baseline
from bertcore.analysis.metrics import classification_scores
from bertcore.training.batching import bucket_batches, collate, encode_ids, padded_tokens
from bertcore.training.finetune import (
    SequenceClassifier,
    evaluate_classifier,
    fine_tune,
    init_head_from_probe,
    predict,
    predict_proba,
)
from bertcore.training.loop import linear_schedule

TEXTS = ["great drug, no side effects", "terrible, it made me sick", "it was fine I guess",
         "works well and fast", "awful headaches every day", "best thing I tried",
         "I feel worse than before", "okay"]
LABELS = ["pos", "neg", "pos", "pos", "neg", "pos", "neg", "pos"]


pytestmark = pytest.mark.usefixtures("one_thread")  # see conftest.py


# ---- batching -----------------------------------------------------------------------------

def test_encode_matches_tokenizer_truncation(pretrained):
    tok, _ = pretrained
    ids = encode_ids(tok, TEXTS + ["word " * 200], max_len=16)
    assert ids == tok(TEXTS + ["word " * 200], truncation=True, max_length=16)["input_ids"]
    assert max(len(r) for r in ids) == 16 and all(r[0] == tok.cls_token_id for r in ids)
    with pytest.raises(TypeError, match="wrap it"):
        encode_ids(tok, "one string")
    with pytest.raises(ValueError):
        encode_ids(tok, TEXTS, max_len=2)


def test_bucket_batches_partition_and_determinism():
    rng = np.random.default_rng(0)
    lengths = rng.integers(5, 130, size=101).tolist()
    plain = bucket_batches(lengths, 8)
    assert sorted(i for b in plain for i in b) == list(range(101))  # every row exactly once
    assert plain == bucket_batches(lengths, 8)  # no generator: same every time
    a = bucket_batches(lengths, 8, generator=torch.Generator().manual_seed(3))
    b = bucket_batches(lengths, 8, generator=torch.Generator().manual_seed(3))
    c = bucket_batches(lengths, 8, generator=torch.Generator().manual_seed(4))
    assert a == b and a != c
    assert sorted(i for batch in a for i in batch) == list(range(101))
    # grouping by length pads far less than random batches
    random_batches = [list(range(i, min(i + 8, 101))) for i in range(0, 101, 8)]
    assert padded_tokens(lengths, a) < 0.75 * padded_tokens(lengths, random_batches)
    assert bucket_batches([5, 9, 6], 2) == [[0, 2], [1]]
    with pytest.raises(ValueError):
        bucket_batches(lengths, 0)


def test_collate_pads_and_masks():
    out = collate([[101, 7, 102], [101, 102]], pad_id=0)
    assert out["input_ids"].tolist() == [[101, 7, 102], [101, 102, 0]]
    assert out["attention_mask"].tolist() == [[1, 1, 1], [1, 1, 0]]


# ---- classifier -----------------------------------------------------------------------------

@pytest.mark.parametrize("pooling", ["pooler", "cls", "mean"])
def test_classifier_same_on_hf_and_bertcore_encoder(pretrained, pooling):
    tok, hf = pretrained
    ours = bc.BertModel.from_pretrained(hf)
    a = SequenceClassifier(hf, ["a", "b", "c"], pooling=pooling, seed=1).eval()
    b = SequenceClassifier(ours, ["a", "b", "c"], pooling=pooling, seed=1).eval()
    batch = collate(encode_ids(tok, TEXTS[:4]), tok.pad_token_id)
    with torch.no_grad():
        la, lb = a(**batch), b(**batch)
    assert la.shape == (4, 3)
    torch.testing.assert_close(la, lb, atol=1e-5, rtol=1e-4)


def test_padding_does_not_change_predictions(pretrained):
    tok, hf = pretrained
    clf = SequenceClassifier(hf, ["a", "b"], pooling="mean").eval()
    alone = np.concatenate([predict_proba(clf, tok, [t]) for t in TEXTS])
    together = predict_proba(clf, tok, TEXTS, batch_size=8)  # padded batches, reordered inside
    np.testing.assert_allclose(alone, together, atol=1e-5)


def test_classifier_validates_arguments(tiny):
    _, enc = tiny
    with pytest.raises(ValueError, match="pooling"):
        SequenceClassifier(enc, ["a", "b"], pooling="max")
    with pytest.raises(ValueError, match="distinct"):
        SequenceClassifier(enc, ["a"])
    with pytest.raises(TypeError):
        SequenceClassifier(torch.nn.Linear(2, 2), ["a", "b"])


def test_linear_schedule_matches_transformers():
    from transformers import get_linear_schedule_with_warmup

    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    sched = get_linear_schedule_with_warmup(opt, num_warmup_steps=3, num_training_steps=20)
    ref = [sched.lr_lambdas[0](s) for s in range(22)]
    assert ref == pytest.approx([linear_schedule(s, 20, 3) for s in range(22)])


def test_train_learns_is_deterministic_and_respects_frozen(tiny):
    tok, enc = tiny
    runs = []
    for _ in range(2):
        clf = SequenceClassifier(bc.BertModel(enc.config), ["neg", "pos"], pooling="cls")
        clf.encoder.load_state_dict(enc.state_dict())
        frozen = clf.encoder.embeddings.word_embeddings.weight
        frozen.requires_grad_(False)
        before = frozen.clone()
        hist = fine_tune(clf, tok, TEXTS, LABELS, epochs=25, batch_size=4, lr=1e-3, max_len=16, seed=7)
        runs.append((hist, predict_proba(clf, tok, TEXTS)))
        assert torch.equal(before, frozen)  # frozen weights untouched
        assert not clf.training  # left in eval mode
    hist, probs = runs[0]
    assert list(hist.columns) == ["epoch", "step", "loss", "lr", "seconds"]
    assert len(hist) == 25 * 2 and hist["lr"].iloc[-1] == pytest.approx(0.0)
    assert hist["loss"].tail(4).mean() < 0.5 * hist["loss"].head(4).mean()  # it learns
    assert predict(clf, tok, TEXTS) == LABELS  # fits the training set
    np.testing.assert_array_equal(probs, runs[1][1])  # same seed, same model
    with pytest.raises(ValueError, match="not among"):
        fine_tune(clf, tok, TEXTS, ["bad"] * len(TEXTS))


@pytest.mark.parametrize("pooling,names", [("mean", ["pos", "neg"]), ("pooler", ["pos", "neg", "meh"])])
def test_head_from_probe_predicts_like_the_sklearn_probe(tiny, pooling, names):
    tok, enc = tiny
    labels = [names[i % len(names)] for i in range(len(TEXTS))]
    clf = SequenceClassifier(enc, names, pooling=pooling).eval()  # not sklearn's sorted order
    init_head_from_probe(clf, tok, TEXTS, labels, max_len=16)
    batch = collate(encode_ids(tok, TEXTS, 16), tok.pad_token_id)
    with torch.no_grad():
        feats = clf.pool(enc(**batch), batch["attention_mask"]).numpy()
        probs = clf(**batch).softmax(-1).numpy()
    probe = logistic_regression().fit(feats, labels)  # the reference, fitted here
    ref = probe.predict_proba(feats)  # columns in sklearn's sorted class order
    np.testing.assert_allclose(probs, ref[:, [list(probe.classes_).index(n) for n in names]], atol=1e-5)
    with pytest.raises(ValueError, match="not among"):
        init_head_from_probe(clf, tok, TEXTS, ["x"] * len(TEXTS))


def test_evaluate_matches_sklearn(tiny):
    from sklearn.metrics import accuracy_score, f1_score

    tok, enc = tiny
    clf = SequenceClassifier(enc, ["neg", "pos"])
    pred = predict(clf, tok, TEXTS)
    res = evaluate_classifier(clf, tok, TEXTS, LABELS)
    assert res["accuracy"] == pytest.approx(accuracy_score(LABELS, pred))
    assert res["macro_f1"] == pytest.approx(f1_score(LABELS, pred, average="macro", zero_division=0))
    assert res["confusion"].to_numpy().sum() == len(TEXTS)


def test_classification_scores_by_hand():
    res = classification_scores(["a", "a", "b", "c"], ["a", "b", "b", "b"], ["a", "b", "c"])
    assert res["accuracy"] == 0.5
    # F1: a = 2/3, b = 2*0.333*1/(1.333) = 0.5, c = 0 -> mean 7/18
    assert res["macro_f1"] == pytest.approx((2 / 3 + 0.5 + 0) / 3)
    assert res["confusion"].loc["a", "b"] == 1 and res["confusion"].loc["c"].sum() == 1
    assert list(res["report"].index) == ["a", "b", "c"]
    with pytest.raises(ValueError, match="not in labels"):
        classification_scores(["a"], ["z"], ["a", "b"])


# ---- baselines ------------------------------------------------------------------------------

def test_tfidf_baseline_separates_easy_classes():
    texts = ["good great fine"] * 5 + ["bad awful sick"] * 5
    labels = ["pos"] * 5 + ["neg"] * 5
    pipe = tfidf_baseline(texts, labels)
    assert list(pipe.predict(["great", "awful sick"])) == ["pos", "neg"]
    with pytest.raises(ValueError):
        tfidf_baseline(texts, labels[:3])
    with pytest.raises(ValueError):
        logistic_regression(C=0)


# ---- cache ----------------------------------------------------------------------------------

def test_fine_tuned_trains_once_then_loads(tiny, tmp_path, monkeypatch):
    import bertcore.support.finetuned_models as ft

    tok, enc = tiny
    monkeypatch.setenv("BERTCORE_CACHE", str(tmp_path))
    kw = dict(epochs=1, max_len=16, batch_size=32, lr=1e-3)
    snapshot = {k: v.clone() for k, v in enc.state_dict().items()}
    _, first, info1 = ft.fine_tuned("topics", tokenizer=tok, encoder=enc, **kw)
    _, second, info2 = ft.fine_tuned("topics", tokenizer=tok, encoder=enc, **kw)
    assert not info1["cached"] and info2["cached"] and info1["path"] == info2["path"]
    assert len(info2["history"]) == len(info1["history"]) > 0
    for (k, a), b in zip(first.state_dict().items(), second.state_dict().values(), strict=True):
        assert torch.equal(a, b), k
    assert first.labels == sorted(bc.load_topics("train")["label"].unique())
    # the caller's encoder is copied, never trained in place
    assert all(torch.equal(v, snapshot[k]) for k, v in enc.state_dict().items())
    _, _, info3 = ft.fine_tuned("topics", tokenizer=tok, encoder=enc, **{**kw, "seed": 1})
    assert info3["path"] != info1["path"]  # other settings, other folder
    with pytest.raises(ValueError, match="unknown settings"):
        ft.fine_tuned("topics", tokenizer=tok, encoder=enc, epoch=3)
    with pytest.raises(ValueError, match="task"):
        ft.fine_tuned("ner")


def test_paired_bootstrap_matches_scikit_learn_and_measures_test_set_noise():
    from sklearn.metrics import f1_score

    import bertcore as bc

    rng = np.random.default_rng(1)
    labels = ["neg", "neu", "pos"]
    y = list(rng.choice(labels, 200))
    a = [t if rng.random() < 0.7 else rng.choice(labels) for t in y]  # better system
    b = [t if rng.random() < 0.5 else rng.choice(labels) for t in y]
    gap, gaps = bc.paired_bootstrap(y, a, b, labels, draws=400, seed=0)
    f1 = lambda p: f1_score(y, p, labels=labels, average="macro", zero_division=0)  # noqa: E731
    assert gap == pytest.approx(f1(a) - f1(b), abs=1e-12)
    assert gaps.shape == (400,)
    assert abs(gaps.mean() - gap) < 0.02  # centred on the observed gap
    assert 0.01 < gaps.std() < 0.08  # the noise of a 200-example test set
    again = bc.paired_bootstrap(y, a, b, labels, draws=400, seed=0)[1]
    assert np.array_equal(gaps, again)  # seeded
    same, same_gaps = bc.paired_bootstrap(y, a, a, labels, draws=50)
    assert same == 0 and not same_gaps.any()  # paired: a system against itself never differs
    with pytest.raises(ValueError, match="one entry per example"):
        bc.paired_bootstrap(y, a[:-1], b, labels)
    with pytest.raises(ValueError, match="not in labels"):
        bc.paired_bootstrap(y, a, b, labels[:2])
    with pytest.raises(ValueError, match="draws"):
        bc.paired_bootstrap(y, a, b, labels, draws=0)


def test_gap_verdict_is_the_books_rule():
    import bertcore as bc

    word, bar = bc.gap_verdict([0.063, 0.055, 0.004])  # chapter 11's head+tail gaps: uneven, a tie
    assert word == "tied" and bar == pytest.approx(2 * np.std([0.063, 0.055, 0.004], ddof=1))
    assert bc.gap_verdict([0.10, 0.11, 0.12])[0] == "ahead"
    assert bc.gap_verdict([-0.10, -0.11, -0.12])[0] == "behind"
    # a deterministic control: the test-set noise sets the bar when it is the larger spread
    assert bc.gap_verdict([0.05, 0.05, 0.05], noise_sd=0.03) == ("tied", pytest.approx(0.06))
    assert bc.gap_verdict([0.05, 0.05, 0.05], noise_sd=0.01) == ("ahead", pytest.approx(0.02))
    for bad in ([0.1, 0.2], [0.1, np.nan, 0.2], [[0.1, 0.2, 0.3]]):
        with pytest.raises(ValueError, match="at least 3"):
            bc.gap_verdict(bad)
    with pytest.raises(ValueError, match="noise_sd"):
        bc.gap_verdict([0.1, 0.2, 0.3], noise_sd=-1)
