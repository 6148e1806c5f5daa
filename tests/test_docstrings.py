"""bertcore.load_docstrings: the non-review control corpus of chapter 22."""
import pytest

import bertcore as bc
from bertcore.support.data import _prose_sentences


class Words:
    """A stand-in tokenizer: one piece per word (the loader only needs tokenize)."""

    def tokenize(self, text):
        return text.split()


def write_package(root):
    names = ("apple", "birch", "cedar", "daisy", "ember", "fjord", "grove", "heron")
    sentences = {f"{n}.py": [f"The {n} module reads {w} files from the disk and returns them." for w in
                             ("old", "new", "big")] for n in names}
    for name, lines in sentences.items():
        body = " ".join(lines)
        (root / name).write_text(f'"""{body}\n\n>>> print(1)\nThis doctest paragraph is skipped entirely here."""\n'
                                 f'def f():\n    """Return the value of the thing when asked nicely.\n\n'
                                 f'    x = f(2) is code, not prose.\n    """\n')
    (root / "tests").mkdir()
    (root / "tests" / "t.py").write_text('"""A test module that must never be read by the loader."""\n')
    (root / "broken.py").write_text('"""Unclosed\n')


def test_prose_filter_keeps_plain_sentences_only():
    assert _prose_sentences("Open the file and read every line of it. See x = 2 for why.") == [
        "Open the file and read every line of it."]
    assert _prose_sentences(">>> f(1)\nReturn the value of the thing when asked nicely.") == []
    assert _prose_sentences("Too short here.") == []
    assert _prose_sentences("Uses `code` markup which the filter must reject here.") == []


def test_splits_are_disjoint_deterministic_and_sized(tmp_path):
    write_package(tmp_path)
    tok = Words()
    train = bc.load_docstrings("train", tokenizer=tok, n_pieces=60, root=tmp_path)
    test = bc.load_docstrings("test", tokenizer=tok, n_pieces=60, root=tmp_path)
    assert train == bc.load_docstrings("train", tokenizer=tok, n_pieces=60, root=tmp_path)
    flat = [s for d in train for s in d]
    pieces = sum(len(s.split()) for s in flat)
    assert 60 - 10 < pieces <= 60  # stops before the sentence that would pass the budget
    assert all(s.startswith(("The ", "Return the value")) for s in flat)
    assert "test module" not in " ".join(flat) and "doctest" not in " ".join(flat)

    def files(docs):  # one document per file: its module sentences name it
        return [{s.split()[1] for s in d if s.startswith("The ")} for d in docs]

    assert all(len(f) == 1 for f in files(train) + files(test))
    assert not set.union(*files(train)) & set.union(*files(test))  # the halves share no file
    assert bc.load_docstrings("train", tokenizer=tok, n_pieces=60, root=tmp_path, seed=1) != train


def test_too_little_text_and_bad_arguments(tmp_path):
    write_package(tmp_path)
    with pytest.raises(ValueError, match="ask for fewer"):
        bc.load_docstrings("train", tokenizer=Words(), n_pieces=10_000, root=tmp_path)
    with pytest.raises(ValueError, match="split"):
        bc.load_docstrings("dev", tokenizer=Words(), n_pieces=5, root=tmp_path)
    with pytest.raises(TypeError, match="tokenize"):
        bc.load_docstrings("train", tokenizer="bert", n_pieces=5, root=tmp_path)
    with pytest.raises(ValueError, match="n_pieces"):
        bc.load_docstrings("train", tokenizer=Words(), n_pieces=0, root=tmp_path)


def test_standard_library_corpus_is_cached_and_clean(tmp_path, monkeypatch, pretrained):
    monkeypatch.setenv("BERTCORE_CACHE", str(tmp_path))
    tok, _ = pretrained
    docs = bc.load_docstrings("test", tokenizer=tok, n_pieces=300)
    pieces = sum(len(tok.tokenize(s)) for d in docs for s in d)
    assert 300 - 80 < pieces <= 300
    assert all(_prose_sentences(s) == [s] for d in docs for s in d)
    assert len(list(tmp_path.glob("docstrings-*.json"))) == 1
    assert bc.load_docstrings("test", tokenizer=tok, n_pieces=300) == docs
