"""bertcore.analysis.contextual against direct indexing of the Hugging Face model's hidden states."""
import pytest
import torch

import bertcore as bc
from bertcore.analysis.contextual import (
    batch_word_vectors,
    hidden_states,
    sense_separation,
    static_vector,
    word_token_span,
    word_vectors,
)


def test_span_single_and_multi_piece(pretrained):
    tok, _ = pretrained
    text = "I sat on the bank. Then the bank closed."
    ids = tok(text)["input_ids"]
    s, e = word_token_span(tok, text, "bank", occurrence=1)
    assert e - s == 1 and tok.convert_ids_to_tokens(ids[s]) == "bank"
    assert word_token_span(tok, text, "BANK") < (s, e)  # case-insensitive, first occurrence earlier
    text = "Escitalopram helped me."
    s, e = word_token_span(tok, text, "escitalopram")
    pieces = tok.convert_ids_to_tokens(tok(text)["input_ids"][s:e])
    assert len(pieces) > 1 and pieces[0] == tok.tokenize("escitalopram")[0]
    assert "".join(p.removeprefix("##") for p in pieces) == "escitalopram"


def test_span_errors(pretrained):
    tok, _ = pretrained
    with pytest.raises(ValueError, match="occurs 0 time"):
        word_token_span(tok, "embankment", "bank")  # whole words only
    with pytest.raises(ValueError, match="occurrence"):
        word_token_span(tok, "bank", "bank", occurrence=-1)
    with pytest.raises(ValueError, match="non-empty"):
        word_token_span(tok, "bank", " ")


def test_word_vectors_match_hf_hidden_states(pretrained):
    tok, model = pretrained
    text = "The nurse said the patch irritates the skin."
    enc = tok(text, return_tensors="pt")
    with torch.no_grad():
        ref = model(**enc, output_hidden_states=True).hidden_states
    s, e = word_token_span(tok, text, "irritates")
    got = word_vectors(model, tok, text, "irritates")
    want = torch.stack([h[0, s:e].mean(0) for h in ref])
    assert got.shape == (model.config.num_hidden_layers + 1, model.config.hidden_size)
    torch.testing.assert_close(got, want, atol=0, rtol=0)
    # bertcore's own encoder gives the same vectors
    core = bc.BertModel.from_pretrained(model)
    torch.testing.assert_close(word_vectors(core, tok, text, "irritates"), want, atol=1e-5, rtol=1e-4)


def test_causal_mask_only_with_bertcore(pretrained):
    tok, model = pretrained
    enc_a = tok("the river bank flooded", return_tensors="pt")
    enc_b = tok("the river bank closed", return_tensors="pt")
    T = enc_a["input_ids"].shape[1]
    assert enc_b["input_ids"].shape[1] == T
    causal = torch.tril(torch.ones(T, T, dtype=torch.bool))
    with pytest.raises(ValueError, match="bertcore.BertModel"):
        hidden_states(model, enc_a, causal)
    core = bc.BertModel.from_pretrained(model)
    # 'bank' (position 3) sees only its left under the causal mask: an edit to its right is invisible
    causal_a, causal_b = (hidden_states(core, e, causal)[-1][0, 3] for e in (enc_a, enc_b))
    assert torch.equal(causal_a, causal_b)
    full_a, full_b = (hidden_states(core, e)[-1][0, 3] for e in (enc_a, enc_b))
    assert (full_a - full_b).abs().max() > 1e-2


def test_static_vector_is_the_table_row(pretrained):
    tok, model = pretrained
    row = model.embeddings.word_embeddings.weight[tok.convert_tokens_to_ids("bank")]
    torch.testing.assert_close(static_vector(model, tok, "bank"), row.detach(), atol=0, rtol=0)
    with pytest.raises(ValueError):
        static_vector(model, tok, "")


def test_batch_equals_one_by_one(pretrained):
    tok, model = pretrained
    texts = ["The bank closed.", "We fished from the muddy bank of the wide river all day.", "Bank fees rose."]
    got = batch_word_vectors(model, tok, texts, "bank")
    want = torch.stack([word_vectors(model, tok, t, "bank") for t in texts])
    assert got.shape == want.shape == (3, model.config.num_hidden_layers + 1, model.config.hidden_size)
    torch.testing.assert_close(got, want, atol=1e-5, rtol=1e-4)  # padding is masked out
    with pytest.raises(TypeError, match="list"):
        batch_word_vectors(model, tok, "The bank closed.", "bank")
    with pytest.raises(ValueError, match="occurs 0"):
        batch_word_vectors(model, tok, ["no such word"], "bank")


def test_batch_causal_equals_one_by_one(pretrained):
    tok, model = pretrained
    core = bc.BertModel.from_pretrained(model)
    texts = ["The bank closed early today.", "The bank of the river flooded after a week of rain."]
    got = batch_word_vectors(core, tok, texts, "bank", causal=True)
    for i, t in enumerate(texts):
        T = len(tok(t)["input_ids"])
        want = word_vectors(core, tok, t, "bank", attention_mask=torch.tril(torch.ones(T, T, dtype=torch.bool)))
        torch.testing.assert_close(got[i], want, atol=1e-5, rtol=1e-4)
    # position 2 sees only [CLS] the bank: both texts agree at every layer
    torch.testing.assert_close(got[0], got[1], atol=1e-5, rtol=1e-4)


def test_sense_separation():
    gen = torch.Generator().manual_seed(0)
    X = torch.randn(6, 8, generator=gen, dtype=torch.float64)
    labels = ["a", "a", "a", "b", "b", "b"]
    cos = torch.nn.functional.cosine_similarity(X[:, None], X[None, :], dim=-1)
    within = [cos[i, j] for i in range(6) for j in range(6) if i != j and labels[i] == labels[j]]
    across = [cos[i, j] for i in range(6) for j in range(6) if labels[i] != labels[j]]
    want = float(torch.stack(within).mean() - torch.stack(across).mean())
    assert abs(sense_separation(X, labels) - want) < 1e-12
    # two clean directions: within = 1, across = 0
    assert sense_separation(torch.eye(2).repeat(2, 1), ["a", "b", "a", "b"]) == pytest.approx(1.0)
    # identical vectors for both labels: nothing to separate
    assert sense_separation(torch.ones(4, 3), ["a", "b", "a", "b"]) == pytest.approx(0.0)
    with pytest.raises(ValueError, match="one label per row"):
        sense_separation(X, labels[:5])
    with pytest.raises(ValueError, match="two different labels"):
        sense_separation(X, ["a"] * 6)


def test_batch_causal_when_batch_size_equals_length(pretrained):
    tok, model = pretrained
    core = bc.BertModel.from_pretrained(model)
    texts = ["the bank " + w for w in ["closed", "opened", "flooded", "grew", "paid"]]
    assert tok(texts, return_tensors="pt", padding=True)["input_ids"].shape == (5, 5)  # B == T
    got = batch_word_vectors(core, tok, texts, "bank", causal=True)
    # 'bank' sees only [CLS] the bank: identical in all four under a causal mask
    for i in range(1, 5):
        torch.testing.assert_close(got[i], got[0], atol=1e-6, rtol=1e-5)
