"""Loaders (real data) and splits (small data with known answers)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from llmrec_utils import config
from llmrec_utils import data
from llmrec_utils.data import ITEM, RATING, TIMESTAMP, USER, splits


def synthetic_log(n_users=30, n_items=40, per_user=8, seed=0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(n_users):
        for i in rng.choice(n_items, size=per_user, replace=False):
            rows.append((u, int(i), int(rng.integers(1, 6)), int(rng.integers(0, 50))))
    return pd.DataFrame(rows, columns=[USER, ITEM, RATING, TIMESTAMP])


def pairs(df):
    return set(map(tuple, df[[USER, ITEM]].to_numpy().tolist()))


# --- loaders -----------------------------------------------------------------
def test_movielens_loaders_use_canonical_columns():
    ratings = data.load_ml100k_ratings()
    assert list(ratings.columns) == [USER, ITEM, RATING, TIMESTAMP]
    assert len(ratings) == 100_000 and not ratings.duplicated([USER, ITEM]).any()
    items = data.load_ml100k_items()
    assert len(items) == 1682 and {ITEM, "title", "year", "genres"} <= set(items.columns)
    assert items.loc[items[ITEM] == 1, "genres"].item() == "Animation|Children's|Comedy"
    assert items.loc[items[ITEM] == 1, "year"].item() == 1995
    assert set(ratings[ITEM]) <= set(items[ITEM])
    users = data.load_ml100k_users()
    assert len(users) == 943 and set(ratings[USER]) == set(users[USER])


def test_clothing_reviews_load_and_clean():
    raw = data.load_clothing_reviews()
    assert len(raw) == 23_486 and {ITEM, "text", RATING, "recommended"} <= set(raw.columns)
    clean = data.clean_reviews(raw)
    assert clean["text"].notna().all() and (clean["text"].str.split().str.len() >= 3).all()
    assert not clean.duplicated([ITEM, "text"]).any()
    assert "Initmates" not in set(clean["division"].dropna())
    assert len(raw) - len(clean) >= raw["text"].isna().sum()


# --- random split --------------------------------------------------------------
def test_random_split_is_stratified_disjoint_and_seeded():
    log = synthetic_log()
    s = data.random_split(log, test_frac=0.25, seed=1)
    assert pairs(s.train).isdisjoint(pairs(s.test))
    assert pairs(s.train) | pairs(s.test) == pairs(log)
    assert (s.test.groupby(USER).size() == 2).all()  # round(0.25 * 8)
    assert set(s.train[USER]) == set(log[USER])
    again = data.random_split(log, test_frac=0.25, seed=1)
    pd.testing.assert_frame_equal(again.test, s.test)
    assert pairs(data.random_split(log, test_frac=0.25, seed=2).test) != pairs(s.test)


def test_random_split_keeps_at_least_one_rating_each_side():
    log = synthetic_log(per_user=2)
    s = data.random_split(log, test_frac=0.9, seed=0)
    assert (s.train.groupby(USER).size() == 1).all() and (s.test.groupby(USER).size() == 1).all()


# --- temporal split ------------------------------------------------------------
def test_temporal_split_holds_out_each_users_latest():
    log = synthetic_log()
    s = data.temporal_split(log, n_test=2, seed=0)
    assert pairs(s.train).isdisjoint(pairs(s.test))
    assert (s.test.groupby(USER).size() == 2).all()
    last_train = s.train.groupby(USER)[TIMESTAMP].max()
    first_test = s.test.groupby(USER)[TIMESTAMP].min()
    assert (first_test >= last_train).all()


def test_temporal_split_breaks_ties_by_seed_not_row_order():
    log = pd.DataFrame({USER: [1] * 4, ITEM: [1, 2, 3, 4], RATING: [3] * 4, TIMESTAMP: [1, 5, 5, 5]})
    picks = {data.temporal_split(log, seed=s).test[ITEM].item() for s in range(20)}
    assert picks == {2, 3, 4}  # every tied latest item can be chosen; the earliest never
    a = data.temporal_split(log, seed=3).test
    b = data.temporal_split(log.iloc[::-1], seed=3).test
    assert a[ITEM].item() == b[ITEM].item()


# --- cold-start split ------------------------------------------------------------
def test_cold_item_split_hides_every_rating_of_cold_items():
    log = synthetic_log()
    s = data.cold_item_split(log, item_frac=0.2, seed=0)
    cold = set(s.info["cold_items"])
    assert len(cold) == 8
    assert cold.isdisjoint(s.train[ITEM]) and set(s.test[ITEM]) <= cold
    assert len(s.test) + s.info["dropped_cold_users"] == log[ITEM].isin(cold).sum()
    assert set(s.test[USER]) <= set(s.train[USER])


def test_cold_item_split_drops_test_rows_of_users_with_no_training_data():
    log = pd.DataFrame({USER: [1, 1, 2], ITEM: [10, 11, 10], RATING: [1, 2, 3]})
    s = data.cold_item_split(log, item_frac=0.5, seed=0)
    if s.info["cold_items"] == [10]:
        assert s.info["dropped_cold_users"] == 1 and set(s.test[USER]) == {1}
    else:
        assert s.info["dropped_cold_users"] == 0


def test_cold_user_split_shows_each_cold_user_their_first_ratings_only():
    log = synthetic_log(n_users=30, per_user=8)
    s = data.cold_user_split(log, user_frac=0.2, n_visible=3, seed=0)
    cold = s.info["cold_users"]
    assert len(cold) == 6 and set(s.test[USER]) <= set(cold)
    for u in cold:  # train keeps the 3 earliest (ties by item), test the rest
        rows = log[log[USER] == u].sort_values([TIMESTAMP, ITEM])
        assert pairs(s.train[s.train[USER] == u]) == pairs(rows.head(3))
        assert pairs(s.test[s.test[USER] == u]) <= pairs(rows.iloc[3:])
    warm = log[~log[USER].isin(cold)]
    assert pairs(warm) <= pairs(s.train)  # the other users keep everything
    assert set(s.test[ITEM]) <= set(s.train[ITEM])  # no cold film in test
    assert len(s.test) + s.info["dropped_cold_items"] == len(log) - len(s.train)
    assert s.info["cold_users"] == data.cold_user_split(log, 0.2, 3, seed=0).info["cold_users"]
    assert s.info["cold_users"] != data.cold_user_split(log, 0.2, 3, seed=1).info["cold_users"]


def test_cold_user_split_rejects_impossible_requests():
    log = synthetic_log(n_users=10, per_user=4)
    with pytest.raises(ValueError, match="must be in"):
        data.cold_user_split(log, user_frac=1.0)
    with pytest.raises(ValueError, match="at least 1"):
        data.cold_user_split(log, n_visible=0)
    with pytest.raises(ValueError, match="more than n_visible=4"):
        data.cold_user_split(log, user_frac=0.5, n_visible=4)


# --- validation ------------------------------------------------------------------
@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda d: d.drop(columns=RATING), r"missing column\(s\) \['rating'\]"),
        (lambda d: d.iloc[:0], "empty"),
        (lambda d: d.assign(rating=d[RATING].where(d.index != 3)), "missing values"),
        (lambda d: pd.concat([d, d.iloc[[0]]]), "duplicate \\(user, item\\) pairs"),
        (lambda d: d[~((d[USER] == 0) & (d.index % 8 != 0))], "fewer than 2 ratings.*drop_sparse_users"),
    ],
)
def test_splits_reject_bad_input_with_a_remedy(mutate, message):
    bad = mutate(synthetic_log())
    with pytest.raises(ValueError, match=message):
        data.random_split(bad, seed=0)


def test_temporal_split_needs_timestamps_and_enough_ratings():
    log = synthetic_log()
    with pytest.raises(ValueError, match="timestamp"):
        data.temporal_split(log.drop(columns=TIMESTAMP))
    with pytest.raises(ValueError, match="fewer than 9 ratings"):
        data.temporal_split(log, n_test=8)


@pytest.mark.parametrize("frac", [0, 1, 1.5, -0.1])
def test_split_fractions_are_checked(frac):
    with pytest.raises(ValueError, match="must be in"):
        data.random_split(synthetic_log(), test_frac=frac)
    with pytest.raises(ValueError, match="must be in"):
        data.cold_item_split(synthetic_log(), item_frac=frac)


def test_drop_sparse_users_makes_a_log_valid():
    log = pd.concat([synthetic_log(), pd.DataFrame({USER: [99], ITEM: [1], RATING: [4], TIMESTAMP: [0]})])
    with pytest.raises(ValueError):
        data.random_split(log)
    kept = data.drop_sparse_users(log, 2)
    assert 99 not in set(kept[USER])
    data.random_split(kept)


# --- saving and loading -------------------------------------------------------------
def test_split_round_trip_and_corrupt_file_rebuild(tmp_cache, monkeypatch):
    log = synthetic_log()
    monkeypatch.setitem(data.STANDARD_SPLITS, "ml100k-random", lambda seed: data.random_split(log, 0.2, seed))
    built = data.load_split("ml100k-random", seed=5)  # absent: built and saved
    loaded = data.load_split("ml100k-random", seed=5)
    pd.testing.assert_frame_equal(loaded.test, built.test)
    assert loaded.info["seed"] == 5 and loaded.info["kind"] == "random per user"
    path = tmp_cache / "artifacts" / "splits" / "ml100k-random-seed5" / "test.parquet"
    path.write_bytes(path.read_bytes()[:20])
    with pytest.warns(config.CorruptCacheWarning, match="unreadable"):
        rebuilt = data.load_split("ml100k-random", seed=5)
    pd.testing.assert_frame_equal(rebuilt.test, built.test)


def test_unknown_split_name():
    with pytest.raises(KeyError, match="ml100k-temporal"):
        data.load_split("nope")


def test_random_split_does_not_depend_on_row_order():
    log = synthetic_log()
    a = data.random_split(log, seed=4)
    b = data.random_split(log.sample(frac=1.0, random_state=1), seed=4)
    assert pairs(a.test) == pairs(b.test)


def test_kfold_splits_partition_the_ratings():
    log = synthetic_log()
    folds = data.kfold_splits(log, n_folds=5, seed=3)
    assert len(folds) == 5
    tests = [pairs(f.test) for f in folds]
    assert sum(len(t) for t in tests) == len(log)  # every rating tested exactly once
    assert set().union(*tests) == pairs(log)
    assert max(len(t) for t in tests) - min(len(t) for t in tests) <= 1
    for f in folds:
        assert not pairs(f.train) & pairs(f.test) and len(f.train) + len(f.test) == len(log)
    shuffled = data.kfold_splits(log.sample(frac=1, random_state=1), n_folds=5, seed=3)
    assert [pairs(f.test) for f in shuffled] == tests  # row order does not matter
    other = data.kfold_splits(log, n_folds=5, seed=4)
    assert pairs(other[0].test) != tests[0]
    with pytest.raises(ValueError, match="n_folds"):
        data.kfold_splits(log, n_folds=1)


# --- the protocols chapters share, by name -------------------------------------------
def test_mixed_split_adds_a_share_of_warm_ratings_to_the_cold_test():
    log = synthetic_log()
    cold = data.cold_item_split(log, 0.1, seed=2)
    mixed = data.mixed_split(cold, test_frac=0.2, seed=2)
    assert pairs(cold.test) <= pairs(mixed.test)
    assert pairs(mixed.train) | pairs(mixed.test) == pairs(cold.train) | pairs(cold.test)
    assert not pairs(mixed.train) & pairs(mixed.test)
    assert not set(cold.info["cold_items"]) & set(mixed.train[ITEM])
    warm_part = data.random_split(cold.train, 0.2, seed=2)
    assert pairs(mixed.test) == pairs(warm_part.test) | pairs(cold.test)


def test_holdout_split_is_the_first_of_five_folds():
    log = synthetic_log()
    holdout = data.holdout_split(log, seed=3)
    assert pairs(holdout.test) == pairs(data.kfold_splits(log, 5, seed=3)[0].test)


def test_standard_splits_by_name(tmp_cache, monkeypatch):
    log = synthetic_log()
    monkeypatch.setattr(splits, "load_ml100k_ratings", lambda: log)
    for name, make in {"ml100k-random": lambda s: data.random_split(log, 0.2, s),
                       "ml100k-temporal": lambda s: data.temporal_split(log, 1, s),
                       "ml100k-cold-items": lambda s: data.cold_item_split(log, 0.1, s)}.items():
        monkeypatch.setitem(data.STANDARD_SPLITS, name, make)
    warm = data.standard_split("warm", seed=1)
    assert pairs(warm.test) == pairs(data.random_split(log, 0.25, seed=1).test)
    valid = data.standard_split("warm-validation", seed=1)
    assert pairs(valid.train) | pairs(valid.test) == pairs(warm.train)  # test unseen
    cold = data.standard_split("cold", seed=1)
    assert cold.info["cold_items"] == data.cold_item_split(log, 0.1, 1).info["cold_items"]
    mixed = data.standard_split("mixed", seed=1)
    assert pairs(mixed.test) == pairs(data.mixed_split(cold, seed=1).test)
    for name, outer in (("cold-validation", cold), ("mixed-validation", cold)):
        inner = data.standard_split(name, seed=1)
        assert pairs(inner.train) | pairs(inner.test) <= pairs(outer.train), name
    new_users = data.standard_split("cold-users", seed=1)
    assert new_users.info == data.cold_user_split(log, seed=1).info
    inner = data.standard_split("cold-users-validation", seed=1)
    assert pairs(inner.train) | pairs(inner.test) <= pairs(new_users.train)
    assert not set(inner.train[USER]) & set(new_users.info["cold_users"])  # never a test user
    assert pairs(data.standard_split("temporal", seed=1).test) == pairs(
        data.temporal_split(log, 1, 1).test)
    folds = data.standard_split("folds", seed=1)
    assert len(folds) == data.N_FOLDS and all(isinstance(f, data.Split) for f in folds)
    with pytest.raises(KeyError, match="warm-validation"):
        data.standard_split("validation")
