"""Small task heads' plumbing: word labels on WordPieces, BIO entity spans, answer spans, extractive summaries.

Simplifies: labels go on the first WordPiece of each word (the rest get -100, which
PyTorch's cross-entropy ignores), as in Devlin et al. (2019); BIO decoding follows the
CoNLL convention (an I- tag after O or another type opens a new entity); answer spans are
scored as start + end logits with a maximum length; summaries pick the sentences nearest
to the centroid of the sentence vectors. No model code lives here: the heads themselves are
plain ``torch.nn.Linear`` layers in the chapter.
"""
from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F

from bertcore.masking import IGNORE_INDEX  # the default ignore_index of cross_entropy


def align_labels(word_ids: Sequence[int | None], word_labels: Sequence[int], *,
                 label_all_pieces: bool = False) -> list[int]:
    """Per-WordPiece labels from per-word labels, e.g. ``align_labels(enc.word_ids(0), [1, 0, 0])``.

    ``word_ids`` comes from a fast tokenizer (None for [CLS], [SEP], padding). The first piece
    of a word gets the word's label; special tokens and, unless ``label_all_pieces``, the
    continuation pieces get -100 so the loss skips them.
    """
    word_labels = list(word_labels)
    out, previous = [], None
    for wid in word_ids:
        if wid is None:
            out.append(IGNORE_INDEX)
        elif not isinstance(wid, int) or not 0 <= wid < len(word_labels):
            raise ValueError(f"word id {wid!r} has no label: got {len(word_labels)} word labels; "
                             "tokenize the same word list you labelled (is_split_into_words=True)")
        elif wid != previous or label_all_pieces:
            out.append(int(word_labels[wid]))
        else:
            out.append(IGNORE_INDEX)  # a continuation piece (##...) of the same word
        previous = wid
    return out


def gazetteer_tags(words: Sequence[str], gazetteer: dict[tuple[str, ...], str]) -> list[str]:
    """BIO tags from a name list, longest match first, case-insensitive.

    Example: ``gazetteer_tags(['Took', 'Birth', 'Control'], {('birth', 'control'): 'COND'})``
    gives ``['O', 'B-COND', 'I-COND']``. Keys are lower-cased word tuples, values entity types.
    """
    if isinstance(words, str):
        raise TypeError("words must be a list of words, not one string: split it first")
    if not isinstance(gazetteer, dict) or not all(isinstance(k, tuple) and k for k in gazetteer):
        raise TypeError("gazetteer must map non-empty tuples of lower-case words to entity types")
    low = [w.lower() for w in words]
    longest = max((len(k) for k in gazetteer), default=0)
    tags, i = ["O"] * len(low), 0
    while i < len(low):
        for n in range(min(longest, len(low) - i), 0, -1):  # try the longest name first
            kind = gazetteer.get(tuple(low[i:i + n]))
            if kind:
                tags[i:i + n] = [f"B-{kind}"] + [f"I-{kind}"] * (n - 1)
                i += n
                break
        else:
            i += 1
    return tags


def bio_spans(tags: Sequence[str]) -> set[tuple[int, int, str]]:
    """Entities as (start, end, type) with end exclusive, e.g. ``bio_spans(['B-X', 'I-X', 'O']) == {(0, 2, 'X')}``."""
    spans, start, kind = set(), None, None
    for i, tag in enumerate(list(tags) + ["O"]):  # a sentinel closes the last entity
        if not isinstance(tag, str) or not (tag == "O" or tag[:2] in ("B-", "I-")):
            raise ValueError(f"tag {tag!r} at position {i} is not 'O', 'B-TYPE' or 'I-TYPE'")
        continues = tag.startswith("I-") and kind == tag[2:]
        if start is not None and not continues:
            spans.add((start, i, kind))
            start, kind = None, None
        if tag.startswith("B-") or (tag.startswith("I-") and not continues):
            start, kind = i, tag[2:]  # CoNLL: a stray I- opens an entity
    return spans


def span_scores(gold: Sequence[set], pred: Sequence[set]) -> dict[str, float]:
    """Entity-level precision, recall and F1 over sentences (exact span and type), e.g.
    ``span_scores([{(0, 1, 'X')}], [set()])``."""
    if len(gold) != len(pred):
        raise ValueError(f"gold has {len(gold)} sentences but pred has {len(pred)}")
    tp = sum(len(g & p) for g, p in zip(gold, pred, strict=True))
    n_pred, n_gold = sum(len(p) for p in pred), sum(len(g) for g in gold)
    precision = tp / n_pred if n_pred else 0.0
    recall = tp / n_gold if n_gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "gold": n_gold, "predicted": n_pred}


def best_span(start_logits: torch.Tensor, end_logits: torch.Tensor, max_length: int = 10) -> tuple[int, int, float]:
    """(start, end, score) maximising start + end logits with start <= end < start + max_length.

    Example: ``best_span(torch.tensor([0., 5.]), torch.tensor([0., 5.]))`` returns ``(1, 1, 10.0)``.
    Indices are positions in the given 1-d logit vectors (end inclusive).
    """
    if start_logits.dim() != 1 or start_logits.shape != end_logits.shape:
        raise ValueError("start_logits and end_logits must be 1-d tensors of the same length")
    if not isinstance(max_length, int) or max_length < 1:
        raise ValueError(f"max_length must be a positive int, got {max_length!r}")
    n = len(start_logits)
    scores = start_logits[:, None] + end_logits[None, :]  # (n, n): start i, end j
    i, j = torch.arange(n)[:, None], torch.arange(n)[None, :]
    scores = scores.masked_fill((j < i) | (j >= i + max_length), float("-inf"))
    flat = int(scores.argmax())
    return flat // n, flat % n, float(scores.reshape(-1)[flat])


def centroid_summary(vectors: torch.Tensor, k: int = 2) -> list[int]:
    """Indices (in text order) of the k sentences closest to the mean sentence vector, e.g.
    ``centroid_summary(v, 3)``."""
    if not isinstance(vectors, torch.Tensor) or vectors.dim() != 2 or len(vectors) == 0:
        raise ValueError("vectors must be a non-empty (n_sentences, H) tensor")
    if not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be a positive int, got {k!r}")
    unit = F.normalize(vectors, dim=-1)
    centre = F.normalize(unit.mean(dim=0), dim=0)  # the review's "average meaning"
    scores = unit @ centre  # (n,) cosine of each sentence to the centre
    top = scores.topk(min(k, len(vectors))).indices
    return sorted(int(i) for i in top)
