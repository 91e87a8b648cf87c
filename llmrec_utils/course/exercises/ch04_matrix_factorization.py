"""Chapter 4's exercise checks (``notebooks/04_matrix_factorization.ipynb``): one SGD
step, one ALS user update and EASE's closed form."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .common import ExerciseError, array, call, checked, fresh_rng, judge, number, ok, over, same


def _small_factors(seed: int = 0):
    from ...models.mf import Factors

    rng = np.random.default_rng(seed)
    return Factors(3.5, rng.normal(0, 0.3, 4), rng.normal(0, 0.3, 5),
                   rng.normal(0, 0.5, (4, 3)), rng.normal(0, 0.5, (5, 3)))  # fmt: skip


def _sgd_variant(p, q, bu, bi, mu, r, lr, reg, breg, *, sign=1.0, sequential=False,
                 factor_reg=True, bias_reg=None, biases=True):  # fmt: skip
    """One SGD step, with one of the usual mistakes switched on."""
    e = sign * (r - (mu + bu + bi + p @ q))
    lam = reg if factor_reg else 0.0
    breg = breg if bias_reg is None else bias_reg
    p_new = p + lr * (e * q - lam * p)
    q_new = q + lr * (e * (p_new if sequential else p) - lam * q)
    if not biases:
        return p_new, q_new, bu, bi
    return p_new, q_new, bu + lr * (e - breg * bu), bi + lr * (e - breg * bi)


@checked
def check_sgd_step(fn: Callable) -> None:
    """``fn(p, q, bu, bi, mu, r, lr, reg, bias_reg) -> (p, q, bu, bi)``: one SGD step."""
    from ...models.mf import gradients

    fresh = fresh_rng()
    cases = [(0, (1, 2, 4.0, 0.05, 0.1, 0.2)), (3, (2, 4, 1.0, 0.1, 0.3, 0.05)),
             (int(fresh.integers(10, 10**6)),
              (int(fresh.integers(4)), int(fresh.integers(5)), float(fresh.integers(1, 6)),
               float(fresh.uniform(0.01, 0.2)), float(fresh.uniform(0.01, 0.5)),
               float(fresh.uniform(0.01, 0.5))))]  # fmt: skip

    def check_one(case) -> None:
        seed, (u, i, r, lr, reg, breg) = case
        f = _small_factors(seed)
        # with one rating, n_u = n_i = 1 and J is exactly that rating's term
        g = gradients(f, np.array([u]), np.array([i]), np.array([r]), reg, breg)
        want = [f.P[u] - lr / 2 * g["P"][u], f.Q[i] - lr / 2 * g["Q"][i],
                f.bu[u] - lr / 2 * g["bu"][u], f.bi[i] - lr / 2 * g["bi"][i]]  # fmt: skip
        args = (f.P[u].copy(), f.Q[i].copy(), float(f.bu[u]), float(f.bi[i]), f.mu,
                r, lr, reg, breg)  # fmt: skip
        got = call(fn, *args)
        if not isinstance(got, (tuple, list)) or len(got) != 4:
            raise ExerciseError("Return a tuple (p, q, bu, bi) of the updated parameters.")
        got = [array(got[0], "p", (3,)), array(got[1], "q", (3,)),
               number(got[2], "bu"), number(got[3], "bi")]  # fmt: skip

        def close(a, b):
            return all(same(x, y, 1e-8) for x, y in zip(a, b))

        judge(got, want, [
            ("You updated q with the *new* p; both updates use the old values.",
             _sgd_variant(*args, sequential=True)),
            ("Check the sign of the error: e = r - r_hat (the rating minus the prediction).",
             _sgd_variant(*args, sign=-1.0)),
            ("The factors are not regularised: shrink p and q by reg as well.",
             _sgd_variant(*args, factor_reg=False)),
            ("The biases use `reg`; they have their own regulariser, `bias_reg`.",
             _sgd_variant(*args, bias_reg=reg)),
            ("The biases were not updated; update bu and bi too.",
             _sgd_variant(*args, biases=False)),
            ("Your step is twice too large: the update uses lr, not 2 lr.",
             [2 * b - a for a, b in zip(args[:4], want)]),
        ], "Not quite: compare your four updates, one by one, with the update equations "
           "of the chapter.", same=close)  # fmt: skip

    over(cases, check_one)
    ok("your step equals -lr/2 times the exact gradient of the rating's loss term.")


def _ridge_user(Q, b_items, items, ratings, mu, reg, breg, *, n_weight=True, centre_items=True,
                centre_mu=True, joint=True):  # fmt: skip
    """The user's (p_u, b_u), with one of the usual mistakes switched on."""
    d = Q.shape[1]
    target = ratings - (mu if centre_mu else 0.0) - (b_items[items] if centre_items else 0.0)
    lam = reg * (len(items) if n_weight else 1)
    if not joint:  # the bias first, as a regularised mean, then the factors
        b = target.sum() / (len(items) + breg)
        Qu = Q[items]
        return np.linalg.solve(Qu.T @ Qu + lam * np.eye(d), Qu.T @ (target - b)), b
    X = np.hstack([Q[items], np.ones((len(items), 1))])
    sol = np.linalg.solve(X.T @ X + np.diag([lam] * d + [breg]), X.T @ target)
    return sol[:d], sol[d]


@checked
def check_als_user(fn: Callable) -> None:
    """``fn(Q, b_items, items, ratings, mu, reg, bias_reg) -> (p_u, b_u)``."""
    from ...models.mf import als_half_step, rating_matrix

    fresh = fresh_rng()
    n_fresh = int(fresh.integers(2, 6))
    cases = [(1, [0, 2, 3], [5.0, 3.0, 4.0], 0.1, 2.0),
             (2, [1, 2, 3, 4], [2.0, 4.0, 1.0, 5.0], 0.3, 0.5),
             (int(fresh.integers(10, 10**6)), sorted(fresh.choice(5, n_fresh, replace=False)),
              list(fresh.integers(1, 6, n_fresh).astype(float)),
              float(fresh.uniform(0.05, 0.5)), float(fresh.uniform(0.1, 3.0)))]  # fmt: skip

    def check_one(case) -> None:
        seed, items, ratings, reg, breg = case
        f = _small_factors(seed)
        items, ratings = np.array(items), np.array(ratings)
        R = rating_matrix(np.zeros(len(items), int), items, ratings - f.mu, (1, len(f.bi)))
        p_want, b_want = als_half_step(R, f.Q, f.bi, reg, breg)
        args = (f.Q.copy(), f.bi.copy(), items.copy(), ratings.copy(), f.mu, reg, breg)
        got = call(fn, *args)
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            raise ExerciseError("Return a tuple (p_u, b_u).")
        got = (array(got[0], "p_u", (f.Q.shape[1],)), number(got[1], "b_u"))

        def close(a, b):
            # the package accumulates in float32
            return same(a[0], b[0], 1e-5) and same(a[1], b[1], 1e-5)

        judge(got, (p_want[0], b_want[0]), [
            ("The ridge on the factors is reg times n_u, the user's number of ratings.",
             _ridge_user(*args, n_weight=False)),
            ("Subtract the items' biases from the ratings before solving.",
             _ridge_user(*args, centre_items=False)),
            ("Subtract the global mean mu from the ratings before solving.",
             _ridge_user(*args, centre_mu=False)),
            ("The bias has its own regulariser, bias_reg, not reg times n_u.",
             _ridge_user(*args[:6], reg * len(items))),
            (("You fitted the bias first and the factors after; solve p_u and b_u jointly "
              "(one system with a column of ones)."), _ridge_user(*args, joint=False)),
        ], "Not quite: compare your system (matrix, right-hand side, regulariser) with the "
           "chapter's equation term by term.", same=close)  # fmt: skip

    over(cases, check_one)
    ok("the user's factors and bias solve the ridge regression exactly.")


def _zero_diagonal(B: np.ndarray) -> np.ndarray:
    np.fill_diagonal(B, 0.0)
    return B


@checked
def check_ease(fn: Callable) -> None:
    """``fn(X, lam) -> B``: EASE's item-item weights for a dense 0/1 matrix X."""
    rng, fresh = np.random.default_rng(0), fresh_rng()
    sizes = [(30, 8, 5.0), (12, 6, 0.5),
             (int(fresh.integers(12, 40)), int(fresh.integers(3, 10)),
              float(fresh.uniform(0.2, 20.0)))]  # fmt: skip
    cases = [((r.random((n_users, n_items)) < 0.4).astype(float), lam)
             for r, (n_users, n_items, lam) in zip([rng, rng, fresh], sizes)]

    def check_one(case) -> None:
        X, lam = case
        n_users, n_items = X.shape
        G = X.T @ X
        P = np.linalg.inv(G + lam * np.eye(n_items))
        want = _zero_diagonal(-P / np.diag(P))
        got = array(call(fn, X.copy(), lam), "B")
        if got.shape == (n_users, n_users):
            raise ExerciseError("B is users x users: the Gram matrix is X^T X (items x items).")
        if got.shape != want.shape:
            raise ExerciseError(f"B should be items x items {want.shape}, got {got.shape}.")
        singular = np.linalg.matrix_rank(G) < n_items
        no_lam = None if singular else _zero_diagonal(-np.linalg.inv(G) / np.diag(np.linalg.inv(G)))
        judge(got, want, [
            ("B's diagonal must be zero: an item may not predict itself.", -P / np.diag(P)),
            ("You divided each *row* by its diagonal entry; divide each column j by P[j, j].",
             _zero_diagonal(-P / np.diag(P)[:, None])),
            ("The sign is flipped: B is minus P over its diagonal.", -want),
            ("lam is missing: add lam to the diagonal of X^T X before inverting.", no_lam),
        ], "Not quite: compare your B with the exercise's formula on a 3 x 3 example, entry "
           "by entry.")  # fmt: skip

    over(cases, check_one)
    ok("your B matches the closed form, zero diagonal included.")

