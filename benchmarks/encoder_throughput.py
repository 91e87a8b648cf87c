"""Encoder throughput: the package's encoder vs SentenceTransformer.encode.

Same model files, same review texts, same thread count, one run. Prints
sentences/s for each, their ratio, and the cosine agreement of the vectors.
Target (issue 3): the package's encoder >= 1.2x faster on review-length texts,
with cosine agreement >= 0.999. The book computes in float32 on a CPU
(``config.precision``; never chosen by a timing); the script also runs
bfloat16 and prints the probe's measured speed-up, so a reader can see
whether ``LLMREC_PRECISION=bfloat16`` would pay off on this machine.

    .venv/bin/python benchmarks/encoder_throughput.py [--n 2000] [--threads 2]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch


def best_of(fn, repeats: int) -> tuple[float, np.ndarray]:
    times, out = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return min(times), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="number of reviews to encode")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=2, help="best of this many runs")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    from sentence_transformers import SentenceTransformer

    from llmrec_utils import config, data
    from llmrec_utils.text import embeddings

    reviews = data.clean_reviews(data.load_clothing_reviews())
    texts = reviews["text"].sample(n=args.n, random_state=0).tolist()
    words = np.mean([len(t.split()) for t in texts])
    reference = SentenceTransformer(embeddings.model_dir(), device="cpu")
    encoders = {p: embeddings.Encoder.load(precision=p) for p in ("float32", "bfloat16")}
    warm = texts[:64]
    reference.encode(warm)
    for enc in encoders.values():
        enc.encode(warm, progress=False)

    t_ref, ref = best_of(lambda: reference.encode(texts, batch_size=32), args.repeats)
    print(f"{args.n} reviews (mean {words:.0f} words), {torch.get_num_threads()} threads, "
          f"torch {torch.__version__}")
    probe = (f"bfloat16 {config.bf16_speedup():.2f}x float32 "
             f"(worth setting from {config.BF16_MIN_SPEEDUP}x)" if config.native_bf16()
             else "no native bfloat16 on this CPU")
    print(f"the book computes in {config.precision('cpu')} on the CPU; probe: {probe} "
          f"(memo {config.cache_dir() / config.PROBE_FILE})")
    print(f"{'encoder':<38}{'sentences/s':>12}{'ratio':>8}{'min cosine':>12}")
    print(f"{'SentenceTransformer.encode (float32)':<38}{args.n / t_ref:>12.1f}{1.0:>8.2f}{1.0:>12.6f}")
    for label, enc in encoders.items():
        t, vecs = best_of(lambda: enc.encode(texts, progress=False), args.repeats)
        cosine = float(np.min(np.sum(vecs * ref, axis=1)))
        name = f"llmrec_utils Encoder ({label}: {enc.precision})"
        print(f"{name:<38}{args.n / t:>12.1f}{t_ref / t:>8.2f}{cosine:>12.6f}")


if __name__ == "__main__":
    main()
