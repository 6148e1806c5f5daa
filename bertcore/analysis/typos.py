"""Random misspellings and edit distance, to measure how WordPiece copes with typos (chapter 6).

Simplifies: four kinds of edit (delete a letter, insert one, substitute one, swap two
neighbours) using the lower-case letters a-z only; the distance is the "optimal string
alignment" form of the Damerau-Levenshtein distance (each of the four edits costs 1 and no
part of the string is edited twice), which is what one typo per edit means here.
"""
from __future__ import annotations

import numpy as np

LETTERS = "abcdefghijklmnopqrstuvwxyz"
EDITS = ("delete", "insert", "substitute", "swap")


def edit_distance(a: str, b: str) -> int:
    """Fewest deletes, inserts, substitutions and neighbour swaps from a to b, e.g.
    ``edit_distance("form", "from") == 1``."""
    if not isinstance(a, str) or not isinstance(b, str):
        raise TypeError(f"a and b must be str, got {type(a).__name__} and {type(b).__name__}")
    # d[i][j] = distance between a[:i] and b[:j]; (len(a)+1, len(b)+1) table
    d = [[i + j if i * j == 0 else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            d[i][j] = min(d[i - 1][j] + 1,                              # delete a[i-1]
                          d[i][j - 1] + 1,                              # insert b[j-1]
                          d[i - 1][j - 1] + (a[i - 1] != b[j - 1]))     # substitute (or keep)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)             # swap two neighbours
    return d[-1][-1]


def _edit_once(word: str, rng: np.random.Generator) -> str:
    kind = EDITS[int(rng.integers(len(EDITS)))]
    if kind == "insert" or len(word) < 2:        # a 1-letter word can only grow
        i = int(rng.integers(len(word) + 1))
        return word[:i] + LETTERS[int(rng.integers(26))] + word[i:]
    if kind == "delete":
        i = int(rng.integers(len(word)))
        return word[:i] + word[i + 1:]
    if kind == "substitute":
        i = int(rng.integers(len(word)))
        return word[:i] + LETTERS[int(rng.integers(26))] + word[i + 1:]
    i = int(rng.integers(len(word) - 1))         # swap letters i and i+1
    return word[:i] + word[i + 1] + word[i] + word[i + 2:]


def misspell(word: str, n_edits: int, rng: np.random.Generator, max_tries: int = 200) -> str:
    """``word`` with random typos, exactly ``n_edits`` edits away, e.g.
    ``misspell("medication", 1, np.random.default_rng(0))``.

    Edits are drawn one at a time until the result is exactly ``n_edits`` away (two random
    edits can cancel out, for example swapping the same pair twice).
    """
    if not isinstance(word, str) or not word:
        raise TypeError(f"word must be a non-empty str, got {word!r}")
    if type(n_edits) is not int or n_edits < 0:
        raise ValueError(f"n_edits must be an int >= 0, got {n_edits!r}")
    if not isinstance(rng, np.random.Generator):
        raise TypeError("rng must be a numpy Generator, e.g. np.random.default_rng(0), so results are reproducible")
    for _ in range(max_tries):
        out = word
        for _ in range(n_edits):
            out = _edit_once(out, rng)
        if edit_distance(word, out) == n_edits:
            return out
    raise RuntimeError(f"no word {n_edits} edits away from {word!r} after {max_tries} tries: "
                       "raise max_tries or use fewer edits")
