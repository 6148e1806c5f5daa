"""bertcore.analysis.typos: edit distance against a brute-force search, misspellings at the asked distance."""
import itertools

import numpy as np
import pytest

from bertcore.analysis.typos import LETTERS, _edit_once, edit_distance, misspell


@pytest.mark.parametrize("a, b, d", [("kitten", "sitting", 3), ("form", "from", 1), ("", "abc", 3),
                                     ("abc", "", 3), ("same", "same", 0), ("ca", "abc", 3), ("ab", "ba", 1)])
def test_known_distances(a, b, d):
    assert edit_distance(a, b) == d == edit_distance(b, a)


def _neighbours(word, alphabet="abc"):
    out = {word[:i] + word[i + 1:] for i in range(len(word))}
    out |= {word[:i] + c + word[i:] for i in range(len(word) + 1) for c in alphabet}
    out |= {word[:i] + c + word[i + 1:] for i in range(len(word)) for c in alphabet}
    out |= {word[:i] + word[i + 1] + word[i] + word[i + 2:] for i in range(len(word) - 1)}
    return out


def test_distance_one_is_exactly_one_edit():
    # every string over {a, b, c} up to length 4: distance 1 <=> one of the four edits
    words = ["".join(p) for n in range(5) for p in itertools.product("abc", repeat=n)]
    for w in words[::7]:
        near = _neighbours(w) - {w}
        for v in words:
            assert (edit_distance(w, v) == 1) == (v in near), (w, v)


@pytest.mark.parametrize("n", [0, 1, 2, 3])
def test_misspell_is_exactly_n_edits_away_and_reproducible(n):
    for seed in range(30):
        word = misspell("medication", n, np.random.default_rng(seed))
        assert edit_distance("medication", word) == n
        assert set(word) <= set(LETTERS)
        assert word == misspell("medication", n, np.random.default_rng(seed))


def test_every_kind_of_edit_occurs():
    rng = np.random.default_rng(0)
    lengths = {len(_edit_once("abcdef", rng)) for _ in range(200)}
    assert lengths == {5, 6, 7}                       # delete, substitute/swap, insert
    assert misspell("a", 1, np.random.default_rng(0)) != "a"


@pytest.mark.parametrize("call, error", [
    (lambda: misspell("", 1, np.random.default_rng(0)), TypeError),
    (lambda: misspell("word", -1, np.random.default_rng(0)), ValueError),
    (lambda: misspell("word", 1, 0), TypeError),
    (lambda: edit_distance("a", None), TypeError),
])
def test_bad_arguments_raise(call, error):
    with pytest.raises(error):
        call()
