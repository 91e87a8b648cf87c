"""Device check: chapters 2, 3 and 6's live parts on the device the package picks.

One run on whatever is present (CUDA if available, else the CPU; set
``LLMREC_DEVICE`` / ``LLMREC_PRECISION`` to force), printing:

* the device, torch and CUDA versions, and the precision ``config`` chose;
* chapter 2: encoder throughput (texts/s) on N clothing reviews on the device
  (auto precision) and on the CPU in float32, and the minimum cosine between
  the two sets of vectors (target >= 0.999);
* chapter 3: a short NER fine-tune (weakly labelled sentences from
  ``--ner-reviews`` reviews, 1 epoch) timed on the device, and its micro-F1 on
  the gold test split;
* chapter 6: greedy generation of a few item-profile prompts with the default
  generator on the device, tokens/s, and whether each text equals the CPU's
  (the committed generation cache, made on a CPU in float32).

    .venv/bin/python benchmarks/device_check.py [--n 2000] [--quick]

``--quick`` (5 to 8 minutes on 2 busy CPU cores): 200 reviews, 150 NER reviews
(about 720 sentences), 2 prompts.
The defaults fit a GPU machine's 10-minute limit with room to spare.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch


def timed(fn):
    start = time.perf_counter()
    out = fn()
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    return time.perf_counter() - start, out


def header(device: str, precision: str) -> None:
    print(f"torch {torch.__version__} | CUDA {torch.version.cuda or '-'} | "
          f"threads {torch.get_num_threads()}")  # fmt: skip
    name = torch.cuda.get_device_name(device) if device.startswith("cuda") else "CPU"
    print(f"device: {device} ({name}) | precision (auto): {precision}")


def encoders(texts: list[str], device: str) -> None:
    from llmrec_utils.text import embeddings

    print(f"\n== chapter 2: encoder, {len(texts)} clothing reviews")
    runs = {"device (auto)": embeddings.Encoder.load(device=device),
            "CPU float32": embeddings.Encoder.load(device="cpu", precision="float32")}  # fmt: skip
    vectors = {}
    for label, enc in runs.items():
        enc.encode(texts[:64], progress=False)  # warm-up
        seconds, vectors[label] = timed(lambda: enc.encode(texts, progress=False))
        print(f"{label:<16} {enc.device:<7} {enc.precision:<9} {len(texts) / seconds:>9.1f} texts/s")
    cosine = np.sum(vectors["device (auto)"] * vectors["CPU float32"], axis=1)
    print(f"cosine device vs CPU float32: min {cosine.min():.6f}, mean {cosine.mean():.6f}")


def ner_finetune(reviews, n_reviews: int, device: str) -> None:
    from llmrec_utils.config import SEED
    from llmrec_utils.text import ner

    gold = ner.load_gold()
    pool = reviews[~reviews["review"].isin({r["review"] for r in gold})]
    pool = pool.sample(n=min(n_reviews, len(pool)), random_state=SEED)
    examples = ner.weak_examples(pool["text"].tolist())
    tokenizer, net = ner.new_tagger()
    encoded = ner.encode_examples(tokenizer, examples)
    print(f"\n== chapter 3: NER fine-tune, {len(examples)} weakly labelled sentences, 1 epoch")
    # one epoch instead of chapter 3's two, so a higher rate than its 1.5e-4
    result = ner.train(net, tokenizer, encoded, epochs=1, batch_size=8, lr=5e-4,
                       seed=SEED, device=device, progress=False)  # fmt: skip
    test = [r for r in gold if r["split"] == "test"]
    seconds, pred = timed(lambda: ner.predict(net, tokenizer, [r["tokens"] for r in test]))
    f1 = ner.entity_scores([r["tags"] for r in test], pred, n_boot=50).loc["micro", "f1"]
    print(f"trained on {next(net.parameters()).device} in {result.seconds:.1f}s "
          f"({len(encoded) / result.seconds:.1f} sentences/s), final loss "
          f"{result.losses[-1]:.3f}; tagged {len(test)} test sentences in {seconds:.1f}s; "
          f"test micro-F1 {f1:.3f}")  # fmt: skip


def generation(n_prompts: int, device: str) -> None:
    from llmrec_utils.text import augment, llm

    recipe = augment.RECIPES["items"]
    jobs = augment.jobs("items")
    cached = augment.replay("items")
    sample = [i for i in (1, 50, 100, 181, 7, 12, 22, 64) if i in jobs][:n_prompts]
    print(f"\n== chapter 6: greedy generation, {len(sample)} item prompts")
    generator = llm.load_generator(device=device)
    seconds, live = timed(lambda: generator.generate([jobs[i] for i in sample], recipe.decoding,
                                                     batch_size=len(sample), progress=False))
    tokens = sum(a.completion_tokens for a in live)
    same = [a.text == cached.loc[i, "text"] for i, a in zip(sample, live)]
    print(f"{generator.device}: {tokens} tokens in {seconds:.1f}s ({tokens / seconds:.1f} tokens/s)")
    print(f"same text as the CPU float32 cache: {sum(same)}/{len(same)} "
          f"{['same' if s else 'DIFFERS' for s in same]}")
    for i, a, s in zip(sample, live, same):
        if not s:
            print(f"  item {i}: device {a.text[:100]!r}\n           cpu    {cached.loc[i, 'text'][:100]!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="reviews to encode")
    parser.add_argument("--ner-reviews", type=int, default=600, help="reviews to weakly label")
    parser.add_argument("--prompts", type=int, default=4, help="item prompts to generate")
    parser.add_argument("--quick", action="store_true", help="small sizes, for a CPU")
    parser.add_argument("--skip", nargs="*", default=[], choices=["encoder", "ner", "generation"])
    args = parser.parse_args()
    if args.quick:
        args.n, args.ner_reviews, args.prompts = 200, 150, 2

    from llmrec_utils import config, data

    start = time.perf_counter()
    device = config.device()
    header(device, config.precision(device))
    reviews = data.clean_reviews(data.load_clothing_reviews())
    if "encoder" not in args.skip:
        encoders(reviews["text"].sample(n=args.n, random_state=0).tolist(), device)
    if "ner" not in args.skip:
        ner_finetune(reviews, args.ner_reviews, device)
    if "generation" not in args.skip:
        generation(args.prompts, device)
    print(f"\ntotal {time.perf_counter() - start:.0f}s")


if __name__ == "__main__":
    main()
