"""Reference solvers for deep linear networks: what they return, their self-consistency and their errors.

(The comparisons of these solvers with the closed forms are in tests/test_linear_closed_forms.py.)
"""

import warnings

import cvxpy as cp
import numpy as np
import pytest
from pyodide_solvers import assert_same_results, hide_solvers_missing_in_pyodide, solve_with_scs

from utils import (
    DeepLinearFit,
    SolverError,
    deep_linear_dual_cvxpy,
    min_norm_target,
    nuclear_norm_min_cvxpy,
    schatten_norm,
    train_deep_linear,
)


def instance(seed, n=3, d=4, k=2, rank=2):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    return X, X @ (rng.standard_normal((d, rank)) @ rng.standard_normal((rank, k)))


X0, Y0 = instance(0)


def test_standard_fit_interpolates_and_reports_its_own_penalty():
    fit = train_deep_linear(X0, Y0, 3, n_starts=2, seed=1)
    assert isinstance(fit, DeepLinearFit)
    assert fit.converged and fit.residual <= 1e-8
    assert len(fit.objectives) == 2 and len(fit.residuals) == 2
    assert [W.shape for W in fit.weights] == [(4, 4), (4, 4), (4, 2)]
    assert np.max(np.abs(fit.predict(X0) - Y0)) <= 1e-8
    assert abs(fit.objective - 0.5 * sum(np.sum(W * W) for W in fit.weights)) <= 1e-12 * fit.objective
    assert fit.objective == min(o for o, r in zip(fit.objectives, fit.residuals, strict=True) if r <= 1e-6)


def test_trained_standard_network_is_balanced_at_the_optimum():
    fit = train_deep_linear(X0, Y0, 4, n_starts=2, seed=2)
    norms = [np.linalg.norm(W) for W in fit.weights]
    np.testing.assert_allclose(norms, norms[0], rtol=1e-4)


def test_standard_network_with_power_penalty_reaches_the_schatten_quasi_norm():
    # min 1/L sum ||W_l||^L s.t. X W_1...W_L = Y equals ||A||_{S_{2/L}} (chapter 02_deep_linear)
    fit = train_deep_linear(X0, Y0, 3, penalty="power", n_starts=2, seed=3)
    target = schatten_norm(min_norm_target(X0, Y0), 2 / 3)
    assert abs(fit.objective - target) <= 1e-4 * target


def test_vector_labels_are_treated_as_one_output():
    fit = train_deep_linear(X0, Y0[:, 0], 2, n_starts=1, seed=0)
    assert fit.weights[-1].shape == (4, 1)
    assert np.max(np.abs(fit.predict(X0)[:, 0] - Y0[:, 0])) <= 1e-8


def test_partial_network_layers_have_norm_exactly_the_scale():
    t = 1.3
    fit = train_deep_linear(X0, Y0, 4, architecture="partial", n_shared=1, scale=t, n_branches=2, width=3,
                            n_starts=1, seed=0)
    assert len(fit.weights["shared"]) == 1 and len(fit.weights["branches"]) == 2
    for W in fit.weights["shared"]:
        assert abs(np.linalg.norm(W) - t) <= 1e-12
    for branch in fit.weights["branches"]:
        assert [W.shape for W in branch] == [(3, 3), (3, 1), (1, 2)]
        assert abs(np.linalg.norm(branch[0]) - t) <= 1e-12
    own = 0.5 * sum(np.sum(b[-2] ** 2) + np.sum(b[-1] ** 2) for b in fit.weights["branches"])
    assert abs(fit.objective - own) <= 1e-12 * own
    assert np.max(np.abs(fit.predict(X0) - Y0)) <= 1e-8


def test_parallel_branches_end_in_one_neuron_and_report_the_power_penalty():
    L = 3
    fit = train_deep_linear(X0, Y0, L, architecture="parallel", penalty="power", n_branches=3, width=2,
                            n_starts=1, seed=0)
    assert fit.weights["shared"] == [] and len(fit.weights["branches"]) == 3
    for branch in fit.weights["branches"]:
        assert [W.shape for W in branch] == [(4, 2), (2, 1), (1, 2)]
    own = sum(np.linalg.norm(W) ** L / L for b in fit.weights["branches"] for W in b)
    assert abs(fit.objective - own) <= 1e-12 * own
    assert np.max(np.abs(fit.predict(X0) - Y0)) <= 1e-8


def test_default_number_of_branches_is_n_k_plus_one():
    fit = train_deep_linear(X0, Y0, 2, architecture="parallel", n_starts=1, seed=0)
    assert len(fit.weights["branches"]) == X0.shape[0] * Y0.shape[1] + 1


def test_training_is_deterministic_given_the_seed():
    a = train_deep_linear(X0, Y0, 3, n_starts=2, seed=7)
    b = train_deep_linear(X0, Y0, 3, n_starts=2, seed=7)
    assert a.objectives == b.objectives
    for u, v in zip(a.weights, b.weights, strict=True):
        np.testing.assert_array_equal(u, v)


def test_zero_labels_train_to_the_zero_network():
    fit = train_deep_linear(X0, np.zeros_like(Y0), 3, n_starts=1, seed=0)
    assert fit.objective <= 1e-12 and fit.residual <= 1e-12


def test_no_feasible_start_raises_solver_error():
    # a width-1 network has rank <= 1 and cannot interpolate rank-2 labels
    with pytest.raises(SolverError, match="no start reached the feasibility tolerance"):
        train_deep_linear(X0, Y0, 3, width=1, n_starts=1, seed=0)


def test_training_rejects_bad_input_and_inconsistent_options():
    rng = np.random.default_rng(1)
    Xtall = rng.standard_normal((5, 2))
    with pytest.raises(ValueError, match="no interpolating network"):
        train_deep_linear(Xtall, rng.standard_normal((5, 2)), 3)
    with pytest.raises(ValueError, match="rows"):
        train_deep_linear(X0, Y0[:2], 3)
    with pytest.raises(ValueError, match="NaN or infinite"):
        train_deep_linear(np.where(X0 > 0, np.nan, X0), Y0, 3)
    with pytest.raises(ValueError, match="2-D"):
        train_deep_linear(X0[None], Y0, 3)
    with pytest.raises(ValueError, match="at least 2"):
        train_deep_linear(X0, Y0, 1)
    with pytest.raises(TypeError, match="integer"):
        train_deep_linear(X0, Y0, 3.5)
    with pytest.raises(ValueError, match="architecture"):
        train_deep_linear(X0, Y0, 3, architecture="resnet")
    with pytest.raises(ValueError, match="penalty"):
        train_deep_linear(X0, Y0, 3, penalty="l1")
    with pytest.raises(ValueError, match="needs n_shared"):
        train_deep_linear(X0, Y0, 3, architecture="partial", scale=1.0)
    with pytest.raises(ValueError, match="needs n_shared"):
        train_deep_linear(X0, Y0, 3, architecture="partial", n_shared=0)
    with pytest.raises(ValueError, match="0..1"):
        train_deep_linear(X0, Y0, 3, architecture="partial", n_shared=2, scale=1.0)
    with pytest.raises(ValueError, match="scale must be > 0"):
        train_deep_linear(X0, Y0, 3, architecture="partial", n_shared=0, scale=0.0)
    with pytest.raises(ValueError, match="weight-decay"):
        train_deep_linear(X0, Y0, 3, architecture="partial", penalty="power", n_shared=0, scale=1.0)
    with pytest.raises(ValueError, match="partial"):
        train_deep_linear(X0, Y0, 3, scale=1.0)
    with pytest.raises(ValueError, match="n_branches"):
        train_deep_linear(X0, Y0, 3, n_branches=3)
    with pytest.raises(ValueError, match="width"):
        train_deep_linear(X0, Y0, 3, width=0)
    with pytest.raises(ValueError, match="n_starts"):
        train_deep_linear(X0, Y0, 3, n_starts=0)
    with pytest.raises(TypeError, match="seed"):
        train_deep_linear(X0, Y0, 3, seed=1.5)
    with pytest.raises(ValueError, match="tol"):
        train_deep_linear(X0, Y0, 3, tol=-1.0)


def test_cvxpy_programs_return_feasible_solutions():
    value, Lam = deep_linear_dual_cvxpy(X0, Y0, bound=0.5)
    assert Lam.shape == Y0.shape
    assert np.linalg.norm(X0.T @ Lam, 2) <= 0.5 * (1 + 1e-6)
    assert abs(value - np.trace(Lam.T @ Y0)) <= 1e-6 * abs(value)
    nuc, W = nuclear_norm_min_cvxpy(X0, Y0[:, 0])
    assert W.shape == (4, 1)
    np.testing.assert_allclose(X0 @ W[:, 0], Y0[:, 0], atol=1e-6)
    assert abs(nuc - np.linalg.norm(W)) <= 1e-6 * nuc


def test_cvxpy_programs_reject_bad_input():
    rng = np.random.default_rng(2)
    Xtall, Ybad = rng.standard_normal((5, 2)), rng.standard_normal((5, 2))
    for f in (deep_linear_dual_cvxpy, nuclear_norm_min_cvxpy):
        with pytest.raises(ValueError, match="no interpolating network"):
            f(Xtall, Ybad)
        with pytest.raises(ValueError, match="rows"):
            f(X0, Y0[:2])
        with pytest.raises(ValueError, match="NaN or infinite"):
            f(X0, np.full_like(Y0, np.inf))
        with pytest.raises(ValueError, match="eps"):
            f(X0, Y0, eps=0.0)
    for bound in (0.0, -1.0):
        with pytest.raises(ValueError, match="bound"):
            deep_linear_dual_cvxpy(X0, Y0, bound=bound)


def test_cvxpy_programs_raise_when_the_solver_stops_early():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(SolverError, match="not 'optimal'"):
            deep_linear_dual_cvxpy(X0, Y0, max_iters=1)
        with pytest.raises(SolverError, match="not 'optimal'"):
            nuclear_norm_min_cvxpy(X0, Y0, max_iters=1)


# ------------------------------------------------------------------ the solver of the in-browser edition
def test_cvxpy_programs_give_the_same_results_without_the_solvers_pyodide_lacks(monkeypatch):
    """JupyterLite's cvxpy has no SCS, ECOS or OSQP: both programs must not need them (same results)."""
    calls = [lambda: deep_linear_dual_cvxpy(X0, Y0, bound=0.7), lambda: nuclear_norm_min_cvxpy(X0, Y0)]
    with_all = [f() for f in calls]
    hide_solvers_missing_in_pyodide(monkeypatch)
    for f, expected in zip(calls, with_all, strict=True):
        assert_same_results(f(), expected)


@pytest.mark.parametrize("seed", range(3))
def test_cvxpy_programs_agree_with_scs_on_the_same_programs(seed):
    """The values by Clarabel (utils) and by SCS (an independent solver, eps 1e-9) agree to 1e-7 relative."""
    X, Y = instance(seed, n=4, d=6, k=3, rank=3)
    Lam, W = cp.Variable(Y.shape), cp.Variable((X.shape[1], Y.shape[1]))
    dual_scs = solve_with_scs(cp.Problem(cp.Maximize(cp.trace(Lam.T @ Y)), [cp.sigma_max(X.T @ Lam) <= 2.0]))
    nuc_scs = solve_with_scs(cp.Problem(cp.Minimize(cp.normNuc(W)), [X @ W == Y]))
    np.testing.assert_allclose(deep_linear_dual_cvxpy(X, Y, bound=2.0)[0], dual_scs, rtol=1e-7)
    np.testing.assert_allclose(nuclear_norm_min_cvxpy(X, Y)[0], nuc_scs, rtol=1e-7)


@pytest.mark.parametrize("r", [1, 2, 3])
def test_cvxpy_programs_on_equal_singular_values_give_r_times_the_value(r):
    """A = 0.7 I_r: ||A||_* = 0.7 r for both programs, r = 1 included (a 1 x 1 dual, as in chapter 02)."""
    X, Y = np.eye(r), 0.7 * np.eye(r)
    np.testing.assert_allclose(deep_linear_dual_cvxpy(X, Y)[0], 0.7 * r, rtol=1e-8)
    np.testing.assert_allclose(nuclear_norm_min_cvxpy(X, Y)[0], 0.7 * r, rtol=1e-8)
