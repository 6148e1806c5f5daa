"""bertcore.training.vocab against the tokenizers library's WordPiece and byte-level BPE trainers."""
import random

import pytest
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers

import bertcore as bc
from bertcore.tokenization import SPECIAL_TOKENS
from bertcore.training.vocab import BPE_SPECIAL_TOKENS, learn_merges, train_byte_bpe, train_wordpiece, word_counts


@pytest.fixture(scope="module")
def texts():
    return list(bc.load_reviews("train").text)


def _reference_wordpiece(texts, size):
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.train_from_iterator(texts, trainers.WordPieceTrainer(
        vocab_size=size, min_frequency=2, special_tokens=list(SPECIAL_TOKENS), show_progress=False))
    return tok


def test_classic_bpe_example_merges_most_frequent_pairs_first():
    # Sennrich et al.'s toy corpus; ties (e+s vs s+t, l+o vs o+w) go to the older tokens.
    _, merges = learn_merges({"low": 5, "lower": 2, "newest": 6, "widest": 3}, 4, prefix="")
    assert merges == [("e", "s"), ("es", "t"), ("l", "o"), ("lo", "w")]


def test_likelihood_prefers_pairs_whose_parts_are_rare():
    counts = {"ab": 10, "ac": 100, "dc": 100}
    assert learn_merges(counts, 1)[1] == [("a", "##c")]                        # most frequent
    assert learn_merges(counts, 1, criterion="likelihood")[1] == [("a", "##b")]  # 10/(110*10) wins


@pytest.mark.parametrize("size", [300, 1000])
def test_same_tokens_as_tokenizers_wordpiece_trainer(texts, size):
    mine = train_wordpiece(texts, size)
    assert len(mine.vocab) == size
    assert set(mine.vocab) == set(_reference_wordpiece(texts, size).get_vocab())


def test_trained_vocab_tokenizes_like_tokenizers_wordpiece(texts):
    mine = train_wordpiece(texts, 1000)
    ref = Tokenizer(models.WordPiece(mine.vocab, unk_token="[UNK]"))
    ref.normalizer = normalizers.BertNormalizer(lowercase=True)
    ref.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    for text in bc.load_reviews("test").text[:100]:
        assert mine.tokenize(text) == ref.encode(text, add_special_tokens=False).tokens


def test_smaller_vocabulary_is_a_prefix_and_training_is_deterministic(texts):
    big, small = train_wordpiece(texts, 1500), train_wordpiece(texts, 700)
    assert list(small.vocab) == list(big.vocab)[:700]
    assert list(train_wordpiece(texts, 700).vocab) == list(small.vocab)
    assert list(big.vocab)[:5] == list(SPECIAL_TOKENS)


def test_runs_out_of_pairs_below_requested_size():
    tok = train_wordpiece(["low lower lowest"] * 3, 1000)
    assert len(tok.vocab) < 1000 and "lowest" in tok.vocab


def test_byte_bpe_matches_tokenizers_and_never_needs_unknown(texts):
    mine = train_byte_bpe(texts, 600)
    ref = Tokenizer(models.BPE())
    ref.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    ref.train_from_iterator(texts, trainers.BpeTrainer(
        vocab_size=600, min_frequency=2, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        special_tokens=list(BPE_SPECIAL_TOKENS), show_progress=False))
    assert set(mine.get_vocab()) == set(ref.get_vocab())
    rng = random.Random(0)
    for _ in range(50):
        # any code points but surrogates (not valid in UTF-8 strings)
        text = "".join(chr(c) for c in (rng.randrange(32, 0x1FFFF) for _ in range(rng.randrange(1, 30)))
                       if not 0xD800 <= c <= 0xDFFF)
        ids = mine.encode(text).ids
        assert mine.token_to_id("<unk>") not in ids
        assert mine.decode(ids) == text


def test_word_counts_use_berts_basic_split():
    assert word_counts(["Café, café!"]) == {"cafe": 2, ",": 1, "!": 1}


@pytest.mark.parametrize("call, error", [
    (lambda: train_wordpiece("one text", 100), TypeError),
    (lambda: train_wordpiece(["abc"], 3), ValueError),
    (lambda: train_wordpiece(["abc"], 100, criterion="bpe"), ValueError),
    (lambda: learn_merges({"a": 0}, 1), TypeError),
    (lambda: train_byte_bpe(["abc"], 100), ValueError),
])
def test_bad_arguments_raise(call, error):
    with pytest.raises(error):
        call()


def test_byte_bpe_prefix_of_merges_is_a_smaller_vocabulary(texts):
    from bertcore.training.vocab import byte_bpe_tokenizer, byte_level_words

    _, merges = learn_merges(byte_level_words(texts[:100]), 300, prefix="")
    small, big = byte_bpe_tokenizer(merges[:100]), byte_bpe_tokenizer(merges)
    assert small.get_vocab_size() == 261 + 100 and big.get_vocab_size() == 261 + 300
    text = texts[0]
    assert len(big.encode(text).ids) <= len(small.encode(text).ids)
    assert small.decode(small.encode(text).ids) == text == big.decode(big.encode(text).ids)
    with pytest.raises(ValueError):
        byte_bpe_tokenizer([("zz", "q")])


def test_fast_tokenizer_encodes_pairs_like_our_wordpiece(texts):
    from bertcore.training.vocab import to_fast_tokenizer

    ours = train_wordpiece(texts[:200], 800)
    fast = to_fast_tokenizer(ours)
    assert len(fast) == len(ours.vocab) and fast.mask_token_id == ours.mask_token_id
    for a, b in zip(texts[200:260], texts[260:320], strict=True):
        assert fast(a, b)["input_ids"] == ours.encode(a, b)["input_ids"]
    with pytest.raises(TypeError, match="WordPieceTokenizer"):
        to_fast_tokenizer({"[UNK]": 0})
