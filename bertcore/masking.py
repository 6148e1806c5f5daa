"""BERT's pre-training inputs: 15% selection with 80/10/10 replacement, whole-word masking, NSP pairs.

Simplifies: selection is an independent coin per token (Bernoulli), where the original
pre-processing picked exactly round(15% x length) positions per sequence; the expected
proportions are the same. Randomness always comes from an explicit generator.
The 10% random replacement draws uniformly from the whole vocabulary, special tokens
included, as BERT's create_pretraining_data.py (any of ``vocab_words``) and Hugging Face's
``DataCollatorForLanguageModeling`` (``randint(len(tokenizer))``) do; ``random_from="non_special"``
is an opt-in variant that never draws [CLS], [SEP], [PAD], [MASK] or the other special ids.
"""
from __future__ import annotations

import random
from collections.abc import Sequence

import torch

IGNORE_INDEX = -100  # PyTorch's cross-entropy skips this label


def _check_probs(mlm_probability, mask_fraction, random_fraction):
    for name, p in (("mlm_probability", mlm_probability), ("mask_fraction", mask_fraction),
                    ("random_fraction", random_fraction)):
        if not isinstance(p, (int, float)) or isinstance(p, bool):
            raise TypeError(f"{name} must be a float, got {type(p).__name__}")
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"{name} must be between 0 and 1, got {p}")
    if mask_fraction + random_fraction > 1.0 + 1e-12:
        raise ValueError(
            f"mask_fraction + random_fraction must be <= 1 (the rest stays unchanged), "
            f"got {mask_fraction} + {random_fraction}"
        )


def _check_ids(input_ids, vocab_size, mask_token_id, special_token_ids, generator, attention_mask=None):
    if not isinstance(input_ids, torch.Tensor) or input_ids.is_floating_point() or input_ids.dtype == torch.bool:
        raise TypeError("input_ids must be an integer torch.Tensor, "
                        "e.g. tokenizer(..., return_tensors='pt')['input_ids']")
    if input_ids.dtype != torch.long:
        raise TypeError(f"input_ids must be an integer torch.Tensor of dtype torch.long (int64), got "
                        f"{input_ids.dtype}: pass input_ids.long()")
    if attention_mask is not None and (not isinstance(attention_mask, torch.Tensor)
                                       or attention_mask.shape != input_ids.shape):
        got = tuple(attention_mask.shape) if isinstance(attention_mask, torch.Tensor) else type(attention_mask).__name__
        raise ValueError(f"attention_mask must be a 0/1 tensor with the same shape as input_ids "
                         f"{tuple(input_ids.shape)}, got {got}: pass the tokenizer's attention_mask")
    if not isinstance(vocab_size, int) or vocab_size <= 1:
        raise ValueError(f"vocab_size must be an int > 1, got {vocab_size!r}")
    if not isinstance(mask_token_id, int) or not 0 <= mask_token_id < vocab_size:
        raise ValueError(f"mask_token_id must be an id in [0, {vocab_size}), got {mask_token_id!r}")
    if isinstance(special_token_ids, (str, bytes)) or not all(isinstance(i, int) for i in special_token_ids):
        raise TypeError("special_token_ids must be a collection of ints, e.g. tokenizer.all_special_ids")
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError("generator must be a torch.Generator, e.g. torch.Generator().manual_seed(0)")
    if input_ids.numel() and (input_ids.min() < 0 or input_ids.max() >= vocab_size):
        raise ValueError(f"input_ids must lie in [0, {vocab_size})")


RANDOM_FROM = ("vocab", "non_special")


def _check_random_from(random_from):
    if random_from not in RANDOM_FROM:
        raise ValueError(f"random_from must be one of {RANDOM_FROM}, got {random_from!r}")


def _random_ids(shape, vocab_size, excluded, random_from, generator):
    """Uniform random ids of ``shape``: from the whole vocabulary, or from it minus ``excluded``."""
    if random_from == "vocab":
        return torch.randint(vocab_size, shape, generator=generator)  # BERT and the collator
    skip = torch.tensor(sorted({i for i in excluded if 0 <= i < vocab_size}), dtype=torch.long)  # a few ids
    if len(skip) >= vocab_size:
        raise ValueError("random_from='non_special' needs at least one id that is not special")
    r = torch.randint(vocab_size - len(skip), shape, generator=generator)  # rank among allowed ids
    # the r-th allowed id is r plus the number of excluded ids at or below it; skip[j] - j is
    # how many allowed ids come before skip[j], so that count is a sorted search
    return r + torch.searchsorted(skip - torch.arange(len(skip)), r, right=True)


def _replace(input_ids, selected, vocab_size, mask_token_id, special_token_ids, mask_fraction,
             random_fraction, generator, random_from="vocab"):
    """Apply the 80/10/10 rule to the selected positions; return (masked_ids, labels)."""
    labels = torch.where(selected, input_ids, torch.full_like(input_ids, IGNORE_INDEX))
    u = torch.rand(input_ids.shape, generator=generator)  # one uniform draw decides the fate
    to_mask = selected & (u < mask_fraction)
    to_random = selected & (u >= mask_fraction) & (u < mask_fraction + random_fraction)
    random_ids = _random_ids(input_ids.shape, vocab_size, [*special_token_ids, mask_token_id],
                             random_from, generator).to(input_ids.dtype)
    masked = input_ids.clone()
    masked[to_mask] = mask_token_id
    masked[to_random] = random_ids[to_random]
    return masked, labels


def mask_tokens(input_ids, *, vocab_size, mask_token_id, special_token_ids, mlm_probability=0.15,
                mask_fraction=0.8, random_fraction=0.1, generator=None, attention_mask=None,
                random_from="vocab"):
    """BERT's MLM corruption, e.g. ``ids, labels = mask_tokens(x, vocab_size=30522, mask_token_id=103,
    special_token_ids=[0, 101, 102], generator=torch.Generator().manual_seed(0))``.

    Each ordinary token is selected with ``mlm_probability``; a selected token becomes [MASK]
    with ``mask_fraction``, a random token with ``random_fraction``, else stays. The random
    token is uniform over the whole vocabulary (``random_from="vocab"``, as BERT), or over the
    ids that are neither special nor [MASK] (``random_from="non_special"``).
    Labels hold the original id at selected positions and -100 elsewhere.
    """
    _check_probs(mlm_probability, mask_fraction, random_fraction)
    _check_ids(input_ids, vocab_size, mask_token_id, special_token_ids, generator, attention_mask)
    _check_random_from(random_from)
    candidates = ~torch.isin(input_ids, torch.tensor(list(special_token_ids), dtype=input_ids.dtype))
    if attention_mask is not None:
        candidates &= attention_mask.bool()  # padding is never a prediction target
    coin = torch.rand(input_ids.shape, generator=generator)
    selected = candidates & (coin < mlm_probability)
    return _replace(input_ids, selected, vocab_size, mask_token_id, special_token_ids,
                    mask_fraction, random_fraction, generator, random_from)


def whole_word_mask(input_ids, is_continuation, *, vocab_size, mask_token_id, special_token_ids,
                    mlm_probability=0.15, mask_fraction=0.8, random_fraction=0.1, generator=None,
                    random_from="vocab"):
    """Select whole words: all pieces of a word or none, e.g. ``is_continuation = tokens start with '##'``.

    ``is_continuation`` is a bool tensor shaped like ``input_ids``, True for '##' pieces.
    The 80/10/10 decision is then made per token, as in the original implementation;
    ``random_from`` is as in ``mask_tokens``.
    """
    _check_probs(mlm_probability, mask_fraction, random_fraction)
    _check_ids(input_ids, vocab_size, mask_token_id, special_token_ids, generator)
    _check_random_from(random_from)
    if not isinstance(is_continuation, torch.Tensor) or is_continuation.shape != input_ids.shape:
        raise ValueError("is_continuation must be a bool tensor with the same shape as input_ids")
    candidates = ~torch.isin(input_ids, torch.tensor(list(special_token_ids), dtype=input_ids.dtype))
    starts = candidates & ~is_continuation.bool()
    # one coin per word, tossed at its first piece; specials end a word and are never taken
    word_taken = starts & (torch.rand(input_ids.shape, generator=generator) < mlm_probability)
    boundary = starts | ~candidates
    positions = torch.arange(input_ids.shape[-1]).expand_as(input_ids)
    last_start = torch.where(boundary, positions, 0).cummax(dim=-1).values  # (B, T)
    selected = candidates & word_taken.gather(-1, last_start)  # each piece copies its word's coin
    return _replace(input_ids, selected, vocab_size, mask_token_id, special_token_ids,
                    mask_fraction, random_fraction, generator, random_from)


def continuation_mask(tokens: Sequence[Sequence[str]]) -> torch.Tensor:
    """Bool tensor, True where a WordPiece continues a word, e.g. ``continuation_mask([['play', '##ing']])``."""
    if isinstance(tokens, str) or not all(isinstance(row, (list, tuple)) for row in tokens):
        raise TypeError("tokens must be a list of token lists (one per sequence)")
    if len({len(row) for row in tokens}) > 1:
        raise ValueError("all token lists must have the same length (pad them first)")
    return torch.tensor([[t.startswith("##") for t in row] for row in tokens], dtype=torch.bool)


def as_rng(rng) -> random.Random:
    """An int seed or a ``random.Random`` as a ``random.Random``, e.g. ``as_rng(0).random()``."""
    if isinstance(rng, int) and not isinstance(rng, bool):
        return random.Random(rng)
    if not isinstance(rng, random.Random):
        raise TypeError("rng must be an int seed or a random.Random")
    return rng


def make_nsp_pairs(documents, *, rng=0, p_is_next=0.5):
    """Next Sentence Prediction pairs from documents (lists of sentences).

    Every consecutive sentence pair yields one example (a, b, label): with ``p_is_next``
    b is the real next sentence (label 0, IsNext), otherwise a sentence from another
    document (label 1, NotNext), the label convention of Hugging Face's ``BertForPreTraining``.
    Example: ``make_nsp_pairs([["A1.", "A2."], ["B1.", "B2."]], rng=0)``.
    """
    rng = as_rng(rng)
    if not 0.0 <= p_is_next <= 1.0:
        raise ValueError(f"p_is_next must be between 0 and 1, got {p_is_next}")
    if isinstance(documents, str) or not all(
        isinstance(d, (list, tuple)) and all(isinstance(s, str) for s in d) for d in documents
    ):
        raise TypeError("documents must be a list of documents, each a list of sentence strings")
    docs = [list(d) for d in documents if len(d) > 0]
    if len(docs) < 2:
        raise ValueError("need at least two non-empty documents to draw NotNext sentences from")
    pairs = []
    for i, doc in enumerate(docs):
        for j in range(len(doc) - 1):
            if rng.random() < p_is_next:
                pairs.append((doc[j], doc[j + 1], 0))
            else:
                other = rng.choice([k for k in range(len(docs)) if k != i])
                pairs.append((doc[j], rng.choice(docs[other]), 1))
    return pairs
