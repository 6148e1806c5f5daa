"""The ecosystem path (AutoModelForSequenceClassification + Trainer) on a tiny saved model."""
import numpy as np
import pandas as pd
import pytest

import bertcore as bc

pytestmark = pytest.mark.usefixtures("one_thread")  # see conftest.py

TRAIN = pd.DataFrame({"text": ["good", "bad", "great stuff", "awful pain", "fine", "worse", "nice", "sick"],
                      "label": ["pos", "neg", "pos", "neg", "pos", "neg", "pos", "neg"]})
TEST = pd.DataFrame({"text": ["good", "awful", "nice one"], "label": ["pos", "neg", "pos"]})
RECIPE = dict(max_len=16, epochs=2, lr=1e-3, batch_size=3, warmup=0.25, weight_decay=0.01, seed=0)


@pytest.fixture(scope="module")
def tiny_folder(pretrained, tmp_path_factory):
    """A tiny random BERT saved with the real tokenizer, as a folder from_pretrained can read."""
    import torch
    from transformers import BertConfig, BertModel

    tok, _ = pretrained
    torch.manual_seed(0)
    model = BertModel(BertConfig(vocab_size=len(tok), hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                                 intermediate_size=32, max_position_embeddings=64))
    folder = tmp_path_factory.mktemp("tiny-bert")
    model.save_pretrained(folder)
    tok.save_pretrained(folder)
    return folder


def test_trainer_follows_our_schedule_and_is_seeded(tiny_folder, tmp_path, monkeypatch):
    from bertcore.training.hf_trainer import train_with_trainer

    monkeypatch.chdir(tmp_path)  # nothing may be written into the working folder
    runs = [train_with_trainer(str(tiny_folder), TRAIN, TEST, **RECIPE) for _ in range(2)]
    out = runs[0]
    steps = 2 * 3  # ceil(8 / 3) batches per epoch, 2 epochs
    assert out["labels"] == ["neg", "pos"] and len(out["history"]) == steps
    # the learning rate used at each step is the book's warm-up then linear decay
    ref = [RECIPE["lr"] * bc.linear_schedule(s, steps, int(np.ceil(0.25 * steps))) for s in range(steps)]
    np.testing.assert_allclose(out["history"]["lr"], ref, rtol=1e-6, atol=1e-12)
    assert out["test_proba"].shape == (3, 2) and np.allclose(out["test_proba"].sum(1), 1, atol=1e-5)
    np.testing.assert_allclose(runs[1]["test_proba"], out["test_proba"], atol=1e-6)  # same seed, same run
    assert list(tmp_path.iterdir()) == []
    # class weights change the run when the classes are unbalanced (and only then)
    skewed = TRAIN.assign(label=["pos"] * 6 + ["neg"] * 2)
    plain, weighted = (train_with_trainer(str(tiny_folder), skewed, TEST, class_weight=w, **RECIPE)
                       for w in (None, "balanced"))
    assert not np.allclose(plain["test_proba"], weighted["test_proba"], atol=1e-4)


def test_trainer_probe_head_is_the_sklearn_probe_on_pooler_features(tiny_folder):
    import torch
    from transformers import AutoTokenizer, BertModel

    from bertcore.analysis.baselines import logistic_regression
    from bertcore.training.hf_trainer import train_with_trainer

    frozen = {**RECIPE, "lr": 0.0}  # no step moves a weight: the head stays where the probe put it
    out = train_with_trainer(str(tiny_folder), TRAIN, TEST, head_init="probe", **frozen)
    tok, enc = AutoTokenizer.from_pretrained(tiny_folder), BertModel.from_pretrained(tiny_folder).eval()

    def pooled(frame):  # the classifier's input: the pooler output of the frozen encoder
        with torch.no_grad():
            return enc(**tok(frame["text"].tolist(), truncation=True, max_length=RECIPE["max_len"], padding=True,
                             return_tensors="pt")).pooler_output.numpy()  # (N, H)

    probe = logistic_regression().fit(pooled(TRAIN), TRAIN["label"])  # classes sorted: neg, pos = out's labels
    np.testing.assert_allclose(out["test_proba"], probe.predict_proba(pooled(TEST)), atol=1e-4)
    with pytest.raises(ValueError, match="head_init"):
        train_with_trainer(str(tiny_folder), TRAIN, TEST, head_init="zeros", **RECIPE)


def test_trainer_fine_tuned_caches_and_validates(tiny_folder, tmp_path, monkeypatch):
    import bertcore.training.hf_trainer as hf

    monkeypatch.setenv("BERTCORE_CACHE", str(tmp_path))
    monkeypatch.setenv("BERTCORE_MODEL", str(tiny_folder))
    monkeypatch.setitem(hf.TASKS, "reviews", lambda split: TRAIN if split == "train" else TEST)
    kw = {k: v for k, v in RECIPE.items()}
    first = hf.trainer_fine_tuned("reviews", **kw)
    weighted = hf.trainer_fine_tuned("reviews", **{**kw, "class_weight": "balanced"})
    assert weighted["path"] != first["path"] and weighted["settings"]["class_weight"] == "balanced"
    # the library's random head is the default, and naming it keeps the same cache entry
    assert first["settings"]["head_init"] == "random"
    assert hf.trainer_fine_tuned("reviews", head_init="random", **kw)["cached"]
    with pytest.raises(ValueError, match="head_init"):
        hf.trainer_fine_tuned("reviews", head_init="mean", **kw)
    with pytest.raises(ValueError, match="class_weight"):
        hf.train_with_trainer(str(tiny_folder), TRAIN, TEST, **{**kw, "class_weight": "inverse"})
    monkeypatch.setattr(hf, "train_with_trainer", lambda *a, **k: pytest.fail("should load, not train"))
    second = hf.trainer_fine_tuned("reviews", **kw)
    assert not first["cached"] and second["cached"] and first["path"] == second["path"]
    np.testing.assert_array_equal(first["test_proba"], second["test_proba"])
    assert second["history"].equals(first["history"]) and second["settings"]["freeze_embeddings"] is True
    assert hf.trainer_fine_tuned("reviews", pooling="pooler", **kw)["cached"]  # the library's head: same entry
    with pytest.raises(ValueError, match="pooler"):
        hf.trainer_fine_tuned("reviews", pooling="mean")
    with pytest.raises(ValueError, match="unknown settings"):
        hf.trainer_fine_tuned("reviews", dropout=0.2)
    with pytest.raises(ValueError, match="task"):
        hf.trainer_fine_tuned("ner")
