"""bertcore.support.cache: one root and key, atomic writes under concurrency, corrupt entries rebuilt, no lost work."""
import copy
import multiprocessing as mp
import re
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import transformers

import bertcore as bc
import bertcore.variants.domain as domain
from bertcore.support import cache

TEXTS = ["Works great.", "I had a terrible headache.", "No.", "My anxiety is much better now."]
FT = dict(epochs=1, max_len=8, batch_size=64, lr=1e-3, head_init="random")  # a tiny, fast fine-tune
WORKERS = 6


@pytest.fixture
def root(tmp_path, monkeypatch):
    """An empty cache root for one test, set the way a reader would: BERTCORE_CACHE."""
    monkeypatch.setenv("BERTCORE_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture
def unwritable(tmp_path, monkeypatch):
    """A cache root that cannot be created, even as root: its parent is a regular file."""
    (tmp_path / "a-file").write_text("not a folder")
    monkeypatch.setenv("BERTCORE_CACHE", str(tmp_path / "a-file" / "cache"))
    return tmp_path / "a-file" / "cache"


def _truncate(path, keep=0.5):
    size = path.stat().st_size
    with open(path, "r+b") as f:
        f.truncate(int(size * keep))


def _leftovers(folder):
    """Temporary files or folders left behind by a write (there must be none)."""
    return [p.name for p in folder.iterdir() if ".tmp-" in p.name]


# ---- root, key, fingerprint ---------------------------------------------------------------

def test_root_follows_the_environment_variable(tmp_path, monkeypatch):
    monkeypatch.setenv("BERTCORE_CACHE", str(tmp_path))
    assert cache.cache_root() == tmp_path
    assert cache.entry_path("demo", {"n": 1}).parent == tmp_path
    monkeypatch.delenv("BERTCORE_CACHE")
    assert cache.cache_root() == Path(bc.__file__).resolve().parents[1] / "data" / "cache"
    # an installed package (no repository around it) uses the user cache folder, not site-packages
    monkeypatch.setattr(cache, "__file__", str(tmp_path / "site-packages" / "bertcore" / "support" / "cache.py"))
    assert "site-packages" not in str(cache.cache_root()) and "bertcore" in str(cache.cache_root())


def test_key_covers_kind_settings_version_and_weights(tiny, monkeypatch):
    _, enc = tiny
    key = cache.cache_key("demo", {"a": 1}, enc)
    assert len(key) == 12 and key == cache.cache_key("demo", {"a": 1}, enc)
    assert key != cache.cache_key("other", {"a": 1}, enc)
    assert key != cache.cache_key("demo", {"a": 2}, enc)
    assert key != cache.cache_key("demo", {"a": 1})
    monkeypatch.setattr(cache, "VERSION", cache.VERSION + 1)  # new training code: old entries ignored
    assert key != cache.cache_key("demo", {"a": 1}, enc)
    with pytest.raises(TypeError, match="settings must hold only"):
        cache.cache_key("demo", {"a": object()})
    with pytest.raises(ValueError, match="kind"):
        cache.cache_key("../escape", {})


def test_fingerprint_is_the_weights_and_config_not_the_name():
    cfg = transformers.BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                                  intermediate_size=32)
    torch.manual_seed(0)
    a = transformers.BertModel(cfg)
    b = transformers.BertModel(copy.deepcopy(cfg))  # its own config object
    b.load_state_dict(a.state_dict())
    a.config._name_or_path, b.config._name_or_path = "/home/me/model", "some/hub-name"
    assert cache.weights_fingerprint(a) == cache.weights_fingerprint(b)  # same weights, other name
    with torch.no_grad():
        b.encoder.layer[0].output.dense.weight[7, 3] += 1e-3  # one weight in the middle of a matrix
    assert cache.weights_fingerprint(a) != cache.weights_fingerprint(b)
    b.load_state_dict(a.state_dict())
    b.config.layer_norm_eps = 1e-5  # same weights, other computation
    assert cache.weights_fingerprint(a) != cache.weights_fingerprint(b)
    with pytest.raises(TypeError, match="torch.nn.Module"):
        cache.weights_fingerprint("bert-base-uncased")


def test_domain_adapt_is_keyed_on_the_starting_weights(tiny):
    _, enc = tiny
    other = bc.BertModel(bc.BertConfig.tiny())
    settings = dict(steps=2)
    assert cache.entry_path("domain-adapt", settings, enc) != cache.entry_path("domain-adapt", settings, other)


# ---- atomic writes ------------------------------------------------------------------------

def test_write_atomic_file_and_folder(tmp_path):
    target = tmp_path / "sub" / "x.npz"
    assert cache.write_atomic(target, lambda tmp: np.savez(tmp, a=np.arange(3)))
    with np.load(target) as d:
        assert d["a"].tolist() == [0, 1, 2]
    folder = tmp_path / "entry"
    assert cache.write_atomic(folder, lambda tmp: (tmp / "f.txt").write_text("first"), folder=True)
    # another process's folder is already there: success, theirs kept, ours removed
    assert cache.write_atomic(folder, lambda tmp: (tmp / "f.txt").write_text("second"), folder=True)
    assert (folder / "f.txt").read_text() == "first"
    assert _leftovers(tmp_path) == [] and _leftovers(tmp_path / "sub") == []


def _in_parallel(task, n=WORKERS, timeout=120):
    """Run task(i) in n forked processes released together by a barrier; returns their results."""
    ctx = mp.get_context("fork")
    barrier, results = ctx.Barrier(n), ctx.Queue()

    def run(i):
        torch.set_num_threads(1)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            barrier.wait()
            try:
                out = ("ok", task(i))
            except BaseException as err:  # report it to the parent, which fails the test
                out = ("error", f"{type(err).__name__}: {err}")
        results.put((i, out, [str(w.message) for w in caught if issubclass(w.category, cache.CacheWarning)]))

    procs = [ctx.Process(target=run, args=(i,), daemon=True) for i in range(n)]
    for p in procs:
        p.start()
    try:
        got = [results.get(timeout=timeout) for _ in procs]
        for p in procs:
            p.join(timeout=timeout)
    finally:
        for p in procs:  # a hung worker must not outlive the test
            if p.is_alive():
                p.kill()
    assert all(p.exitcode == 0 for p in procs), [p.exitcode for p in procs]
    errors = [(i, out) for i, out, _ in got if out[0] != "ok"]
    assert not errors, errors
    assert not [w for *_, w in got if w], [w for *_, w in got if w]  # no process saw a corrupt entry
    return [out[1] for _, out, _ in sorted(got, key=lambda g: g[0])]


def test_six_processes_load_the_reviews_at_once_and_write_nothing(root):
    def load(i):
        return len(bc.load_reviews("train" if i % 2 else "test"))

    assert _in_parallel(load) == [379, 600] * (WORKERS // 2)
    assert not root.exists()  # the reviews ship with the package: nothing to extract or cache


def test_six_processes_write_the_same_embeddings(root, tiny):
    tok, enc = tiny

    def encode(i):
        out = bc.cached_encode_pooled(enc, tok, TEXTS, max_length=16)
        return {k: v.numpy().tobytes() for k, v in out.items()}

    outs = _in_parallel(encode)
    assert all(o == outs[0] for o in outs)  # every process returned the same vectors
    [entry] = list(root.iterdir())
    assert entry.name.startswith("embeddings-") and entry.suffix == ".npz"
    with np.load(entry) as d:
        assert {k: d[k].tobytes() for k in d.files} == outs[0]


def test_six_processes_write_the_same_folder_entry(root):
    path = cache.entry_path("demo", {"n": 60})

    def save(frame, tmp):
        frame.to_csv(tmp / "history.csv", index=False)
        time.sleep(0.05)  # widen the window between the write and the rename
        (tmp / "meta.json").write_text('{"rows": 60}')

    def build_one(i):
        value, _ = cache.load_or_build(path, lambda p: pd.read_csv(p / "history.csv"),
                                       lambda: pd.DataFrame({"step": range(60)}), save, folder=True)
        return len(value)

    assert _in_parallel(build_one) == [60] * WORKERS
    assert [p.name for p in root.iterdir()] == [path.name]
    assert len(pd.read_csv(path / "history.csv")) == 60 and (path / "meta.json").is_file()


def test_six_processes_build_an_entry_once_and_the_others_load_it(root, tmp_path):
    path = cache.entry_path("demo", {"n": 7})
    builds = tmp_path / "builds"
    builds.mkdir()

    def build_one(i):
        def build():
            (builds / str(i)).touch()  # one file per process that ran the expensive build
            time.sleep(0.3)            # long enough for every other process to arrive and wait
            return i

        value, cached = cache.load_or_build(path, lambda p: int((p / "v.txt").read_text()), build,
                                            lambda v, tmp: (tmp / "v.txt").write_text(str(v)), folder=True)
        return value, cached

    outs = _in_parallel(build_one)
    [builder] = [p.name for p in builds.iterdir()]              # exactly one process built it
    assert sorted(cached for _, cached in outs).count(False) == 1
    assert {value for value, _ in outs} == {int(builder)}       # everyone got the builder's value
    assert [p.name for p in root.iterdir()] == [path.name]       # no lock file is left behind


# ---- corrupt entries: warned about, moved aside, rebuilt ------------------------------------

def _aside(path):
    return sorted(p.name for p in path.parent.glob(f"{path.name}.corrupt-*"))


@pytest.mark.parametrize("damage", ["truncate", "fewer rows"])
def test_damaged_embeddings_are_rebuilt(root, tiny, damage):
    tok, enc = tiny
    first = bc.cached_encode_pooled(enc, tok, TEXTS, max_length=16)
    [path] = list(root.glob("embeddings-*.npz"))
    if damage == "truncate":
        _truncate(path)
    else:  # a valid file with the wrong number of rows
        np.savez(path, **{k: v[..., :2, :].numpy() for k, v in first.items()})
    with pytest.warns(cache.CacheWarning, match=path.name):
        again = bc.cached_encode_pooled(enc, tok, TEXTS, max_length=16)
    assert all(torch.equal(first[k], again[k]) for k in first)
    assert len(_aside(path)) == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        third = bc.cached_encode_pooled(enc, tok, TEXTS, max_length=16)  # the rebuilt entry is valid
    assert all(torch.equal(first[k], third[k]) for k in first)


def test_truncated_fine_tuned_model_and_meta_are_rebuilt_bit_identical(root, tiny):
    tok, enc = tiny
    _, clf, info = bc.fine_tuned("topics", tokenizer=tok, encoder=enc, **FT)
    reference = {k: v.clone() for k, v in clf.state_dict().items()}
    path = info["path"]
    assert path.parent == root and path.name.startswith("finetune-topics-")
    for name in ("model.pt", "meta.json"):
        _truncate(path / name)
        with pytest.warns(cache.CacheWarning, match=path.name):
            _, clf, info = bc.fine_tuned("topics", tokenizer=tok, encoder=enc, **FT)
        assert not info["cached"] and info["path"] == path
        assert all(torch.equal(v, reference[k]) for k, v in clf.state_dict().items()), name
        _, clf, info = bc.fine_tuned("topics", tokenizer=tok, encoder=enc, **FT)
        assert info["cached"] and all(torch.equal(v, reference[k]) for k, v in clf.state_dict().items())
        assert set(info) >= {"task", "settings", "history", "train_seconds", "cached", "path"}
    assert len(_aside(path)) == 2


def _domain_entry(rows=60):
    torch.manual_seed(0)
    model = bc.BertForPreTraining(bc.BertModel(bc.BertConfig.tiny(vocab_size=100)))
    return model, pd.DataFrame({"step": range(1, rows + 1), "mlm_loss": np.linspace(5, 1, rows)})


@pytest.mark.parametrize("name", ["history.csv", "meta.json", "model.pt"])
def test_truncated_domain_adapt_files_are_rebuilt(root, name):
    path = cache.entry_path("domain-adapt", {"steps": 60})
    built = []

    def build():
        built.append(1)
        return _domain_entry()

    def save(result, tmp):
        domain._save_adapted(result, tmp, {"steps": 60})

    cache.load_or_build(path, domain._load_adapted, build, save, folder=True)
    (model, hist), cached = cache.load_or_build(path, domain._load_adapted, build, save, folder=True)
    assert cached and len(hist) == 60 and len(built) == 1
    _truncate(path / name, 0.4)  # a 40% history.csv still parses, with fewer rows
    with pytest.warns(cache.CacheWarning, match=path.name):
        (model, hist), cached = cache.load_or_build(path, domain._load_adapted, build, save, folder=True)
    assert not cached and len(built) == 2 and len(hist) == 60 and len(_aside(path)) == 1
    (_, hist), cached = cache.load_or_build(path, domain._load_adapted, build, save, folder=True)
    assert cached and len(hist) == 60


# ---- an unwritable cache: the result is still returned, with a warning ------------------------

def test_unwritable_cache_returns_results_with_a_warning(unwritable, tiny):
    tok, enc = tiny
    match = rf"{re.escape(str(unwritable))}.*BERTCORE_CACHE"
    with pytest.warns(cache.CacheWarning, match=match):
        out = bc.cached_encode_pooled(enc, tok, TEXTS, max_length=16)
    assert out["mean"].shape == (len(TEXTS), enc.config.hidden_size)
    with pytest.warns(cache.CacheWarning, match=match):
        _, clf, info = bc.fine_tuned("topics", tokenizer=tok, encoder=enc, **FT)
    assert not info["cached"] and len(info["history"]) > 0 and clf.labels == info["labels"]
    assert not unwritable.parent.is_dir()  # nothing was written anywhere
