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
