"""Tests of utils.relu.column_generation: bounds for parallel deep ReLU networks (book appendix, section 6.1)."""

import cvxpy as cp
import numpy as np
import pytest

from utils import (
    column_generation_parallel_relu,
    group_lasso_master,
    parallel_relu3_value,
    relu_network_forward,
    relu_network_penalty,
)
from utils.relu._cg_pricing import (
    _ascent,
    _ExactPricing,
    _features,
    _random_branch,
    _smoothed_value_and_grad,
)


def line_data(n):
    x = np.linspace(-1.0, 1.0, n)
    return np.column_stack([x, np.ones(n)])


X4 = line_data(4)
Y4 = np.array([1.0, -0.5, 0.8, -1.0])


@pytest.fixture(scope="module")
def exact_value():
    return parallel_relu3_value(X4, Y4).value


@pytest.fixture(scope="module")
def exact_run():
    return column_generation_parallel_relu(X4, Y4, 3, pricing="exact", seed=0)


def test_exact_pricing_bounds_sandwich_the_socp_value(exact_run, exact_value):
    res = exact_run
    assert res.lower_bound_certified and res.pricing == "exact" and res.converged
    ub, lb = res.upper_bounds, res.lower_bounds
    assert np.all(np.diff(ub) <= 1e-7 * ub[:-1])            # the dictionary only grows
    assert np.all(ub >= exact_value * (1 - 1e-7))
    assert np.all(lb <= exact_value * (1 + 1e-7))
    assert res.upper_bound == pytest.approx(exact_value, rel=1e-6)
    assert res.lower_bound == pytest.approx(exact_value, rel=1e-6)
    assert res.lower_bound == np.nanmax(lb)                 # certified bounds: the best one counts


def test_final_network_interpolates_with_penalty_equal_to_upper_bound(exact_run):
    res = exact_run
    out = relu_network_forward(X4, res.weights, "parallel")[:, 0]
    assert np.max(np.abs(out - Y4)) <= 1e-6 and res.residual <= 1e-6
    assert relu_network_penalty(res.weights, "parallel", "power") == pytest.approx(res.upper_bound, rel=1e-6)


def test_gradient_pricing_gives_valid_upper_bounds_and_estimated_lower_bounds(exact_value):
    res = column_generation_parallel_relu(X4, Y4, 3, pricing="gradient", seed=0, max_iterations=12)
    assert not res.lower_bound_certified and res.pricing == "gradient"
    ub = res.upper_bounds
    assert np.all(np.diff(ub) <= 1e-7 * ub[:-1])
    assert np.all(ub >= exact_value * (1 - 1e-7))
    assert res.residual <= 1e-6
    assert res.penalty == pytest.approx(ub[-1], rel=1e-6)
    estimates = res.lower_bounds[np.isfinite(res.lower_bounds)]
    assert res.lower_bound == estimates[-1]                # an estimate: the last one, not the largest
    finite = np.isfinite(res.lower_bounds)                 # each estimate <= the same iteration's master value
    assert np.all(res.lower_bounds[finite] <= ub[finite] * (1 + 1e-6))


def test_vector_output_deep_network_is_balanced_and_interpolates():
    X = line_data(4)
    Y = np.column_stack([np.sin(3 * X[:, 0]), np.cos(2 * X[:, 0])])
    res = column_generation_parallel_relu(X, Y, 4, width=3, seed=1, max_iterations=6, n_pricing_starts=8,
                                          pricing_steps=30)
    assert not res.lower_bound_certified
    assert np.all(np.diff(res.upper_bounds) <= 1e-7 * res.upper_bounds[:-1])
    assert np.max(np.abs(relu_network_forward(X, res.weights, "parallel") - Y)) <= 1e-6
    assert res.penalty == pytest.approx(res.upper_bounds[-1], rel=1e-6)
    for branch in res.weights:
        norms = [np.linalg.norm(W) for W in branch]
        assert len(branch) == 4 and np.allclose(norms, norms[0], rtol=1e-9)


def test_group_lasso_master_dual_is_feasible_and_tight():
    rng = np.random.default_rng(3)
    Phi = np.abs(rng.standard_normal((5, 9)))
    Y = rng.standard_normal((5, 2))
    value, Z, Lam = group_lasso_master(Phi, Y)
    assert np.allclose(Phi @ Z, Y, atol=1e-7)
    assert np.sum(np.linalg.norm(Z, axis=1)) == pytest.approx(value, rel=1e-6)
    assert np.sum(Lam * Y) == pytest.approx(value, rel=1e-6)
    assert np.linalg.norm(Lam.T @ Phi, axis=0).max() <= 1 + 1e-6
    # the dual solved on its own (SCS, a different algorithm) has the same value
    L = cp.Variable((5, 2))
    dual = cp.Problem(cp.Maximize(cp.sum(cp.multiply(L, Y))), [cp.norm(L.T @ Phi, 2, axis=0) <= 1])
    dual.solve(solver="SCS", eps=1e-9)
    assert dual.value == pytest.approx(value, rel=1e-4)


def test_exact_pricing_bounds_every_ascent_value():
    rng = np.random.default_rng(4)
    lam = rng.standard_normal(4)
    values, branches = _ExactPricing(X4)(lam)
    starts = [_random_branch(rng, 2, [3]) for _ in range(16)]
    _, ascent_values = _ascent(X4, lam[:, None], starts, 40)
    assert ascent_values.max() <= values.max() * (1 + 1e-6)
    assert ascent_values.max() >= 0.95 * values.max()     # the smoothed ascent gets close here
    best = branches[int(np.argmax(values))]               # the maximiser's branch attains the value
    assert abs(lam @ _features(X4, [best])[:, 0]) == pytest.approx(values.max(), rel=1e-5)


def test_smoothed_pricing_gradient_matches_finite_differences():
    rng = np.random.default_rng(5)
    X = rng.standard_normal((5, 3))
    Lam = rng.standard_normal((5, 2))
    params = [rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 4, 3)), rng.standard_normal((2, 3))]
    beta = np.array([2.0, 5.0])
    f, grads = _smoothed_value_and_grad(X, Lam, params, beta)
    h = 1e-6
    for i, p in enumerate(params):
        for idx in [tuple(rng.integers(0, s) for s in p.shape) for _ in range(4)]:
            up = [q.copy() for q in params]
            dn = [q.copy() for q in params]
            up[i][idx] += h
            dn[i][idx] -= h
            j = idx[0]
            fd = (_smoothed_value_and_grad(X, Lam, up, beta)[0][j] - _smoothed_value_and_grad(X, Lam, dn, beta)[0][j])
            assert grads[i][idx] == pytest.approx(fd / (2 * h), rel=1e-5, abs=1e-8)


@pytest.mark.parametrize("kwargs, err, match", [
    (dict(L=2), ValueError, "at least 3"),
    (dict(L=3.5), TypeError, "integer"),
    (dict(L=4, pricing="exact"), ValueError, "exact pricing"),
    (dict(L=3, pricing="best"), ValueError, "pricing"),
    (dict(L=4, width=[3, 3, 3]), ValueError, "width"),
    (dict(L=3, width=0), ValueError, "width"),
    (dict(L=3, max_iterations=0), ValueError, "max_iterations"),
    (dict(L=3, tol=-1.0), ValueError, "tol"),
])
def test_rejects_bad_arguments(kwargs, err, match):
    with pytest.raises(err, match=match):
        column_generation_parallel_relu(X4, Y4, **kwargs)


def test_rejects_bad_data():
    with pytest.raises(ValueError):
        column_generation_parallel_relu(X4, np.ones(5), 3)
    with pytest.raises(TypeError):
        column_generation_parallel_relu("X", Y4, 3)
    with pytest.raises(ValueError, match="zero"):
        column_generation_parallel_relu(X4, np.zeros(4), 3)
    X0 = X4.copy()
    X0[0] = 0.0                                            # a zero row with a non-zero label
    with pytest.raises(ValueError, match="interpolate"):
        column_generation_parallel_relu(X0, Y4, 4, n_initial_branches=4)
    with pytest.raises(ValueError, match="span"):
        group_lasso_master(np.ones((3, 2)), np.array([1.0, 2.0, 3.0]))
