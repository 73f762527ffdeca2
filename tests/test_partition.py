"""Tests of utils.primer.partition: the two-way partitioning problem, its Lagrange dual and SDP relaxation."""

import itertools

import cvxpy as cp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyodide_solvers import assert_same_results, hide_solvers_missing_in_pyodide, solve_with_scs

from utils import (
    PARTITION_MAX_BRUTE_FORCE_N,
    SolverError,
    check_exercise,
    partition_bounds,
    partition_brute_force,
    partition_dual_function,
    partition_dual_value,
    partition_eigenvalue_bound,
    partition_frustrated_instance,
    partition_objective,
    partition_objective_values,
    partition_problem_instance,
    partition_randomized_rounding,
    partition_sdp_relaxation,
)

SEEDS = range(6)


def _naive_optimum(W):
    """Independent enumeration over all 2^n sign vectors with itertools (no symmetry trick)."""
    n = W.shape[0]
    return min(np.array(x) @ W @ np.array(x) for x in itertools.product((-1.0, 1.0), repeat=n))


# ---------------------------------------------------------------------------------------------- primal
@pytest.mark.parametrize("n", [1, 2, 5, 7])
def test_brute_force_matches_naive_enumeration(n):
    W = partition_problem_instance(n, seed=n)
    p_star, x_star = partition_brute_force(W)
    assert p_star == pytest.approx(_naive_optimum(W), abs=1e-12)
    assert set(np.unique(x_star)) <= {-1.0, 1.0}
    assert x_star[0] == 1.0
    assert partition_objective(W, x_star) == pytest.approx(p_star, abs=1e-12)


def test_objective_values_list_every_sign_pattern_once():
    W = partition_problem_instance(5, seed=3)
    values = partition_objective_values(W)
    assert values.shape == (2**4,)
    naive = sorted({round(float(np.array(x) @ W @ np.array(x)), 10)
                    for x in itertools.product((-1.0, 1.0), repeat=5)})
    assert sorted(set(np.round(values, 10))) == naive


def test_instances_are_symmetric_and_deterministic():
    W1 = partition_problem_instance(6, seed=4)
    W2 = partition_problem_instance(6, seed=4)
    np.testing.assert_array_equal(W1, W2)
    np.testing.assert_array_equal(W1, W1.T)
    assert not np.array_equal(W1, partition_problem_instance(6, seed=5))


def test_frustrated_instance_endpoints():
    R = partition_problem_instance(6, seed=2)
    np.testing.assert_allclose(partition_frustrated_instance(6, 1.0, seed=2), R)
    np.testing.assert_allclose(partition_frustrated_instance(6, 0.0, seed=2), -np.abs(R))
    assert np.all(partition_frustrated_instance(6, 0.5, seed=2) <= 0)


# ------------------------------------------------------------------------------------------------ dual
@pytest.mark.parametrize("seed", SEEDS)
def test_weak_duality_chain_on_random_instances(seed):
    W = partition_problem_instance(7, seed=seed)
    b = partition_bounds(W)
    assert b.eigenvalue_bound <= b.dual_value + 1e-9
    assert b.dual_value <= b.optimum + 1e-9
    assert b.gap == pytest.approx(b.optimum - b.dual_value)


@pytest.mark.parametrize("seed", SEEDS)
def test_sdp_relaxation_equals_lagrange_dual(seed):
    W = partition_problem_instance(8, seed=seed)
    d_star, _ = partition_dual_value(W)
    sdp, X = partition_sdp_relaxation(W)
    assert sdp == pytest.approx(d_star, rel=1e-7, abs=1e-7)
    np.testing.assert_allclose(np.diag(X), 1.0, atol=1e-6)
    assert np.linalg.eigvalsh(X)[0] >= -1e-6


@pytest.mark.parametrize("seed", SEEDS)
def test_dual_function_at_solver_multipliers_equals_dual_value(seed):
    W = partition_problem_instance(6, seed=seed)
    d_star, nu = partition_dual_value(W)
    assert partition_dual_function(W, nu) == pytest.approx(d_star, abs=1e-12)
    assert np.linalg.eigvalsh(W + np.diag(nu))[0] >= -1e-9


@pytest.mark.parametrize("seed", SEEDS)
def test_solver_multiplier_is_shifted_to_exact_feasibility(seed):
    # The interior-point solution sits up to ~1e-9 outside the PSD set; the returned multiplier is shifted by
    # lambda_min so that W + diag(nu) is PSD up to the rounding of the eigenvalue computation (~1e-15 ||W||).
    W = partition_problem_instance(7, seed=seed)
    _, nu = partition_dual_value(W)
    assert np.linalg.eigvalsh(W + np.diag(nu))[0] >= -1e-13 * max(1.0, np.linalg.norm(W, 2))


def test_dual_function_is_minus_infinity_outside_the_psd_set():
    W = partition_problem_instance(5, seed=1)
    nu = -np.linalg.eigvalsh(W)[0] * np.ones(5)
    assert partition_dual_function(W, nu) == pytest.approx(partition_eigenvalue_bound(W))
    assert partition_dual_function(W, nu - 1e-3) == -np.inf


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(2, 7), shift=st.floats(0.0, 5.0))
def test_any_dual_feasible_multiplier_gives_a_lower_bound(seed, n, shift):
    W = partition_problem_instance(n, seed=seed)
    rng = np.random.default_rng(seed)
    nu = rng.standard_normal(n)
    nu = nu - np.linalg.eigvalsh(W + np.diag(nu))[0] + shift     # W + diag(nu) PSD
    p_star, _ = partition_brute_force(W)
    assert partition_dual_function(W, nu) <= p_star + 1e-9


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(2, 8))
def test_eigenvalue_bound_never_exceeds_dual_value(seed, n):
    W = partition_problem_instance(n, seed=seed)
    d_star, _ = partition_dual_value(W)
    assert partition_eigenvalue_bound(W) <= d_star + 1e-8


# ------------------------------------------------------------------------------------------------ gaps
def test_gap_is_strictly_positive_on_a_random_instance():
    b = partition_bounds(partition_problem_instance(8, seed=0))
    assert b.gap > 0.5


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_gap_is_zero_when_all_couplings_are_nonpositive(seed):
    W = partition_frustrated_instance(8, 0.3, seed=seed)        # every entry <= 0
    b = partition_bounds(W)
    assert b.optimum == pytest.approx(W.sum(), abs=1e-12)       # x = 1 is optimal: p* = 1^T W 1
    assert b.gap == pytest.approx(0.0, abs=1e-6)
    assert b.gap >= -1e-9                                       # the returned dual value is certified


def test_gap_is_zero_for_a_planted_rank_one_instance():
    s = np.array([1.0, -1.0, -1.0, 1.0, 1.0, -1.0])
    W = -np.outer(s, s)
    b = partition_bounds(W)
    assert b.optimum == pytest.approx(-36.0)
    assert b.gap == pytest.approx(0.0, abs=1e-6)
    sdp, X = partition_sdp_relaxation(W)
    np.testing.assert_allclose(X, np.outer(s, s), atol=1e-5)    # the relaxation returns x x^T


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(2, 7))
def test_flipping_signs_keeps_optimum_and_dual_value(seed, n):
    W = partition_problem_instance(n, seed=seed)
    s = np.where(np.random.default_rng(seed).random(n) < 0.5, -1.0, 1.0)
    a, b = partition_bounds(W), partition_bounds(s[:, None] * W * s[None, :])
    assert b.optimum == pytest.approx(a.optimum, abs=1e-10)
    assert b.dual_value == pytest.approx(a.dual_value, abs=1e-6)


def test_randomized_rounding_gives_an_upper_bound():
    W = partition_problem_instance(9, seed=7)
    _, X = partition_sdp_relaxation(W)
    value, x = partition_randomized_rounding(W, X, n_samples=50, seed=0)
    p_star, _ = partition_brute_force(W)
    assert value >= p_star - 1e-12
    assert partition_objective(W, x) == pytest.approx(value)


# ------------------------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("W", "exc", "match"),
    [
        (np.ones((3, 4)), ValueError, "square"),
        (np.array([[0.0, 1.0], [2.0, 0.0]]), ValueError, "symmetric"),
        (np.array([[0.0, np.nan], [np.nan, 0.0]]), ValueError, "NaN"),
        (np.ones(3), ValueError, "2-D"),
        ("W", TypeError, "numeric"),
        (None, TypeError, "numeric"),
    ],
)
def test_bad_cost_matrix_is_rejected(W, exc, match):
    for fun in (partition_brute_force, partition_eigenvalue_bound, partition_dual_value,
                partition_sdp_relaxation, partition_bounds):
        with pytest.raises(exc, match=match):
            fun(W)


def test_brute_force_refuses_large_n():
    n = PARTITION_MAX_BRUTE_FORCE_N + 1
    W = partition_problem_instance(n, seed=0)
    with pytest.raises(ValueError, match="n <= 20"):
        partition_brute_force(W)
    with pytest.raises(ValueError, match="n <= 20"):
        partition_bounds(W)


def test_bad_sizes_seeds_and_parameters_are_rejected():
    with pytest.raises(ValueError, match="at least 1"):
        partition_problem_instance(0)
    with pytest.raises(TypeError, match="integer"):
        partition_problem_instance(2.5)
    with pytest.raises(TypeError, match="seed"):
        partition_problem_instance(3, seed="a")
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        partition_frustrated_instance(4, 1.5)
    with pytest.raises(TypeError, match="frustration"):
        partition_frustrated_instance(4, "high")


def test_bad_multipliers_and_points_are_rejected():
    W = partition_problem_instance(4, seed=0)
    with pytest.raises(ValueError, match="one multiplier"):
        partition_dual_function(W, np.ones(3))
    with pytest.raises(ValueError, match="NaN"):
        partition_dual_function(W, [0.0, np.nan, 0.0, 0.0])
    with pytest.raises(ValueError, match="sign vector"):
        partition_objective(W, [1.0, 0.5, -1.0, 1.0])
    with pytest.raises(ValueError, match="entries"):
        partition_objective(W, [1.0, -1.0])
    with pytest.raises(ValueError, match="shape"):
        partition_randomized_rounding(W, np.eye(3))


def test_solver_error_is_a_runtime_error():
    assert issubclass(SolverError, RuntimeError)


# --------------------------------------------------------------------------------------------- checks
def test_chapter_00_checks_accept_the_reference_and_reject_wrong_answers(capsys):
    from utils.course.checks import ch00

    assert check_exercise("00.2", ch00._answer_00_2())
    assert not check_exercise("00.2", ch00._answer_00_2() + 0.05)
    assert not check_exercise("00.2", None)
    assert "not answered yet" in capsys.readouterr().out


# --------------------------------------------------------------------------------------------- scale
@pytest.mark.parametrize("c", [1e-10, 1e-5, 1.0, 1e5, 1e10])
def test_dual_and_sdp_values_scale_linearly_with_the_costs(c):
    """d*(c W) = c d*(W), nu -> c nu, and the relaxation's X does not change (solved on normalised data)."""
    W = partition_problem_instance(6, seed=2)
    d_star, nu = partition_dual_value(W)
    sdp, X = partition_sdp_relaxation(W)
    d_c, nu_c = partition_dual_value(c * W)
    sdp_c, X_c = partition_sdp_relaxation(c * W)
    assert d_c == pytest.approx(c * d_star, rel=1e-7)
    assert sdp_c == pytest.approx(c * sdp, rel=1e-7)
    np.testing.assert_allclose(nu_c / c, nu, atol=1e-6 * np.abs(nu).max())
    np.testing.assert_allclose(X_c, X, atol=1e-5)
    assert partition_dual_function(c * W, nu_c) == pytest.approx(d_c, rel=1e-12)   # certified lower bound
    assert d_c <= partition_brute_force(c * W)[0] + 1e-9 * c


@settings(max_examples=5, deadline=None)
@given(perm=st.permutations(range(6)), seed=st.integers(0, 10_000))
def test_values_do_not_depend_on_the_order_of_the_items(perm, seed):
    W = partition_problem_instance(6, seed=seed)
    P = np.array(perm)
    a, b = partition_bounds(W), partition_bounds(W[np.ix_(P, P)])
    assert b.optimum == pytest.approx(a.optimum, abs=1e-10)
    assert b.dual_value == pytest.approx(a.dual_value, rel=1e-7, abs=1e-7)


def test_an_optimal_status_with_violated_constraints_is_rejected(monkeypatch):
    import utils.primer.partition as module
    from utils._cvx import solve_with_clarabel

    def corrupting_solve(problem, what, tolerances, **options):
        solve_with_clarabel(problem, what, tolerances, **options)
        for variable in problem.variables():       # nu - 0.5 leaves the PSD cone; X - I/2 breaks diag(X) = 1
            shift = 0.5 * np.eye(variable.shape[0]) if variable.ndim == 2 else 0.5
            variable.value = variable.value - shift
    monkeypatch.setattr(module, "solve_with_clarabel", corrupting_solve)
    W = partition_problem_instance(4, seed=0)
    for fun in (partition_dual_value, partition_sdp_relaxation):
        with pytest.raises(SolverError, match="status 'optimal' but its solution violates the constraints"):
            fun(W)


# ------------------------------------------------------------------ the solver of the in-browser edition
def test_dual_and_relaxation_give_the_same_results_without_the_solvers_pyodide_lacks(monkeypatch):
    """JupyterLite's cvxpy has no SCS, ECOS or OSQP: both SDPs must not need them (same results)."""
    W = partition_problem_instance(7, seed=4)
    calls = [lambda: partition_dual_value(W), lambda: partition_sdp_relaxation(W),
             lambda: partition_bounds(W)]
    with_all = [f() for f in calls]
    hide_solvers_missing_in_pyodide(monkeypatch)
    for f, expected in zip(calls, with_all, strict=True):
        assert_same_results(tuple(f()), tuple(expected))


@pytest.mark.parametrize("seed", range(3))
def test_dual_and_relaxation_agree_with_scs_on_the_same_programs(seed):
    """The values by Clarabel (utils) and by SCS (an independent solver, eps 1e-9) agree to 1e-7 relative."""
    W = partition_problem_instance(9, seed=seed)
    nu, X = cp.Variable(9), cp.Variable((9, 9), symmetric=True)
    dual_scs = solve_with_scs(cp.Problem(cp.Maximize(-cp.sum(nu)), [W + cp.diag(nu) >> 0]))
    sdp_scs = solve_with_scs(cp.Problem(cp.Minimize(cp.trace(W @ X)), [X >> 0, cp.diag(X) == 1]))
    np.testing.assert_allclose(partition_dual_value(W)[0], dual_scs, rtol=1e-7)
    np.testing.assert_allclose(partition_sdp_relaxation(W)[0], sdp_scs, rtol=1e-7)


def test_a_tolerance_out_of_reach_is_retried_at_the_next_one(monkeypatch):
    """Clarabel's "almost solved" (optimal_inaccurate) at 1e-10 is solved again at 1e-9, then certified."""
    import utils._cvx as cvx

    W = partition_problem_instance(6, seed=1)
    expected = partition_dual_value(W)[0]
    tolerances, real_solve = [], cvx.solve_problem

    def first_solve_inaccurate(problem, what, solver, **options):
        real_solve(problem, what, solver, **options)
        tolerances.append(options["tol_gap_rel"])
        if len(tolerances) == 1:
            problem._status = "optimal_inaccurate"
    monkeypatch.setattr(cvx, "solve_problem", first_solve_inaccurate)
    assert partition_dual_value(W)[0] == pytest.approx(expected, rel=1e-8)
    assert tolerances == [1e-10, 1e-9]


def test_inaccurate_at_every_tolerance_raises_solver_error(monkeypatch):
    import utils._cvx as cvx

    real_solve = cvx.solve_problem

    def always_inaccurate(problem, what, solver, **options):
        real_solve(problem, what, solver, **options)
        problem._status = "optimal_inaccurate"
    monkeypatch.setattr(cvx, "solve_problem", always_inaccurate)
    with pytest.raises(SolverError, match="'optimal_inaccurate', not 'optimal'"):
        partition_sdp_relaxation(partition_problem_instance(5, seed=0))


def test_one_item_has_dual_and_relaxation_equal_to_its_cost():
    """n = 1: the only feasible points are x = +-1, so p* = d* = W_11 (no gap)."""
    W = np.array([[-2.5]])
    assert partition_dual_value(W)[0] == pytest.approx(-2.5, rel=1e-9)
    assert partition_sdp_relaxation(W)[0] == pytest.approx(-2.5, rel=1e-9)
