"""Unit tests for llmrec_utils.text.augment, the `llmrec augment` command and
chapter 6's experiments and leaderboard rows (llmrec_utils.chapters.augmentation)."""

from __future__ import annotations

import http.server
import json
import threading

import numpy as np
import pandas as pd
import pytest

from llmrec_utils import cli, config, data
from llmrec_utils.chapters import augmentation
from llmrec_utils.text import augment, llm

GOOD = ('{"summary": "A toy story.", "themes": ["friendship", "toys"], "mood": "warm", '
        '"audience": "families"}')  # a valid item profile


class _Handler(http.server.BaseHTTPRequestHandler):
    """A fake OpenAI-compatible endpoint that answers every request with GOOD."""

    def do_POST(self):  # noqa: N802
        self.rfile.read(int(self.headers["Content-Length"]))
        reply = {"choices": [{"message": {"content": GOOD}}],
                 "usage": {"prompt_tokens": 7, "completion_tokens": 12}}  # fmt: skip
        body = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture()
def server():
    srv = http.server.HTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_port}/v1"
    srv.shutdown()


@pytest.mark.parametrize("version, examples", [
    (augment.ITEM_TEMPLATE_VERSION, ["Memento", "Spirited Away"]),
    (augment.ITEM_TEMPLATE_V1, ["Spirited Away"]),
])  # fmt: skip
def test_item_prompt_has_worked_examples_and_the_film(version, examples):
    msgs = augment.item_prompt("Toy Story (1995)", "Animation|Children's|Comedy", version)
    assert [m["role"] for m in msgs] == ["system"] + ["user", "assistant"] * len(examples) + ["user"]
    assert "Toy Story (1995)" in msgs[-1]["content"]
    assert "Animation, Children's, Comedy" in msgs[-1]["content"]
    for n, film in enumerate(examples):  # released after MovieLens-100k, valid output
        assert film in msgs[1 + 2 * n]["content"]
        assert augment.ItemProfile.model_validate(json.loads(msgs[2 + 2 * n]["content"]))
    if version == augment.ITEM_TEMPLATE_VERSION:  # the list comes last, so a loop in it
        answer = msgs[2]["content"]  # is cut off after the other keys are written
        assert answer.index('"themes"') > answer.index('"audience"')
    with pytest.raises(ValueError, match="unknown item template"):
        augment.item_prompt("x", "Drama", "item-profile-v0")


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


def test_augment_command_generates_then_resumes(server, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv(llm.ENV_BASE_URL, server)
    monkeypatch.setenv(llm.ENV_MODEL, "tiny")
    out = tmp_path / "profiles.jsonl"
    args = ["augment", "items", "--limit", "3", "--model", "http", "--out", str(out)]
    assert cli.main(args) == 0
    first = capsys.readouterr().out
    assert "items: 3 jobs" in first and "generated 3 answers" in first
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
    assert augment.UserProfile.model_validate(json.loads(msgs[2]["content"]))  # the example
    with pytest.raises(ValueError, match="no training ratings"):
        augment.user_history(train, items, 99999)
    ok = augment.UserProfile.model_validate({"likes": ["sci-fi"], "summary": "Loves space films."})
    assert ok.dislikes == []


def test_pick_prompt_schema_and_range_check():
    msgs = augment.pick_prompt("- Alien (1979): 5", ["Heat (1995)", "Babe (1995)", "Fargo (1996)"])
    assert "3. Fargo (1996)" in msgs[1]["content"]
    assert msgs[-1] == {"role": "assistant", "content": '{"positive": '}  # the answer's start
    assert llm.parse_structured('{"positive": 1, "negative": 3}', augment.Pick).status == "accepted"
    wild = llm.parse_structured('{"positive": 11, "negative": 3}', augment.Pick)
    assert wild.status == "rejected" and "positive" in wild.reason  # beyond the 10 shown
    assert augment.check_pick({"positive": 1, "negative": 3}, 3) == (1, 3)
    with pytest.raises(ValueError, match="not one of the 3 candidates"):
        augment.check_pick({"positive": 7, "negative": 1}, 3)
    with pytest.raises(ValueError, match="same candidate"):
        augment.check_pick({"positive": 2, "negative": 2}, 3)
    with pytest.raises(ValueError, match="two candidates"):
        augment.pick_prompt("x", ["only one"])


def test_pick_candidates_jobs_and_triples(tmp_path):
    train = data.load_split("ml100k-random").train
    train = train[train[data.USER] <= 30]
    items = data.load_ml100k_items()
    path = tmp_path / "cands.csv"
    cands = augment.load_pick_candidates(train, path)
    assert path.exists() and len(cands) == 30 * augment.PICK_CANDIDATES
    for _, g in cands.groupby(data.USER):  # ranks 1..10, shown in a shuffled order
        assert sorted(g["rank"]) == sorted(g["position"]) == list(range(1, 11))
    assert (cands["rank"] != cands["position"]).any()
    seen = set(zip(train[data.USER], train[data.ITEM]))
    assert not any((u, i) in seen for u, i in zip(cands[data.USER], cands[data.ITEM]))
    assert augment.load_pick_candidates(train, path).equals(cands)  # read back, not refitted
    jobs = augment.pick_jobs(train, items, cands)
    assert sorted(jobs) == list(range(1, 31))
    first = cands[cands[data.USER] == 1].sort_values("position")[data.ITEM].iloc[0]
    title = items.set_index(data.ITEM).loc[first, data.TITLE]
    assert f"1. {title}" in jobs[1][1]["content"]
    results = pd.DataFrame({
        "status": ["accepted", "repaired", "rejected", "accepted"],
        "value": [{"positive": 1, "negative": 2}, {"positive": 10, "negative": 3}, None,
                  {"positive": 4, "negative": 4}]}, index=["1", "2", "3", "4"])  # fmt: skip
    triples, dropped = augment.pick_triples(results, cands)
    assert triples[data.USER].tolist() == [1, 2] and triples.loc[0, "positive"] == first
    assert dropped.to_dict() == {"3": "rejected by the parser",
                                 "4": "positive and negative are the same candidate."}
    pd.read_csv(path).drop(columns="position").to_csv(path, index=False)
    with pytest.raises(ValueError, match="delete it to recompute"):
        augment.load_pick_candidates(train, path)


def test_generation_data_never_sees_validation_or_test():
    ratings = data.load_ml100k_ratings()
    warm = data.random_split(ratings, 0.25, seed=config.SEED)
    inner = data.random_split(warm.train, 0.25, seed=config.SEED)
    seen = augment.generation_train(ratings)
    assert seen.equals(inner.train)
    keys = lambda df: set(zip(df[data.USER], df[data.ITEM]))  # noqa: E731
    assert not keys(seen) & (keys(warm.test) | keys(inner.test))


def test_profiled_users_are_a_seeded_sample():
    train = augment.generation_train()
    users = augment.profiled_users(train)
    assert len(users) == augment.N_PROFILED_USERS == 300
    assert (np.diff(users) > 0).all() and set(users) <= set(train[data.USER])
    assert (augment.profiled_users(train) == users).all()
    assert len(augment.profiled_users(train, n=0)) == train[data.USER].nunique()
    jobs = augment.user_jobs(train, data.load_ml100k_items(), users=users[:3])
    assert list(jobs) == users[:3].tolist()


def test_review_splits_are_short_disjoint_and_labelled():
    splits = augment.review_splits()
    assert [len(splits[k]) for k in ("pool", "valid", "test")] == [400, 1000, 3000]
    ids = [set(splits[k]["review"]) for k in splits]
    assert not (ids[0] & ids[1] or ids[0] & ids[2] or ids[1] & ids[2])
    assert splits["pool"][data.TEXT].str.split().str.len().max() <= 40
    assert splits["test"]["recommended"].dtype == bool
    with pytest.raises(ValueError, match="lower pool"):
        augment.review_splits(max_words=3)


def test_every_recipe_builds_its_jobs_and_replays_only_from_the_cache(tmp_path):
    assert set(augment.RECIPES) == {"items", "users", "cold-users", "picks", "paraphrases"}
    assert all(r.decoding.stop_at_json for r in augment.RECIPES.values())
    assert len(augment.jobs("paraphrases")) == 400
    with pytest.raises(ValueError, match="unknown augmentation"):
        augment.jobs("films")
    with pytest.raises(llm.LLMError, match="llmrec augment paraphrases"):
        augment.replay("paraphrases", path=tmp_path / "empty.jsonl")


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


SMALL = {"factors": 4, "epochs": 1}  # BPR fits of a fraction of a second


@pytest.fixture
def own_cache(pinned_cache_dir, monkeypatch):
    """A private cache with the pinned assets: the rows written here are not
    the session's."""
    import shutil

    path = config.pinned_cache(prefix="llmrec-test-board6-", source=pinned_cache_dir)
    monkeypatch.setenv("LLMREC_CACHE", str(path))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def small_vectors():
    """Random item vectors (card, card + LLM profile) and user vectors for
    the profiled users, in place of the embedded texts."""
    ids = np.sort(data.load_ml100k_items()[data.ITEM].to_numpy())
    rng = np.random.default_rng(0)
    vectors = {name: rng.normal(size=(len(ids), 6)) for name in ("card", "card + LLM profile")}
    users = augment.profiled_users(augment.generation_train())
    return vectors, pd.DataFrame(rng.normal(size=(len(users), 6)), index=users)


def test_board_rows_are_computed_stored_read_back_and_rebuilt_when_stale(own_cache, monkeypatch,
                                                                          capsys):
    from llmrec_utils.evaluation import protocols

    calls = []
    compute = augmentation.compute_board_rows

    def counted(**kw):  # the real computation, counted
        calls.append(1)
        return compute(**kw)

    monkeypatch.setattr(augmentation, "compute_board_rows", counted)
    vectors, users = small_vectors()
    rows = augmentation.board_rows(progress=False, vectors=vectors, user_vectors=users, **SMALL)
    assert len(calls) == 1 and "Rebuilding chapter 6's leaderboard rows" in capsys.readouterr().out
    assert list(rows) == list(augmentation.board_definitions(vectors, users, **SMALL))
    warm = data.standard_split("warm")
    bpr = protocols.evaluate(augmentation.bpr_fit(warm.train, **SMALL), warm,
                             augmentation.BOARD_METRICS)  # the chapter's code path, by hand
    pd.testing.assert_frame_equal(rows["BPR (ours)"], bpr)
    for name, frame in rows.items():
        assert list(frame.columns) == list(augmentation.BOARD_METRICS), name
        assert frame.index.equals(bpr.index), name
    assert not rows["BPR + LLM picks"].equals(bpr)  # the picked triples change the fit
    again = augmentation.board_rows(progress=False, vectors=vectors, user_vectors=users, **SMALL)
    assert len(calls) == 1 and capsys.readouterr().out == ""  # current: read back
    for name in rows:
        pd.testing.assert_frame_equal(again[name], rows[name])
    monkeypatch.setattr(augmentation, "compute_board_rows", lambda **kw: calls.append(1) or rows)
    monkeypatch.setattr(augmentation, "BOARD_VERSION", augmentation.BOARD_VERSION + 1)
    augmentation.board_rows(progress=False, vectors=vectors, user_vectors=users, **SMALL)
    assert len(calls) == 2 and "another model definition" in capsys.readouterr().out  # rebuilt


def test_the_chapter_stores_its_own_results_as_the_rows_chapter_8_reads(own_cache, monkeypatch):
    def never(**kw):
        raise AssertionError("the chapter's stored rows are current: nothing is computed")

    monkeypatch.setattr(augmentation, "compute_board_rows", never)
    frame = pd.DataFrame({"NDCG@10": [0.5, 0.25], "Recall@20": [0.1, 0.2]}, index=[1, 2])
    names = list(augmentation.board_definitions())
    stored = augmentation.save_board_rows({name: frame * (k + 1) for k, name in enumerate(names)})
    assert stored == names
    rows = augmentation.board_rows()
    for k, name in enumerate(names):
        pd.testing.assert_frame_equal(rows[name], frame * (k + 1))
    with pytest.raises(ValueError, match="must be exactly"):
        augmentation.save_board_rows({names[0]: frame})


def test_each_experiment_chooses_on_validation_and_scores_the_test_split(block_ratings, vectors):
    """The functions the chapter and its leaderboard rows share, on a tiny
    split: the choice is the best validation score, the test frames are the
    chosen model's."""
    from llmrec_utils.data.splits import Split
    from llmrec_utils.evaluation import protocols
    from llmrec_utils.models import mf

    ratings = block_ratings().assign(**{data.TIMESTAMP: 0})
    test = ratings.groupby(data.USER).head(2)
    train = ratings.drop(test.index)
    inner = train.groupby(data.USER).head(2)
    warm, valid = Split(train, test), Split(train.drop(inner.index), inner)
    ids, V = vectors(20)
    w, scores, frame = augmentation.blend_experiment(ids, V, warm, valid, weights=(0.0, 1.0))
    assert w == max(scores, key=scores.get) and set(scores) == {0.0, 1.0}
    direct = protocols.evaluate(augmentation.text_blend(ids, V, w).fit(warm.train), warm,
                                augmentation.BOARD_METRICS)  # fmt: skip
    pd.testing.assert_frame_equal(frame, direct)
    a, scores, frames = augmentation.profile_experiment(
        ids, V, [0, 1], V[:2] + 0.1, [0, 1], warm, valid, weights=(0.0, 0.5), also=(1.0, 0.0))
    assert a == max(scores, key=scores.get) and list(frames) == list(dict.fromkeys((a, 1.0, 0.0)))
    extra = pd.DataFrame({data.USER: [0, 10], "positive": [1, 11], "negative": [11, 1]})
    best, scores = augmentation.choose_pick_setting(extra, valid, settings=((1, 0.0), (3, 0.0)),
                                                    **SMALL)  # fmt: skip
    assert set(scores) == {"base", (1, 0.0), (3, 0.0)}
    assert best == max([(1, 0.0), (3, 0.0)], key=scores.get)
    runs = augmentation.score_picks(extra, best, warm, seeds=(1, 2), **SMALL)
    assert list(runs) == [1, 2]
    base = protocols.evaluate(mf.BPR(seed=2, **SMALL).fit(warm.train), warm,
                              augmentation.BOARD_METRICS)  # fmt: skip
    pd.testing.assert_frame_equal(runs[2][0], base)


def test_card_texts_append_valid_profiles_only():
    items = pd.DataFrame({"item": [1, 2], "title": ["A (1990)", "B (1991)"], "genres": ["Drama", "Comedy"]})
    profile = {"summary": "S.", "themes": ["t"], "mood": "m", "audience": "a"}
    results = pd.DataFrame({"status": ["repaired", "rejected"], "value": [profile, None]}, index=[1, 2])
    texts = augmentation.card_texts(items, results)
    assert texts["card"] == ["A (1990). Genres: Drama.", "B (1991). Genres: Comedy."]
    assert texts["card + LLM profile"] == [
        "A (1990). Genres: Drama. S. Themes: t. Mood: m. Audience: a.", "B (1991). Genres: Comedy."]


def test_one_folder_per_model_run(tmp_path, monkeypatch):
    aug = augment
    assert aug.run_name("smollm2-135m") == aug.DEFAULT_RUN
    assert aug.run_name("HuggingFaceTB/SmolLM2-1.7B-Instruct") == "HuggingFaceTB-SmolLM2-1.7B-Instruct"
    monkeypatch.setenv("LLMREC_LLM_MODEL", "my-model")
    assert aug.run_name("http") == "http-my-model"
    assert aug.DEFAULT_RUN in aug.runs()  # the committed generations
    assert (aug.run_dir() / aug.RECIPES["items"].file).exists()
    monkeypatch.setattr(aug, "generations_dir", lambda: tmp_path)
    for run in ("zeta-1b", aug.DEFAULT_RUN, "empty"):
        (tmp_path / run).mkdir()
    (tmp_path / aug.DEFAULT_RUN / "picks.jsonl").write_text("")
    record = {"key": "k", "model": "zeta-1b@sha256:abc"}
    (tmp_path / "zeta-1b" / "item-profiles.jsonl").write_text(json.dumps(record) + "\n")
    assert aug.runs() == [aug.DEFAULT_RUN, "zeta-1b"]  # the default first; no empty folder
    assert aug.run_model_id("zeta-1b") == "zeta-1b@sha256:abc"
    assert aug.run_model_id() == llm.default_model_id()
    with pytest.raises(FileNotFoundError, match="llmrec augment"):
        aug.run_model_id("empty")


# --- chapter 6's helpers ---------------------------------------------------------------
def test_attempts_and_top_reasons():
    tries = augmentation.attempts("items")
    assert len(tries) >= len(augment.replay("items")) and "status" in tries
    res = pd.DataFrame({"status": ["accepted", "repaired", "rejected", "repaired"],
                        "reason": ["", "loop cut; closed", "not JSON", "loop cut"]})
    top = augmentation.top_reasons(res, n=1)
    assert top.to_dict() == {"loop cut": 2}


def test_hit_rate_and_on_profiled():
    held_out = {(1, 10), (2, 20)}
    assert augmentation.hit_rate([1, 1, 2, 3], [10, 11, 20, 30], held_out) == 0.5
    frame = pd.DataFrame({"NDCG@10": [0.1, 0.2, 0.3]}, index=[1, 2, 3])
    assert list(augmentation.on_profiled(frame, [3, 1]).index) == [1, 3]


def test_augmented_training_sets():
    labelled = pd.DataFrame({"review": [7, 8], "text": ["soft warm and lovely", "too small sadly"],
                             "recommended": [True, False]})
    paraphrases = {7: "lovely, warm and soft"}
    none_x, none_y = augmentation.augmented_training_set(labelled, "none", 0, paraphrases)
    assert none_x == list(labelled["text"]) and list(none_y) == [True, False]
    eda_x, eda_y = augmentation.augmented_training_set(labelled, "EDA", 0, paraphrases)
    assert len(eda_x) == 4 and list(eda_y) == [True, False, True, False]
    llm_x, llm_y = augmentation.augmented_training_set(labelled, "LLM", 0, paraphrases)
    assert llm_x[2:] == ["lovely, warm and soft"] and list(llm_y) == [True, False, True]
    kept, _ = augmentation.augmented_training_set(labelled, "LLM, filtered", 0, paraphrases, {7})
    assert kept == list(labelled["text"])
    with pytest.raises(ValueError, match="how must be"):
        augmentation.augmented_training_set(labelled, "llm", 0, paraphrases)


def test_fit_review_classifier_learns_a_clear_signal():
    good = ["great fit lovely", "lovely soft great", "great colour lovely"] * 4
    bad = ["awful fit poor", "poor seams awful", "awful colour poor"] * 4
    valid = pd.DataFrame({"text": ["lovely great", "awful poor"], "recommended": [True, False]})
    vec, clf = augmentation.fit_review_classifier(good + bad, np.array([True] * 12 + [False] * 12), valid)
    assert list(clf.predict(vec.transform(["so lovely", "so awful"]))) == [True, False]


def test_chapter6_models_match_direct_constructions(block_ratings, vectors):
    from llmrec_utils.models import hybrid, mf

    ids, V = vectors(20)
    train, users = block_ratings(), np.arange(20)
    blend = augmentation.text_blend(ids, V, 0.3).fit(train)
    direct = hybrid.WeightedBlend(mf.EASE(500), hybrid.ContentModel(ids, V), weight=0.3).fit(train)
    assert np.allclose(blend.predict(users, users), direct.predict(users, users))
    uv = V[:2] + 0.1
    prof = augmentation.profile_content(ids, V, [0, 1], uv, 0.5).fit(train)
    same = hybrid.ContentModel(ids, V, user_ids=[0, 1], user_vectors=uv, user_weight=0.5).fit(train)
    assert np.allclose(prof.predict(users, users), same.predict(users, users))


def test_chapter_6_blends_with_the_lambda_chapter_4_chooses():
    """Chapter 6 names EASE's lambda as a constant (its stored leaderboard rows
    are defined by it); it must be the one chapter 4 chooses on validation."""
    from llmrec_utils.chapters import choices

    assert augmentation.BLEND_EASE_LAM == choices.choose_ease()["lam"]


def test_bpr_fit_prunes_the_highest_loss_extra_triples_only(monkeypatch):
    """Chapter 6 says: every epoch, the share ``prune`` of the *extra* triples
    with the highest loss under the current model is left out; every real
    triple is trained on."""
    from llmrec_utils.models import mf

    rng = np.random.default_rng(0)
    train = pd.DataFrame([(u, int(i), 4, 0) for u in range(12)
                          for i in rng.choice(30, size=6, replace=False)],
                         columns=[data.USER, data.ITEM, data.RATING, data.TIMESTAMP])
    seen = set(zip(train[data.USER], train[data.ITEM]))
    films = sorted(train[data.ITEM].unique())
    unseen = [(u, i) for u in range(12) for i in films if (u, i) not in seen]
    extra = pd.DataFrame([(u, i, films[0] if i != films[0] else films[1])
                          for u, i in unseen[::7]],
                         columns=[data.USER, "positive", "negative"])
    batches = []
    monkeypatch.setattr(mf.BPR, "_step", lambda self, t: batches.append(t.copy()))
    model = augmentation.bpr_fit(train, extra, repeat=1, prune=0.25, seed=3)
    model.epochs = 1  # the parameters never move: the loss is the initial one
    batches.clear()
    model.fit(train)
    rows = np.vstack(batches)
    real = np.array([(u, i) in seen for u, i in zip(
        model.users_[rows[:, 0]], model.items_[rows[:, 1]])])
    assert real.sum() == len(train)  # every real triple, once
    codes = model._extra_codes()
    loss = -np.log(mf._sigmoid(model._x(codes)) + 1e-12)
    kept = {tuple(r) for r in rows[~real]}
    order = np.argsort(loss)
    n_kept = len(kept)
    assert n_kept == pytest.approx(0.75 * len(extra), abs=1)
    assert kept == {tuple(codes[k]) for k in order[:n_kept]}  # the lowest losses


def test_stack_differences_name_each_library_in_another_version():
    import numpy

    assert augment.stack_differences({"numpy": numpy.__version__}) == {}
    assert augment.stack_differences({"numpy": "0.0.1", "no-such-package-here": "1.0"}) == {
        "numpy": ("0.0.1", numpy.__version__), "no-such-package-here": ("1.0", "not installed")}


def test_cold_user_jobs_show_each_new_user_their_visible_ratings_only():
    """A new user's profile prompt lists the five ratings the cold-users
    protocol shows, and no film of that user's held-out ratings."""
    sp = data.standard_split("cold-users")
    items = data.load_ml100k_items()
    title = dict(zip(items[data.ITEM], items["title"]))
    jobs = augment.jobs("cold-users")
    assert sorted(jobs) == sp.info["cold_users"]
    for u in sp.info["cold_users"][:10]:
        prompt = jobs[u][-1]["content"]
        shown = sp.train.loc[sp.train[data.USER] == u, data.ITEM]
        assert len(shown) == 5 and all(f"- {title[i]} (" in prompt for i in shown)
        hidden = sp.test.loc[sp.test[data.USER] == u, data.ITEM]
        assert not any(f"- {title[i]} (" in prompt for i in hidden)
