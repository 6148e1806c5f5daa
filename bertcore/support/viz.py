"""Attention views (bertviz) that draw without internet, and live controls that show in the book.

Simplifies: bertviz's HTML asks a CDN for require.js, d3 and jQuery. Here the pinned copies
in ``assets/vendor/`` (``make assets``) are wrapped into one script that never touches AMD
``define``; in Jupyter it is inlined into the output, in the book build (``$BERTCORE_BOOK_BUILD``
set by ``scripts/build_book.py``) each view loads it once from ``_static/vendor/``. Without
``assets/vendor/`` bertviz's CDN version is used, with a warning. Attention values are
rounded to ``decimals`` places to keep pages light.
"""
from __future__ import annotations

import functools
import inspect
import json
import os
import re
import warnings
from pathlib import Path

import ipywidgets

from bertcore._checks import check_length, check_text

BOOK_ENV = "BERTCORE_BOOK_BUILD"  # set while the book executes its notebooks
ASSETS_ENV = "BERTCORE_ASSETS"  # optional override of the vendored-assets folder
LIBS_FILE = "vendor/bertviz-libs.js"  # path of libs_bundle() under the book's _static/

_REQUIRE_TAG = re.compile(r'<script src="https://cdnjs\.cloudflare\.com/ajax/libs/require\.js/[^"]+"></script>')
_REQUIRE_CONFIG = re.compile(r"require\.config\(\{.*?\}\);", re.S)
_REQUIRE_CALL = re.compile(r"requirejs\(\s*\['jquery',\s*'d3'\],")
_NEURON_PARAMS = re.compile(r"window\.bertviz_params = (\{.*\})\n")
_SELECT = re.compile(r'<select id="(\w+)">')
# bertviz's drop-downs sit beside a bare text label: name them for screen readers
_SELECT_NAMES = {"layer": "Layer", "filter": "Attention between sentences", "att_head": "Head"}
# shown above live controls in the HTML book, where no kernel runs behind them
LIVE_NOTE = ("<p class=\"bertcore-live-note\"><em>Live controls: they recompute when this notebook runs in "
             "Jupyter (JupyterLab, Colab). On this page they show the output for their initial values.</em></p>")
# Runs a view once jQuery and d3 exist; loads _static/vendor/bertviz-libs.js when they don't.
_RUNNER = """window.__bertcoreVizRun = window.__bertcoreVizRun || function (fn) {
  var params = window.bertviz_params;  // the neuron view reads this global first thing
  var go = function () {  // runs the view with the params it was called with, then restores the global
    var saved = window.bertviz_params, l = window.__bertcoreViz;
    window.bertviz_params = params;
    try { fn(l.jquery, l.d3); } finally { window.bertviz_params = saved; }
  };
  if (window.__bertcoreViz) { return go(); }
  var queue = window.__bertcoreVizQueue = window.__bertcoreVizQueue || [];
  queue.push(go);
  if (queue.length > 1) { return; }
  var opts = document.querySelector('script[src*="_static/documentation_options.js"]');
  var root = opts ? opts.getAttribute('src').replace(/documentation_options\\.js.*$/, '') : '_static/';
  var s = document.createElement('script');
  s.src = root + '__LIBS_FILE__';
  s.onload = function () { queue.splice(0).forEach(function (f) { f(); }); };
  s.onerror = function () { console.error('bertcore.support.viz: cannot load ' + s.src); };
  document.head.appendChild(s);
};""".replace("__LIBS_FILE__", LIBS_FILE)


def vendor_dir() -> Path:
    """Folder of the pinned JavaScript, e.g. ``vendor_dir() / 'd3.min.js'``."""
    return Path(os.environ.get(ASSETS_ENV) or Path(__file__).resolve().parents[2] / "assets" / "vendor")


def libs_bundle() -> str | None:
    """jQuery + d3 as one script defining ``window.__bertcoreViz`` (None if not fetched)."""
    try:
        jquery = (vendor_dir() / "jquery.min.js").read_text(encoding="utf-8")
        d3 = (vendor_dir() / "d3.min.js").read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    # `define`, `module`, `exports` are shadowed so the UMD headers take the plain-global
    # branch even on pages where require.js is loaded; d3 attaches to `this` (a fresh object).
    return ("(function (define, module, exports) {\n" + jquery + "\n;\n" + d3 + "\n;\n"
            "window.__bertcoreViz = {jquery: window.jQuery.noConflict(true), d3: this.d3};\n"
            "}).call({}, undefined, undefined, undefined);\n")


def _offline(html: str) -> str:
    """Rewrite bertviz's HTML so it needs no CDN."""
    bundle = libs_bundle()
    if bundle is None:
        warnings.warn("assets/vendor/ is missing (run `make assets`): this attention view loads "
                      "require.js, d3 and jQuery from a CDN and draws only with internet access.", stacklevel=3)
        return html
    html, n_tag = _REQUIRE_TAG.subn("", html)
    html, n_cfg = _REQUIRE_CONFIG.subn("", html, count=1)
    html, n_call = _REQUIRE_CALL.subn("window.__bertcoreVizRun(", html)
    if (n_tag, n_cfg, n_call) != (1, 1, 1):
        raise RuntimeError("bertviz's HTML has an unexpected shape; bertcore.support.viz supports bertviz 1.4.1")
    loader = _RUNNER if os.environ.get(BOOK_ENV) else f"if (!window.__bertcoreViz) {{\n{bundle}}}\n{_RUNNER}"
    return f'<script type="text/javascript">\n{loader}\n</script>\n{html}'


def _label_selects(html: str) -> str:
    """Give each bertviz drop-down an accessible name (``aria-label``)."""
    return _SELECT.sub(lambda m: f'<select id="{m[1]}" aria-label="{_SELECT_NAMES.get(m[1], m[1])}">', html)


def _show(html: str, return_html: bool):
    from IPython.display import HTML, display

    # wide views (the model view's grid of heads) scroll inside the column, reachable by keyboard
    out = HTML('<div class="bertcore-view" role="region" aria-label="Attention view" tabindex="0" '
               'style="overflow-x: auto; max-width: 100%;">\n' + _offline(_label_selects(html)) + "\n</div>")
    if return_html:
        return out
    display(out)
    return None


def _attentions(attentions, tokens, decimals: int) -> list:
    """Validate per-layer attention and return bertviz's format: L tensors (1, H, T, T)."""
    import torch

    att = getattr(attentions, "attentions", attentions)
    if att is None:
        raise ValueError("the model output has no attentions: call the model with output_attentions=True "
                         "(load_pretrained() already uses eager attention, which returns them)")
    if isinstance(att, torch.Tensor) or not isinstance(att, (list, tuple)) or not att:
        raise TypeError("attentions must be a model output with .attentions or a non-empty tuple of "
                        "per-layer tensors of shape (B, H, T, T)")
    if not isinstance(tokens, (list, tuple)) or not all(isinstance(t, str) for t in tokens):
        raise TypeError("tokens must be a list of strings, e.g. tokenizer.convert_ids_to_tokens(ids[0])")
    if not isinstance(decimals, int) or decimals < 1:
        raise ValueError(f"decimals must be a positive int, got {decimals!r}")
    out, scale = [], 10.0 ** decimals
    for i, a in enumerate(att):
        if not isinstance(a, torch.Tensor) or a.dim() not in (3, 4):
            raise ValueError(f"layer {i}: expected a tensor of shape (B, H, T, T) or (H, T, T), "
                             f"got {getattr(a, 'shape', type(a).__name__)}")
        if a.dim() == 4 and a.shape[0] != 1:
            raise ValueError(f"layer {i}: a batch of {a.shape[0]} inputs; views show one input: "
                             "pass [a[i:i + 1] for a in out.attentions]")
        a = a.detach().float().cpu().reshape(a.shape[-3:])
        if a.shape[-1] != a.shape[-2] or a.shape[-1] != len(tokens):
            raise ValueError(f"layer {i}: attention is {tuple(a.shape)} but there are {len(tokens)} tokens; "
                             "pass the tokens of the same (single) input")
        out.append((torch.round(a.double() * scale) / scale)[None])
    if len({tuple(a.shape) for a in out}) != 1:
        raise ValueError("all layers must have the same number of heads and tokens")
    return out


def _view(draw, attentions, tokens, sentence_b_start, decimals, return_html, **kw):
    att, n = _attentions(attentions, tokens, decimals), len(tokens)
    if sentence_b_start is not None and (type(sentence_b_start) is not int or not 0 < sentence_b_start < n):
        raise ValueError(f"sentence_b_start must be an int in 1..{n - 1} (index of the first token "
                         f"of sentence B), got {sentence_b_start!r}")
    html = draw(attention=att, tokens=list(tokens), sentence_b_start=sentence_b_start, html_action="return", **kw)
    return _show(html.data, return_html)


def head_view(attentions, tokens, sentence_b_start=None, *, decimals: int = 3, return_html: bool = False, **kw):
    """bertviz head view, e.g. ``head_view(model(**enc).attentions, tokens)``; ``kw``: layer, heads, include_layers."""
    from bertviz import head_view as draw

    return _view(draw, attentions, tokens, sentence_b_start, decimals, return_html, **kw)


def model_view(attentions, tokens, sentence_b_start=None, *, display_mode: str = "light",
               decimals: int = 3, return_html: bool = False, **kw):
    """bertviz model view (every layer x head), e.g. ``model_view(out.attentions, tokens)``."""
    from bertviz import model_view as draw

    if display_mode not in ("light", "dark"):
        raise ValueError(f"display_mode must be 'light' or 'dark', got {display_mode!r}")
    return _view(draw, attentions, tokens, sentence_b_start, decimals, return_html, display_mode=display_mode, **kw)


def neuron_model(model):
    """The weights of a transformers or bertcore ``BertModel`` in bertviz's own neuron-view BERT."""
    from bertviz.transformers_neuron_view import BertConfig as NConfig
    from bertviz.transformers_neuron_view import BertModel as NModel
    from transformers import BertModel as HFBertModel

    from bertcore.encoder import BertModel as CoreBertModel
    from bertcore.encoder import hf_to_bertcore_key

    if isinstance(model, HFBertModel):
        rename = str
    elif isinstance(model, CoreBertModel):
        rename = hf_to_bertcore_key
    else:
        raise TypeError("model must be a transformers.BertModel (e.g. from bc.load_pretrained()) or a "
                        f"bertcore.BertModel; got {type(model).__name__}. The neuron view needs the "
                        "query/key vectors, which only bertviz's own BERT code exposes.")
    c = model.config
    if c.hidden_act not in ("gelu", "relu", "swish"):
        raise ValueError(f"bertviz's neuron view supports gelu/relu/swish, not {c.hidden_act!r}")
    cfg = NConfig(c.vocab_size, hidden_size=c.hidden_size, num_hidden_layers=c.num_hidden_layers,
                  num_attention_heads=c.num_attention_heads, intermediate_size=c.intermediate_size,
                  hidden_act=c.hidden_act, max_position_embeddings=c.max_position_embeddings,
                  type_vocab_size=c.type_vocab_size, layer_norm_eps=c.layer_norm_eps,
                  output_attentions=True)
    nmodel = NModel(cfg)
    state, source = nmodel.state_dict(), model.state_dict()
    for key in state:
        src = rename(key)
        if src in source and source[src].shape == state[key].shape:
            state[key] = source[src]
        elif not key.startswith("pooler."):  # the pooler plays no part in attention
            raise ValueError(f"cannot map weight {key!r} of bertviz's BERT onto the given model")
    nmodel.load_state_dict(state)
    return nmodel.eval()


def neuron_view(model, tokenizer, sentence_a: str, sentence_b: str | None = None, *, layer: int = 0,
                head: int = 0, display_mode: str = "light", decimals: int = 2, return_html: bool = False):
    """bertviz neuron view (queries, keys, q*k) of one head, e.g. ``neuron_view(model, tokenizer, "The cat sat.")``."""
    from bertviz.neuron_view import show

    if not isinstance(sentence_a, str) or not sentence_a.strip():
        raise ValueError("sentence_a must be a non-empty string")
    if sentence_b is not None and (not isinstance(sentence_b, str) or not sentence_b.strip()):
        raise ValueError("sentence_b must be None or a non-empty string")
    for name, text in (("sentence_a", sentence_a), ("sentence_b", sentence_b)):
        if text is not None:
            check_text(name, text)
    check_length(len(tokenizer(sentence_a, sentence_b)["input_ids"]), model.config.max_position_embeddings,
                 "the sentence pair" if sentence_b is not None else "sentence_a")
    if display_mode not in ("light", "dark"):
        raise ValueError(f"display_mode must be 'light' or 'dark', got {display_mode!r}")
    for name, val, top in (("layer", layer, model.config.num_hidden_layers),
                           ("head", head, model.config.num_attention_heads)):
        if not isinstance(val, int) or isinstance(val, bool) or not 0 <= val < top:
            raise ValueError(f"{name} must be an int in 0..{top - 1}, got {val!r}")
    html = show(neuron_model(model), "bert", tokenizer, sentence_a, sentence_b, display_mode=display_mode,
                layer=layer, head=head, html_action="return").data
    params = json.loads(_NEURON_PARAMS.search(html).group(1), parse_float=lambda x: round(float(x), decimals))
    rounded = json.dumps(params, separators=(",", ":"))  # queries and keys: L x H x T x d values
    html = _NEURON_PARAMS.sub(lambda m: f"window.bertviz_params = {rounded}\n", html, count=1)
    return _show(html, return_html)


def interact(fn, **controls):
    """Show ``fn``'s output under live controls, e.g. ``interact(plot, n=ipywidgets.IntSlider(3, 1, 9))``.

    The first call happens now (its error, if any, is raised), so the executed book shows the
    controls with the initial output, under a note that they recompute only in Jupyter. Each
    control is labelled with its ``description``, or the parameter's name when it has none.
    Returns the panel (an ``ipywidgets.interactive``).
    """
    from IPython.display import HTML, display

    if not callable(fn):
        raise TypeError(f"fn must be a function, got {type(fn).__name__}")
    if not controls:
        raise ValueError("give at least one control, e.g. interact(fn, n=ipywidgets.IntSlider(value=3, min=1, max=9))")
    params = inspect.signature(fn).parameters
    if not any(p.kind is p.VAR_KEYWORD for p in params.values()):
        unknown = sorted(set(controls) - set(params))
        if unknown:
            raise TypeError(f"{getattr(fn, '__name__', 'fn')}() has no parameter(s) {unknown}; it takes {list(params)}")
    missing = [n for n, p in params.items() if p.default is p.empty and n not in controls
               and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    if missing:
        raise TypeError(f"no control for the required parameter(s) {missing}: pass a widget or "
                        "ipywidgets.fixed(value) for each")
    errors = []

    @functools.wraps(fn)
    def guarded(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except Exception as err:
            errors.append(err)
            raise

    try:
        panel = _Panel(guarded, **controls)
    except (TypeError, ValueError) as err:
        raise ValueError(f"cannot turn the controls {sorted(controls)} into widgets ({err}); pass "
                         "ipywidgets controls, e.g. ipywidgets.IntSlider(value=3, min=1, max=9)") from err
    if errors:
        raise errors[0]
    if os.environ.get(BOOK_ENV):
        display(HTML(LIVE_NOTE))
    display(panel)
    return panel


class _Panel(ipywidgets.interactive):
    """An ``interactive`` shown once: returning it from a cell does not draw it twice."""

    _bc_shown = False

    def _ipython_display_(self, **kwargs):
        from IPython.display import display

        if not self._bc_shown:
            self._bc_shown = True
            display(self._repr_mimebundle_(**kwargs), raw=True)
