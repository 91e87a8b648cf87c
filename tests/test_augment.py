"""Unit tests for llmrec_utils.augment and the `llmrec augment` command."""

from __future__ import annotations

import json

import pytest

from llmrec_utils import augment, cli, data, llm

from test_llm import GOOD, server  # noqa: F401  (a fixture)


def test_item_prompt_has_a_worked_example_and_the_film():
    msgs = augment.item_prompt("Toy Story (1995)", "Animation|Children's|Comedy")
    assert [m["role"] for m in msgs] == ["system", "user", "assistant", "user"]
    assert "Toy Story (1995)" in msgs[-1]["content"]
    assert "Animation, Children's, Comedy" in msgs[-1]["content"]
    example = json.loads(msgs[2]["content"])  # the worked example is valid output
    assert augment.ItemProfile.model_validate(example)
    assert "Spirited Away" in msgs[1]["content"]  # released after MovieLens-100k


def test_item_jobs_cover_every_film():
    items = data.load_ml100k_items()
    jobs = augment.item_jobs(items)
    assert len(jobs) == 1682 and set(jobs) == set(items[data.ITEM])
    with pytest.raises(ValueError, match="genres"):
        augment.item_jobs(items.drop(columns="genres"))


def test_profile_text_reads_as_one_line():
    profile = json.loads(GOOD) | {"audience": "families"}
    text = augment.profile_text(profile)
    assert text.startswith("A toy story.") and "Themes: friendship, toys." in text
    assert "\n" not in text


def test_augment_command_generates_then_resumes(server, monkeypatch, tmp_path, capsys):  # noqa: F811
    monkeypatch.setenv(llm.ENV_BASE_URL, server)
    monkeypatch.setenv(llm.ENV_MODEL, "tiny")
    out = tmp_path / "profiles.jsonl"
    args = ["augment", "items", "--limit", "3", "--model", "http", "--out", str(out)]
    assert cli.main(args) == 0
    first = capsys.readouterr().out
    assert "3 items" in first and "generated 3 answers" in first
    assert cli.main(args) == 0
    second = capsys.readouterr().out
    assert "generated 0 answers" in second and "3 from the cache" in second
    assert len(out.read_text().splitlines()) == 3


def test_augment_command_reports_a_missing_endpoint(monkeypatch, tmp_path, capsys):
    monkeypatch.delenv(llm.ENV_BASE_URL, raising=False)
    args = ["augment", "items", "--limit", "1", "--model", "http", "--out", str(tmp_path / "x")]
    assert cli.main(args) == 1
    assert "LLMREC_LLM_BASE_URL" in capsys.readouterr().err


def test_user_history_and_prompt():
    train = data.load_split("ml100k-random").train
    items = data.load_ml100k_items()
    history = augment.user_history(train, items, 1, n=5)
    lines = history.splitlines()
    assert len(lines) == 5 and all(line.startswith("- ") and line[-1] in "12345" for line in lines)
    msgs = augment.user_prompt(history)
    assert msgs[-1]["content"].startswith("Films this person rated") and history in msgs[-1]["content"]
    with pytest.raises(ValueError, match="no training ratings"):
        augment.user_history(train, items, 99999)
    ok = augment.UserProfile.model_validate({"likes": ["sci-fi"], "summary": "Loves space films."})
    assert ok.dislikes == []


def test_pick_prompt_schema_and_range_check():
    msgs = augment.pick_prompt("- Alien (1979): 5", ["Heat (1995)", "Babe (1995)", "Fargo (1996)"])
    assert "3. Fargo (1996)" in msgs[-1]["content"]
    assert llm.parse_structured('{"positive": 1, "negative": 3}', augment.Pick).status == "accepted"
    same = llm.parse_structured('{"positive": 2, "negative": 2}', augment.Pick)
    assert same.status == "rejected" and "different" in same.reason
    assert augment.check_pick({"positive": 1, "negative": 3}, 3)
    with pytest.raises(ValueError, match="not one of the 3 candidates"):
        augment.check_pick({"positive": 7, "negative": 1}, 3)
    with pytest.raises(ValueError, match="two candidates"):
        augment.pick_prompt("x", ["only one"])


def test_paraphrase_prompt_and_eda_baseline():
    review = "This dress fits well and the fabric is soft but the color faded after one wash"
    assert review in augment.paraphrase_prompt(review)[-1]["content"]
    variants = augment.eda_augment(review, n=3, p=0.2, seed=1)
    assert len(variants) == 3 and len(set(variants)) == 3
    for v in variants:
        assert set(v.split()) <= set(review.split()) and 0 < len(v.split()) <= len(review.split())
    assert augment.eda_augment(review, n=2, seed=5) == augment.eda_augment(review, n=2, seed=5)
    assert augment.eda_augment("ok", n=1) == ["ok"]
    with pytest.raises(ValueError, match="p must"):
        augment.eda_augment(review, p=1.0)
