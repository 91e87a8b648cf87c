"""Chapter 7's shared parts: feature sets, the stored leaderboard rows."""

import numpy as np
import pandas as pd
import pytest

from llmrec_utils.chapters import knowledge


def test_item_feature_sets_add_one_family_at_a_time():
    from llmrec_utils import data

    ids = data.load_ml100k_items()["item"].to_numpy()
    rng = np.random.default_rng(0)
    vectors = {name: pd.DataFrame(rng.normal(size=(len(ids), 4)), index=ids)
               for name in ("card", "card + LLM profile")}
    sets = knowledge.item_feature_sets(vectors)
    assert list(sets) == list(knowledge.FAMILIES) and sets[knowledge.FAMILIES[0]] is None
    genres, card, llm = (sets[n] for n in knowledge.FAMILIES[1:])
    assert list(card.columns[: genres.shape[1]]) == list(genres.columns)
    assert card.shape[1] == llm.shape[1] == genres.shape[1] + 4
    text = card.filter(like="card_").to_numpy()
    assert np.allclose(np.linalg.norm(text, axis=1), 1.0)  # unit length, as the model wants
    assert not np.allclose(text, llm.filter(like="card_").to_numpy())


def test_a_richer_family_is_chosen_only_when_its_interval_is_above_zero():
    rng = np.random.default_rng(0)
    users = pd.Index(range(400))
    base = pd.Series(rng.uniform(0.1, 0.5, 400), index=users)
    noise = pd.Series(rng.normal(0, 0.05, 400), index=users)
    tiny = {"genres": base, "card": base + 0.0004 + noise, "profile": base + 0.0008 + noise}
    best, tests = knowledge.prefer_simpler(tiny)  # a margin noise could make: a tie
    assert best == "genres" and set(tests) == {"card", "profile"}
    assert all(t.low <= 0 <= t.high for t in tests.values())
    clear = {"genres": base, "card": base + 0.05 + noise, "profile": base + 0.05 + 2 * noise}
    best, tests = knowledge.prefer_simpler(clear)  # card is clearly better; profile ties with it
    assert best == "card" and tests["card"].low > 0 and tests["profile"].low <= 0
    with pytest.raises(ValueError, match="no feature family"):
        knowledge.prefer_simpler({})


SMALL = {"factors": 4, "epochs": 1}  # a fit of a fraction of a second


@pytest.fixture
def own_cache(pinned_cache_dir, monkeypatch):
    """A private cache with the pinned assets: the rows written here are not
    the session's."""
    import shutil

    from llmrec_utils.config import pinned_cache

    path = pinned_cache(prefix="llmrec-test-board-", source=pinned_cache_dir)
    monkeypatch.setenv("LLMREC_CACHE", str(path))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def small_vectors():
    from llmrec_utils import data

    ids = data.load_ml100k_items()["item"].to_numpy()
    rng = np.random.default_rng(0)
    return {name: pd.DataFrame(rng.normal(size=(len(ids), 6)), index=ids)
            for name in ("card", "card + LLM profile")}


def test_board_rows_are_computed_stored_read_back_and_rebuilt_when_stale(own_cache, monkeypatch,
                                                                          capsys):
    from llmrec_utils.data import splits
    from llmrec_utils.evaluation import protocols

    calls = []
    compute = knowledge.compute_board_rows

    def counted(**kw):  # the real computation, counted
        calls.append(1)
        return compute(**kw)

    monkeypatch.setattr(knowledge, "compute_board_rows", counted)
    vectors = small_vectors()
    rows = knowledge.board_rows(progress=False, vectors=vectors, **SMALL)
    assert len(calls) == 1 and "Rebuilding chapter 7's leaderboard rows" in capsys.readouterr().out
    assert list(rows) == list(knowledge.board_definitions(vectors, **SMALL))
    warm = splits.standard_split("warm")
    ids_only = protocols.evaluate(knowledge.feature_mf(**SMALL).fit(warm.train), warm,
                                  knowledge.METRICS)  # the chapter's code path, by hand
    first, second = rows.values()
    pd.testing.assert_frame_equal(first, ids_only)
    assert list(second.columns) == list(knowledge.METRICS)
    assert second.index.equals(ids_only.index)
    assert not second.equals(first)  # the chosen item features change the scores
    again = knowledge.board_rows(progress=False, vectors=vectors, **SMALL)  # current: read
    assert len(calls) == 1 and capsys.readouterr().out == ""
    for name in rows:
        pd.testing.assert_frame_equal(again[name], rows[name])
    monkeypatch.setattr(knowledge, "BOARD_VERSION", knowledge.BOARD_VERSION + 1)
    knowledge.board_rows(progress=False, vectors=vectors, **SMALL)  # stale: rebuilt
    assert len(calls) == 2 and "another model definition" in capsys.readouterr().out


def test_the_chapter_stores_its_own_results_as_the_rows_chapter_8_reads(own_cache,
                                                                        monkeypatch):
    def never(**kw):
        raise AssertionError("the chapter's stored rows are current: nothing is computed")

    monkeypatch.setattr(knowledge, "compute_board_rows", never)
    frame = pd.DataFrame({"NDCG@10": [0.5, 0.25], "Recall@20": [0.1, 0.2]}, index=[1, 2])
    names = knowledge.save_board_rows(frame, frame * 2)
    assert names == list(knowledge.board_definitions())
    rows = knowledge.board_rows()
    pd.testing.assert_frame_equal(rows[names[0]], frame)
    pd.testing.assert_frame_equal(rows[names[1]], frame * 2)


def test_the_protocol_table_shows_each_mean_with_its_interval_in_the_order_asked():
    from llmrec_utils import evaluation

    rng = np.random.default_rng(0)
    per_user = {(p, m): pd.DataFrame({"NDCG@10": rng.random(40), "Recall@20": rng.random(40)})
                for p in ("warm", "cold") for m in ("EASE", "ours")}  # fmt: skip
    table = evaluation.interval_table(per_user, [("cold", "ours"), ("warm", "EASE")])
    assert list(table.index) == [("cold", "ours"), ("warm", "EASE")]
    assert table.index.names == ["protocol", "model"]
    assert list(table.columns) == ["NDCG@10", "Recall@20"]
    ci = evaluation.intervals(per_user["cold", "ours"])["NDCG@10"]
    assert table.loc[("cold", "ours"), "NDCG@10"] == str(ci)
    assert len(evaluation.interval_table(per_user)) == 4  # every key by default


def test_new_users_get_the_profiles_written_from_their_first_ratings(monkeypatch):
    """With ``new_users``, chapter 6's profiles of those users (written from
    ratings the cold-users protocol holds out) are dropped and the cold-users
    run's profiles take their place; every other user keeps theirs."""
    from llmrec_utils.chapters import augmentation
    from llmrec_utils.text import augment

    def run(ids, word):
        return pd.DataFrame({"status": "accepted", "value": [
            {"summary": f"{word} {i}.", "likes": [word], "dislikes": []} for i in ids]},
            index=ids)  # fmt: skip

    runs = {"users": run([1, 2, 3], "old"), "cold-users": run([2, 4], "new")}
    monkeypatch.setattr(augment, "replay", lambda name: runs[name])
    seen = []

    def encode(encoder, texts, progress=False):
        seen.extend(texts)
        return np.random.default_rng(len(seen)).normal(size=(len(texts), 8))

    monkeypatch.setattr("llmrec_utils.text.embeddings.encode_cached", encode)
    X = knowledge.user_features(encoder=object(), components=2, new_users=[2, 4, 5])
    texts = [augmentation.user_profile_text(p) for p in runs["users"]["value"]]
    assert texts[1] not in seen and "new 2." in " ".join(seen)  # the held-out-ratings one is gone
    profiled = X.filter(like="profile_").abs().sum(axis=1) > 0
    assert set(X.index[profiled]) == {1, 3, 2, 4}  # 5: new but no profile, zeros
    plain = knowledge.user_features(encoder=object(), components=2)
    assert set(plain.index[plain.filter(like="profile_").abs().sum(axis=1) > 0]) == {1, 2, 3}
