"""bertcore.variants.full_sentences: RoBERTa's FULL-SENTENCES packing keeps every token, in order, within budget."""
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
