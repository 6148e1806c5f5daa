"""One disk cache for everything bertcore computes once: sentence embeddings and trained models.

Where: the folder named by the environment variable ``BERTCORE_CACHE`` (read on every call,
so a test or a read-only checkout can point it elsewhere); unset, ``data/cache/`` in the
repository, or the user cache folder (``platformdirs``) for an installed package. Every entry
is ``<kind>-<key>`` (a file or a folder) directly under that root.

Key: ``cache_key(kind, settings, model)`` hashes the kind, the settings, ``VERSION`` and, when a
model is involved, ``weights_fingerprint(model)``: its configuration and every weight, never
its name, so a changed or differently-trained model never reads a stale entry.

Writes are atomic: each goes to a fresh temporary file or folder next to the target and is then
renamed into place, so parallel processes never see half an entry; if another process renamed
its copy first, ours is discarded. While one process builds an entry it holds a lock beside it,
and the others wait and then load its result instead of building the same thing again. An entry
that fails to load (truncated, wrong row count) is reported with a warning, renamed to
``<name>.corrupt-<random>`` for inspection and rebuilt. When the cache cannot be written (read-
only checkout), the computed result is still returned, with a warning. Simplifies: nothing is
ever evicted (delete the folder to start afresh).
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import pickle
import re
import shutil
import tempfile
import uuid
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path

import platformdirs
import torch

ENV_VAR = "BERTCORE_CACHE"
VERSION = 4  # bump when the training code changes what it produces: every old entry is then ignored
# what a truncated or damaged .npz / .pt / .json / .csv raises when loaded
LOAD_ERRORS = (OSError, EOFError, ValueError, KeyError, TypeError, RuntimeError, zipfile.BadZipFile,
               pickle.UnpicklingError)


class CacheWarning(UserWarning):
    """A cache entry was corrupt, or the cache folder could not be written."""


class CorruptEntry(ValueError):
    """Raised by a loader whose entry loads but fails a check (e.g. a wrong number of rows)."""


def cache_root() -> Path:
    """``$BERTCORE_CACHE`` if set, else ``data/cache`` in a source checkout, else the user cache folder."""
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR])
    repo = Path(__file__).resolve().parents[2]
    if (repo / "pyproject.toml").is_file() and (repo / "data").is_dir():  # running from the repository
        return repo / "data" / "cache"
    return Path(platformdirs.user_cache_dir("bertcore"))  # an installed package: never site-packages


def _config_dict(model) -> dict:
    config = getattr(model, "config", None)
    cfg = config.to_dict() if hasattr(config, "to_dict") else {}
    # scalars only, and no paths or library versions: they differ between machines, weights do not
    return {k: v for k, v in sorted(cfg.items()) if not k.startswith("_") and k != "transformers_version"
            and isinstance(v, (int, float, str, bool, type(None)))}


def weights_fingerprint(model: torch.nn.Module) -> str:
    """16 hex digits of a hash of the configuration and every weight, e.g. ``weights_fingerprint(model)[:8]``."""
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    h = hashlib.sha256(json.dumps(_config_dict(model), sort_keys=True).encode())
    for name, t in model.state_dict().items():  # every parameter and buffer, in a fixed order
        t = t.detach().cpu().contiguous().reshape(-1)
        h.update(f"|{name}|{t.dtype}|{t.numel()}|".encode())
        h.update(t.view(torch.uint8).numpy())  # the raw bytes: any changed weight changes the hash
    return h.hexdigest()[:16]


def cache_key(kind: str, settings: dict, model: torch.nn.Module | None = None) -> str:
    """12 hex digits of (kind, settings, VERSION, the model's weights), e.g. ``cache_key('demo', {'n': 1})``."""
    if not isinstance(kind, str) or not re.fullmatch(r"[A-Za-z0-9_.-]+", kind):
        raise ValueError(f"kind must be a short name of letters, digits, '-', '_' or '.', got {kind!r}")
    if not isinstance(settings, dict):
        raise TypeError(f"settings must be a dict, got {type(settings).__name__}")
    weights = None if model is None else weights_fingerprint(model)
    try:
        blob = json.dumps({"kind": kind, "settings": settings, "version": VERSION, "weights": weights},
                          sort_keys=True)
    except TypeError as err:
        raise TypeError(f"settings must hold only numbers, strings, lists and dicts ({err})") from None
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


def entry_path(kind: str, settings: dict, model: torch.nn.Module | None = None, *, suffix: str = "",
               root: str | Path | None = None) -> Path:
    """``<root>/<kind>-<key><suffix>``, e.g. ``entry_path('embeddings', {'n': 3}, model, suffix='.npz')``."""
    return Path(root if root is not None else cache_root()) / f"{kind}-{cache_key(kind, settings, model)}{suffix}"


def _unwritable(path: Path, err: Exception) -> None:
    warnings.warn(f"could not write the cache entry {path.name} into the folder {path.parent} ({err}); "
                  f"the result is returned but not stored. Make that folder writable or set the "
                  f"environment variable {ENV_VAR} to a writable folder.", CacheWarning, stacklevel=4)


def write_atomic(path: str | Path, save: Callable[[Path], None], *, folder: bool = False) -> bool:
    """Run ``save(tmp)`` on a fresh temporary file (or folder) beside ``path``, then rename it into place.

    Returns True when ``path`` now holds a complete entry (ours, or another process's that won
    the race), False with a ``CacheWarning`` when the folder cannot be written.
    """
    path, tmp = Path(path), None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if folder:
            tmp = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.tmp-"))
        else:  # keep the suffix: np.savez would otherwise append '.npz'
            fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.tmp-", suffix=path.suffix)
            os.close(fd)
            tmp = Path(name)
        os.chmod(tmp, 0o755 if folder else 0o644)  # mkstemp/mkdtemp make them private to us
        save(tmp)
        if folder:
            try:
                os.rename(tmp, path)  # atomic; fails if another process's folder is already there
            except OSError:
                if not path.is_dir():
                    raise
                return True  # another process won: keep theirs, ours is removed below
        else:
            os.replace(tmp, path)  # atomic; an equal file from another process is simply replaced
        tmp = None
        return True
    except (OSError, RuntimeError) as err:  # torch.save reports a full disk as a RuntimeError
        _unwritable(path, err)
        return False
    finally:
        if tmp is not None and tmp.is_dir():  # a failed write, or the race lost: remove ours
            shutil.rmtree(tmp, ignore_errors=True)
        elif tmp is not None:
            tmp.unlink(missing_ok=True)


def _stamp(path: Path):
    try:
        st = path.stat()
    except OSError:  # missing, or its folder is not a folder: no entry
        return None
    return st.st_ino, st.st_mtime_ns, st.st_size


def move_aside(path: str | Path, error: Exception, stamp=None) -> Path | None:
    """Warn that ``path`` is corrupt and rename it to ``<name>.corrupt-<random>``; returns the new path.

    With ``stamp`` (from before the failed load), an entry another process has meanwhile
    replaced is left alone.
    """
    path = Path(path)
    aside = path.with_name(f"{path.name}.corrupt-{uuid.uuid4().hex[:8]}")
    message = f"cache entry {path} could not be loaded ({type(error).__name__}: {error})"
    try:
        if stamp is not None and _stamp(path) != stamp:
            return None  # already moved aside or rebuilt by another process
        os.rename(path, aside)
    except FileNotFoundError:
        return None  # another process moved it first
    except OSError as err:
        warnings.warn(f"{message}; it could not be moved aside ({err}), rebuilding it", CacheWarning,
                      stacklevel=3)
        return None
    warnings.warn(f"{message}; moved aside to {aside.name}, rebuilding it", CacheWarning, stacklevel=3)
    return aside


def load_or_build(path: str | Path, load: Callable[[Path], object], build: Callable[[], object],
                  save: Callable[[object, Path], None], *, folder: bool = False) -> tuple[object, bool]:
    """``(load(path), True)`` if a valid entry exists, else ``(build(), False)`` stored with ``save(value, tmp)``.

    ``load`` raises (any of ``LOAD_ERRORS``, e.g. ``CorruptEntry``) when the entry is damaged:
    it is then moved aside with a warning and rebuilt. A failed write only warns.
    """
    path = Path(path)

    def try_load():
        stamp = _stamp(path)
        if stamp is not None:
            try:
                return load(path), True
            except LOAD_ERRORS as err:
                move_aside(path, err, stamp)
        return None

    found = try_load()
    if found is not None:
        return found
    with _build_lock(path):
        found = try_load()  # another process may have built it while we waited for the lock
        if found is not None:
            return found
        value = build()
        write_atomic(path, lambda tmp: save(value, tmp), folder=folder)
    return value, False


@contextlib.contextmanager
def _build_lock(path: Path):
    """Hold an exclusive lock while ``path`` is built, so parallel processes build an entry once.

    A POSIX advisory lock on ``.<name>.lock`` beside the entry. Without ``fcntl`` (Windows) or in
    an unwritable folder there is no lock: processes may then build the same entry side by side,
    which costs time but stays correct, because the writes are atomic.
    """
    try:
        import fcntl
    except ImportError:
        yield
        return
    lock = path.with_name(f".{path.name}.lock")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock, os.O_CREAT | os.O_RDWR, 0o644)
    except OSError:
        yield
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        # removed while still held: a process waiting on it re-checks for the entry once it gets it
        lock.unlink(missing_ok=True)
        os.close(fd)
