"""Tokenization speed: bertcore.WordPieceTokenizer vs transformers' BertTokenizer and BertTokenizerFast.

Usage: .venv/bin/python benchmarks/bench_tokenization.py   (prints a table, returns a dict from main())
Every review (train + test) is tokenized one text at a time, in passes repeated until about
`seconds` have elapsed per tokenizer; the figure is WordPiece tokens per second. bertcore is
timed "cold" (its word cache emptied before every pass, so each distinct word is tokenized from
scratch: the fair comparison) and "warm" (cache kept, as in normal use). For scale, the Rust
tokenizer is also timed on the whole list in one call.
Goal: bertcore cold at least as fast as BertTokenizer (the pure-Python reference).
"""
from __future__ import annotations

import os
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from transformers import BertTokenizer, BertTokenizerFast  # noqa: E402

from bertcore import load_reviews, vocab_path  # noqa: E402
from bertcore.tokenization import WordPieceTokenizer  # noqa: E402


def _tokens_per_s(tokenize, texts, seconds: float, before_pass=None) -> tuple[float, int]:
    """Tokens per second over whole passes (at least one) and the tokens of one pass."""
    elapsed, tokens, passes = 0.0, 0, 0
    while elapsed < seconds or passes == 0:
        if before_pass:
            before_pass()
        start = time.perf_counter()
        n = sum(len(tokenize(text)) for text in texts)
        elapsed += time.perf_counter() - start
        tokens, passes = tokens + n, passes + 1
    return tokens / elapsed, n


def main(seconds: float = 1.5) -> dict:
    texts = load_reviews("train")["text"].tolist() + load_reviews("test")["text"].tolist()
    ours = WordPieceTokenizer.from_vocab_file(vocab_path())
    slow = BertTokenizer(str(vocab_path()), do_lower_case=True)
    fast = BertTokenizerFast(str(vocab_path()), do_lower_case=True)
    fast.tokenize(texts[0])  # warm-up
    results = {"texts": len(texts)}
    results["bertcore_cold_tok_s"], n_ours = _tokens_per_s(
        ours.tokenize, texts, seconds, before_pass=lambda: ours._cache.clear())
    for text in texts:  # fill the cache once
        ours.tokenize(text)
    results["bertcore_warm_tok_s"], _ = _tokens_per_s(ours.tokenize, texts, seconds)
    results["slow_tok_s"], n_slow = _tokens_per_s(slow.tokenize, texts, seconds)
    results["fast_tok_s"], n_fast = _tokens_per_s(fast.tokenize, texts, seconds)
    # The Rust tokenizer's real strength: one call for the whole list (one thread here).
    def batch(text_list):
        return [i for ids in fast(text_list, add_special_tokens=False)["input_ids"] for i in ids]
    results["fast_batch_tok_s"], _ = _tokens_per_s(batch, [texts], seconds)
    results["tokens_per_pass"] = n_ours
    results["same_token_counts"] = n_ours == n_slow == n_fast
    for kind in ("cold", "warm"):
        for ref in ("slow", "fast"):
            results[f"ratio_{kind}_vs_{ref}"] = results[f"bertcore_{kind}_tok_s"] / results[f"{ref}_tok_s"]
    print(f"tokenize {len(texts)} reviews ({n_ours} tokens per pass), one text at a time")
    print(f"  bertcore, cold cache:        {results['bertcore_cold_tok_s']:12,.0f} tokens/s")
    print(f"  bertcore, warm cache:        {results['bertcore_warm_tok_s']:12,.0f} tokens/s")
    print(f"  BertTokenizer (Python):      {results['slow_tok_s']:12,.0f} tokens/s")
    print(f"  BertTokenizerFast (Rust):    {results['fast_tok_s']:12,.0f} tokens/s")
    print(f"  ratio bertcore / Python:     cold {results['ratio_cold_vs_slow']:.1f}x, "
          f"warm {results['ratio_warm_vs_slow']:.1f}x (goal >= 1x)")
    print(f"  ratio bertcore / Rust:       cold {results['ratio_cold_vs_fast']:.2f}x, "
          f"warm {results['ratio_warm_vs_fast']:.2f}x")
    print(f"  BertTokenizerFast, 1 batch:  {results['fast_batch_tok_s']:12,.0f} tokens/s")
    print(f"  same token counts:           {results['same_token_counts']}")
    return results


if __name__ == "__main__":
    main()
