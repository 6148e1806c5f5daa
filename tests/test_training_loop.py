"""bertcore.training.loop: the one loop, schedule and weight-decay rule behind fine-tuning and pre-training."""
import pytest
import torch
from torch import nn
from transformers import get_linear_schedule_with_warmup

import bertcore as bc
from bertcore.training.batching import bucket_batches, collate, encode_ids
from bertcore.training.loop import batch_order, decay_groups, train_loop

TEXTS = ["great drug, no side effects", "terrible, it made me sick", "it was fine I guess",
         "works well and fast", "awful headaches every day", "best thing I tried",
         "I feel worse than before", "okay"]
LABELS = ["pos", "neg", "pos", "pos", "neg", "pos", "neg", "pos"]

pytestmark = pytest.mark.usefixtures("one_thread")  # see conftest.py


def tiny_classifier():
    encoder = bc.init_bert_weights(bc.BertModel(bc.BertConfig.tiny()), seed=3)
    return bc.SequenceClassifier(encoder, ["neg", "pos"], pooling="mean", seed=0)


def no_decay_names(model):
    """BERT's rule written out by module type: biases and LayerNorm weights are not decayed."""
    norms = {n for n, m in model.named_modules() if isinstance(m, nn.LayerNorm)}
    return {n for n, _ in model.named_parameters() if n.endswith("bias") or n.rsplit(".", 1)[0] in norms}


def test_fine_tune_equals_a_hand_written_loop(pretrained):
    """The shared loop reproduces, bit for bit, the textbook loop with transformers' schedule."""
    tok, _ = pretrained
    kw = dict(epochs=2, batch_size=3, lr=1e-3, warmup=0.2, weight_decay=0.01, seed=5)
    clf = tiny_classifier()
    hist = bc.fine_tune(clf, tok, TEXTS, LABELS, max_len=16, **kw)

    ref = tiny_classifier()
    ids, y = encode_ids(tok, TEXTS, 16), [ref.labels.index(label) for label in LABELS]
    skip = no_decay_names(ref)
    groups = [{"params": [p for n, p in ref.named_parameters() if n not in skip], "weight_decay": 0.01},
              {"params": [p for n, p in ref.named_parameters() if n in skip], "weight_decay": 0.0}]
    opt = torch.optim.AdamW(groups, lr=kw["lr"])
    total = kw["epochs"] * 3  # ceil(8 / 3) batches per epoch
    sched = get_linear_schedule_with_warmup(opt, int(kw["warmup"] * total), total)
    torch.manual_seed(kw["seed"])
    gen, losses = torch.Generator().manual_seed(kw["seed"]), []
    ref.train()
    for _ in range(kw["epochs"]):
        for batch in bucket_batches([len(r) for r in ids], kw["batch_size"], generator=gen):
            inputs = collate([ids[i] for i in batch], tok.pad_token_id)
            loss = nn.functional.cross_entropy(ref(**inputs), torch.tensor([y[i] for i in batch]))
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(list(ref.parameters()), 1.0)
            opt.step()
            sched.step()
            losses.append(loss.item())

    assert hist["loss"].tolist() == losses  # exactly: same batches, dropout, updates
    assert all(torch.equal(a, b) for a, b in zip(clf.state_dict().values(), ref.state_dict().values(), strict=True))
    assert hist["step"].tolist() == list(range(1, total + 1)) and hist["epoch"].tolist() == [1] * 3 + [2] * 3


def test_decay_groups_skip_biases_and_layernorm_weights():
    model = bc.BertForPreTraining(bc.BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=1,
                                                num_attention_heads=2, intermediate_size=32))
    names = {id(p): n for n, p in model.named_parameters()}
    decayed, kept = decay_groups(model.parameters(), 0.01)
    assert decayed["weight_decay"] == 0.01 and kept["weight_decay"] == 0.0
    assert {names[id(p)] for p in kept["params"]} == no_decay_names(model)
    assert len(decayed["params"]) + len(kept["params"]) == len(names)
    heads, body = list(model.pair_head.parameters()), list(model.bert.parameters())
    groups = decay_groups([{"params": heads, "lr": 1.0}, {"params": body, "lr": 2.0}], 0.1)
    assert [g["lr"] for g in groups] == [1.0, 1.0, 2.0, 2.0]
    assert [g["weight_decay"] for g in groups] == [0.1, 0.0, 0.1, 0.0]
    with pytest.raises(ValueError, match="weight_decay"):
        decay_groups(heads, -1.0)


def test_loop_decays_weight_matrices_only():
    """With a zero gradient AdamW's step is pure decay: W -> W (1 - lr wd); biases and norms stay."""
    model = nn.Sequential(nn.Linear(4, 4), nn.LayerNorm(4))
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    zero = lambda batch: (sum(p.sum() for p in model.parameters()) * 0.0, {})  # noqa: E731
    train_loop(model, zero, [1] * 4, steps=1, batch_size=4, lr=0.5, weight_decay=0.1, schedule=False, seed=0)
    after = dict(model.named_parameters())
    torch.testing.assert_close(after["0.weight"], before["0.weight"] * (1 - 0.5 * 0.1))
    for name in ("0.bias", "1.weight", "1.bias"):
        assert torch.equal(after[name], before[name]), name


def test_batch_order_covers_every_row_once_per_epoch():
    stream = batch_order([1] * 10, 4, torch.Generator().manual_seed(0), bucket=False)
    first = [next(stream) for _ in range(5)]  # 20 rows = two epochs, batches across the boundary
    assert all(len(b) == 4 for _, b in first)
    rows = torch.cat([b for _, b in first]).tolist()
    assert sorted(rows[:10]) == list(range(10)) and sorted(rows[10:]) == list(range(10))
    assert [e for e, _ in first] == [1, 1, 2, 2, 2]  # a batch that reaches into epoch 2 counts there
    lengths = [3, 9, 4, 30, 12, 5, 7]
    stream = batch_order(lengths, 3, torch.Generator().manual_seed(0))
    epoch1 = [next(stream) for _ in range(3)]  # ceil(7 / 3) batches
    assert sorted(i for _, b in epoch1 for i in b) == list(range(7)) and {e for e, _ in epoch1} == {1}
    assert next(stream)[0] == 2


def test_loop_skips_calls_back_and_validates():
    model = nn.Linear(2, 1)
    before = model.weight.detach().clone()
    hist = train_loop(model, lambda batch: None, [1] * 4, steps=3, batch_size=2, lr=0.1, seed=0)
    assert hist == [] and torch.equal(model.weight, before)  # None = nothing to learn from: no update
    seen = []
    loss = lambda batch: (model(torch.ones(len(batch), 2)).pow(2).mean(), {"n": len(batch)})  # noqa: E731
    hist = train_loop(model, loss, [1] * 4, steps=5, batch_size=2, lr=0.1, seed=0, callback=seen.append,
                      callback_every=2)
    assert seen == [0, 2, 4] and [row["n"] for row in hist] == [2] * 5
    assert list(hist[0]) == ["epoch", "step", "loss", "n", "lr", "seconds"]
    with pytest.raises(ValueError, match="exactly one of epochs and steps"):
        train_loop(model, loss, [1] * 4, steps=2, epochs=1, batch_size=2, lr=0.1, seed=0)
    with pytest.raises(ValueError, match="positive int"):
        train_loop(model, loss, [1] * 4, steps=0, batch_size=2, lr=0.1, seed=0)
    with pytest.raises(ValueError, match="warmup"):
        train_loop(model, loss, [1] * 4, steps=2, batch_size=2, lr=0.1, warmup=1.0, seed=0)
    model.requires_grad_(False)
    with pytest.raises(ValueError, match="no trainable parameters"):
        train_loop(model, loss, [1] * 4, steps=2, batch_size=2, lr=0.1, seed=0)
