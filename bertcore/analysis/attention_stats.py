"""Numbers that summarise what each attention head does, over many inputs at once.

Simplifies: a head is described by where its attention mass goes on average (to [CLS], to
[SEP], to the previous/next/same token) and by its entropy, averaged over every real query
token in a batch (padding excluded); this follows the measurements of Clark et al. (2019).
``attention_norms`` follows Kobayashi et al. (2020): the size of what a head actually
mixes in, ||a_ij f(x_j)||, instead of the weight a_ij alone (Hugging Face BertModel only).
"""
from __future__ import annotations

import torch

STATS = ("cls", "sep", "prev", "next", "self", "entropy")


def _stack(attentions) -> torch.Tensor:
    att = getattr(attentions, "attentions", attentions)
    if isinstance(att, torch.Tensor) and att.dim() == 5:
        return att
    if not isinstance(att, (list, tuple)) or not att or not all(isinstance(a, torch.Tensor) for a in att):
        raise TypeError("attentions must be a model output with .attentions (output_attentions=True) "
                        "or a tuple of per-layer (B, H, T, T) tensors")
    return torch.stack([a.detach().float() for a in att])  # (L, B, H, T, T)


def head_statistics(attentions, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None, *,
                    cls_id: int, sep_id: int) -> dict[str, torch.Tensor]:
    """Per-head averages, each (L, H), e.g.
    ``head_statistics(out.attentions, ids, mask, cls_id=101, sep_id=102)['sep']``.

    Keys: ``cls``/``sep`` (attention mass on those tokens), ``prev``/``next``/``self``
    (mass on the token at offset -1/+1/0), ``entropy`` (nats, of each query's distribution).
    """
    att = _stack(attentions)
    L, B, H, T, _ = att.shape
    if not isinstance(input_ids, torch.Tensor) or input_ids.shape != (B, T):
        raise ValueError(f"input_ids must be a (B, T) = ({B}, {T}) tensor matching the attentions, "
                         f"got {getattr(input_ids, 'shape', type(input_ids).__name__)}")
    for name, val in (("cls_id", cls_id), ("sep_id", sep_id)):
        if not isinstance(val, int) or isinstance(val, bool):
            raise TypeError(f"{name} must be an int token id, e.g. tokenizer.{name}")
    real = torch.ones(B, T, dtype=torch.bool) if attention_mask is None else attention_mask.bool()
    if real.shape != (B, T):
        raise ValueError(f"attention_mask must have shape (B, T) = ({B}, {T}), got {tuple(real.shape)}")
    weight = real.float() / real.sum()  # (B, T): every real query counts once, padding not at all

    def average(per_query: torch.Tensor) -> torch.Tensor:  # (L, B, H, T) -> (L, H)
        return torch.einsum("lbht,bt->lh", per_query, weight)

    out = {
        "cls": average((att * (input_ids == cls_id)[None, :, None, None, :]).sum(-1)),
        "sep": average((att * (input_ids == sep_id)[None, :, None, None, :]).sum(-1)),
    }
    for name, offset in (("prev", -1), ("next", 1), ("self", 0)):
        # a_{i, i+offset}: the diagonal of the (T, T) map shifted by offset, zero past the ends
        diag = torch.diagonal(att, offset=offset, dim1=-2, dim2=-1)  # (L, B, H, T - |offset|)
        pad = (1, 0) if offset < 0 else (0, offset)
        out[name] = average(torch.nn.functional.pad(diag, pad))
    p = att.clamp_min(1e-12)
    out["entropy"] = average(-(att * p.log()).sum(-1))
    return out


def _value_vectors(model, hidden: torch.Tensor, layer: int) -> torch.Tensor:
    """f_h(x_j) = (x_j W_V^h + b_V^h) W_O^h for every head h and token j: (B, H, T, hidden)."""
    attn = model.encoder.layer[layer].attention
    H = model.config.num_attention_heads
    B, T, hid = hidden.shape
    v = attn.self.value(hidden).view(B, T, H, hid // H).transpose(1, 2)  # (B, H, T, D)
    w_o = attn.output.dense.weight.T.reshape(H, hid // H, hid)            # (H, D, hidden): W_O split by head
    return torch.einsum("bhtd,hde->bhte", v, w_o)


@torch.no_grad()
def attention_norms(model, hidden_states, attentions, layer: int) -> torch.Tensor:
    """||a_ij f_h(x_j)|| for every head, query i and key j: (B, H, T, T), e.g.
    ``attention_norms(model, out.hidden_states, out.attentions, 0)``.

    ``model`` is a Hugging Face BertModel; ``hidden_states``/``attentions`` come from calling
    it with ``output_hidden_states=True, output_attentions=True``.
    """
    if not hasattr(model, "encoder"):
        raise TypeError("model must be a Hugging Face BertModel (from bc.load_pretrained())")
    n = model.config.num_hidden_layers
    if not isinstance(layer, int) or not 0 <= layer < n:
        raise ValueError(f"layer must be an int in 0..{n - 1}, got {layer!r}")
    if hidden_states is None or attentions is None or len(hidden_states) != n + 1:
        raise ValueError("pass output_hidden_states=True and output_attentions=True to the model")
    f = _value_vectors(model, hidden_states[layer], layer)  # (B, H, T, hidden): input of this layer
    return attentions[layer] * f.norm(dim=-1)[:, :, None, :]  # a_ij * ||f(x_j)||, (B, H, T, T)
