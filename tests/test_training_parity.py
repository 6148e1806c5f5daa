"""bertcore.BertModel against transformers.BertModel (eager attention) in train mode, dropout on.

Both models draw their dropout masks from torch's global generator, in the same order and
with the same shapes (embeddings (B, T, H); per layer: attention probabilities (B, heads, T, T),
attention output (B, T, H), FFN output (B, T, H)), so re-seeding before each forward gives
both models the very same masks. Outputs and gradients must then agree to float32 rounding:
tolerance 1e-5 absolute (+1e-4 relative for gradients); the measured difference is 0.
"""
import copy

import pytest
import torch

from bertcore.config import BertConfig
from bertcore.encoder import BertModel, hf_to_bertcore_key

ATOL, RTOL = 1e-5, 1e-4


def _small_hf(dropout=0.1):
    from transformers import BertConfig as HFConfig
    from transformers import BertModel as HFModel

    config = HFConfig(vocab_size=300, hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                      intermediate_size=128, max_position_embeddings=64, hidden_dropout_prob=dropout,
                      attention_probs_dropout_prob=dropout, attn_implementation="eager")
    torch.manual_seed(0)
    return HFModel(config)


def _batch(vocab_size, B=3, T=11):
    g = torch.Generator().manual_seed(1)
    ids = torch.randint(5, vocab_size, (B, T), generator=g)
    mask = torch.ones(B, T, dtype=torch.long)
    mask[1, 7:] = 0  # padding in the second row
    types = torch.zeros_like(ids)
    types[:, T // 2:] = 1
    return ids, types, mask


def _run(model, ids, types, mask, seed, hf):
    """Forward + backward of a fixed scalar loss; returns (output, grad of the word embeddings' output)."""
    captured = {}

    def keep(module, args, out):
        out.retain_grad()
        captured["embeds"] = out

    hook = model.embeddings.word_embeddings.register_forward_hook(keep)
    model.zero_grad()
    torch.manual_seed(seed)
    if hf:
        out = model(input_ids=ids, token_type_ids=types, attention_mask=mask,
                    output_hidden_states=True, output_attentions=True)
    else:
        out = model(ids, types, mask)
    hook.remove()
    g = torch.Generator().manual_seed(2)  # fixed random read-outs make every output count
    r_tok = torch.randn(out.last_hidden_state.shape, generator=g)
    r_pool = torch.randn(out.pooler_output.shape, generator=g)
    real = mask.bool()[..., None]
    loss = (out.last_hidden_state * r_tok * real).sum() + (out.pooler_output * r_pool).sum()
    loss.backward()
    return out, captured["embeds"].grad


def _compare(hf, ours, ids, types, mask, seed):
    """Max abs differences of outputs and gradients between the two models for one seed."""
    ref, ref_grad = _run(hf, ids, types, mask, seed, hf=True)
    out, our_grad = _run(ours, ids, types, mask, seed, hf=False)
    real = mask.bool()
    diffs = {
        "hidden": max((a - b)[real].abs().max().item() for a, b in
                      zip(ref.hidden_states, out.hidden_states, strict=True)),
        "attentions": max((a - b).abs().max().item() for a, b in
                          zip(ref.attentions, out.attentions, strict=True)),
        "pooler": (ref.pooler_output - out.pooler_output).abs().max().item(),
        "input-embedding grad": (ref_grad - our_grad).abs().max().item(),
    }
    torch.testing.assert_close(our_grad, ref_grad, atol=ATOL, rtol=RTOL)
    own, hf_params = dict(ours.named_parameters()), dict(hf.named_parameters())
    assert {hf_to_bertcore_key(k) for k in hf_params} == set(own)  # every gradient is compared
    for k, p in hf_params.items():
        torch.testing.assert_close(own[hf_to_bertcore_key(k)].grad, p.grad, atol=ATOL, rtol=RTOL, msg=k)
    diffs["parameter grad"] = max((own[hf_to_bertcore_key(k)].grad - p.grad).abs().max().item()
                                  for k, p in hf_params.items())
    return ref, out, diffs


@pytest.fixture(scope="module")
def small(one_thread):
    hf = _small_hf()
    ours = BertModel(BertConfig.from_hf(hf.config))
    ours.load_hf_state_dict(hf.state_dict())
    return hf, ours


@pytest.mark.parametrize("mode", ["train", "eval"])
def test_small_model_outputs_and_gradients_match_transformers(small, mode):
    hf, ours = small
    hf.train(mode == "train")
    ours.train(mode == "train")
    ids, types, mask = _batch(hf.config.vocab_size)
    _, _, diffs = _compare(hf, ours, ids, types, mask, seed=5)  # gradients are asserted inside
    assert max(v for k, v in diffs.items() if "grad" not in k) < ATOL, diffs


def test_dropout_is_really_on_and_seeded(small):
    """Guards the test above: train mode differs from eval and between seeds, and repeats per seed."""
    hf, ours = small
    ids, types, mask = _batch(hf.config.vocab_size)
    ours.eval()
    with torch.no_grad():
        clean = ours(ids, types, mask)
    ours.train()
    with torch.no_grad():
        torch.manual_seed(5)
        a = ours(ids, types, mask)
        torch.manual_seed(5)
        b = ours(ids, types, mask)
        torch.manual_seed(6)
        c = ours(ids, types, mask)
    assert torch.equal(a.last_hidden_state, b.last_hidden_state)
    assert (a.last_hidden_state - c.last_hidden_state).abs().max() > 0.1
    assert (a.last_hidden_state - clean.last_hidden_state).abs().max() > 0.1
    # dropout hits the attention probabilities: links to real tokens are zeroed in train mode only
    real_keys = mask.bool()[:, None, None, :]
    assert (a.attentions[0] == 0)[real_keys.expand_as(a.attentions[0])].any()
    assert (clean.attentions[0] > 0)[real_keys.expand_as(clean.attentions[0])].all()


def test_packaged_model_matches_transformers_in_train_mode(pretrained):
    """The packaged MiniLM (6 layers, hidden 384) with its dropout (0.1, as BERT) switched on."""
    tokenizer, packaged = pretrained
    hf = copy.deepcopy(packaged)  # the session's model stays in eval mode
    assert hf.config._attn_implementation == "eager"  # sdpa draws its dropout inside the kernel
    assert hf.config.hidden_dropout_prob == hf.config.attention_probs_dropout_prob == 0.1
    ours = BertModel.from_pretrained(hf)
    hf.train()
    ours.train()
    batch = tokenizer(["The bank raised its rates.", "She sat on the river bank and read."],
                      ["Would not recommend.", "It was fine."], padding=True, return_tensors="pt")
    _, _, diffs = _compare(hf, ours, batch["input_ids"], batch["token_type_ids"], batch["attention_mask"], seed=3)
    assert max(v for k, v in diffs.items() if "grad" not in k) < ATOL, diffs
