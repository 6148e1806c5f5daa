"""bertcore.variants.electra: compact vocabulary, replaced-token labels, the two objectives on a toy corpus."""
import pytest
import torch

from bertcore.config import BertConfig
from bertcore.variants.electra import (
    Discriminator,
    MaskedLM,
    compact_vocabulary,
    pretrain_small,
    replace_with_samples,
    replaced_token_scores,
)

SPECIAL = [0, 1, 2, 3, 4]  # [PAD], [UNK], [CLS], [SEP], [MASK] in the compact vocabulary


def toy_corpus(n=64, T=12, seed=0):
    """Sentences from a tiny grammar: a fixed token pattern per 'topic', so context predicts tokens."""
    g = torch.Generator().manual_seed(seed)
    ids = torch.zeros(n, T, dtype=torch.long)
    for i in range(n):
        topic = int(torch.randint(3, (1,), generator=g))
        body = 5 + topic * 8 + (torch.arange(T - 2) % 8)
        ids[i] = torch.cat([torch.tensor([2]), body, torch.tensor([3])])
    return ids, torch.ones_like(ids)


def test_compact_vocabulary_keeps_specials_and_frequent_ids():
    seqs = [[101, 7, 7, 7, 9, 102], [101, 9, 500, 102]]
    mapping, kept = compact_vocabulary(seqs, size=7, special_ids=[0, 100, 101, 102, 103], unk_id=100)
    assert kept[:5] == [0, 100, 101, 102, 103] and kept[5] == 7  # most frequent ordinary id first
    assert mapping[7] == 5 and mapping[9] == 6
    assert mapping[500] == 1  # dropped ids become [UNK] (new id 1)
    with pytest.raises(ValueError, match="unk_id"):
        compact_vocabulary(seqs, 7, [0, 101], unk_id=100)


def test_replaced_token_labels():
    ids = torch.tensor([[2, 10, 11, 12, 3]])
    positions = torch.tensor([[False, True, False, True, False]])
    logits = torch.full((2, 20), -1e4)
    logits[0, 10] = 0.0  # the generator is sure about the original at the first position
    logits[1, 15] = 0.0  # and sure about a different token at the second
    corrupted, labels = replace_with_samples(ids, positions, logits, torch.Generator().manual_seed(0))
    assert corrupted.tolist() == [[2, 10, 11, 15, 3]]
    assert labels.tolist() == [[0, 0, 0, 1, 0]]  # a sample equal to the original is not 'replaced'


@pytest.fixture
def one_thread():
    # tiny matrices: one thread avoids synchronisation overhead (seconds instead of minutes)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.mark.parametrize("objective", ["mlm", "electra", "electra-15%"])
def test_training_runs_deterministically_and_learns(objective, one_thread):
    ids, att = toy_corpus()
    cfg = BertConfig(vocab_size=32, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                     intermediate_size=64, max_position_embeddings=16)
    gen = BertConfig(vocab_size=32, hidden_size=16, num_hidden_layers=1, num_attention_heads=1,
                     intermediate_size=32, max_position_embeddings=16)
    kw = dict(objective=objective, config=cfg, generator_config=gen, mask_token_id=4, special_ids=SPECIAL,
              steps=15, batch_size=16, lr=1e-2, seed=0)
    model, hist = pretrain_small(ids, att, **kw)
    again, hist2 = pretrain_small(ids, att, **kw)
    assert [h["loss"] for h in hist] == [h["loss"] for h in hist2]  # same seed, same run
    assert isinstance(model, MaskedLM if objective == "mlm" else Discriminator)
    first, last = hist[0]["mlm_loss"], sum(h["mlm_loss"] for h in hist[-3:]) / 3
    assert last < first  # the (generator's) MLM loss falls on this predictable toy corpus
    if objective == "electra":  # the discriminator's loss covers every real token
        assert all(h["tokens_with_loss"] == 16 * 12 for h in hist)
    scores = replaced_token_scores(model, ids[:4], att[:4])
    assert scores.shape == (4, 12)


def test_validation():
    ids, att = toy_corpus(8)
    cfg = BertConfig(vocab_size=10, hidden_size=16, num_hidden_layers=1, num_attention_heads=1,
                     intermediate_size=16, max_position_embeddings=16)
    with pytest.raises(ValueError, match="objective"):
        pretrain_small(ids, att, objective="gan", config=cfg, mask_token_id=4, special_ids=SPECIAL)
    with pytest.raises(ValueError, match="compact_vocabulary"):
        pretrain_small(ids, att, objective="mlm", config=cfg, mask_token_id=4, special_ids=SPECIAL)
    with pytest.raises(TypeError, match="Discriminator or a MaskedLM"):
        replaced_token_scores(torch.nn.Linear(2, 2), ids, att)


def test_cached_pretrain_small_builds_once_then_loads(tmp_path, monkeypatch):
    from bertcore.variants.electra import cached_pretrain_small

    monkeypatch.setenv("BERTCORE_CACHE", str(tmp_path))
    ids, att = toy_corpus(n=16)
    cfg = BertConfig(vocab_size=40, hidden_size=16, num_hidden_layers=1, num_attention_heads=1,
                     intermediate_size=32, max_position_embeddings=16)
    kw = dict(objective="electra", config=cfg, generator_config=cfg, mask_token_id=4, special_ids=SPECIAL,
              steps=2, batch_size=8, seed=0)
    m1, h1, info1 = cached_pretrain_small(ids, att, **kw)
    m2, h2, info2 = cached_pretrain_small(ids, att, **kw)
    assert not info1["cached"] and info2["cached"] and isinstance(m2, Discriminator) and len(h2) == len(h1) == 2
    assert all(torch.equal(a, b) for a, b in zip(m1.state_dict().values(), m2.state_dict().values(), strict=True))
    _, _, info3 = cached_pretrain_small(ids.flip(0), att, **kw)  # other data: another entry
    assert info3["path"] != info1["path"]
