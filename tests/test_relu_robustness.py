"""Numbers that survive scale: homogeneity, permutation invariance, certified solves and clear errors of the
ReLU solvers and trainers (utils.relu) and the shared drivers (utils._cvx, utils._optim)."""

from __future__ import annotations

import cvxpy as cp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import utils.relu.column_generation as cg_module
import utils.relu.parallel_three_layer as relu3_module
import utils.relu.two_layer as two_layer_module
from utils import (
    SolverError,
    TwoLayerReluPath,
    column_generation_parallel_relu,
    gauge_relu_features,
    group_lasso_master,
    hyperplane_patterns,
    parallel_relu3_value,
    rank_one_data,
    rank_one_labels,
    rank_one_relu3_network,
    rank_one_relu3_values,
    relu_max_correlation,
    relu_network_forward,
    relu_network_penalty,
    train_relu_network,
    train_two_layer_min_norm,
    train_two_layer_weight_decay,
    two_layer_forward,
    two_layer_relu_convex,
)
from utils._cvx import certify, solve_problem
from utils._optim import augmented_lagrangian

SCALES = [1e-10, 1e-5, 1.0, 1e5, 1e10]


def line(n, seed=None):
    """1-D inputs on [-1, 1] with a bias column (rank 2); evenly spaced, or jittered when seeded."""
    x = np.linspace(-1.0, 1.0, n)
    if seed is not None:
        x = x + np.random.default_rng(seed).uniform(-0.1, 0.1, n)
    return np.c_[x, np.ones(n)]


X5, Y5 = line(5), np.array([0.5, -0.5, 0.2, 0.8, 0.3])
X4, Y4 = line(4), np.array([1.0, -0.5, 0.8, -1.0])
ABS = (line(5), np.abs(np.linspace(-1.0, 1.0, 5)) - 0.5)        # min-norm training reaches the optimum here


@pytest.fixture(scope="module")
def base():
    """Reference values at scale 1."""
    return {"min_norm": two_layer_relu_convex(X5, Y5).value, "wd": two_layer_relu_convex(X5, Y5, beta=0.1).value,
            "relu3": parallel_relu3_value(X4, Y4).value, "abs": two_layer_relu_convex(*ABS).value,
            "abs_wd": two_layer_relu_convex(X4, Y4, beta=0.1).value}


# ------------------------------------------------------------------------------------- convex programs at scale
@pytest.mark.parametrize("c", SCALES)
def test_min_norm_value_multiplier_and_network_scale_exactly_with_labels_and_data(c, base):
    """f(a X, c y) = (c / a) f(X, y); lambda -> lambda / a; the rebuilt network interpolates at any scale."""
    res = two_layer_relu_convex(X5, c * Y5)
    assert res.status == "optimal"
    assert res.value == pytest.approx(c * base["min_norm"], rel=1e-6)
    assert res.dual @ (c * Y5) == pytest.approx(res.value, rel=1e-6)
    assert relu_max_correlation(X5, res.dual) == pytest.approx(1.0, abs=1e-6)
    for prune in (False, True):
        W1, w2 = res.network(prune=prune)
        assert np.abs(two_layer_forward(X5, W1, w2) - c * Y5).max() <= 1e-8 * c
    on_x = two_layer_relu_convex(c * X5, Y5)
    assert on_x.value == pytest.approx(base["min_norm"] / c, rel=1e-6)
    assert relu_max_correlation(c * X5, on_x.dual) == pytest.approx(1.0, abs=1e-6)
    assert gauge_relu_features(c * X5, c * Y5) == pytest.approx(base["min_norm"], rel=1e-6)


@pytest.mark.parametrize("c", SCALES)
def test_weight_decay_value_scales_with_labels_and_beta_together(c, base):
    """f(X, c y, c beta) = c^2 f(X, y, beta) and f(a X, y, a beta) = f(X, y, beta), cold and on a path."""
    res = two_layer_relu_convex(X5, c * Y5, beta=0.1 * c)
    assert res.value == pytest.approx(c * c * base["wd"], rel=1e-6)
    assert relu_max_correlation(X5, res.dual) <= 0.1 * c * (1 + 1e-6)
    assert TwoLayerReluPath(X5, c * Y5).solve(0.1 * c).value == pytest.approx(c * c * base["wd"], rel=1e-6)
    assert two_layer_relu_convex(c * X5, Y5, beta=0.1 * c).value == pytest.approx(base["wd"], rel=1e-6)


@pytest.mark.parametrize("c", SCALES)
def test_parallel_three_layer_value_and_network_scale_exactly(c, base):
    """V(a X, c y) = (c / a) V(X, y); the rebuilt network interpolates c y with penalty equal to the value."""
    res = parallel_relu3_value(X4, c * Y4)
    assert res.value == pytest.approx(c * base["relu3"], rel=1e-6)
    assert np.abs(res.predict(X4) - c * Y4).max() <= 1e-6 * c
    assert res.penalty() == pytest.approx(res.value, rel=1e-6)
    assert parallel_relu3_value(c * X4, Y4).value == pytest.approx(base["relu3"] / c, rel=1e-6)


def test_parallel_three_layer_value_survives_data_of_size_1e150(base):
    """Reported: parallel_relu3_value(1e150 X, 1e150 y) claimed that no network interpolates the labels."""
    res = parallel_relu3_value(1e150 * X4, 1e150 * Y4)
    assert res.value == pytest.approx(base["relu3"], rel=1e-6)
    assert np.abs(res.predict(1e150 * X4) - 1e150 * Y4).max() <= 1e-6 * 1e150


@pytest.mark.parametrize("c", SCALES)
def test_group_lasso_master_scales_and_its_dual_stays_feasible(c):
    rng = np.random.default_rng(3)
    Phi, Y = np.abs(rng.standard_normal((5, 9))), rng.standard_normal((5, 2))
    value, Z, Lam = group_lasso_master(Phi, Y)
    v, Zc, Lc = group_lasso_master(c * Phi, c * c * Y)          # value (c^2 / c) value
    assert v == pytest.approx(c * value, rel=1e-6)
    np.testing.assert_allclose(c * Phi @ Zc, c * c * Y, rtol=0, atol=1e-7 * c * c * np.abs(Y).max())
    assert np.sum(Lc * c * c * Y) == pytest.approx(v, rel=1e-6)
    assert np.linalg.norm(Lc.T @ (c * Phi), axis=0).max() <= 1 + 1e-6


@pytest.mark.parametrize("c", [1e-10, 1e10])
def test_column_generation_bounds_and_network_scale_with_the_labels(c, base):
    res = column_generation_parallel_relu(X4, c * Y4, 3, pricing="exact", seed=0)
    assert res.converged and res.lower_bound_certified
    assert res.upper_bound == pytest.approx(c * base["relu3"], rel=1e-6)
    assert res.lower_bound == pytest.approx(c * base["relu3"], rel=1e-6)
    assert res.residual <= 1e-6 * c
    assert relu_network_penalty(res.weights, "parallel", "power") == pytest.approx(res.upper_bound, rel=1e-6)


# --------------------------------------------------------------------------------------------- trainers at scale
@pytest.mark.parametrize("c", SCALES)
def test_min_norm_training_reaches_the_scaled_convex_value(c, base):
    """Reported: 0.1 X, 0.1 y raised "labels may not be reachable" (absolute tolerances)."""
    X, y = ABS
    fit = train_two_layer_min_norm(X, c * y, width=6, n_starts=3, seed=0)
    assert fit.best_objective == pytest.approx(c * base["abs"], rel=1e-5)
    assert fit.residual <= 1e-6 * c
    on_x = train_two_layer_min_norm(c * X, y, width=6, n_starts=3, seed=0)
    assert on_x.best_objective == pytest.approx(base["abs"] / c, rel=1e-5)


@pytest.mark.parametrize("c", SCALES)
def test_weight_decay_training_reaches_the_scaled_convex_value(c, base):
    fit = train_two_layer_weight_decay(X4, c * Y4, width=8, beta=0.1 * c, n_starts=5, seed=0)
    assert fit.best_objective == pytest.approx(c * c * base["abs_wd"], rel=1e-6)
    assert fit.objectives.min() >= c * c * base["abs_wd"] * (1 - 1e-7)


@pytest.mark.parametrize("c", SCALES)
def test_deep_training_value_scales_as_homogeneity_predicts(c):
    """Weight decay, L = 3: P(X, c y) = c^(2/3) P(X, y) = the rank-one closed form at labels c y."""
    cv, a = np.array([2.0, 1.0, -1.0]), np.array([0.5, -1.0])
    X, y = rank_one_data(cv, a), rank_one_labels(cv, 0.8, 1.3)
    fit = train_relu_network(X, c * y, 3, width=3, n_starts=2, seed=0)
    assert fit.objective == pytest.approx(rank_one_relu3_values(cv, a, 0.8 * c, 1.3 * c)[0], rel=1e-6)
    assert fit.residual <= 1e-6 * c
    assert fit.objective == pytest.approx(relu_network_penalty(fit.weights), rel=1e-12)


# ------------------------------------------------------------------------------------------- property tests
scales = st.sampled_from([1e-8, 1e-3, 0.37, 1.0, 7.0, 1e4, 1e9])
signs = st.sampled_from([-1.0, 1.0])


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 10_000), a=scales, c=scales, sign=signs)
def test_two_layer_values_are_homogeneous_in_data_and_labels(seed, a, c, sign):
    X, y = line(5, seed), np.random.default_rng(seed).standard_normal(5)
    v = two_layer_relu_convex(X, y).value
    assert two_layer_relu_convex(a * X, sign * c * y).value == pytest.approx(c / a * v, rel=1e-6)
    assert gauge_relu_features(a * X, sign * c * y) == pytest.approx(c / a * v, rel=1e-6)
    w = two_layer_relu_convex(X, y, beta=0.05).value
    assert two_layer_relu_convex(a * X, sign * c * y, beta=0.05 * a * c).value == pytest.approx(c * c * w, rel=1e-6)


@settings(max_examples=30, deadline=None)
@given(s=scales, k=scales, sign=signs, y1=st.floats(-5, 5), y2=st.floats(-5, 5))
def test_rank_one_closed_forms_are_homogeneous(s, k, sign, y1, y2):
    """X = c a^T -> X with a -> s a, labels -> k y: P(1), D(1) scale by k / s, P and D by (k / s)^(2/3)."""
    c, a = np.array([1.0, 2.0, -1.0, -3.0]), np.array([1.0, 0.5, -0.3])
    P, D = rank_one_relu3_values(c, a, y1, y2)
    Ps, Ds = rank_one_relu3_values(c, s * a, sign * k * y1, sign * k * y2)
    assert Ps == pytest.approx((k / s) ** (2 / 3) * P, rel=1e-12, abs=1e-300)
    assert Ds == pytest.approx((k / s) ** (2 / 3) * D, rel=1e-12, abs=1e-300)
    W = rank_one_relu3_network(c, s * a, sign * k * y1, sign * k * y2)
    y = rank_one_labels(c, sign * k * y1, sign * k * y2)
    np.testing.assert_allclose(relu_network_forward(rank_one_data(c, s * a), W)[:, 0], y,
                               rtol=0, atol=1e-12 * max(np.abs(y).max(), 1e-300))


@settings(max_examples=4, deadline=None)
@given(seed=st.integers(0, 10_000), a=scales, c=scales)
def test_parallel_three_layer_value_is_homogeneous_and_matches_the_rank_one_dual(seed, a, c):
    X, y = line(3, seed), np.random.default_rng(seed).standard_normal(3)
    assert parallel_relu3_value(a * X, c * y).value == pytest.approx(c / a * parallel_relu3_value(X, y).value,
                                                                     rel=1e-6)
    cv, av = np.array([1.0, 2.0, -3.0]), np.array([1.0, 0.5, -0.3])
    res = parallel_relu3_value(rank_one_data(cv, a * av), rank_one_labels(cv, c, -0.5 * c))
    assert res.standard_dual_value == pytest.approx(rank_one_relu3_values(cv, a * av, c, -0.5 * c)[1], rel=1e-6)


@settings(max_examples=5, deadline=None)
@given(perm=st.permutations(range(5)), seed=st.integers(0, 10_000))
def test_values_do_not_depend_on_the_order_of_the_samples(perm, seed, base):
    perm = np.array(perm)
    X, y = line(5, seed), np.random.default_rng(seed).standard_normal(5)
    for kwargs in ({}, {"beta": 0.1}):
        assert two_layer_relu_convex(X[perm], y[perm], **kwargs).value == pytest.approx(
            two_layer_relu_convex(X, y, **kwargs).value, rel=1e-6)
    assert relu_max_correlation(X[perm], y[perm]) == pytest.approx(relu_max_correlation(X, y), rel=1e-12)
    Phi = np.abs(np.random.default_rng(seed).standard_normal((5, 7)))
    assert group_lasso_master(Phi[perm], y[perm])[0] == pytest.approx(group_lasso_master(Phi, y)[0], rel=1e-6)
    c, a = np.array([1.0, 2.0, -1.0, -3.0, 0.5]), np.array([1.0, -2.0])
    assert rank_one_relu3_values(c[perm], a, 1.0, -0.4) == rank_one_relu3_values(c, a, 1.0, -0.4)
    p4 = perm[perm < 4]
    assert parallel_relu3_value(X4[p4], Y4[p4]).value == pytest.approx(base["relu3"], rel=1e-6)


def test_sample_order_does_not_change_the_patterns_found():
    X = line(6, 1)
    perm = np.random.default_rng(0).permutation(6)
    found = {tuple(p[np.argsort(perm)]) for p in hyperplane_patterns(X[perm])}
    assert found == {tuple(p) for p in hyperplane_patterns(X)}


# ------------------------------------------------------------------------------------------- certified solves
def _solved_problem():
    x = cp.Variable(3)
    problem = cp.Problem(cp.Minimize(cp.norm(x, 2)), [cp.sum(x) == 3.0, x >= 0.5])
    solve_problem(problem, "test program", "CLARABEL")
    return problem, x


def test_certify_accepts_a_solved_program_and_returns_its_value():
    problem, _ = _solved_problem()
    assert certify(problem, "test program") == pytest.approx(np.sqrt(3.0), rel=1e-8)


def test_optimal_status_with_violated_constraints_raises_naming_status_and_residual():
    problem, x = _solved_problem()
    x.value = x.value * 1.01                                   # sum(x) = 3.03: residual 0.03
    with pytest.raises(SolverError, match=r"status 'optimal'.*residual 3\.0\d*e-02"):
        certify(problem, "test program")


def test_optimal_status_with_a_wrong_objective_raises():
    x = cp.Variable(2)
    problem = cp.Problem(cp.Minimize(cp.sum_squares(x - 1.0)))
    solve_problem(problem, "unconstrained", "CLARABEL")
    x.value = np.array([2.0, 1.0])
    with pytest.raises(SolverError, match="objective"):
        certify(problem, "unconstrained")


@pytest.mark.parametrize("module, call", [
    (two_layer_module, lambda: two_layer_relu_convex(X5, Y5)),
    (two_layer_module, lambda: TwoLayerReluPath(X5, Y5).solve(0.1)),
    (relu3_module, lambda: parallel_relu3_value(line(3), np.array([1.0, -1.0, 0.5]))),
    (cg_module, lambda: group_lasso_master(np.abs(np.random.default_rng(0).standard_normal((5, 7))), Y5)),
])
def test_every_program_checks_the_solution_behind_an_optimal_status(module, call, monkeypatch):
    """A solver that says "optimal" but returns a perturbed point is caught by the residual check."""
    def corrupting_solve(problem, what, solver, **options):
        solve_problem(problem, what, solver, **options)
        for variable in problem.variables():
            variable.value = variable.value * 1.5 + 0.1
    monkeypatch.setattr(module, "solve_problem", corrupting_solve)
    with pytest.raises(SolverError, match=r"status 'optimal' but its solution violates the constraints"):
        call()


# ------------------------------------------------------------------------------------------- clear errors
def test_max_outer_zero_is_rejected_by_name_not_blamed_on_the_starts():
    for kwargs in ({"max_outer": 0}, {"max_inner": 0}):
        with pytest.raises(ValueError, match=next(iter(kwargs))):
            train_relu_network(X4, Y4, 3, **kwargs)
    with pytest.raises(ValueError, match="max_outer"):
        augmented_lagrangian(lambda x: (0.0, 0 * x), lambda x: (x, lambda v: v), np.ones(2), max_outer=0)


def test_no_interpolating_start_names_the_iteration_budget():
    with pytest.raises(SolverError, match="max_outer=1"):
        train_relu_network(np.array([[1.0], [2.0], [-1.0]]), np.array([1.0, 2.0, 5.0]), 2, width=1, n_starts=2,
                           max_outer=1)


BAD_X = [(X5 + 0j, TypeError, "complex"), (X5 > 0, TypeError, "boolean")]


@pytest.mark.parametrize("bad, error, match", BAD_X)
@pytest.mark.parametrize("call", [
    lambda X: two_layer_relu_convex(X, Y5),
    lambda X: TwoLayerReluPath(X, Y5),
    lambda X: gauge_relu_features(X, Y5),
    lambda X: train_two_layer_min_norm(X, Y5, 3),
    lambda X: train_two_layer_weight_decay(X, Y5, 3, 0.1),
    lambda X: train_relu_network(X, Y5, 3),
    lambda X: parallel_relu3_value(X, Y5),
    lambda X: column_generation_parallel_relu(X, Y5, 3),
    lambda X: group_lasso_master(X, Y5),
    lambda X: hyperplane_patterns(X),
    lambda X: relu_max_correlation(X, Y5),
])
def test_complex_and_boolean_data_are_rejected_naming_the_argument(call, bad, error, match):
    with pytest.raises(error, match=match):
        call(bad)


@pytest.mark.parametrize("call", [
    lambda y: two_layer_relu_convex(X5, y),
    lambda y: train_two_layer_min_norm(X5, y, 3),
    lambda y: parallel_relu3_value(X5, y),
    lambda y: relu_max_correlation(X5, y),
    lambda y: rank_one_relu3_values(y, [1.0, 2.0], 1.0, 1.0),
])
def test_complex_labels_are_rejected(call):
    with pytest.raises(TypeError, match="complex"):
        call(Y5 + 1j)


@pytest.mark.parametrize("call, name", [
    (lambda v: train_two_layer_min_norm(X5, Y5, 3, n_starts=v), "n_starts"),
    (lambda v: train_two_layer_weight_decay(X5, Y5, 3, 0.1, n_starts=v), "n_starts"),
    (lambda v: train_relu_network(X5, Y5, 3, n_starts=v), "n_starts"),
    (lambda v: train_relu_network(X5, Y5, 3, max_outer=v), "max_outer"),
    (lambda v: train_relu_network(X5, Y5, 3, width=v), "width"),
    (lambda v: train_relu_network(X4, Y4, 3, architecture="parallel", n_branches=v), "n_branches"),
    (lambda v: hyperplane_patterns(X5, "sample", n_samples=v), "n_samples"),
    (lambda v: column_generation_parallel_relu(X4, Y4, 3, max_iterations=v), "max_iterations"),
])
@pytest.mark.parametrize("value, error", [(0, ValueError), (-2, ValueError), (2.5, TypeError), (True, TypeError)])
def test_counts_must_be_positive_integers(call, name, error, value):
    with pytest.raises(error, match=name):
        call(value)


@pytest.mark.parametrize("call, name", [
    (lambda: train_two_layer_min_norm(X5, Y5, 3, tol=-1e-9), "tol"),
    (lambda: train_two_layer_min_norm(X5, Y5, 3, jitter=-0.1), "jitter"),
    (lambda: train_relu_network(X5, Y5, 3, tol=-1e-9), "tol"),
    (lambda: train_relu_network(X5, Y5, 3, feasibility_tol=-1e-6), "feasibility_tol"),
    (lambda: column_generation_parallel_relu(X4, Y4, 3, tol=-1e-6), "tol"),
    (lambda: two_layer_relu_convex(X5, Y5).network(tol=-1.0), "tol"),
])
def test_negative_tolerances_are_rejected_by_name(call, name):
    with pytest.raises(ValueError, match=name):
        call()
