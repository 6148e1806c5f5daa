"""ELECTRA's replaced-token detection next to BERT's MLM, small enough to pre-train on a CPU.

Simplifies: a compact vocabulary (the most frequent WordPiece ids of the corpus, the rest
[UNK]) keeps the output layers small; generator and discriminator share no weights (ELECTRA
shares embeddings); the generator is sampled once per step without temperature; no NSP; a
fixed learning rate. MLM and ELECTRA run through the same loop, batches and masks, so that
at equal steps the only difference is the objective (Clark et al., 2020).
"""
from __future__ import annotations

import hashlib
import json
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn

from bertcore.config import ACTIVATIONS, BertConfig
from bertcore.encoder import BertModel
from bertcore.masking import IGNORE_INDEX, mask_tokens
from bertcore.training.initialization import init_bert_weights
from bertcore.training.loop import train_loop

OBJECTIVES = ("mlm", "electra", "electra-15%")


def compact_vocabulary(sequences: Sequence[Sequence[int]], size: int, special_ids: Sequence[int],
                       unk_id: int) -> tuple[torch.Tensor, list[int]]:
    """Old-id -> new-id table keeping the specials and the most frequent ids, e.g.
    ``compact_vocabulary(ids, 2000, [0, 100, 101, 102, 103], 100)``.

    Returns ``(mapping, kept)``: ``mapping[old]`` is the new id (unknown ids map to the new
    position of ``unk_id``), ``kept[new]`` the old id. Specials come first, in the given order.
    """
    if not isinstance(size, int) or size <= len(special_ids):
        raise ValueError(f"size must be an int larger than the {len(special_ids)} special ids, got {size!r}")
    if unk_id not in special_ids:
        raise ValueError("unk_id must be one of special_ids (it receives every dropped id)")
    counts = Counter(i for seq in sequences for i in seq if i not in set(special_ids))
    kept = list(special_ids) + [i for i, _ in counts.most_common(size - len(special_ids))]
    top = max([max(seq) for seq in sequences if len(seq)] + list(special_ids)) + 1
    mapping = torch.full((top,), list(special_ids).index(unk_id), dtype=torch.long)
    mapping[torch.tensor(kept)] = torch.arange(len(kept))
    return mapping, kept


class MaskedLM(nn.Module):
    """A BertModel with BERT's MLM head (dense + GELU + LayerNorm, decoder tied to the word embeddings)."""

    def __init__(self, config: BertConfig):
        super().__init__()
        self.encoder = BertModel(config)
        self.transform = nn.Linear(config.hidden_size, config.hidden_size)
        self.act = ACTIVATIONS[config.hidden_act]
        self.norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.bias = nn.Parameter(torch.zeros(config.vocab_size))

    def forward(self, input_ids, attention_mask, positions):
        """Vocabulary logits (N, V) at the True cells of ``positions`` (B, T)."""
        h = self.encoder(input_ids, attention_mask=attention_mask).last_hidden_state[positions]  # (N, H)
        h = self.norm(self.act(self.transform(h)))
        return h @ self.encoder.embeddings.word_embeddings.weight.T + self.bias  # (N, V)


class Discriminator(nn.Module):
    """A BertModel with a per-token head: logit > 0 means 'this token was replaced'."""

    def __init__(self, config: BertConfig):
        super().__init__()
        self.encoder = BertModel(config)
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.act = ACTIVATIONS[config.hidden_act]
        self.out = nn.Linear(config.hidden_size, 1)

    def forward(self, input_ids, attention_mask):
        h = self.encoder(input_ids, attention_mask=attention_mask).last_hidden_state  # (B, T, H)
        return self.out(self.act(self.dense(h))).squeeze(-1)  # (B, T)


def replace_with_samples(input_ids, positions, generator_logits, generator=None):
    """Corrupted input and RTD labels: sampled tokens go in at ``positions``; label 1 where the token changed.

    A sample equal to the original counts as *original* (label 0), as in ELECTRA.
    """
    probs = generator_logits.detach().float().softmax(-1)  # no gradient flows through sampling
    sampled = torch.multinomial(probs, 1, generator=generator).squeeze(-1)  # (N,)
    corrupted = input_ids.clone()
    corrupted[positions] = sampled
    return corrupted, (corrupted != input_ids).float()


def pretrain_small(input_ids: torch.Tensor, attention_mask: torch.Tensor, *, objective: str,
                   config: BertConfig, mask_token_id: int, special_ids: Sequence[int], steps: int = 200,
                   batch_size: int = 32, lr: float = 5e-4, generator_config: BertConfig | None = None,
                   rtd_weight: float = 50.0, seed: int = 0,
                   callback: Callable[[int, BertModel], None] | None = None, callback_every: int = 50):
    """Pre-train a small model with 'mlm', 'electra' or 'electra-15%'; return ``(model, history)``.

    ``input_ids``/``attention_mask`` (N, T) use the compact vocabulary of ``config``. For
    'electra' the loss is MLM(generator) + ``rtd_weight`` x BCE(discriminator) over every real
    token ('electra-15%': only over the masked positions). The returned model is the MaskedLM
    or the Discriminator (its encoder: ``model.encoder``). ``callback(step, model)`` runs at
    step 0 and every ``callback_every`` steps (e.g. an evaluation). History (one dict per step,
    from ``training.loop.train_loop``): step, loss, mlm_loss, rtd_loss, rtd_accuracy,
    replaced_share, tokens_with_loss (positions that produced a loss term), lr, seconds.
    """
    if objective not in OBJECTIVES:
        raise ValueError(f"objective must be one of {OBJECTIVES}, got {objective!r}")
    if input_ids.shape != attention_mask.shape or input_ids.dim() != 2:
        raise ValueError("input_ids and attention_mask must be (N, T) tensors of the same shape")
    if input_ids.max() >= config.vocab_size:
        raise ValueError(f"input ids reach {int(input_ids.max())} but config.vocab_size is {config.vocab_size}: "
                         "remap them with compact_vocabulary first")
    for name, val in (("steps", steps), ("batch_size", batch_size), ("callback_every", callback_every)):
        if not isinstance(val, int) or val < 1:
            raise ValueError(f"{name} must be a positive int, got {val!r}")
    gen_data = torch.Generator().manual_seed(seed)  # batches, masks and generator samples
    if objective == "mlm":
        mlm, disc = MaskedLM(config), None
    else:
        mlm = MaskedLM(generator_config or config)  # the generator: usually smaller
        disc = Discriminator(config)
    trained = mlm if disc is None else disc  # what the caller gets: the MLM model or the discriminator
    # BERT's initialisation (PyTorch's N(0, 1) embeddings would make a tied decoder start far off)
    init_bert_weights(mlm, seed)
    if disc is not None:
        init_bert_weights(disc, seed + 1)  # its own draws, even when both have one config
    models = nn.ModuleList([mlm] + ([disc] if disc is not None else []))

    def step_loss(index):
        ids, att = input_ids[index], attention_mask[index]
        T = int(att.sum(1).max())  # trim padding columns shared by the whole batch
        ids, att = ids[:, :T], att[:, :T]
        # ELECTRA's generator sees [MASK] at every selected position; BERT uses 80/10/10
        fractions = dict(mask_fraction=1.0, random_fraction=0.0) if disc is not None else {}
        masked, labels = mask_tokens(ids, vocab_size=config.vocab_size, mask_token_id=mask_token_id,
                                     special_token_ids=list(special_ids), generator=gen_data,
                                     attention_mask=att, **fractions)
        positions = labels != IGNORE_INDEX  # (B, T)
        if not positions.any():
            return None  # nothing masked: skip the batch
        logits = mlm(masked, att, positions)  # (N, V)
        mlm_loss = F.cross_entropy(logits, labels[positions])
        extras = {"mlm_loss": mlm_loss, "tokens_with_loss": int(positions.sum())}
        if disc is None:
            return mlm_loss, extras
        corrupted, is_replaced = replace_with_samples(ids, positions, logits, gen_data)
        rtd_logits = disc(corrupted, att)  # (B, T)
        # 'electra' learns from every real token; 'electra-15%' (the paper's ablation) only
        # from the positions the generator filled in
        real = att.bool() if objective == "electra" else positions
        rtd_loss = F.binary_cross_entropy_with_logits(rtd_logits[real], is_replaced[real])
        extras.update(rtd_loss=rtd_loss, tokens_with_loss=int(real.sum()),
                      rtd_accuracy=((rtd_logits[real] > 0).float() == is_replaced[real]).float().mean(),
                      replaced_share=is_replaced[real].mean())
        return mlm_loss + rtd_weight * rtd_loss, extras

    # the shared loop: shuffled full batches, AdamW (no decay on biases and LayerNorm weights),
    # clipping at 1, a constant learning rate; ``gen_data`` also draws the masks and samples
    history = train_loop(models, step_loss, [1] * len(input_ids), steps=steps, batch_size=batch_size, bucket=False,
                         lr=lr, schedule=False, weight_decay=0.01, seed=seed, generator=gen_data,
                         callback=None if callback is None else lambda step: callback(step, trained.eval()),
                         callback_every=callback_every)
    return trained.eval(), history


def cached_pretrain_small(input_ids: torch.Tensor, attention_mask: torch.Tensor, *, objective: str,
                          config: BertConfig, mask_token_id: int, special_ids: Sequence[int], steps: int = 200,
                          batch_size: int = 32, lr: float = 5e-4, generator_config: BertConfig | None = None,
                          rtd_weight: float = 50.0, seed: int = 0):
    """``pretrain_small`` once, then from disk; return ``(model, history, info)``.

    Example: ``m, hist, info = cached_pretrain_small(ids, att, objective='electra', config=cfg, ...)``.
    The key (``bertcore.support.cache``) holds every setting, both configurations and the
    training tensors. ``history`` is a DataFrame; info: train_seconds, cached (bool), path.
    """
    from bertcore.support import cache

    if not isinstance(input_ids, torch.Tensor) or not isinstance(attention_mask, torch.Tensor):
        raise TypeError("input_ids and attention_mask must be torch tensors of shape (N, T)")
    settings = dict(objective=objective, mask_token_id=mask_token_id, special_ids=list(special_ids), steps=steps,
                    batch_size=batch_size, lr=lr, rtd_weight=rtd_weight, seed=seed)
    data = hashlib.sha256()
    for t in (input_ids, attention_mask):
        data.update(str(tuple(t.shape)).encode())
        data.update(t.to(torch.int64).contiguous().numpy().tobytes())
    key = {**settings, "config": config.to_dict(), "data": data.hexdigest()[:16],
           "generator_config": None if generator_config is None else generator_config.to_dict()}
    path = cache.entry_path("electra-small", key)

    def fresh():
        if objective == "mlm":
            return MaskedLM(config)
        return Discriminator(config)

    def build():
        start = time.perf_counter()
        model, history = pretrain_small(input_ids, attention_mask, config=config, generator_config=generator_config,
                                        **settings)
        return model, pd.DataFrame(history), time.perf_counter() - start

    def save(result, folder: Path):
        model, history, seconds = result
        torch.save(model.state_dict(), folder / "model.pt")
        history.to_csv(folder / "history.csv", index=False)
        (folder / "meta.json").write_text(json.dumps({"train_seconds": seconds, "rows": len(history)}))

    def load(folder: Path):
        meta = json.loads((folder / "meta.json").read_text())
        model = fresh()
        model.load_state_dict(torch.load(folder / "model.pt", weights_only=True))
        history = pd.read_csv(folder / "history.csv")
        if len(history) != meta["rows"]:  # a truncated csv still parses
            raise cache.CorruptEntry("history.csv has fewer rows than meta.json records")
        return model.eval(), history, meta["train_seconds"]

    (model, history, seconds), cached = cache.load_or_build(path, load, build, save, folder=True)
    return model, history, {"train_seconds": seconds, "cached": cached, "path": path}


@torch.no_grad()
def replaced_token_scores(model: nn.Module, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """(B, T) scores, higher = more likely replaced, from a Discriminator (its logits) or a MaskedLM.

    A MaskedLM reads the unmasked input and scores each token by -log p(token | context): a
    replaced token should look unlikely. This puts both objectives on one detection test.
    """
    if isinstance(model, Discriminator):
        return model(input_ids, attention_mask)
    if isinstance(model, MaskedLM):
        everywhere = torch.ones_like(input_ids, dtype=torch.bool)
        logp = model(input_ids, attention_mask, everywhere).log_softmax(-1)  # (B*T, V)
        return -logp.gather(1, input_ids.reshape(-1, 1)).reshape(input_ids.shape)
    raise TypeError(f"model must be a Discriminator or a MaskedLM, got {type(model).__name__}")
