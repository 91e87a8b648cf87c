"""Aspect tagging helpers: tokens, BIO spans, the weak labeller, alignment, gold I/O."""

from __future__ import annotations

import json

import numpy as np
import pytest

from llmrec_utils.text import ner


def test_tokenize_keeps_offsets_and_compound_words():
    text = "It's see-through, $50 and 25% off!"
    words = ner.tokenize(text)
    assert [w.text for w in words] == ["It's", "see-through", ",", "$50", "and", "25%", "off", "!"]
    assert all(text[w.start : w.end] == w.text for w in words)
    assert ner.tokenize("") == [] and ner.tokenize("😍😍") == [ner.Word("😍", 0, 1), ner.Word("😍", 1, 2)]
    with pytest.raises(TypeError):
        ner.tokenize(None)


def test_split_sentences():
    assert ner.split_sentences("Runs small. Love it! Would buy again?  ") == [
        "Runs small.", "Love it!", "Would buy again?"]  # fmt: skip
    assert ner.split_sentences("   ") == []


def test_weak_labeller_longest_match_and_size_pattern():
    words = "I ordered the small and it runs small , soft fabric".split()
    assert ner.weak_label(words) == [
        "O", "O", "O", "B-SIZE", "O", "O", "B-SIZE", "I-SIZE", "O", "B-FABRIC", "B-FABRIC"]  # fmt: skip
    assert ner.weak_label(["a", "small", "flaw"]) == ["O", "O", "O"]  # "small" alone is not a size
    assert ner.weak_label([]) == []


def test_spans_reads_bio_leniently():
    tags = ["B-FIT", "I-FIT", "O", "I-SIZE", "B-SIZE", "I-COLOR"]
    assert ner.spans(tags) == [("FIT", 0, 2), ("SIZE", 3, 4), ("SIZE", 4, 5), ("COLOR", 5, 6)]


def test_align_labels_first_subword_only():
    # [CLS] un ##bel ##ievably soft [SEP]  <- words: "unbelievably"(0) "soft"(1)
    word_ids = [None, 0, 0, 0, 1, None]
    assert ner.align_labels(word_ids, [3, 5]) == [-100, 3, -100, -100, 5, -100]
    with pytest.raises(ValueError, match="no label"):
        ner.align_labels([None, 0, 2], [1, 1])


def test_align_labels_with_a_real_tokenizer():
    from transformers import AutoTokenizer

    from llmrec_utils.text.embeddings import model_dir

    tok = AutoTokenizer.from_pretrained(model_dir())
    words = ["The", "bodice", "runs", "small"]
    labels = [0, ner.LABEL2ID["B-FIT"], ner.LABEL2ID["B-SIZE"], ner.LABEL2ID["I-SIZE"]]
    enc = tok(words, is_split_into_words=True)
    aligned = ner.align_labels(enc.word_ids(), labels)
    kept = [x for x in aligned if x != ner.IGNORE]
    assert kept == labels  # each word counted exactly once, in order
    assert len(aligned) == len(enc["input_ids"]) > len(words) + 2  # "bodice" was split


def test_gold_file_is_valid_and_split():
    gold = ner.load_gold()
    assert len(gold) >= 300
    splits = {r["split"] for r in gold}
    assert splits == {"dev", "test"}
    by_review = {}
    for r in gold:
        by_review.setdefault(r["review"], set()).add(r["split"])
        assert r["guideline"] == ner.GUIDELINE_VERSION
        assert [w.text for w in ner.tokenize(r["text"])] == r["tokens"]
    assert all(len(s) == 1 for s in by_review.values())  # a review never spans both splits


@pytest.mark.parametrize(
    "line, message",
    [
        ("{not json", "line 2: not valid JSON"),
        (json.dumps({"id": "x", "split": "dev", "guideline": "1.0", "text": "a b", "tokens": ["a", "b"]}),
         r"line 2: missing field\(s\) \['tags'\]"),
        (json.dumps({"id": "x", "split": "dev", "guideline": "1.0", "text": "a", "tokens": ["a"],
                     "tags": ["O", "O"]}), "line 2: 1 tokens but 2 tags"),
        (json.dumps({"id": "x", "split": "dev", "guideline": "1.0", "text": "a", "tokens": ["a"],
                     "tags": ["B-BRAND"]}), "unknown tag"),
        (json.dumps({"id": "x", "split": "train", "guideline": "1.0", "text": "a", "tokens": ["a"],
                     "tags": ["O"]}), "split must be"),
    ],
)
def test_malformed_gold_line_is_named(tmp_path, line, message):
    good = json.dumps({"id": "ok", "split": "dev", "guideline": "1.0", "text": "fine", "tokens": ["fine"], "tags": ["O"]})
    path = tmp_path / "gold.jsonl"
    path.write_text(good + "\n" + line + "\n")
    with pytest.raises(ValueError, match=message):
        ner.load_gold(path)


def test_empty_gold_file(tmp_path):
    (tmp_path / "g.jsonl").write_text("\n")
    with pytest.raises(ValueError, match="no annotations"):
        ner.load_gold(tmp_path / "g.jsonl")


def test_entity_scores_match_seqeval_and_bracket_f1():
    from seqeval.metrics import classification_report, f1_score

    gold = [r["tags"] for r in ner.load_gold()]
    pred = [ner.weak_label(r["tokens"]) for r in ner.load_gold()]
    table = ner.entity_scores(gold, pred, n_boot=200)
    assert table.loc["micro", "f1"] == pytest.approx(f1_score(gold, pred))
    report = classification_report(gold, pred, output_dict=True, zero_division=0)
    for kind in ner.ENTITY_TYPES:
        assert table.loc[kind, "f1"] == pytest.approx(report[kind]["f1-score"])
        assert table.loc[kind, "support"] == report[kind]["support"]
    assert (table["f1 low"] <= table["f1"] + 1e-12).all() and (table["f1"] <= table["f1 high"] + 1e-12).all()
    perfect = ner.entity_scores(gold, gold, n_boot=50)
    assert (perfect.loc[perfect["support"] > 0, "f1"] == 1.0).all()
    with pytest.raises(ValueError, match="gold sentences"):
        ner.entity_scores(gold, pred[:-1])


def test_aspect_item_features():
    import pandas as pd

    mentions = pd.DataFrame({
        "item": [1, 1, 2], "rating": [5, 1, 3],
        **{k: [False, False, False] for k in ner.ENTITY_TYPES},
    })
    mentions.loc[[0, 2], "FIT"] = True
    out = ner.aspect_item_features(mentions).set_index("item")
    assert out.loc[1, "n_reviews"] == 2 and out.loc[1, "share_FIT"] == 0.5
    assert out.loc[1, "rating_FIT"] == 5 and out.loc[2, "rating_FIT"] == 3
    assert pd.isna(out.loc[1, "rating_SIZE"])
    with pytest.raises(ValueError, match="missing column"):
        ner.aspect_item_features(mentions.drop(columns="FIT"))


def test_tiny_training_run_learns_and_tags_text():
    """A few steps on a handful of sentences: the loop runs, the loss falls, tags map back."""
    tokenizer, net = ner.new_tagger()
    examples = [{"tokens": "the linen is soft".split(), "tags": ["O", "B-FABRIC", "O", "B-FABRIC"]},
                {"tokens": "it runs small".split(), "tags": ["O", "B-SIZE", "I-SIZE"]}] * 8
    result = ner.train(net, tokenizer, ner.encode_examples(tokenizer, examples),
                       epochs=6, batch_size=4, lr=1e-3, progress=False)
    assert result.losses[-1] < result.losses[0] / 2
    text = "Love it.  The linen is soft!"
    found = ner.tag_text(net, tokenizer, text)
    assert all(text[m["start"] : m["end"]] == m["text"] for m in found)
    assert ner.tag_text(net, tokenizer, "   ") == []
    with pytest.raises(ValueError, match="No training examples"):
        ner.train(net, tokenizer, [], progress=False)
    with pytest.raises(TypeError):
        ner.tag_text(net, tokenizer, None)


def test_train_cached_trains_once(tmp_cache, monkeypatch):
    import torch

    examples = [{"tokens": "the linen is soft".split(), "tags": ["O", "B-FABRIC", "O", "B-FABRIC"]}] * 4
    tokenizer, net = ner.new_tagger()
    encoded = ner.encode_examples(tokenizer, examples)
    first = ner.train_cached(net, tokenizer, encoded, "tiny", epochs=1, batch_size=2, progress=False)
    monkeypatch.setattr(ner, "train", lambda *a, **k: (_ for _ in ()).throw(AssertionError("trained again")))
    _, again = ner.new_tagger()
    second = ner.train_cached(again, tokenizer, encoded, "tiny", epochs=1, batch_size=2, progress=False)
    assert second.losses == first.losses
    for (n, a), (_, b) in zip(net.state_dict().items(), again.state_dict().items()):
        assert torch.equal(a, b), n
    with pytest.raises(AssertionError, match="trained again"):  # other hyper-parameters: new key
        ner.train_cached(again, tokenizer, encoded, "tiny", epochs=2, batch_size=2, progress=False)


def test_lora_trains_a_small_share():
    import warnings

    _, net, info = ner.new_tagger(loading_info=True)
    assert info["missing_keys"] == ["classifier.bias", "classifier.weight"]  # the new head
    assert all(k.startswith("pooler.") for k in info["unexpected_keys"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        wrapped = ner.add_lora(net)
    assert not [w for w in caught if "is_gradient_checkpointing" in str(w.message)]
    trainable = sum(p.numel() for p in wrapped.parameters() if p.requires_grad)
    total = sum(p.numel() for p in wrapped.parameters())
    assert 0 < trainable / total < 0.02


def test_agreement_between_annotators():
    a = [["B-FIT", "I-FIT", "O", "B-SIZE"], ["O", "B-COLOR", "O"]]
    b = [["B-FIT", "O", "O", "B-SIZE"], ["O", "B-COLOR", "O"]]  # one span cut short
    out = ner.agreement(a, b)
    assert out["span_f1"] == pytest.approx(2 / 3)  # 2 of 3 spans match on each side
    assert out["per_type"]["SIZE"] == 1.0 and out["per_type"]["FIT"] == 0.0
    assert ner.agreement(a, a)["kappa"] == pytest.approx(1.0)
    assert 0 < out["kappa"] < 1


def test_second_annotation_covers_the_test_split():
    gold = {r["id"]: r for r in ner.load_gold() if r["split"] == "test"}
    second = ner.load_gold(ner.SECOND_ANNOTATION_PATH)
    assert {r["id"] for r in second} == set(gold)
    for r in second:
        assert r["tokens"] == gold[r["id"]]["tokens"] and r["guideline"] == "1.0"


def test_paired_f1_difference_on_a_small_synthetic_case():
    from llmrec_utils import evaluation

    gold = [["B-FIT", "O"], ["B-SIZE", "O"], ["O", "B-COLOR"], ["B-FIT", "I-FIT"]] * 5
    weak = [["B-FIT", "O"], ["O", "O"], ["O", "O"], ["O", "O"]] * 5  # 5 of 20 spans, all right
    diff = ner.paired_f1_difference(gold, weak, gold, seed=3)
    assert diff.estimate == pytest.approx(1 - 2 * 5 / (5 + 20))  # perfect minus 0.4
    assert 0 < diff.low <= diff.estimate <= diff.high <= 1  # b never below a on any draw
    back = ner.paired_f1_difference(gold, gold, weak, seed=3)
    assert back.estimate == pytest.approx(-diff.estimate) and back.high < 0
    same = ner.paired_f1_difference(gold, weak, weak)
    assert (same.estimate, same.low, same.high) == (0.0, 0.0, 0.0)
    # the same draws as the book's generic paired bootstrap over sentences
    a, b = ner.entity_counts(gold, weak), ner.entity_counts(gold, gold)
    generic = evaluation.paired_bootstrap_diff(lambda _, c: ner.micro_f1(c), np.arange(len(gold)),
                                               a, b, seed=3)  # fmt: skip
    assert (diff.low, diff.high) == pytest.approx((generic.low, generic.high))
    # another annotation of the same sentences: the tagger scored against each
    shift = ner.paired_f1_difference(gold, weak, weak, gold_b=weak)
    assert shift.estimate == pytest.approx(1 - 0.4)
    with pytest.raises(ValueError, match="sentences"):
        ner.paired_f1_difference(gold, weak, gold[:-1])
    assert ner.micro_f1(np.zeros((2, 7, 3))) == 0.0


def test_adjudicated_annotation_keeps_agreement_and_follows_1_1():
    a = {r["id"]: r for r in ner.load_gold() if r["split"] == "test"}
    b = {r["id"]: r for r in ner.load_gold(ner.SECOND_ANNOTATION_PATH)}
    adjudicated = ner.load_gold(ner.ADJUDICATED_PATH)
    assert {r["id"] for r in adjudicated} == set(a)
    assert "1.1" in ner.GUIDELINES and "R1" in ner.GUIDELINE_1_1
    decided = 0
    for r in adjudicated:
        assert r["guideline"] == "1.1" and r["tokens"] == a[r["id"]]["tokens"]
        sa, sb, sj = (set(ner.spans(x)) for x in (a[r["id"]]["tags"], b[r["id"]]["tags"], r["tags"]))
        assert sa & sb <= sj  # spans both annotators marked are kept
        if sa == sb:
            assert sj == sa  # agreed sentences are copied
        else:
            decided += 1
    assert decided > 0
