"""Closed forms for deep linear networks (chapters 02-04 of the book) against independent methods and properties.

Independent checks: cvxpy (SCS) for the dual and the nuclear-norm program, multi-start augmented-Lagrangian
training of the standard / parallel / partially parallel networks, a 1-D minimisation over the scale t.
"""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize_scalar

from utils import (
    deep_linear_dual_certificate,
    deep_linear_dual_cvxpy,
    deep_linear_dual_value,
    deep_linear_dual_value_at_scale,
    deep_linear_gap,
    deep_linear_optimal_weights,
    deep_linear_primal_value,
    deep_linear_primal_value_at_scale,
    dual_value_from_singular_values,
    duality_gap_stairs,
    gap_from_singular_values,
    min_norm_target,
    nuclear_norm_min_cvxpy,
    optimal_scale,
    parallel_linear_value,
    parallel_value_from_singular_values,
    primal_value_from_singular_values,
    schatten_norm,
    stairs_from_singular_values,
    target_singular_values,
    train_deep_linear,
)

PROPS = settings(max_examples=30, deadline=None)


def instance(seed, n=None, d=None, k=None, rank=None):
    """Random interpolable data: X (n, d), Y = X A0 with rank(A0) = rank; n, d, k <= 6."""
    rng = np.random.default_rng(seed)
    n, d, k = (int(v) if v is not None else int(rng.integers(2, 7)) for v in (n, d, k))
    rank = int(rng.integers(1, min(d, k) + 1)) if rank is None else rank
    X = rng.standard_normal((n, d))
    A0 = rng.standard_normal((d, rank)) @ rng.standard_normal((rank, k))
    return X, X @ A0


def rel(a, b):
    return abs(a - b) / max(abs(b), 1e-300)


# ------------------------------------------------------------------------------- basic objects
def test_schatten_norm_matches_singular_value_definition():
    A = np.random.default_rng(0).standard_normal((4, 6))
    s = np.linalg.svd(A, compute_uv=False)
    for p in (0.4, 2 / 3, 1.0, 2.0, 3.5):
        assert rel(schatten_norm(A, p), np.sum(s**p) ** (1 / p)) < 1e-12
    assert rel(schatten_norm(A, 1), np.linalg.norm(A, "nuc")) < 1e-12
    assert rel(schatten_norm(A, 2), np.linalg.norm(A)) < 1e-12
    assert schatten_norm(np.zeros((3, 2)), 0.5) == 0.0


def test_schatten_quasi_norm_exceeds_nuclear_norm_unless_rank_one():
    rng = np.random.default_rng(1)
    A = rng.standard_normal((5, 4))
    assert schatten_norm(A, 0.5) > schatten_norm(A, 1) * (1 + 1e-6)
    B = np.outer(rng.standard_normal(5), rng.standard_normal(4))
    assert rel(schatten_norm(B, 0.5), schatten_norm(B, 1)) < 1e-12


def test_min_norm_target_is_pseudo_inverse_solution_and_interpolates():
    X, Y = instance(2, n=4, d=6, k=3)
    A = min_norm_target(X, Y)
    assert A.shape == (6, 3)
    np.testing.assert_allclose(A, np.linalg.pinv(X) @ Y, atol=1e-12)
    np.testing.assert_allclose(X @ A, Y, atol=1e-10)
    a = min_norm_target(X, Y[:, 0])
    assert a.shape == (6, 1)
    np.testing.assert_allclose(a[:, 0], A[:, 0], atol=1e-12)


def test_labels_outside_range_of_X_are_rejected():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((6, 3))
    Y = rng.standard_normal((6, 2))
    for f in (min_norm_target, target_singular_values):
        with pytest.raises(ValueError, match="no interpolating network"):
            f(X, Y)
    for f in (deep_linear_primal_value, deep_linear_dual_value, deep_linear_gap, duality_gap_stairs):
        with pytest.raises(ValueError, match="no interpolating network"):
            f(X, Y, 3)
    with pytest.raises(ValueError, match="no interpolating network"):
        deep_linear_optimal_weights(X, Y, 3)


def test_target_singular_values_are_descending_with_the_right_rank():
    for rank in (1, 2, 3):
        X, Y = instance(4 + rank, n=5, d=6, k=4, rank=rank)
        s = target_singular_values(X, Y)
        assert s.size == rank
        assert np.all(np.diff(s) <= 0)
        np.testing.assert_allclose(s, np.linalg.svd(np.linalg.pinv(X) @ Y, compute_uv=False)[:rank], rtol=1e-10)


def test_values_from_data_equal_values_from_singular_values():
    X, Y = instance(7, n=5, d=5, k=4, rank=3)
    s = target_singular_values(X, Y)
    for L in (2, 3, 4, 5):
        P, D = deep_linear_primal_value(X, Y, L), deep_linear_dual_value(X, Y, L)
        assert rel(P, L / 2 * np.sum(s ** (2 / L))) < 1e-12
        assert rel(D, L / 2 * np.sum(s) ** (2 / L)) < 1e-12
        assert rel(P, primal_value_from_singular_values(s, L)) < 1e-14
        assert rel(D, dual_value_from_singular_values(s, L)) < 1e-14
        assert rel(deep_linear_gap(X, Y, L) + 1.0, P - D + 1.0) < 1e-14
        stairs = duality_gap_stairs(X, Y, L)
        assert stairs.shape == (L - 1,)
        assert rel(stairs[0], D) < 1e-14 and rel(stairs[-1], P) < 1e-14


# ------------------------------------------------------------------------------- scale form
@pytest.mark.parametrize("L", [3, 4, 5])
def test_scale_form_minimised_over_t_gives_the_values_and_the_optimal_scale(L):
    X, Y = instance(8, n=4, d=5, k=3, rank=3)
    for problem, value, at_scale in (("primal", deep_linear_primal_value, deep_linear_primal_value_at_scale),
                                     ("dual", deep_linear_dual_value, deep_linear_dual_value_at_scale)):
        res = minimize_scalar(lambda t: (L - 2) / 2 * t**2 + at_scale(X, Y, L, t), bounds=(1e-3, 20),  # noqa: B023
                              method="bounded", options={"xatol": 1e-10})
        assert rel(res.fun, value(X, Y, L)) < 1e-9
        assert rel(res.x, optimal_scale(X, Y, L, problem)) < 1e-5


def test_optimal_scale_is_the_norm_of_the_balanced_optimal_layers():
    X, Y = instance(9, n=5, d=6, k=4, rank=3)
    for L in (2, 3, 5):
        t = optimal_scale(X, Y, L)
        for W in deep_linear_optimal_weights(X, Y, L, seed=1):
            assert rel(np.linalg.norm(W), t) < 1e-10


def test_paper_counterexample_equal_singular_values_still_have_a_gap():
    # Theorem 3 of the paper predicts equality for equal singular values; this instance shows it is false.
    sigma = np.ones(3)
    assert rel(primal_value_from_singular_values(sigma, 3, t=1.0), 3**1.5) < 1e-14
    assert rel(dual_value_from_singular_values(sigma, 3, t=1.0), 3.0) < 1e-14
    assert gap_from_singular_values(sigma, 3) > 0.5
    for r in (2, 3, 4):
        for L in (3, 4, 5):
            ratio = primal_value_from_singular_values(np.ones(r), L, t=0.7) / dual_value_from_singular_values(
                np.ones(r), L, t=0.7)
            assert rel(ratio, r ** ((L - 2) / 2)) < 1e-12


# ------------------------------------------------------------------------------- dual: cvxpy and certificate
@pytest.mark.parametrize("seed,L,t", [(10, 2, 1.0), (11, 3, 0.8), (12, 4, 1.3), (13, 5, 1.0)])
def test_dual_value_at_scale_matches_cvxpy_and_the_certificate(seed, L, t):
    X, Y = instance(seed)
    D_t = deep_linear_dual_value_at_scale(X, Y, L, t)
    value, Lam_cvx = deep_linear_dual_cvxpy(X, Y, bound=t ** (-(L - 2)))
    assert rel(value, D_t) < 1e-6
    assert np.linalg.norm(X.T @ Lam_cvx, 2) <= t ** (-(L - 2)) * (1 + 1e-6)
    Lam = deep_linear_dual_certificate(X, Y, L, t)
    assert Lam.shape == Y.shape
    assert rel(np.linalg.norm(X.T @ Lam, 2), t ** (-(L - 2))) < 1e-10
    assert rel(np.trace(Lam.T @ Y), D_t) < 1e-10
    # the optimised dual value is the scale form at the optimal t
    assert rel(deep_linear_dual_value(X, Y, L),
               (L - 2) / 2 * optimal_scale(X, Y, L, "dual") ** 2
               + deep_linear_dual_value_at_scale(X, Y, L, optimal_scale(X, Y, L, "dual"))) < 1e-12


@pytest.mark.parametrize("seed", [14, 15])
def test_parallel_power_value_is_the_nuclear_norm_program(seed):
    X, Y = instance(seed)
    value, W = nuclear_norm_min_cvxpy(X, Y)
    np.testing.assert_allclose(X @ W, Y, atol=1e-6)
    for L in (2, 3, 5):
        assert rel(value, parallel_linear_value(X, Y, L, "power")) < 1e-6
        assert rel(parallel_linear_value(X, Y, L, "weight_decay"), deep_linear_primal_value(X, Y, L)) < 1e-14


# ------------------------------------------------------------------------------- optimal weights
@pytest.mark.parametrize("L,widths", [(2, None), (3, None), (4, [4, 5, 3]), (5, [6, 3, 3, 4])])
def test_optimal_weights_interpolate_are_balanced_and_attain_the_primal_value(L, widths):
    X, Y = instance(16, n=4, d=6, k=3, rank=3)
    Ws = deep_linear_optimal_weights(X, Y, L, widths=widths, seed=5)
    assert len(Ws) == L
    out = X
    for W in Ws:
        out = out @ W
    assert np.max(np.abs(out - Y)) <= 1e-10
    sq = [np.sum(W * W) for W in Ws]
    np.testing.assert_allclose(sq, np.sum(target_singular_values(X, Y) ** (2 / L)), rtol=1e-10)
    assert rel(0.5 * sum(sq), deep_linear_primal_value(X, Y, L)) < 1e-10
    if widths is not None:
        assert [W.shape[1] for W in Ws[:-1]] == widths


def test_optimal_weights_are_reproducible_from_the_seed():
    X, Y = instance(17)
    a = deep_linear_optimal_weights(X, Y, 4, widths=[6, 6, 6], seed=3)
    b = deep_linear_optimal_weights(X, Y, 4, widths=[6, 6, 6], seed=3)
    for u, v in zip(a, b, strict=True):
        np.testing.assert_array_equal(u, v)


# ------------------------------------------------------------------------------- non-convex training
@pytest.mark.parametrize("L", [2, 3, 4, 5])
def test_primal_value_matches_trained_standard_network(L):
    X, Y = instance(20, n=4, d=5, k=3, rank=3)
    fit = train_deep_linear(X, Y, L, n_starts=2, seed=L)
    assert fit.residual <= 1e-6
    assert rel(fit.objective, deep_linear_primal_value(X, Y, L)) <= 1e-4


@pytest.mark.parametrize("L,s", [(4, 0), (4, 1), (4, 2), (5, 2)])
def test_stairs_step_matches_trained_partially_parallel_network(L, s):
    X, Y = instance(21, n=3, d=3, k=3, rank=2)  # rank 2: every step of the stairs is strict
    t = 0.9
    fit = train_deep_linear(X, Y, L, architecture="partial", n_shared=s, scale=t, n_branches=2, width=2,
                            n_starts=2, seed=s)
    stairs = duality_gap_stairs(X, Y, L, t=t)
    assert np.all(np.diff(stairs) > 1e-2)
    assert rel(fit.objective, stairs[s]) <= 1e-4


@pytest.mark.parametrize("penalty", ["power", "weight_decay"])
def test_parallel_network_value_matches_training(penalty):
    X, Y = instance(22, n=3, d=4, k=3, rank=2)
    fit = train_deep_linear(X, Y, 3, architecture="parallel", penalty=penalty, n_branches=3, width=2,
                            n_starts=2, seed=1)
    assert rel(fit.objective, parallel_linear_value(X, Y, 3, penalty)) <= 1e-4


# ------------------------------------------------------------------------------- properties
sigmas = st.lists(st.floats(0.1, 10.0), min_size=1, max_size=5)
depths = st.integers(2, 6)


@PROPS
@given(sigmas, depths)
def test_dual_never_exceeds_primal(sigma, L):
    assert dual_value_from_singular_values(sigma, L) <= primal_value_from_singular_values(sigma, L) * (1 + 1e-12)
    assert gap_from_singular_values(sigma, L) >= 0


@PROPS
@given(sigmas, depths)
def test_gap_is_zero_iff_depth_two_or_rank_at_most_one(sigma, L):
    gap = gap_from_singular_values(sigma, L)
    zero = gap <= 1e-9 * primal_value_from_singular_values(sigma, L)
    assert zero == (L == 2 or len(sigma) <= 1)


@PROPS
@given(sigmas, depths, st.one_of(st.none(), st.floats(0.2, 5.0)))
def test_stairs_non_decreasing_and_strictly_increasing_iff_rank_at_least_two(sigma, L, t):
    stairs = stairs_from_singular_values(sigma, L, t)
    steps = np.diff(stairs)
    assert stairs.shape == (L - 1,)
    assert np.all(steps >= -1e-12 * stairs[-1])
    if L >= 3:
        assert np.all(steps > 1e-9 * stairs[-1]) == (len(sigma) >= 2)
        if len(sigma) == 1:
            assert np.all(np.abs(steps) <= 1e-12 * stairs[-1])


def test_gap_is_zero_for_rank_one_labels_and_positive_for_rank_two():
    X, Y = instance(23, n=5, d=5, k=4, rank=1)
    for L in (2, 3, 4, 5):
        assert deep_linear_gap(X, Y, L) <= 1e-12 * deep_linear_primal_value(X, Y, L)
    X, Y = instance(24, n=5, d=5, k=4, rank=2)
    assert deep_linear_gap(X, Y, 2) <= 1e-12 * deep_linear_primal_value(X, Y, 2)
    assert deep_linear_gap(X, Y, 3) > 1e-3


@PROPS
@given(st.integers(0, 10**6), depths, st.floats(-5, 5).filter(lambda c: abs(c) > 0.05))
def test_values_are_homogeneous_in_the_labels(seed, L, c):
    X, Y = instance(seed)
    assert rel(deep_linear_primal_value(X, c * Y, L), abs(c) ** (2 / L) * deep_linear_primal_value(X, Y, L)) < 1e-9
    assert rel(deep_linear_dual_value(X, c * Y, L), abs(c) ** (2 / L) * deep_linear_dual_value(X, Y, L)) < 1e-9
    np.testing.assert_allclose(duality_gap_stairs(X, c * Y, L), abs(c) ** (2 / L) * duality_gap_stairs(X, Y, L),
                               rtol=1e-9)


@PROPS
@given(st.integers(0, 10**6), depths)
def test_values_are_invariant_under_orthogonal_change_of_output_basis(seed, L):
    X, Y = instance(seed)
    Q, _ = np.linalg.qr(np.random.default_rng(seed + 1).standard_normal((Y.shape[1], Y.shape[1])))
    np.testing.assert_allclose(duality_gap_stairs(X, Y @ Q, L), duality_gap_stairs(X, Y, L), rtol=1e-9)
    for penalty in ("power", "weight_decay"):
        assert rel(parallel_linear_value(X, Y @ Q, L, penalty), parallel_linear_value(X, Y, L, penalty)) < 1e-9


# ------------------------------------------------------------------------------- zero labels
def test_zero_labels_give_the_zero_network_explicitly():
    X = np.random.default_rng(25).standard_normal((4, 5))
    Y = np.zeros((4, 3))
    assert target_singular_values(X, Y).size == 0
    for L in (2, 3, 5):
        assert deep_linear_primal_value(X, Y, L) == 0.0
        assert deep_linear_dual_value(X, Y, L) == 0.0
        assert deep_linear_gap(X, Y, L) == 0.0
        np.testing.assert_array_equal(duality_gap_stairs(X, Y, L), np.zeros(L - 1))
        np.testing.assert_array_equal(duality_gap_stairs(X, Y, L, t=2.0), np.zeros(L - 1))
        assert deep_linear_primal_value_at_scale(X, Y, L, 1.5) == 0.0
        assert optimal_scale(X, Y, L) == 0.0 and optimal_scale(X, Y, L, "dual") == 0.0
        assert parallel_linear_value(X, Y, L, "power") == 0.0
        np.testing.assert_array_equal(deep_linear_dual_certificate(X, Y, L), np.zeros((4, 3)))
        Ws = deep_linear_optimal_weights(X, Y, L)
        assert len(Ws) == L and all(np.all(W == 0) for W in Ws)
    assert primal_value_from_singular_values([], 3) == 0.0
    assert stairs_from_singular_values([0.0, 0.0], 4).tolist() == [0.0, 0.0, 0.0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value, Lam = deep_linear_dual_cvxpy(X, Y)
    assert value == 0.0 and np.all(Lam == 0)


# ------------------------------------------------------------------------------- bad input
X0, Y0 = instance(26, n=4, d=5, k=3)


@pytest.mark.parametrize("f", [deep_linear_primal_value, deep_linear_dual_value, deep_linear_gap,
                               duality_gap_stairs, parallel_linear_value, deep_linear_dual_certificate,
                               deep_linear_optimal_weights])
def test_data_functions_reject_bad_data_and_depth(f):
    with pytest.raises(ValueError, match="rows"):
        f(X0, Y0[:3], 3)
    with pytest.raises(ValueError, match="2-D"):
        f(X0[None], Y0, 3)
    with pytest.raises(ValueError, match="2-D"):
        f(X0[:, 0], Y0, 3)
    with pytest.raises(ValueError, match="1-D or 2-D"):
        f(X0, Y0[None], 3)
    for bad in (np.nan, np.inf):
        Xb = X0.copy()
        Xb[0, 0] = bad
        with pytest.raises(ValueError, match="NaN or infinite"):
            f(Xb, Y0, 3)
        Yb = Y0.copy()
        Yb[1, 1] = bad
        with pytest.raises(ValueError, match="NaN or infinite"):
            f(X0, Yb, 3)
    with pytest.raises(ValueError, match="at least 2"):
        f(X0, Y0, 1)
    with pytest.raises(TypeError, match="integer"):
        f(X0, Y0, 2.5)
    with pytest.raises(TypeError, match="numeric"):
        f("X", Y0, 3)


def test_schatten_norm_rejects_bad_input():
    A = np.eye(3)
    for p in (0, -1.0):
        with pytest.raises(ValueError, match="p must be > 0"):
            schatten_norm(A, p)
    with pytest.raises(ValueError, match="finite"):
        schatten_norm(A, np.nan)
    with pytest.raises(ValueError, match="2-D"):
        schatten_norm(np.ones(3), 1)
    with pytest.raises(ValueError, match="NaN or infinite"):
        schatten_norm(np.array([[1.0, np.inf]]), 1)


def test_singular_value_functions_reject_bad_input():
    for f in (primal_value_from_singular_values, dual_value_from_singular_values, gap_from_singular_values,
              stairs_from_singular_values, parallel_value_from_singular_values):
        with pytest.raises(ValueError, match=">= 0"):
            f([1.0, -0.5], 3)
        with pytest.raises(ValueError, match="1-D"):
            f(np.ones((2, 2)), 3)
        with pytest.raises(ValueError, match="NaN or infinite"):
            f([1.0, np.nan], 3)
        with pytest.raises(ValueError, match="at least 2"):
            f([1.0], 0)
        with pytest.raises(TypeError, match="integer"):
            f([1.0], 3.5)
    for t in (0.0, -1.0, np.inf):
        with pytest.raises(ValueError, match="t must be"):
            stairs_from_singular_values([1.0, 2.0], 3, t)


def test_options_are_validated():
    with pytest.raises(ValueError, match="penalty"):
        parallel_linear_value(X0, Y0, 3, "l1")
    with pytest.raises(ValueError, match="problem"):
        optimal_scale(X0, Y0, 3, "bidual")
    for t in (0.0, -2.0):
        with pytest.raises(ValueError, match="t must be > 0"):
            deep_linear_primal_value_at_scale(X0, Y0, 3, t)
        with pytest.raises(ValueError, match="t must be > 0"):
            deep_linear_dual_certificate(X0, Y0, 3, t)
    with pytest.raises(ValueError, match="L - 1 = 2"):
        deep_linear_optimal_weights(X0, Y0, 3, widths=[3])
    with pytest.raises(ValueError, match="hidden width"):
        deep_linear_optimal_weights(X0, Y0, 3, widths=[3, 1])
    with pytest.raises(TypeError, match="seed"):
        deep_linear_optimal_weights(X0, Y0, 3, seed="a")

