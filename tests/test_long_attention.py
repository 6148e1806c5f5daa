"""bertcore.variants.sparse_attention: pattern counts, determinism, and local attention = dense banded attention."""
import pytest
import torch

from bertcore.attention import scaled_dot_product_attention
from bertcore.variants.sparse_attention import (
    attention_flops,
    bigbird_mask,
    local_attention,
    longformer_mask,
    sliding_window_mask,
)


def test_sliding_window_counts():
    T, r = 50, 3
    m = sliding_window_mask(T, r)
    # full rows of 2r+1 minus the triangles cut off at both ends
    assert int(m.sum()) == T * (2 * r + 1) - r * (r + 1)
    assert torch.equal(m, m.T)
    assert sliding_window_mask(T, T - 1).all()  # a window as long as the input is full attention


def test_longformer_adds_global_rows_and_columns():
    T, r = 40, 2
    m = longformer_mask(T, r, [0, 10])
    assert m[0].all() and m[:, 0].all() and m[10].all() and m[:, 10].all()
    band = sliding_window_mask(T, r)
    extra = (m & ~band).sum()
    # two full rows and columns, minus what the band already had there and their overlap
    assert int(m.sum()) == int(band.sum()) + int(extra)
    assert int(m.sum()) == int(band.sum() + (~band[[0, 10]]).sum() + (~band[:, [0, 10]]).sum()
                               - (~band[[0, 10]][:, [0, 10]]).sum())


def test_bigbird_random_keys_are_deterministic_and_counted():
    T, r, k = 64, 2, 3
    a = bigbird_mask(T, r, k, [0], generator=torch.Generator().manual_seed(0))
    b = bigbird_mask(T, r, k, [0], generator=torch.Generator().manual_seed(0))
    c = bigbird_mask(T, r, k, [0], generator=torch.Generator().manual_seed(1))
    assert torch.equal(a, b) and not torch.equal(a, c)
    base = longformer_mask(T, r, [0])
    added = (a & ~base).sum(1)  # random keys per query
    assert added[0] == 0 and (added[1:] == k).all()


def test_full_window_mask_equals_dense_attention_in_the_model(pretrained):
    import bertcore as bc

    tok, hf = pretrained
    model = bc.BertModel.from_pretrained(hf)
    enc = tok("A short review of a drug that worked.", return_tensors="pt")
    T = enc["input_ids"].shape[1]
    with torch.no_grad():
        dense = model(enc["input_ids"]).last_hidden_state
        full = model(enc["input_ids"], attention_mask=sliding_window_mask(T, T)).last_hidden_state
        narrow = model(enc["input_ids"], attention_mask=sliding_window_mask(T, 1)).last_hidden_state
    torch.testing.assert_close(full, dense)
    assert (narrow - dense).abs().max() > 1e-2  # a narrow window changes the output


@pytest.mark.parametrize("T, radius", [(1, 0), (7, 0), (7, 1), (16, 4), (33, 5), (10, 20)])
def test_local_attention_equals_dense_masked_attention(T, radius):
    g = torch.Generator().manual_seed(T + radius)
    q, k, v = (torch.randn(2, 3, T, 8, generator=g) for _ in range(3))
    ref, _ = scaled_dot_product_attention(q, k, v, sliding_window_mask(T, radius))
    torch.testing.assert_close(local_attention(q, k, v, radius), ref, atol=1e-6, rtol=1e-5)


def test_flops_count_nonzeros():
    assert attention_flops(torch.ones(4, 4, dtype=torch.bool), 64) == 4096
    assert attention_flops(sliding_window_mask(10, 0), 1) == 40


@pytest.mark.parametrize("call, error, message", [
    (lambda: sliding_window_mask(0, 1), ValueError, "T must be"),
    (lambda: longformer_mask(5, 1, [7]), ValueError, "positions in 0..4"),
    (lambda: longformer_mask(5, 1, 0), TypeError, "list of positions"),
    (lambda: bigbird_mask(5, 1, 1, generator=0), TypeError, "torch.Generator"),
    (lambda: attention_flops(torch.ones(3, 3), 4), TypeError, "bool"),
    (lambda: local_attention(torch.randn(1, 1, 4, 2), torch.randn(1, 1, 5, 2), torch.randn(1, 1, 5, 2), 1),
     ValueError, "same shape"),
])
def test_bad_arguments_name_the_fix(call, error, message):
    with pytest.raises(error, match=message):
        call()
