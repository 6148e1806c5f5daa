"""Bad inputs at the public boundary: each raises ValueError/TypeError naming the fix, or gives a correct result.

One table (``CASES``): a call on shared fixtures, the expected exception type and a fragment of
its message. Model folders (a tiny GPT-2, tiny BERTs with missing or extra weights, an empty
folder) are built offline once per module; the packaged model is loaded once per session.
"""
import json
import math
import types

import pytest
import torch

import bertcore as bc
from bertcore.support import loading

V = 100  # vocabulary of the tiny bertcore model
SURROGATE = "great \ud83d product"  # half of an emoji, as a bad decode leaves it


@pytest.fixture(scope="module")
def ctx(pretrained, tmp_path_factory):
    """Everything the table's calls need: models, tokenizer and model folders on disk."""
    import transformers

    tok, hf = pretrained
    torch.manual_seed(0)
    root = tmp_path_factory.mktemp("models")

    def bert_folder(name, layers_saved, layers_claimed):
        folder = root / name
        cfg = transformers.BertConfig(vocab_size=len(tok), hidden_size=32, num_hidden_layers=layers_saved,
                                      num_attention_heads=2, intermediate_size=64)
        transformers.BertModel(cfg).save_pretrained(folder)
        tok.save_pretrained(folder)
        config = json.loads((folder / "config.json").read_text())
        config["num_hidden_layers"] = layers_claimed  # 1 saved, 2 claimed: layer 1 would be random
        (folder / "config.json").write_text(json.dumps(config))
        return folder

    gpt2 = root / "gpt2"
    gpt2_config = transformers.GPT2Config(n_layer=1, n_embd=32, n_head=2, vocab_size=100)
    transformers.GPT2Model(gpt2_config).save_pretrained(gpt2)
    tok.save_pretrained(gpt2)
    empty = root / "empty"
    empty.mkdir()
    no_vocab = root / "no_vocab"
    no_vocab.mkdir()
    (no_vocab / "config.json").write_text("{}")
    return types.SimpleNamespace(
        tok=tok, hf=hf, core=bc.BertModel(bc.BertConfig.tiny(vocab_size=V)).eval(),
        clf=bc.SequenceClassifier(bc.BertModel(bc.BertConfig.tiny(vocab_size=len(tok))), ["neg", "pos"]),
        pretraining=bc.BertForPreTraining(bc.BertConfig.tiny(vocab_size=len(tok))),
        tiny=bert_folder("tiny", 1, 1), missing=bert_folder("missing", 1, 2),
        unexpected=bert_folder("unexpected", 2, 1), gpt2=gpt2, empty=empty, no_vocab=no_vocab,
        cache=root / "cache",
    )


def ids(*rows, dtype=torch.long):
    return torch.tensor(rows, dtype=dtype)


DOCS = [["The pills helped.", "I slept well."], ["No side effects.", "Would buy again."]] * 2
MASK_ARGS = dict(vocab_size=10, mask_token_id=3, special_token_ids=[0])
NAN = float("nan")

CASES = [
    # bertcore.BertModel: ids checked before any embedding lookup
    ("model: id past the vocabulary", lambda c: c.core(ids([1, V])), ValueError, r"lie in \[0, 100\), found 100"),
    ("model: negative id", lambda c: c.core(ids([1, -1])), ValueError, "found -1"),
    ("model: token_type_ids of 2", lambda c: c.core(ids([1, 2]), token_type_ids=ids([0, 2])),
     ValueError, "segment A is 0, segment B is 1"),
    ("model: token_type_ids wrong shape", lambda c: c.core(ids([1, 2]), token_type_ids=ids([0, 0, 0])),
     ValueError, "shape of input_ids"),
    ("model: zero-length input", lambda c: c.core(torch.zeros(1, 0, dtype=torch.long)),
     ValueError, "at least one token"),
    ("model: no rows", lambda c: c.core(torch.zeros(0, 3, dtype=torch.long)), ValueError, "at least one token"),
    ("model: bool ids", lambda c: c.core(ids([True, False], dtype=torch.bool)), TypeError, r"\.long\(\)"),
    ("model: float ids", lambda c: c.core(torch.rand(1, 3)), TypeError, "integer tensor"),
    ("model: 1-D ids", lambda c: c.core(torch.tensor([1, 2])), TypeError, r"shape \(B, T\)"),
    ("model: list ids", lambda c: c.core([[1, 2]]), TypeError, "return_tensors='pt'"),
    ("model: longer than the position table", lambda c: c.core(torch.ones(1, 129, dtype=torch.long)),
     ValueError, "position table has only 128 rows"),
    ("model: position_ids past the table", lambda c: c.core(ids([1, 2]), position_ids=ids([0, 200])),
     ValueError, "positions run from 0 to 127"),
    # texts longer than the position table, before the model sees them
    ("word_vectors: text over 512 tokens", lambda c: bc.word_vectors(c.hf, c.tok, "bank " * 600, "bank"),
     ValueError, "only 512 positions: shorten it, truncate"),
    ("batch_word_vectors: text over 512 tokens",
     lambda c: bc.batch_word_vectors(c.hf, c.tok, ["bank", "bank " * 600], "bank"), ValueError, "only 512 positions"),
    ("neuron_view: text over 512 tokens", lambda c: bc.neuron_view(c.hf, c.tok, "word " * 600),
     ValueError, "sentence_a has 602 tokens"),
    ("hidden_states: encoding without tensors", lambda c: bc.hidden_states(c.hf, c.tok(["hi"])),
     TypeError, "return_tensors='pt'"),
    # mask_tokens
    ("mask_tokens: bool ids", lambda c: bc.mask_tokens(ids([True], dtype=torch.bool), **MASK_ARGS),
     TypeError, "integer torch.Tensor"),
    ("mask_tokens: int32 ids", lambda c: bc.mask_tokens(ids([5, 6], dtype=torch.int32), **MASK_ARGS),
     TypeError, r"input_ids\.long\(\)"),
    ("mask_tokens: mask of another shape",
     lambda c: bc.mask_tokens(ids([5, 6]), attention_mask=torch.ones(1, 3), **MASK_ARGS),
     ValueError, "same shape as input_ids"),
    ("mask_tokens: NaN probability", lambda c: bc.mask_tokens(ids([5, 6]), mlm_probability=NAN, **MASK_ARGS),
     ValueError, "between 0 and 1"),
    # texts: empty, bare strings, non-strings, unpaired surrogates
    ("fine_tune: no texts", lambda c: bc.fine_tune(c.clf, c.tok, [], []), ValueError, "texts is empty"),
    ("predict: no texts", lambda c: bc.predict(c.clf, c.tok, []), ValueError, "texts is empty"),
    ("cached_encode_pooled: no texts", lambda c: bc.cached_encode_pooled(c.hf, c.tok, [], cache_dir=c.cache),
     ValueError, "texts is empty"),
    ("embed: one bare string", lambda c: bc.embed(c.hf, c.tok, "Great."), TypeError, r"wrap it as \[text\]"),
    ("encode_ids: None among the texts", lambda c: bc.encode_ids(c.tok, ["ok", None]),
     TypeError, r"texts\[1\] is NoneType"),
    ("encode_ids: unpaired surrogate", lambda c: bc.encode_ids(c.tok, ["fine", SURROGATE]),
     ValueError, r"texts\[1\] contains an unpaired surrogate character U\+D83D"),
    ("embed: unpaired surrogate", lambda c: bc.embed(c.hf, c.tok, [SURROGATE]), ValueError, "surrogatepass"),
    ("word_vectors: unpaired surrogate", lambda c: bc.word_vectors(c.hf, c.tok, SURROGATE, "great"),
     ValueError, "text contains an unpaired surrogate"),
    ("neuron_view: unpaired surrogate", lambda c: bc.neuron_view(c.hf, c.tok, SURROGATE),
     ValueError, "sentence_a contains an unpaired surrogate"),
    ("mlm_fill: unpaired surrogate", lambda c: bc.mlm_fill(c.pretraining, c.tok, SURROGATE + " [MASK]."),
     ValueError, "text contains an unpaired surrogate"),
    ("static_vector: tokenizer and model swapped", lambda c: bc.static_vector(c.tok, c.hf, "bank"),
     TypeError, r"static_vector\(model, tokenizer, word\)"),
    ("static_vector: unpaired surrogate", lambda c: bc.static_vector(c.hf, c.tok, "\ud83d"),
     ValueError, "word contains an unpaired surrogate"),
    ("train_wordpiece: no texts", lambda c: bc.train_wordpiece([], 50), ValueError, "texts is empty"),
    ("word_counts: unpaired surrogate", lambda c: bc.word_counts([SURROGATE]), ValueError, "surrogate"),
    ("tfidf_baseline: no texts", lambda c: bc.tfidf_baseline([], []), ValueError, "texts is empty"),
    # batching
    ("collate: float ids", lambda c: bc.collate([[101, 7.9, 102]]), TypeError, "token ids must be ints"),
    ("collate: no rows", lambda c: bc.collate([]), ValueError, "at least one sequence"),
    ("collate: negative pad_id", lambda c: bc.collate([[1]], pad_id=-1), ValueError, "pad_id must be an int >= 0"),
    ("bucket_batches: float lengths", lambda c: bc.bucket_batches([3.5, 2.0], 2), TypeError, "non-negative ints"),
    ("padded_tokens: index past lengths", lambda c: bc.padded_tokens([3], [[5]]),
     ValueError, r"row indices in \[0, 1\)"),
    # pre-training settings
    ("pretrain: lr NaN", lambda c: bc.pretrain(lr=NAN, tokenizer=c.tok, documents=DOCS, steps=1),
     ValueError, "lr must be a finite number"),
    ("pretrain: head_lr inf", lambda c: bc.pretrain(head_lr=math.inf, tokenizer=c.tok, documents=DOCS, steps=1),
     ValueError, "head_lr must be a finite number"),
    ("pretrain: negative lr", lambda c: bc.pretrain(lr=-1e-3, tokenizer=c.tok, documents=DOCS, steps=1),
     ValueError, "lr must be >= 0"),
    ("pretrain: warmup 2", lambda c: bc.pretrain(warmup=2.0, tokenizer=c.tok, documents=DOCS, steps=1),
     ValueError, "warmup must be"),
    ("pretrain: mlm_probability NaN", lambda c: bc.pretrain(mlm_probability=NAN, tokenizer=c.tok, documents=DOCS),
     ValueError, "mlm_probability must be a finite number"),
    ("pretrain: steps 2.0", lambda c: bc.pretrain(steps=2.0, tokenizer=c.tok, documents=DOCS),
     TypeError, "steps must be a positive int"),
    ("pretrain: explicitly no documents", lambda c: bc.pretrain(documents=[], tokenizer=c.tok, steps=1),
     ValueError, "documents is empty"),
    ("pretrain: documents as one string", lambda c: bc.pretrain(documents="text", tokenizer=c.tok, steps=1),
     TypeError, "list of documents"),
    ("evaluate_pretraining: explicitly no documents",
     lambda c: bc.evaluate_pretraining(c.pretraining, c.tok, []), ValueError, "documents is empty"),
    ("fine_tune: lr NaN", lambda c: bc.fine_tune(c.clf, c.tok, ["ok"], ["pos"], lr=NAN), ValueError,
     "lr must be a finite number"),
    ("fine_tune: negative weight decay", lambda c: bc.fine_tune(c.clf, c.tok, ["ok"], ["pos"], weight_decay=-1.0),
     ValueError, "weight_decay must be >= 0"),
    # loading: non-BERT, incomplete, missing or empty folders
    ("load_pretrained: a GPT-2 folder", lambda c: bc.load_pretrained(str(c.gpt2)),
     ValueError, "is a 'gpt2' model, but the book needs a BERT encoder"),
    ("load_pretrained: BERT with missing weights", lambda c: bc.load_pretrained(str(c.missing)),
     ValueError, r"missing weights \['encoder\.layer\.1\."),
    ("load_pretrained: BERT with unexpected weights", lambda c: bc.load_pretrained(str(c.unexpected)),
     ValueError, r"unexpected weights \['encoder\.layer\.1\."),
    ("BertModel.from_pretrained: a GPT-2 folder", lambda c: bc.BertModel.from_pretrained(str(c.gpt2)),
     ValueError, "'gpt2' model"),
    ("BertModel.from_pretrained: missing weights", lambda c: bc.BertModel.from_pretrained(str(c.missing)),
     ValueError, "missing weights"),
    ("load_pretrained: missing ./folder", lambda c: bc.load_pretrained("./no/such/model"),
     ValueError, "model folder ./no/such/model does not exist"),
    ("load_pretrained: missing ~/folder", lambda c: bc.load_pretrained("~/no-such-model-folder"),
     ValueError, "does not exist"),
    ("load_pretrained: missing sub-folder of an existing one", lambda c: bc.load_pretrained(str(c.empty) + "x/y"),
     ValueError, "does not exist"),
    ("load_pretrained: empty folder", lambda c: bc.load_pretrained(str(c.empty)),
     ValueError, "has no config.json, no weights"),
    ("load_pretrained: hub id not downloaded", lambda c: bc.load_pretrained("org/not-downloaded-model"),
     RuntimeError, "connect to the internet"),
    ("load_pretrained: name 123", lambda c: bc.load_pretrained(123), TypeError, "name must be a string"),
    ("vocab_path: folder without vocab.txt", lambda c: bc.vocab_path(str(c.no_vocab)),
     ValueError, "has no vocab.txt"),
    ("vocab_path: missing folder", lambda c: bc.vocab_path("./no/such/model"), ValueError, "does not exist"),
    ("describe: not a model", lambda c: bc.describe("bert-base-uncased"), TypeError, "bc.load_pretrained()"),
    # configs and small numeric settings
    ("BertConfig: dropout 1.5", lambda c: bc.BertConfig(hidden_dropout_prob=1.5), ValueError, "hidden_dropout_prob"),
    ("BertConfig: layer_norm_eps NaN", lambda c: bc.BertConfig(layer_norm_eps=NAN), ValueError, "layer_norm_eps"),
    ("sinusoidal_positions: base NaN", lambda c: bc.sinusoidal_positions(4, 4, base=NAN), ValueError, "base must be"),
    ("linear_schedule: negative step", lambda c: bc.linear_schedule(-1, 10, 2), ValueError, "step must be an int >= 0"),
    ("linear_schedule: zero total steps", lambda c: bc.linear_schedule(0, 0, 0), ValueError, "total_steps"),
    ("linear_schedule: warm-up past the end", lambda c: bc.linear_schedule(0, 10, 20), ValueError,
     r"warmup_steps must be an int in \[0, 10\]"),
    ("sliding_window_mask: float radius", lambda c: bc.sliding_window_mask(4, 1.0), TypeError, r"\(write 1\)"),
    ("window_spans: bool window", lambda c: bc.window_spans(10, True, 1), TypeError, "window must be an int"),
    ("learn_merges: negative size", lambda c: bc.learn_merges({"ab": 3}, -1),
     ValueError, "n_tokens must be an int >= 0"),
    ("cosine_top_k: k = 0", lambda c: bc.cosine_top_k(torch.randn(2, 4), torch.randn(5, 4), 0),
     ValueError, "k must be a positive int"),
]


@pytest.mark.parametrize("call, error, message", [pytest.param(*case[1:], id=case[0]) for case in CASES])
def test_bad_input_names_the_fix(ctx, call, error, message):
    with pytest.raises(error, match=message):
        call(ctx)


def test_the_table_is_large_enough():
    assert len(CASES) >= 40 and len({case[0] for case in CASES}) == len(CASES)


# ------------------------------------------------------------------ correct results instead of errors
def test_a_local_bert_folder_loads_and_describe_reports_it(ctx, monkeypatch):
    monkeypatch.setenv(loading.ENV_VAR, str(ctx.tiny))
    tok, model = bc.load_pretrained()
    info = bc.describe(model)
    assert (info["name"], info["layers"], info["hidden_size"], info["vocab_size"]) == (str(ctx.tiny), 1, 32, len(tok))
    # describe names what was loaded, not the environment: the packaged model stays "packaged"
    assert bc.describe(ctx.hf)["name"] == loading.DEFAULT_NAME
    assert bc.describe(ctx.core)["name"] == "built in memory (not loaded)"
    assert bc.describe(bc.BertModel.from_pretrained(str(ctx.tiny)))["name"] == str(ctx.tiny)


def test_gpt2_in_the_environment_is_refused_not_replaced_by_a_random_bert(ctx, monkeypatch):
    monkeypatch.setenv(loading.ENV_VAR, str(ctx.gpt2))
    with pytest.raises(ValueError, match="'gpt2' model"):
        bc.load_pretrained()


def test_collate_accepts_numpy_and_tensor_rows():
    import numpy as np

    got = bc.collate([np.array([101, 7, 102]), torch.tensor([101, 102])], pad_id=0)
    assert got["input_ids"].tolist() == [[101, 7, 102], [101, 102, 0]]
    assert got["attention_mask"].tolist() == [[1, 1, 1], [1, 1, 0]]


def test_check_reports_an_infinite_loop_and_returns(capsys):
    def forever(x):
        while True:
            try:
                x += 1
            except Exception:  # a reader's catch-all must not swallow the time limit
                pass

    result = bc.check(forever, lambda x: x, [(1,)], time_limit=0.3)
    assert result == False  # noqa: E712 - CheckResult is an int
    assert "did not finish in 0.3 s: an infinite loop?" in capsys.readouterr().out


def test_check_time_limit_also_works_off_the_main_thread(capsys):
    import threading
    import time

    results = []
    worker = threading.Thread(target=lambda: results.append(
        bc.check(lambda x: time.sleep(5), lambda x: x, [(1,)], time_limit=0.2)))
    worker.start()
    worker.join(3)
    assert results == [False] and "did not finish in 0.2 s" in capsys.readouterr().out


def test_check_never_raises_on_outputs_it_cannot_compare_or_bad_settings(capsys):
    class Weird:
        def __eq__(self, other):
            raise RuntimeError("no comparison")

        def __repr__(self):
            raise RuntimeError("no repr")

    assert not bc.check(lambda x: Weird(), lambda x: Weird(), [(1,)])
    assert "the check itself failed" in capsys.readouterr().out
    assert not bc.check(lambda x: x, lambda x: x, [(1,)], time_limit=-1)
    assert "time_limit must be a positive number" in capsys.readouterr().out
    assert bc.check(lambda x: x + 1, lambda x: x + 1, [(1,), (2,)], time_limit=None)
