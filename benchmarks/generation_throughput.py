"""Batched vs one-at-a-time generation with the default model, same prompts, one run.

    .venv/bin/python benchmarks/generation_throughput.py [--n 16] [--batch-size 8] [--max-new-tokens 96]

Prints generated tokens per second for both and their ratio. The prompts are
the first ``--n`` item-profile prompts of chapter 6; decoding is greedy. The
model is loaded once, and one warm-up prompt runs before timing.
"""

from __future__ import annotations

import argparse
import time


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=16, help="number of prompts")
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--max-new-tokens", type=int, default=96)
    args = ap.parse_args()

    from llmrec_utils import data
    from llmrec_utils.text import augment, llm

    items = data.load_ml100k_items().sort_values(data.ITEM).head(args.n)
    prompts = list(augment.item_jobs(items).values())
    gen = llm.load_generator()
    dec = llm.Decoding(max_new_tokens=args.max_new_tokens)
    gen.generate(prompts[:1], llm.Decoding(max_new_tokens=4), progress=False)  # warm-up
    rows = {}
    for label, batch in (("one at a time", 1), (f"batched ({args.batch_size})", args.batch_size)):
        t0 = time.perf_counter()
        out = gen.generate(prompts, dec, batch_size=batch, progress=False)
        seconds = time.perf_counter() - t0
        tokens = sum(c.completion_tokens for c in out)
        rows[label] = tokens / seconds
        print(f"{label:<16} {tokens:6d} tokens in {seconds:7.1f} s = {tokens / seconds:6.1f} tokens/s")
    one, batched = rows.values()
    print(f"ratio batched / one-at-a-time: {batched / one:.2f}")


if __name__ == "__main__":
    main()
