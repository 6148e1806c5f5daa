"""Forward time of bertcore's encoder vs transformers.BertModel (eager) on the same weights.

Usage: .venv/bin/python benchmarks/bench_encoder.py   (prints a table, returns a dict from main())
Goal: bertcore within 1.2x of the reference.
"""
from __future__ import annotations

import os
import statistics
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch  # noqa: E402

import bertcore  # noqa: E402


def _time(fn, repeats: int) -> float:
    fn()  # warm-up
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main(batch_size: int = 16, seq_len: int = 128, repeats: int = 15) -> dict:
    tokenizer, hf = bertcore.load_pretrained()
    ours = bertcore.BertModel.from_pretrained(hf)
    texts = bertcore.load_reviews("train")["text"].tolist()[:batch_size]
    batch = tokenizer(texts, padding="max_length", truncation=True, max_length=seq_len, return_tensors="pt")
    results = {}
    with torch.inference_mode():
        # interleave the two so drifting machine load affects both alike
        t_ref, t_ours = [], []
        for _ in range(3):
            t_ref.append(_time(lambda: hf(**batch, output_attentions=True), repeats // 3))
            t_ours.append(_time(lambda: ours(**batch), repeats // 3))
    results["transformers_s"] = min(t_ref)
    results["bertcore_s"] = min(t_ours)
    results["ratio"] = results["bertcore_s"] / results["transformers_s"]
    print(f"encoder forward, batch {batch_size} x {seq_len} tokens, {torch.get_num_threads()} threads")
    print(f"  transformers.BertModel (eager): {results['transformers_s'] * 1e3:8.1f} ms")
    print(f"  bertcore.BertModel:             {results['bertcore_s'] * 1e3:8.1f} ms")
    print(f"  ratio bertcore / transformers:  {results['ratio']:.2f}x (goal <= 1.2x)")
    return results


if __name__ == "__main__":
    main()
