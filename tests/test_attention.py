"""bertcore.attention against torch.nn.functional.scaled_dot_product_attention."""
import pytest
import torch
import torch.nn.functional as F

from bertcore.attention import MultiHeadAttention, scaled_dot_product_attention


@pytest.mark.parametrize("shape", [(1, 1, 1, 4), (2, 3, 7, 16), (3, 12, 33, 32)])
def test_matches_pytorch_without_mask(shape):
    g = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(shape, generator=g) for _ in range(3))
    out, weights = scaled_dot_product_attention(q, k, v)
    torch.testing.assert_close(out, F.scaled_dot_product_attention(q, k, v), atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(weights.sum(-1), torch.ones(shape[:-1]))


@pytest.mark.parametrize("kind", ["padding", "causal", "random"])
def test_matches_pytorch_with_bool_mask(kind):
    g = torch.Generator().manual_seed(1)
    B, H, T, D = 2, 4, 9, 8
    q, k, v = (torch.randn(B, H, T, D, generator=g) for _ in range(3))
    if kind == "padding":
        mask = torch.ones(B, 1, 1, T, dtype=torch.bool)
        mask[1, ..., 5:] = False
    elif kind == "causal":
        mask = torch.tril(torch.ones(T, T, dtype=torch.bool))
    else:
        mask = torch.rand(B, H, T, T, generator=g) > 0.5
        mask[..., 0] = True  # every query keeps at least one key
    out, weights = scaled_dot_product_attention(q, k, v, mask)
    torch.testing.assert_close(out, F.scaled_dot_product_attention(q, k, v, attn_mask=mask), atol=1e-6, rtol=1e-5)
    assert (weights.masked_select(~mask.expand_as(weights)) == 0).all()


def test_cross_attention_lengths_and_value_dim():
    q, k, v = torch.randn(1, 2, 3, 8), torch.randn(1, 2, 5, 8), torch.randn(1, 2, 5, 6)
    out, weights = scaled_dot_product_attention(q, k, v)
    assert out.shape == (1, 2, 3, 6) and weights.shape == (1, 2, 3, 5)
    torch.testing.assert_close(out, F.scaled_dot_product_attention(q, k, v))


def test_multi_head_module_equals_manual_computation():
    torch.manual_seed(0)
    mha = MultiHeadAttention(32, 4).eval()
    x = torch.randn(2, 6, 32)
    out, weights = mha(x)
    q, k, v = (mha.split_heads(p(x)) for p in (mha.query, mha.key, mha.value))
    ref = F.scaled_dot_product_attention(q, k, v).transpose(1, 2).reshape(2, 6, 32)
    torch.testing.assert_close(out, mha.output(ref), atol=1e-6, rtol=1e-5)
    assert weights.shape == (2, 4, 6, 6)


def test_dropout_acts_on_the_probabilities_before_v():
    """As BERT: out = dropout(softmax(q k^T / sqrt d)) v; the dropped weights are returned."""
    g = torch.Generator().manual_seed(2)
    q, k, v = (torch.randn(2, 3, 5, 8, generator=g) for _ in range(3))
    keep = torch.rand(2, 3, 5, 5, generator=g) > 0.3  # a fixed, inspectable dropout mask

    def dropout(w):
        return w * keep / 0.7

    out, weights = scaled_dot_product_attention(q, k, v, dropout=dropout)
    probs = (q @ k.transpose(-2, -1) / 8 ** 0.5).softmax(-1)
    torch.testing.assert_close(weights, probs * keep / 0.7, atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(out, (probs * keep / 0.7) @ v, atol=1e-6, rtol=1e-5)


def test_multi_head_module_in_train_mode_drops_attention_probabilities():
    """Same seed, same draws: the module equals BERT's order softmax -> dropout -> @ v -> output."""
    torch.manual_seed(0)
    mha = MultiHeadAttention(32, 4, attention_probs_dropout_prob=0.25).train()
    x = torch.randn(2, 6, 32)
    torch.manual_seed(1)
    out, weights = mha(x)
    q, k, v = (mha.split_heads(p(x)) for p in (mha.query, mha.key, mha.value))
    probs = (q @ k.transpose(-2, -1) / 8 ** 0.5).softmax(-1)  # (B, H, T, T)
    torch.manual_seed(1)
    dropped = F.dropout(probs, 0.25, training=True)
    ref = mha.output((dropped @ v).transpose(1, 2).reshape(2, 6, 32))  # no dropout after merging heads
    torch.testing.assert_close(weights, dropped, atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(out, ref, atol=1e-6, rtol=1e-5)
    assert (weights == 0).any() and not torch.allclose(weights.sum(-1), torch.ones(2, 4, 6))
    mha.eval()  # eval: dropout is the identity, rows sum to 1 again
    torch.testing.assert_close(mha(x)[1], probs, atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize(
    "args, error, message",
    [
        ((torch.randn(1, 1, 2, 4), torch.randn(1, 1, 2, 5), torch.randn(1, 1, 2, 4)), ValueError, "same last dim"),
        ((torch.randn(1, 1, 2, 4), torch.randn(1, 1, 3, 4), torch.randn(1, 1, 2, 4)), ValueError, "same length"),
        (([1.0], torch.randn(1, 1, 2, 4), torch.randn(1, 1, 2, 4)), TypeError, "q must be a torch.Tensor"),
        ((torch.randn(4), torch.randn(4), torch.randn(4)), ValueError, "at least 2 dims"),
    ],
)
def test_bad_inputs_raise_clear_errors(args, error, message):
    with pytest.raises(error, match=message):
        scaled_dot_product_attention(*args)


def test_bad_masks_raise_clear_errors():
    q = torch.randn(1, 1, 3, 4)
    with pytest.raises(TypeError, match="boolean"):
        scaled_dot_product_attention(q, q, q, torch.ones(3, 3))
    with pytest.raises(ValueError, match="does not broadcast"):
        scaled_dot_product_attention(q, q, q, torch.ones(4, 4, dtype=torch.bool))
    with pytest.raises(TypeError, match="torch.Tensor or None"):
        scaled_dot_product_attention(q, q, q, [[True]])
    with pytest.raises(TypeError, match="nn.Dropout"):
        scaled_dot_product_attention(q, q, q, dropout=0.1)


def test_bad_module_arguments():
    with pytest.raises(ValueError, match="divisible"):
        MultiHeadAttention(30, 4)
    with pytest.raises(ValueError, match="positive int"):
        MultiHeadAttention(0, 1)
    with pytest.raises(ValueError, match=r"\(B, T, hidden\)"):
        MultiHeadAttention(8, 2)(torch.randn(8))
