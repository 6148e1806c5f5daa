"""bertcore.variants.sentence_embeddings against sentence-transformers (the packaged model's own pipeline)."""
import pytest
import torch

from bertcore.support.cache import weights_fingerprint as fingerprint
from bertcore.variants.sentence_embeddings import (
    cached_encode_pooled,
    cosine_top_k,
    embed,
    encode_pooled,
    multiple_negatives_ranking_loss,
    pool,
)

SENTENCES = ["Works great.", "I had a terrible headache for two weeks after the first dose.",
             "My anxiety is much better now, and the side effects were mild.", "No."]


@pytest.fixture(scope="module")
def st_model():
    from sentence_transformers import SentenceTransformer

    import bertcore

    return SentenceTransformer(str(bertcore.packaged_model_path()), device="cpu")


def test_mean_pooling_equals_sentence_transformers(pretrained, st_model):
    tokenizer, model = pretrained
    ours = embed(model, tokenizer, SENTENCES, pooling="mean", max_length=256)  # (N, H), unit rows
    ref = torch.as_tensor(st_model.encode(SENTENCES, convert_to_numpy=True))
    assert ours.shape == ref.shape == (4, model.config.hidden_size)
    assert (ours - ref).abs().max() < 1e-5
    assert torch.allclose(ours.norm(dim=-1), torch.ones(4), atol=1e-5)


def test_padding_does_not_change_any_pooling(pretrained):
    tokenizer, model = pretrained
    batched = encode_pooled(model, tokenizer, SENTENCES, batch_size=4)  # one padded batch
    for i, text in enumerate(SENTENCES):
        alone = encode_pooled(model, tokenizer, [text], batch_size=1)  # no padding at all
        for p in ("cls", "mean", "max"):
            assert (batched[p][i] - alone[p][0]).abs().max() < 1e-4, p


def test_pool_by_hand():
    h = torch.tensor([[[1.0, -1.0], [3.0, 5.0], [100.0, 100.0]]])  # (1, 3, 2), last token is padding
    mask = torch.tensor([[1, 1, 0]])
    assert torch.equal(pool(h, mask, "cls"), torch.tensor([[1.0, -1.0]]))
    assert torch.equal(pool(h, mask, "mean"), torch.tensor([[2.0, 2.0]]))
    assert torch.equal(pool(h, mask, "max"), torch.tensor([[3.0, 5.0]]))
    with pytest.raises(ValueError, match="method"):
        pool(h, mask, "sum")
    with pytest.raises(ValueError, match="attention_mask"):
        pool(h, torch.ones(1, 2), "mean")


def test_all_layers_and_bertcore_model_agree(pretrained):
    from bertcore.encoder import BertModel

    tokenizer, model = pretrained
    hf = encode_pooled(model, tokenizer, SENTENCES, all_layers=True)
    ours = encode_pooled(BertModel.from_pretrained(model), tokenizer, SENTENCES, all_layers=True)
    L = model.config.num_hidden_layers
    assert hf["mean_layers"].shape == (L + 1, 4, model.config.hidden_size)
    assert torch.allclose(hf["mean_layers"][-1], hf["mean"], atol=1e-6)  # last layer == 'mean'
    for k in ("cls", "mean", "max", "mean_layers"):
        assert (hf[k] - ours[k]).abs().max() < 1e-4, k


def test_cache_roundtrip_and_key(pretrained, tmp_path):
    tokenizer, model = pretrained
    first = cached_encode_pooled(model, tokenizer, SENTENCES[:2], max_length=32, cache_dir=tmp_path)
    files = list(tmp_path.glob("*.npz"))
    assert len(files) == 1
    again = cached_encode_pooled(model, tokenizer, SENTENCES[:2], max_length=32, cache_dir=tmp_path)
    for k in first:
        assert torch.equal(first[k], again[k])
    cached_encode_pooled(model, tokenizer, SENTENCES[:2], max_length=16, cache_dir=tmp_path)
    assert len(list(tmp_path.glob("*.npz"))) == 2  # another setting, another file
    assert len(fingerprint(model)) == 16


def test_fingerprint_of_a_bert_base_sized_table_samples_its_ends():
    # 2**24 + 4 elements: float32 rounds the last index, 2**24 + 3, up and out of range (as it
    # did for BERT-Base's 30522 x 768 word table); the first and the last element must both count
    table = torch.nn.Module()
    table.weight = torch.nn.Parameter(torch.zeros(2**24 + 4, dtype=torch.int8), requires_grad=False)
    before = fingerprint(table)
    with torch.no_grad():
        table.weight[-1] = 1
    after_last = fingerprint(table)
    with torch.no_grad():
        table.weight[0] = 1
    assert len({before, after_last, fingerprint(table)}) == 3


def test_cosine_top_k_matches_brute_force():
    g = torch.Generator().manual_seed(0)
    q, c = torch.randn(3, 8, generator=g), torch.randn(10, 8, generator=g)
    scores, idx = cosine_top_k(q, c, k=4)
    full = torch.nn.functional.cosine_similarity(q[:, None], c[None], dim=-1)  # (3, 10)
    assert torch.equal(idx, full.argsort(dim=-1, descending=True)[:, :4])
    assert torch.allclose(scores, full.gather(1, idx), atol=1e-6)
    with pytest.raises(ValueError, match="larger than the corpus"):
        cosine_top_k(q, c, k=11)


def test_mnr_loss_equals_sentence_transformers(st_model):
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss

    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(6, 16, generator=g), torch.randn(6, 16, generator=g)
    ref = MultipleNegativesRankingLoss(st_model, scale=20.0).compute_loss_from_embeddings([a, b], None)
    assert torch.allclose(multiple_negatives_ranking_loss(a, b, scale=20.0), ref, atol=1e-6)
    assert multiple_negatives_ranking_loss(a, a) < 1e-3  # each anchor finds itself
    with pytest.raises(ValueError, match="scale"):
        multiple_negatives_ranking_loss(a, b, scale=0)
