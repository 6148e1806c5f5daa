"""bertcore.variants.full_sentences: FULL-SENTENCES packing keeps every token in order within budget; recipe_run."""
import random

import pytest

from bertcore.variants.full_sentences import pack_full_sentences

SEP = -1


def _random_documents(rng, n_docs=12):
    return [[[rng.randrange(100) for _ in range(rng.randrange(1, 9))] for _ in range(rng.randrange(1, 6))]
            for _ in range(n_docs)]


def test_docstring_example_and_boundaries():
    assert pack_full_sentences([[[1, 2], [3]], [[4]]], 4, 0) == [[1, 2, 3, 0], [4]]
    assert pack_full_sentences([[[1, 2], [3]], [[4]]], 5, 0) == [[1, 2, 3, 0, 4]]
    assert pack_full_sentences([[[1, 2, 3]], [[4]]], 3, 0) == [[1, 2, 3], [4]]   # no room for the separator
    assert pack_full_sentences([], 8, 0) == []


@pytest.mark.parametrize("max_len", [1, 5, 8, 16, 64])
def test_every_token_in_order_within_budget(max_len):
    rng = random.Random(max_len)
    for _ in range(20):
        docs = _random_documents(rng)
        seqs = pack_full_sentences(docs, max_len, SEP)
        assert all(1 <= len(s) <= max_len for s in seqs)
        flat = [i for s in seqs for i in s if i != SEP]
        expected = [i for doc in docs for sent in doc for i in sent[:max_len]]
        assert flat == expected
        assert sum(s.count(SEP) for s in seqs) <= len(docs) - 1


def test_sentences_are_never_split_when_they_fit():
    rng = random.Random(0)
    docs = _random_documents(rng, 30)
    seqs = pack_full_sentences(docs, 16, SEP)
    starts, pos = set(), 0                        # positions (in the flat stream) where sentences start
    for doc in docs:
        for sent in doc:
            starts.add(pos)
            pos += len(sent)
    pos = 0
    for s in seqs:                                # every sequence starts at a sentence start
        assert pos in starts
        pos += sum(1 for i in s if i != SEP)


@pytest.mark.parametrize("call, error", [
    (lambda: pack_full_sentences([[[1]]], 0, 0), ValueError),
    (lambda: pack_full_sentences([[[1]]], 4, "0"), TypeError),
    (lambda: pack_full_sentences([[["a"]]], 4, 0), TypeError),
    (lambda: pack_full_sentences("text", 4, 0), TypeError),
])
def test_bad_arguments_raise(call, error):
    with pytest.raises(error):
        call()


def test_recipe_run_matches_pretrain_and_is_cached(tmp_path, monkeypatch, pretrained):
    import bertcore as bc
    from bertcore.variants.full_sentences import recipe_run

    monkeypatch.setenv("BERTCORE_CACHE", str(tmp_path))
    texts = ["the pill helped me sleep. i felt calm. no side effects at all.",
             "terrible nausea for days. i stopped after a week. never again."] * 3
    tok = bc.to_fast_tokenizer(bc.train_wordpiece(texts, 120))
    docs = [bc.split_sentences(t) for t in texts]
    kw = dict(steps=4, batch_size=4, max_len=16, lr=1e-3, eval_pairs=8)
    run = recipe_run(tok, docs, docs[:2], seed=1, dynamic_masking=False, **kw)
    assert not run["cached"] and len(run["history"]) == 4 and run["seconds per step"] > 0
    # the reference: the same pre-training and scoring by hand
    cfg = bc.BertConfig.tiny(vocab_size=len(tok))
    model, hist = bc.pretrain(cfg, tokenizer=tok, documents=docs, objectives="mlm", dynamic_masking=False,
                              steps=4, batch_size=4, max_len=16, lr=1e-3, seed=1)
    held = bc.evaluate_pretraining(model, tok, docs[:2], objectives="mlm", max_len=16, max_pairs=8)
    assert run["test loss"] == pytest.approx(held["mlm_loss"], rel=1e-5)
    assert run["train loss (last 10 steps)"] == pytest.approx(hist["mlm_loss"].mean(), rel=1e-5)
    again = recipe_run(tok, docs, docs[:2], seed=1, dynamic_masking=False, **kw)
    assert again["cached"] and again["test loss"] == run["test loss"]
    nsp = recipe_run(tok, docs, docs[:2], seed=1, objectives="mlm+nsp", **kw)  # another setting, another entry
    assert 0 <= nsp["NSP accuracy (last 10 steps)"] <= 1 and len(list(tmp_path.glob("recipe-run-*.json"))) == 2
    with pytest.raises(ValueError, match="eval_pairs"):
        recipe_run(tok, docs, docs, eval_pairs=0)
    with pytest.raises(TypeError, match="tokenizer"):
        recipe_run("tok", docs, docs)
