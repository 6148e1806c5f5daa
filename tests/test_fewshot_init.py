"""bertcore.analysis.fewshot.sample_per_class and bertcore.training.initialization.init_bert_weights."""
import numpy as np
import pytest
import torch

import bertcore as bc
from bertcore.analysis.fewshot import sample_per_class
from bertcore.training.initialization import init_bert_weights


def test_sample_per_class_counts_and_reproducibility():
    labels = ["a"] * 10 + ["b"] * 3 + ["c"] * 7
    idx = sample_per_class(labels, 4, seed=0)
    picked = np.array(labels)[idx]
    assert {c: int((picked == c).sum()) for c in "abc"} == {"a": 4, "b": 3, "c": 4}  # b has only 3
    assert len(set(idx.tolist())) == len(idx) and list(idx) == sorted(idx)
    assert np.array_equal(idx, sample_per_class(labels, 4, seed=0))
    assert not np.array_equal(idx, sample_per_class(labels, 4, seed=1))
    # the class order does not depend on the row order
    assert set(np.array(labels)[sample_per_class(labels[::-1], 2, seed=3)]) == {"a", "b", "c"}
    with pytest.raises(ValueError):
        sample_per_class(labels, 0)
    with pytest.raises(ValueError):
        sample_per_class([], 2)


def test_init_bert_weights_matches_the_scheme_and_is_seeded():
    from transformers import BertConfig as HFConfig
    from transformers import BertModel as HFModel

    cfg = bc.BertConfig.tiny()
    a = init_bert_weights(bc.BertModel(cfg), seed=5)
    b = init_bert_weights(bc.BertModel(cfg), seed=5)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))
    w = a.layers[0].intermediate.weight
    assert abs(w.std().item() - 0.02) < 0.002 and abs(w.mean().item()) < 0.002
    assert torch.all(a.layers[0].output_norm.weight == 1) and torch.all(a.layers[0].intermediate.bias == 0)
    assert torch.all(a.embeddings.word_embeddings.weight[cfg.pad_token_id] == 0)
    # the same statistics as Hugging Face's own initialisation of the same architecture
    torch.manual_seed(0)
    hf = HFModel(HFConfig(vocab_size=cfg.vocab_size, hidden_size=128, num_hidden_layers=2,
                          num_attention_heads=2, intermediate_size=512))
    ref = hf.encoder.layer[0].intermediate.dense.weight
    assert abs(ref.std().item() - w.std().item()) < 0.002
    with pytest.raises(TypeError):
        init_bert_weights("not a module")
