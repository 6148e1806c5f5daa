"""bertcore.analysis.attention_stats on hand-made attention maps and on the packaged model."""
import math

import pytest
import torch

from bertcore.analysis.attention_stats import _value_vectors, attention_norms, head_statistics


def _maps(kind, B=2, H=3, T=6):
    if kind == "self":
        a = torch.eye(T)
    elif kind == "prev":
        a = torch.diag(torch.ones(T - 1), -1)
        a[0, 0] = 1.0  # the first token has no previous token: it looks at itself
    else:  # uniform
        a = torch.full((T, T), 1.0 / T)
    return (a.expand(B, H, T, T).clone(),)  # one layer


def test_hand_made_heads():
    ids = torch.tensor([[101, 5, 6, 7, 8, 102]] * 2)
    s = head_statistics(_maps("self"), ids, cls_id=101, sep_id=102)
    assert torch.allclose(s["self"], torch.ones(1, 3)) and torch.allclose(s["entropy"], torch.zeros(1, 3))
    assert torch.allclose(s["cls"], torch.full((1, 3), 1 / 6))  # only [CLS] itself looks at [CLS]
    s = head_statistics(_maps("prev"), ids, cls_id=101, sep_id=102)
    assert torch.allclose(s["prev"], torch.full((1, 3), 5 / 6)) and torch.allclose(s["next"], torch.zeros(1, 3))
    s = head_statistics(_maps("uniform"), ids, cls_id=101, sep_id=102)
    assert torch.allclose(s["entropy"], torch.full((1, 3), math.log(6)))
    assert torch.allclose(s["sep"], torch.full((1, 3), 1 / 6))


def test_padding_queries_do_not_count():
    ids = torch.tensor([[101, 5, 102, 0], [101, 5, 6, 102]])
    mask = torch.tensor([[1, 1, 1, 0], [1, 1, 1, 1]])
    att = torch.zeros(2, 1, 4, 4)
    att[..., 0] = 1.0          # every query looks at [CLS] ...
    att[0, :, 3] = 0.0
    att[0, :, 3, 2] = 1.0      # ... except the padding query of row 0, which looks at [SEP]
    s = head_statistics((att,), ids, mask, cls_id=101, sep_id=102)
    assert torch.allclose(s["cls"], torch.ones(1, 1)) and torch.allclose(s["sep"], torch.zeros(1, 1))


def test_real_model_rows_sum_to_one_and_shapes(pretrained):
    tok, model = pretrained
    enc = tok(["The pill worked.", "It made me dizzy and tired."], padding=True, return_tensors="pt")
    with torch.no_grad():
        out = model(**enc, output_attentions=True, output_hidden_states=True)
    s = head_statistics(out.attentions, enc["input_ids"], enc["attention_mask"],
                        cls_id=tok.cls_token_id, sep_id=tok.sep_token_id)
    L, H = model.config.num_hidden_layers, model.config.num_attention_heads
    assert all(v.shape == (L, H) for v in s.values())
    assert ((s["cls"] + s["sep"]) <= 1 + 1e-5).all() and (s["entropy"] >= 0).all()


def test_value_vectors_rebuild_the_attention_output(pretrained):
    tok, model = pretrained
    enc = tok("Side effects were mild.", return_tensors="pt")
    with torch.no_grad():
        out = model(**enc, output_attentions=True, output_hidden_states=True)
        for layer in (0, model.config.num_hidden_layers - 1):
            f = _value_vectors(model, out.hidden_states[layer], layer)            # (B, H, T, hidden)
            mixed = torch.einsum("bhij,bhjd->bid", out.attentions[layer], f)   # sum over heads and keys
            attn = model.encoder.layer[layer].attention
            ctx = attn.self(out.hidden_states[layer])[0]                       # (B, T, hidden)
            ref = attn.output.dense(ctx)
            torch.testing.assert_close(mixed + attn.output.dense.bias, ref, atol=1e-4, rtol=1e-4)
        norms = attention_norms(model, out.hidden_states, out.attentions, 0)
    assert norms.shape == out.attentions[0].shape and (norms >= 0).all()


@pytest.mark.parametrize("call, error, message", [
    (lambda: head_statistics(torch.ones(2, 2), torch.ones(1, 2), cls_id=1, sep_id=2), TypeError, "output_attentions"),
    (lambda: head_statistics(_maps("self"), torch.ones(2, 5), cls_id=1, sep_id=2), ValueError, "matching"),
    (lambda: head_statistics(_maps("self"), torch.ones(2, 6), cls_id="[CLS]", sep_id=2), TypeError, "token id"),
])
def test_bad_arguments_name_the_fix(call, error, message):
    with pytest.raises(error, match=message):
        call()
