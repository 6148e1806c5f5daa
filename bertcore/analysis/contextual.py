"""Contextual vectors of one word, layer by layer (chapters 1, 3 and 25).

Simplifies: a word is found by a whole-word, case-insensitive search in the raw text, and
its vector at a layer is the mean of its WordPiece vectors there ("bank" is one piece,
"antidepressant" several). Works with a Hugging Face ``BertModel`` or ``bertcore.BertModel``.
"""
from __future__ import annotations

import re

import numpy as np
import torch

from bertcore._checks import check_length, check_text


def word_token_span(tokenizer, text: str, word: str, occurrence: int = 0) -> tuple[int, int]:
    """Token positions [start, end) of a word in ``tokenizer(text)``, e.g. ``(3, 4)`` for 'bank'.

    Positions count [CLS], so they index the model's outputs directly.
    """
    check_text("text", text), check_text("word", word)
    if not word.strip():
        raise ValueError("word must be a non-empty string, e.g. 'bank'")
    if not isinstance(occurrence, int) or isinstance(occurrence, bool) or occurrence < 0:
        raise ValueError(f"occurrence must be a non-negative int (0 = first), got {occurrence!r}")
    if not getattr(tokenizer, "is_fast", False):
        raise TypeError("tokenizer must be a fast tokenizer (offsets needed), e.g. from bc.load_pretrained()")
    hits = list(re.finditer(rf"(?<!\w){re.escape(word.strip())}(?!\w)", text, flags=re.IGNORECASE))
    if len(hits) <= occurrence:
        raise ValueError(
            f"{word!r} occurs {len(hits)} time(s) as a whole word in the text; "
            f"pick a text that contains it or a smaller occurrence (got {occurrence})"
        )
    lo, hi = hits[occurrence].span()  # character span of the word
    offsets = tokenizer(text, return_offsets_mapping=True)["offset_mapping"]  # (T, 2), specials = (0, 0)
    inside = [i for i, (a, b) in enumerate(offsets) if b > a and a >= lo and b <= hi]
    if not inside:  # only possible if the tokenizer drops the characters entirely
        raise ValueError(f"{word!r} produced no tokens; it may consist of characters the tokenizer strips")
    return inside[0], inside[-1] + 1


def hidden_states(model, encoding: dict, attention_mask: torch.Tensor | None = None) -> tuple:
    """All L+1 hidden states (B, T, hidden) for a tokenizer encoding, from either model class.

    Example: ``hidden_states(model, tokenizer(['hi'], return_tensors='pt'))[-1].shape``.
    ``attention_mask`` overrides the encoding's padding mask (only ``bertcore.BertModel``
    accepts (T, T) patterns such as a causal mask).
    """
    from bertcore.encoder import BertModel as CoreBert

    if "input_ids" not in encoding or not isinstance(encoding["input_ids"], torch.Tensor):
        raise TypeError("encoding must be a tokenizer output with return_tensors='pt'")
    check_length(encoding["input_ids"].shape[-1], model.config.max_position_embeddings)
    ids = encoding["input_ids"]
    types = encoding.get("token_type_ids")
    mask = encoding.get("attention_mask") if attention_mask is None else attention_mask
    with torch.no_grad():
        if isinstance(model, CoreBert):
            return model(ids, token_type_ids=types, attention_mask=mask).hidden_states
        if attention_mask is not None and attention_mask.shape != ids.shape:
            raise ValueError("a (T, T) attention pattern needs bertcore.BertModel: bc.BertModel.from_pretrained(model)")
        return model(input_ids=ids, token_type_ids=types, attention_mask=mask, output_hidden_states=True).hidden_states


def word_vectors(model, tokenizer, text: str, word: str, *, occurrence: int = 0,
                 attention_mask: torch.Tensor | None = None) -> torch.Tensor:
    """The word's vector at every layer, shape (L+1, hidden); row 0 is the embedding output.

    Example: ``word_vectors(model, tok, 'the river bank', 'bank').shape == (7, 384)``.
    """
    start, end = word_token_span(tokenizer, text, word, occurrence)
    enc = tokenizer(text, return_tensors="pt")
    states = hidden_states(model, enc, attention_mask)  # L+1 tensors (1, T, hidden)
    # mean over the word's WordPieces: (L+1, end-start, hidden) -> (L+1, hidden)
    return torch.stack([h[0, start:end] for h in states]).mean(dim=1)


def batch_word_vectors(model, tokenizer, texts: list[str], word: str, *, occurrence: int = 0,
                       causal: bool = False) -> torch.Tensor:
    """``word_vectors`` for many texts in one padded forward pass, shape (n, L+1, hidden).

    Example: ``batch_word_vectors(model, tok, ['river bank', 'the bank'], 'bank').shape[:2] == (2, 7)``.
    Padding is masked, so each row equals ``word_vectors`` on its text up to float rounding.
    ``causal=True`` (``bertcore.BertModel`` only) lets position i attend to j <= i; padding sits
    on the right, so no real token can see it.
    """
    if isinstance(texts, str) or not isinstance(texts, (list, tuple)) or not texts:
        raise TypeError("texts must be a non-empty list of strings; use word_vectors for one text")
    spans = [word_token_span(tokenizer, t, word, occurrence) for t in texts]
    enc = tokenizer(list(texts), return_tensors="pt", padding=True)
    if getattr(tokenizer, "padding_side", "right") != "right":
        raise ValueError("batch_word_vectors needs tokenizer.padding_side == 'right'")
    n, T = enc["input_ids"].shape
    # (n, T, T), not (T, T): a 2-D mask with n == T would be read as an (n, T) padding mask
    mask = torch.tril(torch.ones(T, T, dtype=torch.bool)).expand(n, T, T) if causal else None
    states = torch.stack(hidden_states(model, enc, mask), dim=1)  # (n, L+1, T_max, hidden)
    return torch.stack([states[i, :, a:b].mean(dim=1) for i, (a, b) in enumerate(spans)])


def static_vector(model, tokenizer, word: str) -> torch.Tensor:
    """The context-free input vector: mean of the word's rows of the token embedding table.

    Example: ``static_vector(model, tok, 'bank').shape == (384,)``. Same for every sentence.
    """
    if not hasattr(getattr(model, "embeddings", None), "word_embeddings"):
        raise TypeError(f"model must be a BERT model (first argument: static_vector(model, tokenizer, word)), "
                        f"got {type(model).__name__}")
    if not isinstance(word, str) or not word.strip():
        raise ValueError("word must be a non-empty string, e.g. 'bank'")
    check_text("word", word)
    ids = tokenizer(word.strip(), add_special_tokens=False)["input_ids"]
    if not ids:
        raise ValueError(f"{word!r} produced no tokens")
    table = model.embeddings.word_embeddings.weight  # (vocab, hidden), same name in both classes
    return table[ids].detach().mean(dim=0)


def sense_separation(vectors: torch.Tensor, labels) -> float:
    """Mean same-label cosine minus mean cross-label cosine of the rows (pairs i != j).

    Example: ``sense_separation(torch.eye(2).repeat(2, 1), ['a', 'b', 'a', 'b']) == 1.0``.
    0 means the labels cannot be told apart by direction; larger means better separated.
    """
    if not isinstance(vectors, torch.Tensor) or vectors.dim() != 2:
        raise TypeError("vectors must be a (n, hidden) tensor, e.g. word_vectors(...)[:, layer]")
    labels = np.asarray(labels)
    if labels.shape != (vectors.shape[0],):
        raise ValueError(f"need one label per row: {vectors.shape[0]} rows, labels of shape {labels.shape}")
    same = labels[:, None] == labels[None, :]
    off_diagonal = ~np.eye(len(labels), dtype=bool)
    if not (same & off_diagonal).any() or same.all():
        raise ValueError("need at least two rows with the same label and two different labels")
    unit = torch.nn.functional.normalize(vectors.detach().double(), dim=-1)
    cos = (unit @ unit.T).numpy()  # (n, n)
    return float(cos[same & off_diagonal].mean() - cos[~same].mean())
