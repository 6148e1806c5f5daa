"""RoBERTa's FULL-SENTENCES input format: whole sentences packed in order up to a token budget.

Simplifies, compared with RoBERTa's pre-processing: token ids come in already split into
sentences; a sentence longer than the budget is cut to it (RoBERTa never needs this with 512
tokens); the special tokens that start and end a sequence are left to the caller.
"""
from __future__ import annotations

from collections.abc import Sequence


def pack_full_sentences(documents: Sequence[Sequence[Sequence[int]]], max_len: int,
                        sep_id: int) -> list[list[int]]:
    """Pack sentences contiguously into sequences of at most ``max_len`` ids, e.g.
    ``pack_full_sentences([[[1, 2], [3]], [[4]]], 4, 0)``.

    Sentences are taken in order and never split across sequences; a sequence may run from one
    document into the next, with ``sep_id`` between the two documents (RoBERTa's "extra
    separator token"). The example gives ``[[1, 2, 3, 0], [4]]``.
    """
    if type(max_len) is not int or max_len < 1:
        raise ValueError(f"max_len must be an int >= 1, got {max_len!r}")
    if type(sep_id) is not int:
        raise TypeError(f"sep_id must be an int token id, got {type(sep_id).__name__}")
    if isinstance(documents, (str, bytes)) or not all(
            isinstance(doc, Sequence) and all(isinstance(s, Sequence) and all(type(i) is int for i in s)
                                              for s in doc) for doc in documents):
        raise TypeError("documents must be a list of documents, each a list of sentences, each a list "
                        "of int ids, e.g. [[tok(s, add_special_tokens=False)['input_ids'] for s in doc] ...]")
    sequences: list[list[int]] = []
    current: list[int] = []
    for d, doc in enumerate(documents):
        if d > 0 and current:                       # a document boundary inside this sequence
            if len(current) < max_len:
                current.append(sep_id)
            else:
                sequences.append(current)
                current = []
        for sentence in doc:
            sentence = list(sentence)[:max_len]     # (simplification) cut an over-long sentence
            if current and len(current) + len(sentence) > max_len:
                sequences.append(current)           # the sentence does not fit: start a new one
                current = []
            current.extend(sentence)
    if current:
        sequences.append(current)
    return sequences
