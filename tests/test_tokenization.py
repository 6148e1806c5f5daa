"""bertcore.tokenization against transformers.BertTokenizer (the pure-Python reference)."""
import os
from itertools import pairwise

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from transformers import BertTokenizer
from transformers.models.bert.tokenization_bert import BasicTokenizer as HFBasicTokenizer

from bertcore import load_reviews, vocab_path
from bertcore.tokenization import BasicTokenizer, Step, WordPieceTokenizer

HARD = [
    "", " ", "   \t\n\r  ", "\u3000\u00a0\u2009",              # empty, whitespace of all kinds
    "café naïve Ångström Éclair façade ñandú", "e\u0301le\u0300ve",  # accents, combining marks
    "İstanbul ΑΣ ὈΔΥΣΣΕΎΣ straße ǅemal Ⅻ ﬁne",                 # tricky case mappings
    "日本語の文章です。東京タワー", "中文字符测试，你好！", "ｶﾀｶﾅ ひらがな カタカナ",  # CJK, kana
    "한국어 텍스트입니다", "emoji 😀🎉👍🏽 ❤️ 🇫🇷", "a\x00b\x01c\x7fd\x85e\ufffdf",  # Korean, emoji, controls
    "zero\u200bwidth\u200c\u200djoin\ufeffers\u2028line\u2029para", "\u0301\u0302 only marks",
    "x" * 101, "y" * 100, "supercalifragilisticexpialidocious" * 3 + " ok",  # > 100 chars -> [UNK]
    "Hello!!! What?!... (yes) [no] {maybe} <b>bold</b> \"quoted\" 'single' `tick` ~^_|\\ a|b~c$d",
    "3.14159 1,000,000 -42 1e-10 50% $9.99 2nd 10mg/day", "¿Qué? ¡Sí! «guillemets» — dash … „quote“",
    "https://www.example.com/path?q=a&b=c#frag user@mail.org", "Don't won't it's I'm we've they're",
    "[CLS] The [MASK] sat on the [SEP] mat [PAD] [UNK]", "a[MASK]b [mask] [MASK][SEP]",
    "\U00020000\U0002f800\uf900\u3400 mixed汉字and letters", "Ⓐ ℌ ℵ ∑ √ ∞ ≠ ★ ♫ © ® ™",
]


@pytest.fixture(scope="module")
def ref():
    return BertTokenizer(str(vocab_path()), do_lower_case=True)


@pytest.fixture(scope="module")
def tok():
    return WordPieceTokenizer.from_vocab_file(vocab_path())


@pytest.fixture(scope="module")
def reviews():
    return list(load_reviews("train").text) + list(load_reviews("test").text)


@pytest.fixture(scope="module")
def ref_tokens(ref, reviews):
    """BertTokenizer's tokens of every review, computed once (it is the slow part)."""
    return {text: ref.tokenize(text) for text in reviews}


def _hf(ref, *texts, **kw):
    return {k: list(v) for k, v in ref(*texts, **kw).items()}


def _hf_from_tokens(ref, tokens_a, tokens_b=None, **kw):
    # what ref(a, b, **kw) does after tokenizing: ids, truncation, special tokens, padding
    ids_b = None if tokens_b is None else ref.convert_tokens_to_ids(tokens_b)
    return {k: list(v) for k, v in ref.prepare_for_model(ref.convert_tokens_to_ids(tokens_a),
                                                         ids_b, **kw).items()}


def test_every_review_gives_the_same_tokens_and_ids(ref, tok, reviews, ref_tokens):
    assert len(reviews) == 979
    bad_tokens = [t for t in reviews if tok.tokenize(t) != ref_tokens[t]]
    bad_ids = [t for t in reviews if tok.encode(t) != _hf_from_tokens(ref, ref_tokens[t])]
    assert (bad_tokens, bad_ids) == ([], [])
    assert [tok.encode(t) for t in reviews[:20]] == [_hf(ref, t) for t in reviews[:20]]


@pytest.mark.parametrize("max_length", [3, 7, 16, 64])
def test_pairs_with_longest_first_truncation_and_padding(ref, tok, reviews, ref_tokens, max_length):
    kw = dict(max_length=max_length, truncation=True, padding="max_length")
    for a, b in zip(reviews[:300], reviews[1:301], strict=True):
        assert tok.encode(a, b, **kw) == _hf_from_tokens(ref, ref_tokens[a], ref_tokens[b], **kw)
        assert tok.encode(a, b) == _hf_from_tokens(ref, ref_tokens[a], ref_tokens[b])
    for a, b in [("short", reviews[0]), (reviews[0], "x"), (reviews[2], reviews[3])]:
        assert tok.encode(a, b, **kw) == _hf(ref, a, b, **kw)


def test_single_text_truncation_and_padding(ref, tok, reviews, ref_tokens):
    for kw in (dict(max_length=10, truncation=True), dict(max_length=200, padding="max_length"),
               dict(max_length=32, truncation="longest_first", padding="max_length")):
        for text in reviews[:300]:
            assert tok.encode(text, **kw) == _hf_from_tokens(ref, ref_tokens[text], **kw)
        for text in ("", "one", reviews[0]):
            assert tok.encode(text, **kw) == _hf(ref, text, **kw)


@pytest.mark.parametrize("text", HARD)
def test_hard_cases_match_bert_tokenizer(ref, tok, text):
    assert tok.tokenize(text) == ref.tokenize(text)
    assert tok.encode(text) == _hf(ref, text)
    ids = tok.encode(text)["input_ids"]
    for skip in (False, True):
        assert tok.decode(ids, skip_special_tokens=skip) == ref.decode(ids, skip_special_tokens=skip)


@pytest.mark.parametrize("text", HARD)
def test_basic_tokenizer_matches_transformers(text):
    for lower in (True, False):
        assert BasicTokenizer(lower).tokenize(text) == HFBasicTokenizer(do_lower_case=lower).tokenize(text)


def test_cased_tokenizer_matches(tok):
    ref_cased = BertTokenizer(str(vocab_path()), do_lower_case=False)
    cased = WordPieceTokenizer.from_vocab_file(vocab_path(), do_lower_case=False)
    for text in HARD:
        assert cased.tokenize(text) == ref_cased.tokenize(text)


def test_capital_sigma_quirk_follows_transformers(ref, tok):
    # transformers lower-cases character by character before the basic tokenizer, so "ΑΣ"
    # ends in "σ"; the basic tokenizer alone (original BERT) gives final "ς".
    assert tok.tokenize("ΑΣ") == ref.tokenize("ΑΣ") == ["α", "##σ"]
    assert BasicTokenizer().tokenize("ΑΣ") == ["ας"]


ALPHABET = st.characters(categories=["Cc", "Cf", "Mn", "Zs", "Zl", "So", "Sk", "Lo", "Lu", "Ll",
                                     "Lt", "Nd", "Nl", "Po", "Ps", "Pd"])
HF_BASIC = HFBasicTokenizer(do_lower_case=True)
EXTRA = st.sampled_from(["[MASK]", "[SEP]", "Σ", "\x00", "\ufffd", "\u200b", " ", "##", "ing"])


@settings(max_examples=300, deadline=None)
@given(text=st.lists(st.one_of(st.text(ALPHABET, max_size=12), EXTRA), max_size=8).map("".join))
def test_random_unicode_gives_the_same_tokens(ref, tok, text):
    tokens = tok.tokenize(text)
    assert tokens == ref.tokenize(text)
    assert BasicTokenizer().tokenize(text) == HF_BASIC.tokenize(text)
    ids = tok.convert_tokens_to_ids(tokens)
    assert tok.decode(ids) == ref.decode(ids)


def test_decode_round_trip_matches_transformers(ref, tok, reviews):
    for text in reviews[:150]:
        ids = tok.encode(text)["input_ids"]
        assert tok.decode(ids) == ref.decode(ids)
        assert tok.decode(ids, skip_special_tokens=True) == ref.decode(ids, skip_special_tokens=True)
    ids = tok.encode("It's a test, isn't it?")["input_ids"]
    assert tok.decode(torch.tensor(ids), skip_special_tokens=True) == "it's a test, isn't it?"


def test_wordpiece_steps_reproduce_the_pieces(ref, tok, reviews):
    words = {w for text in reviews[:200] for w in BasicTokenizer().tokenize(text)}
    for word in sorted(words):
        steps = tok.wordpiece_steps(word)
        expected = ref.wordpiece_tokenizer.tokenize(word)
        if expected == ["[UNK]"]:
            assert not steps or not steps[-1].in_vocab
            continue
        assert [s.candidate for s in steps if s.in_vocab] == expected, word
        for prev, step in pairwise(steps):   # longest first: shorter until accepted
            assert (step.start, step.end) == ((prev.end, step.end) if prev.in_vocab
                                              else (prev.start, prev.end - 1))


@pytest.mark.parametrize("word", ["unbelievable", "bioluminescence", "tokenization", "hyperparameters"])
def test_seed_examples_split_as_the_real_vocabulary_does(ref, tok, word):
    steps = tok.wordpiece_steps(word)
    assert [s.candidate for s in steps if s.in_vocab] == ref.tokenize(word) == tok.tokenize(word)
    assert steps[0] == Step(0, len(word), word, word in tok.vocab)   # the whole word is tried first


def test_unknown_words(tok):
    assert tok.tokenize("a" * 101) == ["[UNK]"] and tok.wordpiece_steps("a" * 101) == []
    assert tok.tokenize("a" * 100) != ["[UNK]"]
    assert tok.tokenize("x\u16a0y") == ["[UNK]"]          # a rune missing from the vocabulary
    short = WordPieceTokenizer.from_vocab_file(vocab_path())
    assert short.tokenize("cat sixsix") == ["cat", "six", "##si", "##x"]
    short.max_input_chars_per_word = 5                    # the cache must not keep old pieces
    assert short.tokenize("cat sixsix") == ["cat", "[UNK]"]


def test_toy_vocabulary_from_list_and_dict():
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "un", "##believ", "##able", "!"]
    toy = WordPieceTokenizer(vocab)
    assert toy.tokenize("Unbelievable! unable") == ["un", "##believ", "##able", "!", "un", "##able"]
    assert toy.count_pieces(["unbelievable", "un", "zzz"]) == [3, 1, 1]
    assert WordPieceTokenizer({t: i for i, t in enumerate(vocab)}).vocab == toy.vocab
    assert (toy.cls_token_id, toy.sep_token_id, toy.pad_token_id, toy.mask_token_id) == (2, 3, 0, 4)
    assert toy.encode("un", max_length=5, padding="max_length")["input_ids"] == [2, 5, 3, 0, 0]
    assert toy.convert_ids_to_tokens([5, 6]) == ["un", "##believ"] and toy.convert_tokens_to_ids("?") == 1


def test_bad_text_types_raise_type_error(tok):
    for call in (lambda: tok.tokenize(None), lambda: tok.tokenize(["a"]), lambda: tok.encode(3),
                 lambda: BasicTokenizer().tokenize(b"bytes"), lambda: tok.wordpiece_steps(1),
                 lambda: tok.count_pieces("word"), lambda: tok.decode("101"),
                 lambda: tok.convert_tokens_to_ids([1, 2]), lambda: BasicTokenizer("yes")):
        with pytest.raises(TypeError):
            call()


def test_missing_vocab_file_names_the_fix(tmp_path):
    with pytest.raises(FileNotFoundError, match="vocab_path"):
        WordPieceTokenizer.from_vocab_file(tmp_path / "nope.txt")
    with pytest.raises(TypeError, match="from_vocab_file"):
        WordPieceTokenizer(str(vocab_path()))


def test_vocab_without_unk_or_with_bad_entries():
    with pytest.raises(ValueError, match="add it"):
        WordPieceTokenizer(["a", "b"])
    with pytest.raises(TypeError):
        WordPieceTokenizer({"[UNK]": "0"})
    with pytest.raises(ValueError, match="add them"):
        WordPieceTokenizer(["[UNK]", "a"]).encode("a")


@pytest.mark.parametrize("kwargs, match", [
    (dict(max_length=1), "max_length >= 2"),
    (dict(max_length=2, text_pair="b"), "max_length >= 3"),
    (dict(max_length=8, truncation="only_middle"), "unknown truncation"),
    (dict(truncation=True), "need max_length"),
    (dict(padding="max_length"), "need max_length"),
    (dict(max_length=8, padding=True), "unknown padding"),
    (dict(max_length=8, padding="longest"), "unknown padding"),
], ids=["max_length_below_2", "max_length_below_3_for_a_pair", "unknown_truncation",
        "truncation_without_max_length", "padding_without_max_length", "padding_true",
        "padding_longest"])
def test_encode_bad_values_raise_value_error_naming_the_fix(tok, kwargs, match):
    with pytest.raises(ValueError, match=match):
        tok.encode("a", **kwargs)


def test_encode_bad_types_and_bad_ids(tok):
    for kwargs in (dict(max_length=8.0), dict(max_length="8"), dict(max_length=8, truncation=1)):
        with pytest.raises(TypeError):
            tok.encode("a", **kwargs)
    with pytest.raises(ValueError, match="outside the vocabulary"):
        tok.convert_ids_to_tokens([101, len(tok.vocab)])
    with pytest.raises(ValueError, match="int >= 1"):
        WordPieceTokenizer(["[UNK]"], max_input_chars_per_word=0)
