"""The one training loop that fine-tuning, distillation, BERT pre-training and ELECTRA share.

The caller writes only the loss: ``step_loss(batch)`` gets a batch of row indices and returns
``(loss, extras)`` (``extras``: names -> scalars to log) or None to skip the batch. The loop
owns the rest, the same way for every objective: the batch order, AdamW with BERT's
weight-decay rule (``decay_groups``), BERT's linear warm-up and decay (``linear_schedule``),
gradient clipping and the history (one row per step).

Simplifies: CPU-first, no mixed precision or gradient accumulation; dropout draws from
PyTorch's global generator, seeded here from ``seed`` (so one seed gives one run).
"""
from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator, Sequence

import torch
from torch import nn

from bertcore._checks import check_finite, check_int, check_positive_int
from bertcore.training.batching import bucket_batches


def linear_schedule(step: int, total_steps: int, warmup_steps: int) -> float:
    """Learning-rate multiplier: 0 -> 1 over warm-up, then 1 -> 0, e.g. ``linear_schedule(5, 10, 0) == 0.5``."""
    check_int("step", step, low=0), check_int("total_steps", total_steps, low=1)
    check_int("warmup_steps", warmup_steps, 0, total_steps)
    if step < warmup_steps:
        return step / max(1, warmup_steps)
    return max(0.0, (total_steps - step) / max(1, total_steps - warmup_steps))


def decay_groups(params, weight_decay: float) -> list[dict]:
    """AdamW parameter groups with BERT's rule: decay on weight matrices, none on biases and LayerNorm weights.

    ``params``: tensors, or torch-style groups (dicts with 'params' and e.g. their own 'lr');
    each group is split in two, decayed first. In BERT's layers the 1-D tensors are exactly the
    biases and the LayerNorm gains and shifts, so the rule is ``p.dim() > 1``.
    Example: ``torch.optim.AdamW(decay_groups(model.parameters(), 0.01), lr=1e-4)``.
    """
    check_finite("weight_decay", weight_decay, low=0)
    params = list(params)
    groups = params if params and isinstance(params[0], dict) else [{"params": params}]
    out = []
    for group in groups:
        ps = list(group["params"])
        out.append({**group, "params": [p for p in ps if p.dim() > 1], "weight_decay": weight_decay})
        out.append({**group, "params": [p for p in ps if p.dim() <= 1], "weight_decay": 0.0})
    return out


def batch_order(lengths: Sequence[int], batch_size: int, generator: torch.Generator, *,
                bucket: bool = True) -> Iterator[tuple[int, list[int] | torch.Tensor]]:
    """Endless ``(epoch, row indices)`` stream; each epoch sees every row once.

    ``bucket=True``: batches of similar lengths (``bucket_batches``), reshuffled every epoch,
    the last batch of an epoch possibly short. ``bucket=False``: a random permutation per
    epoch, cut into full batches that run across epoch boundaries (pre-training's view).
    """
    n, epoch = len(lengths), 0
    if bucket:
        while True:
            epoch += 1
            for batch in bucket_batches(lengths, batch_size, generator=generator):
                yield epoch, batch
    order = torch.empty(0, dtype=torch.long)
    while True:
        if len(order) < batch_size:  # a new epoch: reshuffle
            epoch += 1
            order = torch.cat([order, torch.randperm(n, generator=generator)])
        batch, order = order[:batch_size], order[batch_size:]
        yield epoch, batch


def train_loop(model: nn.Module, step_loss: Callable, lengths: Sequence[int], *, batch_size: int, lr: float,
               seed: int, epochs: int | None = None, steps: int | None = None, bucket: bool = True,
               warmup: float = 0.1, schedule: bool = True, weight_decay: float = 0.01, clip: float | None = 1.0,
               params=None, generator: torch.Generator | None = None,
               callback: Callable[[int], None] | None = None, callback_every: int = 50,
               progress: bool = False, desc: str = "training") -> list[dict]:
    """Train ``model`` in place and return the history, one dict per step, e.g.
    ``train_loop(clf, lambda b: (loss_on(b), {}), lengths, batch_size=16, lr=5e-5, seed=0, epochs=1)``.

    ``lengths[i]`` is the length of row i (only ``bucket=True`` uses the values); the run
    lasts ``epochs`` (of ``ceil(N / batch_size)`` steps) or ``steps``, give exactly one.
    ``params``: what to train (default: the parameters with ``requires_grad``), tensors or
    groups with their own 'lr'. ``schedule=False`` keeps the learning rate constant.
    ``generator`` orders the batches (default: a new one seeded with ``seed``); pass your
    own to share it with the step, e.g. for masks. ``callback(step)`` runs at step 0 and every
    ``callback_every`` steps. Row keys: epoch, step, loss, the extras, lr (first group), seconds.
    """
    check_int("seed", seed, low=0)
    check_positive_int("batch_size", batch_size)
    check_positive_int("callback_every", callback_every)
    if (epochs is None) == (steps is None):
        raise ValueError("give exactly one of epochs and steps")
    check_positive_int("epochs" if steps is None else "steps", epochs if steps is None else steps)
    check_finite("lr", lr, 0)
    check_finite("weight_decay", weight_decay, 0)
    if not 0 <= check_finite("warmup", warmup) < 1:
        raise ValueError(f"warmup is the share of steps spent warming up: need 0 <= warmup < 1, got {warmup}")
    if clip is not None:
        check_finite("clip", clip, 0, low_open=True)
    if len(lengths) == 0:
        raise ValueError("nothing to train on: lengths is empty")
    groups = decay_groups([p for p in model.parameters() if p.requires_grad] if params is None else params,
                          weight_decay)
    trained = [p for g in groups for p in g["params"]]
    if not trained:
        raise ValueError("no trainable parameters: set requires_grad=True on something")
    clipped = [p for p in model.parameters() if p.requires_grad] if params is None else trained
    torch.manual_seed(seed)  # dropout masks
    gen = generator if generator is not None else torch.Generator().manual_seed(seed)
    total = steps if steps is not None else epochs * -(-len(lengths) // batch_size)
    opt = torch.optim.AdamW(groups, lr=lr)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, (lambda s: linear_schedule(s, total, int(warmup * total))) if schedule else (lambda s: 1.0))
    bar = None
    if progress:
        from tqdm import tqdm

        # about ten refreshes per run: a saved notebook keeps every refresh in its output
        bar = tqdm(total=total, desc=desc, file=sys.stdout, mininterval=5.0,
                   miniters=max(1, total // 10), ncols=80)
    rows, start, stream = [], time.perf_counter(), batch_order(lengths, batch_size, gen, bucket=bucket)
    if callback is not None:
        callback(0)
    try:
        for step in range(1, total + 1):
            epoch, batch = next(stream)
            model.train()  # (a callback may have switched to eval)
            out = step_loss(batch)
            if out is None:  # nothing to learn from in this batch
                continue
            loss, extras = out
            opt.zero_grad()
            loss.backward()
            if clip is not None:
                nn.utils.clip_grad_norm_(clipped, clip)
            opt.step()
            sched.step()
            rows.append({"epoch": epoch, "step": step, "loss": loss.item(),
                         **{k: (v.item() if torch.is_tensor(v) else v) for k, v in extras.items()},
                         "lr": opt.param_groups[0]["lr"], "seconds": time.perf_counter() - start})
            if bar is not None:
                bar.update(1)
                bar.set_postfix(epoch=epoch, loss=f"{loss.item():.3f}", refresh=False)
            if callback is not None and step % callback_every == 0:
                callback(step)
    finally:
        model.eval()
        if bar is not None:
            bar.close()
    return rows
