"""Learn a subword vocabulary from text: WordPiece (BERT) and byte-level BPE (RoBERTa, GPT-2).

Both start from single characters (or bytes) and repeatedly merge the best adjacent pair
into a new token until the vocabulary is full. Two ways to pick "best":

* ``criterion="count"``: the most frequent pair (BPE, Sennrich et al. 2016). Hugging Face's
  ``tokenizers.trainers.WordPieceTrainer`` does this too, then adds the "##" prefix.
* ``criterion="likelihood"``: the pair with the highest ``count(ab) / (count(a) count(b))``,
  a common reading of WordPiece's "merge that most increases the likelihood of the data"
  (Schuster and Nakajima 2012); Google never released the code that built BERT's vocabulary.

Simplifies, compared with ``tokenizers``: pure Python on one machine (fine for thousands of
distinct words, not for Wikipedia), no alphabet limit, no maximum token length. The same
texts always give the same vocabulary in the same order: among pairs with equal counts the
one made of older tokens wins, as in ``tokenizers``, which however numbers characters in hash
order, so its choice among ties (and its vocabulary) can change from one process to the next.
"""
from __future__ import annotations

import heapq
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from itertools import pairwise
from typing import TYPE_CHECKING

from bertcore._checks import check_int, check_texts
from bertcore.tokenization import SPECIAL_TOKENS, BasicTokenizer, WordPieceTokenizer

CRITERIA = ("count", "likelihood")
BPE_SPECIAL_TOKENS = ("<s>", "<pad>", "</s>", "<unk>", "<mask>")   # RoBERTa's, in its order

if TYPE_CHECKING:  # imported where used, so `import bertcore` does not load tokenizers' trainers
    import tokenizers


def word_counts(texts: Iterable[str], lowercase: bool = True) -> Counter:
    """Frequency of each word after BERT's basic split, e.g. ``word_counts(["Hi, hi!"])['hi'] == 2``."""
    basic = BasicTokenizer(do_lower_case=lowercase)
    return Counter(w for text in check_texts(texts) for w in basic.tokenize(text))


def _split(word: str, prefix: str) -> tuple[str, ...]:
    # "run" -> ("r", "##u", "##n"): a piece inside a word carries the prefix.
    return (word[0],) + tuple(prefix + c for c in word[1:])


def _join(a: str, b: str, prefix: str) -> str:
    return a + (b[len(prefix):] if prefix else b)   # "##e" + "##r" -> "##er", "t" + "##h" -> "th"


def learn_merges(counts: Mapping[str, int], n_tokens: int, *, prefix: str = "##",
                 criterion: str = "count", min_frequency: int = 2) -> tuple[list[str], list[tuple[str, str]]]:
    """Alphabet and merges in the order learned, e.g. ``learn_merges({"low": 5, "lower": 2}, 3)``.

    Merges until ``n_tokens`` new tokens exist (two merges can spell the same token, so
    there may be more merges than tokens) or no pair occurs ``min_frequency`` times.
    ``prefix`` marks pieces inside a word ("##" for WordPiece, "" for BPE).
    """
    if not isinstance(counts, Mapping) or not all(isinstance(w, str) and w and type(c) is int and c > 0
                                                  for w, c in counts.items()):
        raise TypeError("counts must map non-empty words to positive int counts, e.g. word_counts(texts)")
    if criterion not in CRITERIA:
        raise ValueError(f"criterion must be one of {CRITERIA}, got {criterion!r}")
    if not isinstance(prefix, str):
        raise TypeError(f"prefix must be a str ('##' or ''), got {type(prefix).__name__}")
    check_int("n_tokens", n_tokens, low=0)
    check_int("min_frequency", min_frequency, low=1)
    words = [list(_split(w, prefix)) for w in sorted(counts)]   # sorted: same order every run
    freqs = [counts[w] for w in sorted(counts)]
    # Every character alone, then (WordPiece) the "##" form of those seen inside a word,
    # laid out as tokenizers does.
    alphabet = sorted({c for w in counts for c in w})
    if prefix:
        alphabet += sorted({prefix + c for w in counts for c in w[1:]})
    rank = {t: i for i, t in enumerate(alphabet)}   # tie-break: older tokens first, like tokenizers
    pair_count: dict[tuple[str, str], int] = defaultdict(int)
    where: dict[tuple[str, str], set[int]] = defaultdict(set)   # pair -> indices of words with it
    unit_count: dict[str, int] = defaultdict(int)               # for the likelihood score
    for i, (w, f) in enumerate(zip(words, freqs, strict=True)):
        for p in pairwise(w):
            pair_count[p] += f
            where[p].add(i)
        for s in w:
            unit_count[s] += f
    heap = [(-c, rank[p[0]], rank[p[1]], p) for p, c in pair_count.items()]   # max count first
    heapq.heapify(heap)
    merges: list[tuple[str, str]] = []
    n_new = 0
    while n_new < n_tokens:
        best = _best(pair_count, unit_count, rank, heap, criterion, min_frequency)
        if best is None:
            break                                     # no pair left that occurs often enough
        merges.append(best)
        a, b = best
        new = _join(a, b, prefix)
        if new not in rank:
            rank[new] = len(rank)
            n_new += 1
        changed = set()
        for i in sorted(where.pop(best, ())):
            w, f = words[i], freqs[i]
            for p in pairwise(w):                   # take the word's old pairs out ...
                pair_count[p] -= f
                changed.add(p)
            for s in w:
                unit_count[s] -= f
            merged, j = [], 0
            while j < len(w):                         # merge left to right, non-overlapping
                if j + 1 < len(w) and w[j] == a and w[j + 1] == b:
                    merged.append(new)
                    j += 2
                else:
                    merged.append(w[j])
                    j += 1
            words[i] = merged
            for p in pairwise(merged):         # ... and its new pairs in
                pair_count[p] += f
                where[p].add(i)
                changed.add(p)
            for s in merged:
                unit_count[s] += f
        pair_count.pop(best, None)
        for p in changed:
            if pair_count.get(p, 0) > 0:
                heapq.heappush(heap, (-pair_count[p], rank[p[0]], rank[p[1]], p))
            else:
                pair_count.pop(p, None)
    return alphabet, merges


def _best(pair_count, unit_count, rank, heap, criterion, min_frequency):
    if criterion == "count":
        while heap:
            neg, _, _, p = heap[0]
            if pair_count.get(p) == -neg:             # entries go stale when counts change
                return p if -neg >= min_frequency else None
            heapq.heappop(heap)
        return None
    # likelihood: score every pair (O(pairs) per merge; fine for a few hundred merges)
    pairs = [p for p, c in pair_count.items() if c >= min_frequency]
    if not pairs:
        return None
    return min(pairs, key=lambda p: (-pair_count[p] / (unit_count[p[0]] * unit_count[p[1]]),
                                     -pair_count[p], rank[p[0]], rank[p[1]]))


def train_wordpiece(texts: Iterable[str], vocab_size: int, *, min_frequency: int = 2,
                    criterion: str = "count", lowercase: bool = True) -> WordPieceTokenizer:
    """A BERT tokenizer with a vocabulary learned from ``texts``, e.g.
    ``train_wordpiece(texts, 1000).tokenize("rash")``.

    Vocabulary order: the five special tokens, the characters, the "##" characters, then
    one token per merge in the order learned. Fewer than ``vocab_size`` tokens come back
    when the texts run out of pairs seen ``min_frequency`` times.
    """
    counts = word_counts(texts, lowercase)
    check_int("vocab_size", vocab_size, low=1)
    alphabet, _ = learn_merges(counts, 0, prefix="##", min_frequency=min_frequency)
    base = len(SPECIAL_TOKENS) + len(alphabet)
    if vocab_size < base:
        raise ValueError(f"vocab_size={vocab_size} cannot hold the {len(SPECIAL_TOKENS)} special tokens "
                         f"and {len(alphabet)} characters of these texts: use vocab_size >= {base}")
    alphabet, merges = learn_merges(counts, vocab_size - base, prefix="##",
                                    criterion=criterion, min_frequency=min_frequency)
    # dict.fromkeys keeps the first spelling of a token that two merges produce
    tokens = list(dict.fromkeys(list(SPECIAL_TOKENS) + alphabet + [_join(a, b, "##") for a, b in merges]))
    return WordPieceTokenizer(tokens, do_lower_case=lowercase)


def byte_level_words(texts: Iterable[str]) -> Counter:
    """GPT-2/RoBERTa pre-tokens (bytes shown as characters, "Ġ" = space), e.g. ``byte_level_words(["a b"])``."""
    from tokenizers.pre_tokenizers import ByteLevel

    pre = ByteLevel(add_prefix_space=False)
    return Counter(piece for text in check_texts(texts) for piece, _ in pre.pre_tokenize_str(text))


def byte_bpe_tokenizer(merges) -> tokenizers.Tokenizer:
    """A byte-level BPE ``tokenizers.Tokenizer`` from learned merges, e.g. ``byte_bpe_tokenizer(merges[:500])``.

    Vocabulary: RoBERTa's five special tokens, the 256 byte characters, then one token per
    merge, so a prefix of the merges is exactly a smaller vocabulary.
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers

    merges = [tuple(m) for m in merges]
    if not all(len(m) == 2 and all(isinstance(x, str) and x for x in m) for m in merges):
        raise TypeError("merges must be pairs of non-empty str, "
                        "e.g. learn_merges(byte_level_words(texts), 500, prefix='')[1]")
    alphabet = sorted(pre_tokenizers.ByteLevel.alphabet())          # 256 byte characters
    tokens = list(dict.fromkeys(list(BPE_SPECIAL_TOKENS) + alphabet + [a + b for a, b in merges]))
    vocab = {t: i for i, t in enumerate(tokens)}
    missing = [a + b for a, b in merges if a not in vocab or b not in vocab]
    if missing:
        raise ValueError(f"merge parts must be bytes or earlier merges; first bad merge gives {missing[0]!r}")
    tokenizer = Tokenizer(models.BPE(vocab, merges))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    return tokenizer


def train_byte_bpe(texts: Iterable[str], vocab_size: int, *, min_frequency: int = 2):
    """RoBERTa-style byte-level BPE as a ``tokenizers.Tokenizer``, e.g.
    ``train_byte_bpe(texts, 1000).encode("hi").tokens``.

    The alphabet is all 256 bytes, so any text encodes without an unknown token; the merges
    are learned here (deterministically) and handed to ``tokenizers`` for encoding.
    """
    from tokenizers import pre_tokenizers

    counts = byte_level_words(texts)
    base = len(BPE_SPECIAL_TOKENS) + len(pre_tokenizers.ByteLevel.alphabet())
    check_int("vocab_size", vocab_size, low=1)
    if vocab_size < base:
        raise ValueError(f"vocab_size={vocab_size} cannot hold {len(BPE_SPECIAL_TOKENS)} special tokens "
                         f"and 256 bytes: use vocab_size >= {base}")
    _, merges = learn_merges(counts, vocab_size - base, prefix="", min_frequency=min_frequency)
    return byte_bpe_tokenizer(merges)


def to_fast_tokenizer(wordpiece: WordPieceTokenizer):
    """The same vocabulary as a ``transformers.BertTokenizerFast``, e.g.
    ``to_fast_tokenizer(train_wordpiece(texts, 2000))``.

    The Rust tokenizer encodes batches of sentence pairs with padding and tensors, which
    ``pretrain`` and ``encode_pairs`` need; it splits words exactly as ``WordPieceTokenizer`` does.
    """
    import tempfile
    from pathlib import Path

    from transformers import BertTokenizerFast

    if not isinstance(wordpiece, WordPieceTokenizer):
        raise TypeError(f"wordpiece must be a bertcore WordPieceTokenizer (e.g. from train_wordpiece), "
                        f"got {type(wordpiece).__name__}")
    ids = sorted(wordpiece.vocab.values())
    if ids != list(range(len(ids))):
        raise ValueError("the vocabulary ids must be 0..V-1 without gaps, one per line of a vocab.txt")
    missing = [t for t in SPECIAL_TOKENS if t not in wordpiece.vocab]
    if missing:
        raise ValueError(f"the vocabulary lacks the special tokens {missing}: train it with train_wordpiece")
    with tempfile.TemporaryDirectory() as folder:  # BertTokenizerFast reads a vocab.txt once
        path = Path(folder) / "vocab.txt"
        path.write_text("".join(f"{t}\n" for t in sorted(wordpiece.vocab, key=wordpiece.vocab.get)),
                        encoding="utf-8")
        return BertTokenizerFast(vocab_file=str(path), do_lower_case=wordpiece.basic.do_lower_case)
