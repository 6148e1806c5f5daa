"""bertcore.support.viz / quiz / exercises: offline attention views, live controls, quizzes, auto-checks."""
from __future__ import annotations

import importlib
import json
import re
import shutil
import subprocess
import sys

import ipywidgets
import numpy as np
import pytest
import torch

from bertcore.support import exercises, viz

quizmod = importlib.import_module("bertcore.support.quiz")  # the module (bc.quiz is its main function)

SENTENCE = "The cat sat on the mat."


@pytest.fixture(scope="module")
def encoded(pretrained):
    tokenizer, model = pretrained
    enc = tokenizer(SENTENCE, "It was tired.", return_tensors="pt")
    with torch.no_grad():
        out = model(**enc, output_attentions=True)
    tokens = tokenizer.convert_ids_to_tokens(enc["input_ids"][0])
    return out, tokens, tokens.index("[SEP]") + 1


def _scripts(html: str) -> list[str]:
    return re.findall(r"<script[^>]*>(.*?)</script>", html, flags=re.S)


# ---------------------------------------------------------------- attention views
@pytest.mark.parametrize("book_mode", [False, True])
def test_head_and_model_views_need_no_cdn(encoded, monkeypatch, book_mode):
    out, tokens, b_start = encoded
    if book_mode:
        monkeypatch.setenv(viz.BOOK_ENV, "1")
    else:
        monkeypatch.delenv(viz.BOOK_ENV, raising=False)
    head = viz.head_view(out, tokens, sentence_b_start=b_start, return_html=True).data
    assert re.search(r'<select id="layer" aria-label="Layer">', head)
    for html in (head, viz.model_view(out.attentions, tokens, return_html=True).data):
        assert "cdnjs" not in html and "<script src=" not in html
        assert "require.config" not in html and "window.__bertcoreVizRun(" in html
        inlined = "jQuery v2.1.0" in html
        assert inlined is not book_mode  # Jupyter: libraries inlined; book: loaded from _static
        if book_mode:
            assert viz.LIBS_FILE in html
        # every drop-down has an accessible name
        selects = re.findall(r"<select id=[^>]*>", html)
        assert all('aria-label="' in s for s in selects), selects


def test_views_accept_bertcore_model_outputs(pretrained):
    import bertcore

    tokenizer, model = pretrained
    core = bertcore.BertModel.from_pretrained(model)
    enc = tokenizer(SENTENCE, return_tensors="pt")
    with torch.no_grad():
        out = core(enc["input_ids"], enc["token_type_ids"], enc["attention_mask"])
    tokens = tokenizer.convert_ids_to_tokens(enc["input_ids"][0])
    html = viz.head_view(out, tokens, return_html=True).data
    params = json.loads(re.search(r"const params = (\{.*?\}); // HACK", html).group(1))
    first = torch.tensor(params["attention"][0]["attn"][0], dtype=torch.float64)  # layer 0, (H, T, T)
    assert torch.allclose(first, out.attentions[0][0].double(), atol=5e-4)  # rounded to 3 decimals


def test_attention_arguments_are_validated(encoded):
    out, tokens, _ = encoded
    with pytest.raises(ValueError, match="output_attentions=True"):
        viz.head_view(type("Out", (), {"attentions": None})(), tokens)
    with pytest.raises(TypeError, match="list of strings"):
        viz.head_view(out, "the cat")
    with pytest.raises(ValueError, match="tokens"):
        viz.head_view(out, tokens[:-1])
    with pytest.raises(TypeError, match="per-layer"):
        viz.model_view(out.attentions[0], tokens)
    with pytest.raises(ValueError, match="sentence_b_start"):
        viz.head_view(out, tokens, sentence_b_start=0)
    with pytest.raises(ValueError, match="display_mode"):
        viz.model_view(out, tokens, display_mode="blue")
    with pytest.raises(ValueError, match="batch of 2"):
        viz.head_view([a.expand(2, -1, -1, -1) for a in out.attentions], tokens)


@pytest.mark.parametrize("kind", ["transformers", "bertcore"])
def test_neuron_model_has_the_same_attention(pretrained, kind):
    import bertcore

    tokenizer, model = pretrained
    source = model if kind == "transformers" else bertcore.BertModel.from_pretrained(model)
    enc = tokenizer(SENTENCE, return_tensors="pt")
    with torch.no_grad():
        ref = model(**enc, output_attentions=True).attentions
        ours = viz.neuron_model(source)(enc["input_ids"], token_type_ids=enc["token_type_ids"])[-1]
    assert len(ours) == len(ref)
    for layer, r in zip(ours, ref, strict=True):
        assert (layer["attn"] - r).abs().max() < 1e-5


def test_neuron_view_is_offline_and_rounded(pretrained):
    tokenizer, model = pretrained
    html = viz.neuron_view(model, tokenizer, SENTENCE, "It was tired.", layer=1, head=2,
                           return_html=True).data
    assert "cdnjs" not in html and "window.__bertcoreVizRun(" in html
    params = json.loads(viz._NEURON_PARAMS.search(html).group(1))
    assert params["layer"] == 1 and params["head"] == 2
    q = np.array(params["attention"]["all"]["queries"])
    assert np.allclose(q, np.round(q, 2))
    with pytest.raises(ValueError, match="layer"):
        viz.neuron_view(model, tokenizer, SENTENCE, layer=99)
    with pytest.raises(ValueError, match="sentence_a"):
        viz.neuron_view(model, tokenizer, "  ")
    with pytest.raises(TypeError, match="BertModel"):
        viz.neuron_model(torch.nn.Linear(2, 2))


@pytest.mark.skipif(shutil.which("node") is None, reason="node is needed to parse the JavaScript")
def test_generated_javascript_parses(encoded, pretrained, tmp_path):
    out, tokens, b_start = encoded
    tokenizer, model = pretrained
    pages = [viz.head_view(out, tokens, sentence_b_start=b_start, return_html=True).data,
             viz.neuron_view(model, tokenizer, SENTENCE, return_html=True).data]
    scripts = [s for page in pages for s in _scripts(page)] + [viz.libs_bundle()]
    for i, script in enumerate(scripts):
        path = tmp_path / f"s{i}.js"
        path.write_text(script)
        result = subprocess.run(["node", "--check", str(path)], capture_output=True, text=True)
        assert result.returncode == 0, result.stderr[:500]


@pytest.mark.skipif(shutil.which("node") is None, reason="node is needed to run the JavaScript")
def test_runner_keeps_each_neuron_view_params_when_libraries_arrive_in_between(tmp_path):
    """In the book the libraries load asynchronously; they may arrive between a neuron view's
    params script and its drawing script, after other views queued up."""
    script = """
    var window = globalThis, appended = null, seen = [];
    globalThis.document = {querySelector: () => null, createElement: () => ({}),
                           head: {appendChild: s => { appended = s; }}};
    RUNNER
    window.__bertcoreVizRun(() => seen.push(["head", window.bertviz_params]));
    window.bertviz_params = {n: 1};                               // neuron view A, first script
    window.__bertcoreViz = {jquery: 1, d3: 2}; appended.onload();   // libraries arrive now
    window.__bertcoreVizRun(() => seen.push(["A", window.bertviz_params]));
    window.bertviz_params = {n: 2};
    window.__bertcoreVizRun(() => seen.push(["B", window.bertviz_params]));
    console.log(JSON.stringify(seen));
    """.replace("RUNNER", viz._RUNNER)
    path = tmp_path / "runner.js"
    path.write_text(script)
    out = subprocess.run(["node", str(path)], capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == [["head", None], ["A", {"n": 1}], ["B", {"n": 2}]]


def test_without_vendored_assets_falls_back_to_cdn_with_a_warning(encoded, monkeypatch, tmp_path):
    out, tokens, _ = encoded
    monkeypatch.setenv(viz.ASSETS_ENV, str(tmp_path))
    assert viz.libs_bundle() is None
    with pytest.warns(UserWarning, match="make assets"):
        html = viz.head_view(out, tokens, return_html=True).data
    assert "cdnjs" in html


# ---------------------------------------------------------------- live controls
def test_interact_shows_initial_output_and_returns_the_panel():
    calls = []

    def show(n, word="bank"):
        calls.append((n, word))
        return None

    slider = ipywidgets.IntSlider(value=4, min=1, max=9)
    panel = viz.interact(show, n=slider, word=ipywidgets.Dropdown(options=["bank", "bat"]))
    assert isinstance(panel, ipywidgets.interactive)
    assert calls == [(4, "bank")]  # called once, with the initial values
    slider.value = 7
    assert calls[-1] == (7, "bank")
    assert slider in panel.children
    panel._ipython_display_()  # returned from a cell after interact displayed it: no second copy
    assert panel._bc_shown


@pytest.mark.parametrize("book_mode", [False, True])
def test_interact_says_in_the_book_that_controls_recompute_only_in_jupyter(monkeypatch, book_mode):
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda *objs, **kw: shown.extend(objs))
    if book_mode:
        monkeypatch.setenv(viz.BOOK_ENV, "1")
    else:
        monkeypatch.delenv(viz.BOOK_ENV, raising=False)
    slider = ipywidgets.IntSlider(value=2, min=1, max=3)
    panel = viz.interact(lambda layer: None, layer=slider)
    notes = [o for o in shown if isinstance(o, IPython.display.HTML) and "recompute" in o.data]
    assert len(notes) == (1 if book_mode else 0)
    assert shown[-1] is panel
    assert slider.description == "layer"  # labelled after its parameter


def test_interact_validates_and_raises_the_first_error():
    with pytest.raises(TypeError, match="function"):
        viz.interact(3, n=ipywidgets.IntSlider())
    with pytest.raises(ValueError, match="at least one control"):
        viz.interact(lambda n: n)
    with pytest.raises(TypeError, match="no parameter"):
        viz.interact(lambda n: n, m=ipywidgets.IntSlider())
    with pytest.raises(TypeError, match="required parameter"):
        viz.interact(lambda n, k: n, n=ipywidgets.IntSlider())
    with pytest.raises(ZeroDivisionError):
        viz.interact(lambda n: 1 / n, n=ipywidgets.IntSlider(value=0))
    with pytest.raises(ValueError, match="widgets"):
        viz.interact(lambda n: n, n=object())


# ---------------------------------------------------------------- quizzes
def _question(correct_index=0, n=3, feedback=True):
    return {"question": "Q?", "type": "multiple_choice",
            "answers": [{"answer": f"A{i}", "correct": i == correct_index,
                         **({"feedback": f"F{i}"} if feedback else {})} for i in range(n)]}


def test_quiz_validation_errors():
    assert quizmod.validate([_question()]) == [_question()]
    bad = [
        ([], "non-empty"),
        ([_question(n=2)], "at least 3"),
        ([_question(feedback=False)], "feedback"),
        ([{**_question(), "type": "numeric"}], "multiple_choice"),
        ([{**_question(), "answers": [{"answer": "a", "correct": True, "feedback": "f"}] * 3}],
         "exactly one"),
    ]
    for questions, message in bad:
        with pytest.raises(ValueError, match=message):
            quizmod.validate(questions)


def test_quiz_files_missing_or_invalid(tmp_path, monkeypatch):
    monkeypatch.setenv(quizmod.QUIZ_ENV, str(tmp_path))
    with pytest.raises(FileNotFoundError, match="AUTHORING"):
        quizmod.load("01")
    (tmp_path / "02.json").write_text("[{")
    with pytest.raises(ValueError, match="not valid JSON"):
        quizmod.load("02")
    with pytest.raises(ValueError, match="file stem"):
        quizmod.load("../02")


def test_quiz_html_is_self_contained(tmp_path, monkeypatch):
    monkeypatch.setenv(quizmod.QUIZ_ENV, str(tmp_path))
    (tmp_path / "05.json").write_text(json.dumps([_question(1), _question(2)]))
    html, js = quizmod.quiz_html("05")
    assert "<style>" in html and "data-shufflequestions" in html
    assert "show_questions" in js and '"A1"' in js
    assert "http" not in html and "cdn" not in js.lower()


def test_bc_quiz_is_the_function_whatever_was_imported_first():
    code = ("import bertcore.support.quiz as m, bertcore as bc; assert bc.quiz is m.quiz; "
            "assert callable(bc.quiz)")
    subprocess.run([sys.executable, "-c", code], check=True)


# ---------------------------------------------------------------- exercises
def test_check_passes_and_reports(capsys):
    assert exercises.check(torch.softmax, lambda input, dim: torch.softmax(input, dim),
                           [(torch.randn(2, 3), -1), {"input": torch.ones(4), "dim": 0}],
                           random_cases=lambda g: (torch.randn(3, 5, generator=g), 1))
    assert "All 7 checks passed" in capsys.readouterr().out


def test_check_not_implemented(capsys):
    def todo(x):
        raise NotImplementedError  # your code here

    assert not exercises.check(todo, lambda x: x, [(1,)])
    assert capsys.readouterr().out.strip() == "Not implemented yet: fill in the function body"


@pytest.mark.parametrize("candidate, message", [
    (lambda x: x[:, :2], "shape (2, 2) but expected (2, 3)"),
    (lambda x: x + 1e-3, "6 of 6 values differ"),
    (lambda x: x.tolist(), "expected Tensor, got list"),
    (lambda x: x.foo, "raised AttributeError"),
])
def test_check_explains_what_is_wrong(capsys, candidate, message):
    x = torch.arange(6.0).reshape(2, 3)
    assert not exercises.check(candidate, lambda x: x.clone(), [(x,)], name="f")
    out = capsys.readouterr().out
    assert message in out and "case 1" in out


def test_compare_recurses_into_containers():
    ref = {"a": [1, (2.0, np.arange(3))], "b": "x", "c": True}
    assert exercises.compare(ref, ref) is None
    assert "keys" in exercises.compare({"a": 1}, {"b": 1})
    assert "[1][1]" in exercises.compare({**ref, "a": [1, (2.0, np.arange(1, 4))]}, ref)
    assert "length 1 but expected 2" in exercises.compare([1], [1, 2])
    assert exercises.compare(torch.tensor(2.0), 2.0) is None  # a 0-d tensor for a number
    assert exercises.compare(2.0000001, 2) is None
    assert "got 3" in exercises.compare(3, 2)
    assert exercises.compare(np.array([True, False]), np.array([True, True])) is not None


def test_random_cases_are_seeded_and_numpy_rng_is_supported(capsys):
    seen = []

    def ref(x):
        seen.append(float(x.sum()))
        return x

    exercises.check(ref, ref, random_cases=lambda np_rng: (np_rng.normal(size=3),), n_random=2)
    exercises.check(ref, ref, random_cases=lambda np_rng: (np_rng.normal(size=3),), n_random=2)
    assert seen[:4] == seen[4:]  # same seed, same inputs
    assert "All 2 checks passed" in capsys.readouterr().out


def test_check_result_is_a_quiet_bool():
    ok, bad = exercises.CheckResult(True), exercises.CheckResult(False)
    assert ok and not bad and ok == True and bad == False  # noqa: E712
    assert repr(ok) == "True" and str(bad) == "False"
    assert bad._ipython_display_() is None  # IPython shows nothing under the printed report


def test_check_never_raises_on_bad_usage(capsys):
    assert not exercises.check(lambda x: x, lambda x: 1 / 0, [(1,)])
    assert "reference itself failed" in capsys.readouterr().out
    assert not exercises.check(lambda x: x, lambda x: x, [])
    assert not exercises.check(lambda x: x, lambda x: x, 5)
    assert not exercises.check("f", lambda x: x, [(1,)])
