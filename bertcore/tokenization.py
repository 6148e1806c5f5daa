"""BERT's tokenizer in plain Python: a basic split, then greedy longest-match-first WordPiece.

``BasicTokenizer`` drops control characters, spaces out CJK ideographs, lower-cases and strips
accents, and splits on whitespace and punctuation; ``WordPieceTokenizer`` then cuts each word
into the longest vocabulary pieces, left to right ("##" marks a piece inside a word), and a
word that cannot be cut becomes ``[UNK]``.

Simplifies, compared with ``transformers.BertTokenizer``: BERT's own settings only (CJK
splitting on, accents stripped exactly when lower-casing), only the five BERT special tokens
are recognised inside text, and no batches, tensors, offsets, stride, overflow or left-side
padding/truncation. Tokens, ids, ``encode`` and ``decode`` equal BertTokenizer's (checked
by tests/test_tokenization.py on every review and on random Unicode). Speed: each distinct
word is tokenized once and cached; cleaning and CJK spacing are one ``str.translate``.
"""
from __future__ import annotations

import operator
import re
import unicodedata
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import NamedTuple

from bertcore._checks import check_str

SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
_SPECIAL_RE = re.compile("(" + "|".join(map(re.escape, SPECIAL_TOKENS)) + ")")
# CJK ideograph blocks (not kana, not Hangul): BERT makes every such character its own word.
_CJK = ((0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2B73F),
        (0x2B740, 0x2B81F), (0x2B820, 0x2CEAF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F))
# transformers' clean_up_tokenization, applied in this order by decode().
_CLEANUP = ((" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"),
            (" 'm", "'m"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re"))


def is_punctuation(char: str) -> bool:
    """BERT's punctuation: ASCII symbols such as ``$`` and ``^`` plus Unicode P*, e.g. ``is_punctuation('¿')``."""
    cp = ord(char)
    return (33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126
            or unicodedata.category(char).startswith("P"))


class _CleanTable(dict):
    """``str.translate`` table: code point -> replacement, computed on first sight and kept."""

    def __missing__(self, cp: int):
        char = chr(cp)
        cat = unicodedata.category(char)
        if char in " \t\n\r" or cat == "Zs":
            out = " "                               # every kind of space becomes " "
        elif cp == 0xFFFD or cat.startswith("C"):
            out = None                              # NUL, controls, format chars (zero-width...)
        elif any(lo <= cp <= hi for lo, hi in _CJK):
            out = f" {char} "
        else:
            out = char
        self[cp] = out
        return out


_TABLE = _CleanTable()


class BasicTokenizer:
    """Words and punctuation as BERT sees them, e.g.
    ``BasicTokenizer().tokenize("Café, OK?") == ['cafe', ',', 'ok', '?']``."""

    def __init__(self, do_lower_case: bool = True):
        if not isinstance(do_lower_case, bool):
            raise TypeError(f"do_lower_case must be True or False, got {do_lower_case!r}")
        self.do_lower_case = do_lower_case

    def words(self, text: str) -> list[str]:
        """Clean text, space out CJK, NFC-normalise (as transformers does), split on whitespace."""
        text = text.translate(_TABLE)
        return (text if text.isascii() else unicodedata.normalize("NFC", text)).split()

    def split_word(self, word: str) -> list[str]:
        """Lower-case, strip accents (NFD, drop combining marks) and split off punctuation."""
        if self.do_lower_case:
            word = word.lower()
            if not word.isascii():
                word = "".join(c for c in unicodedata.normalize("NFD", word)
                               if unicodedata.category(c) != "Mn")
        if word.isalnum() and word.isascii():       # the common case: nothing to split
            return [word]
        out, start = [], 0
        for i, char in enumerate(word):
            if is_punctuation(char):                # a punctuation mark is a token of its own
                out += [word[start:i], char]
                start = i + 1
        out.append(word[start:])
        return [piece for piece in out if piece]    # a word of accents only may vanish

    def tokenize(self, text: str) -> list[str]:
        """Basic tokens of ``text``, e.g. ``tokenize("naïve 東京!") == ['naive', '東', '京', '!']``."""
        check_str("text", text)
        return [tok for word in self.words(text) for tok in self.split_word(word)]


class Step(NamedTuple):
    """One WordPiece attempt: is ``candidate`` (``word[start:end]``, "##" if inside) in the vocabulary?"""
    start: int
    end: int
    candidate: str
    in_vocab: bool


class WordPieceTokenizer:
    """BERT's full tokenizer, e.g. ``WordPieceTokenizer.from_vocab_file(bc.vocab_path()).tokenize("unbelievable")``.

    ``vocab`` is a dict token -> id or a list of tokens (id = position); it must contain
    ``[UNK]``, and ``encode`` needs ``[CLS]``/``[SEP]`` (and ``[PAD]`` to pad).
    """

    pad_token, unk_token, cls_token, sep_token, mask_token = SPECIAL_TOKENS

    def __init__(self, vocab, do_lower_case: bool = True, max_input_chars_per_word: int = 100):
        if isinstance(vocab, Mapping):
            vocab = dict(vocab)
        elif isinstance(vocab, (list, tuple)):
            vocab = {tok: i for i, tok in enumerate(vocab)}
        else:
            raise TypeError("vocab must be a dict token -> id or a list of tokens; "
                            "for a vocab.txt use WordPieceTokenizer.from_vocab_file(path)")
        if not all(isinstance(t, str) and type(i) is int for t, i in vocab.items()):
            raise TypeError("vocab must map str tokens to int ids")
        if self.unk_token not in vocab:
            raise ValueError(f"vocab has no {self.unk_token!r}: add it, unsplittable words map to it")
        self.vocab = vocab
        self.ids_to_tokens = {i: t for t, i in vocab.items()}
        if type(max_input_chars_per_word) is not int or max_input_chars_per_word < 1:
            raise ValueError(f"max_input_chars_per_word must be an int >= 1, got {max_input_chars_per_word!r}")
        self.basic = BasicTokenizer(do_lower_case)
        self.max_input_chars_per_word = max_input_chars_per_word  # longer words -> [UNK] at once
        # No candidate longer than the longest entry can match, so never try one.
        self._longest = max(len(t[2:] if t.startswith("##") else t) for t in vocab)
        self._cache, self._cache_key = {}, None    # word -> its pieces, for these settings
        self.unk_token_id = vocab[self.unk_token]
        self.cls_token_id, self.sep_token_id, self.pad_token_id, self.mask_token_id = (
            vocab.get(t) for t in (self.cls_token, self.sep_token, self.pad_token, self.mask_token))

    @classmethod
    def from_vocab_file(cls, path, do_lower_case: bool = True) -> WordPieceTokenizer:
        """Load a ``vocab.txt`` (one token per line, id = line number), e.g. ``from_vocab_file(bc.vocab_path())``."""
        if not Path(path).is_file():                # Path() raises TypeError on a non-path
            raise FileNotFoundError(f"no vocabulary file at {path}: pass bertcore.vocab_path()")
        with open(path, encoding="utf-8") as f:
            return cls([line.rstrip("\n") for line in f], do_lower_case=do_lower_case)

    def wordpiece_steps(self, word: str) -> list[Step]:
        """Every greedy attempt on one basic token, e.g. ``[s.candidate for s in steps if s.in_vocab]``.

        At each position, try the longest candidate first and shorten it until it is in the
        vocabulary; the accepted steps are the pieces. If a position matches nothing the
        whole word is ``[UNK]``; a word over ``max_input_chars_per_word`` gives no steps.
        """
        check_str("word", word)
        steps, start = [], 0
        if len(word) > self.max_input_chars_per_word:
            return steps
        while start < len(word):
            for end in range(min(len(word), start + self._longest), start, -1):
                candidate = word[start:end] if start == 0 else "##" + word[start:end]
                steps.append(Step(start, end, candidate, candidate in self.vocab))
                if steps[-1].in_vocab:
                    break
            else:
                return steps                        # nothing fits at `start`: [UNK]
            start = end
        return steps

    def _pieces(self, word: str) -> tuple[str, ...]:
        pieces = []
        for token in self.basic.split_word(word):
            steps = self.wordpiece_steps(token)
            ok = steps and steps[-1].in_vocab
            pieces += [s.candidate for s in steps if s.in_vocab] if ok else [self.unk_token]
        return tuple(pieces)

    def tokenize(self, text: str) -> list[str]:
        """WordPiece tokens, e.g. ``tokenize("Tokenization!") == ['token', '##ization', '!']``."""
        check_str("text", text)
        # Special tokens written in the text ("[MASK]") stay whole, as in transformers.
        parts = _SPECIAL_RE.split(text) if "[" in text else [text]
        if self._cache_key != (self.max_input_chars_per_word, self.basic.do_lower_case):
            self._cache_key = (self.max_input_chars_per_word, self.basic.do_lower_case)
            self._cache = {}                        # settings changed: cached pieces are stale
        out, cache = [], self._cache
        for i, part in enumerate(parts):
            if i % 2:
                out.append(part)
                continue
            if self.basic.do_lower_case:
                # transformers lower-cases one character at a time before tokenizing, so Greek
                # capital sigma never becomes final "ς"; str.lower differs from that only there.
                part = part.lower() if "Σ" not in part else "".join(map(str.lower, part))
            for word in self.basic.words(part):
                pieces = cache.get(word)
                if pieces is None:
                    if len(cache) > 200_000:        # bound memory on endless new words
                        cache.clear()
                    pieces = cache[word] = self._pieces(word)
                out += pieces
        return out

    def count_pieces(self, words: Iterable[str]) -> list[int]:
        """Number of WordPiece tokens of each word, e.g. ``count_pieces(["the", "bioluminescence"])``."""
        if isinstance(words, str):
            raise TypeError("words must be a list of str, not one str: wrap it as [word]")
        return [len(self.tokenize(w)) for w in words]

    def convert_tokens_to_ids(self, tokens):
        """Ids of a token or list of tokens (unknown -> ``[UNK]``'s id), e.g. ``convert_tokens_to_ids("[CLS]")``."""
        if isinstance(tokens, str):
            return self.vocab.get(tokens, self.unk_token_id)
        tokens = list(tokens)
        if not all(isinstance(t, str) for t in tokens):
            raise TypeError("tokens must be str (use convert_ids_to_tokens for ids)")
        return [self.vocab.get(t, self.unk_token_id) for t in tokens]

    def convert_ids_to_tokens(self, ids):
        """Tokens of an id or list of ids, e.g. ``convert_ids_to_tokens([101, 102]) == ['[CLS]', '[SEP]']``."""
        if isinstance(ids, str):
            raise TypeError("ids must be int or a list of ints, not str: tokenize text instead")
        single = isinstance(ids, int) or getattr(ids, "ndim", None) == 0   # also numpy/torch
        tokens = [self.ids_to_tokens.get(operator.index(i)) for i in ([ids] if single else ids)]
        if None in tokens:
            raise ValueError(f"an id is outside the vocabulary: use ids in 0..{len(self.vocab) - 1}")
        return tokens[0] if single else tokens

    def encode(self, text: str, text_pair: str | None = None, max_length: int | None = None,
               truncation: bool | str = False, padding: bool | str = False) -> dict[str, list[int]]:
        """Model inputs ``[CLS] a [SEP] (b [SEP])``, e.g. ``encode("Hi", max_length=8, padding="max_length")``.

        ``truncation=True`` ("longest_first") trims the longer text first, as transformers
        does; ``padding="max_length"`` pads with ``[PAD]`` (attention_mask 0) on the right.
        """
        n_special = 2 if text_pair is None else 3
        if (max_length is not None and type(max_length) is not int
                or not isinstance(truncation, (bool, str)) or not isinstance(padding, (bool, str))):
            raise TypeError("max_length must be an int or None, truncation a bool or str, "
                            "padding False or 'max_length'")
        if max_length is not None and max_length < n_special:
            raise ValueError(f"max_length={max_length} leaves no room for the {n_special} "
                             f"special tokens: use max_length >= {n_special}")
        if truncation not in (True, False, "longest_first", "do_not_truncate"):
            raise ValueError(f"unknown truncation {truncation!r}: use True ('longest_first') or False")
        truncation = truncation in (True, "longest_first")
        if padding not in (False, "do_not_pad", "max_length"):
            raise ValueError(f"unknown padding {padding!r}: use False or 'max_length'")
        if (truncation or padding == "max_length") and max_length is None:
            raise ValueError("truncation and padding='max_length' need max_length: pass e.g. 512")
        if None in (self.cls_token_id, self.sep_token_id, self.pad_token_id):
            raise ValueError("vocab lacks [CLS], [SEP] or [PAD]: add them to build model inputs")
        a = self.convert_tokens_to_ids(self.tokenize(text))
        b = None if text_pair is None else self.convert_tokens_to_ids(self.tokenize(text_pair))
        excess = len(a) + len(b or ()) + n_special - (max_length or 0)
        if truncation and excess > 0:
            # transformers refuses to cut a single text to nothing (max_length=2); we do cut.
            if b is None:
                a = a[:len(a) - excess]
            else:
                # Shorten the longer text to the shorter one's length, then split the rest,
                # the first text losing the smaller half.
                first = min(abs(len(a) - len(b)), excess)
                cut_a = (excess - first) // 2 + (first if len(a) > len(b) else 0)
                a, b = a[:len(a) - cut_a], b[:len(b) - (excess - cut_a)]
        ids = [self.cls_token_id, *a, self.sep_token_id]
        types = [0] * len(ids)
        if b is not None:
            ids += [*b, self.sep_token_id]
            types += [1] * (len(b) + 1)
        n = max(0, max_length - len(ids)) if padding == "max_length" else 0   # [PAD]s to add
        return {"input_ids": ids + [self.pad_token_id] * n, "token_type_ids": types + [0] * n,
                "attention_mask": [1] * len(ids) + [0] * n}

    def decode(self, ids, skip_special_tokens: bool = False) -> str:
        """Text back from ids, as transformers decodes it, e.g. ``decode(encode("Hi!")["input_ids"])``."""
        tokens = self.convert_ids_to_tokens(ids)
        tokens = [tokens] if isinstance(tokens, str) else tokens
        if skip_special_tokens:
            tokens = [t for t in tokens if t not in SPECIAL_TOKENS]
        text = " ".join(tokens).replace(" ##", "").strip()   # glue "##" pieces to their word
        for old, new in _CLEANUP:                  # and punctuation/contractions to theirs
            text = text.replace(old, new)
        return text
