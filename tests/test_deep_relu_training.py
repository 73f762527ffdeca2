"""Reference trainers for standard and parallel deep ReLU networks (utils.relu.deep_training)."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from utils import (
    SolverError,
    random_relu_network,
    rank_one_data,
    rank_one_labels,
    relu_network_forward,
    relu_network_penalty,
    relu_network_penalty_and_grad,
    relu_network_residual_and_vjp,
    train_relu_network,
)


def _leaves(weights, architecture):
    return list(weights) if architecture == "standard" else [a for br in weights for a in br]


def _flat(weights, architecture):
    return np.concatenate([np.ravel(a) for a in _leaves(weights, architecture)])


def _with_flat(weights, architecture, x):
    w = copy.deepcopy(weights)
    i = 0
    for a in _leaves(w, architecture):
        a[...] = x[i:i + a.size].reshape(a.shape)
        i += a.size
    return w


def _central_differences(fun, weights, architecture, h=1e-6):
    x = _flat(weights, architecture)
    g = np.zeros_like(x)
    for i in range(x.size):
        e = np.zeros_like(x)
        e[i] = h
        g[i] = (fun(_with_flat(weights, architecture, x + e)) - fun(_with_flat(weights, architecture, x - e))) / (2 * h)
    return g


@pytest.fixture
def data():
    rng = np.random.default_rng(7)
    return rng.standard_normal((5, 3)), rng.standard_normal((5, 2))


CASES = [("standard", 3), ("standard", 4), ("parallel", 3), ("parallel", 4), ("standard", 2), ("parallel", 2)]


@pytest.mark.parametrize("architecture,L", CASES)
def test_backpropagated_residual_gradient_matches_central_differences(data, architecture, L):
    X, Y = data
    W = random_relu_network(X, Y, L, architecture=architecture, width=3,
                            n_branches=3 if architecture == "parallel" else None, seed=11)
    R, vjp = relu_network_residual_and_vjp(X, Y, W, architecture)
    V = np.random.default_rng(3).standard_normal(R.shape)
    analytic = _flat(vjp(V), architecture)
    numeric = _central_differences(
        lambda w: float(np.sum(V * relu_network_residual_and_vjp(X, Y, w, architecture)[0])), W, architecture)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("penalty", ["weight_decay", "power"])
@pytest.mark.parametrize("architecture,L", CASES)
def test_penalty_gradient_matches_central_differences(data, architecture, L, penalty):
    X, Y = data
    W = random_relu_network(X, Y, L, architecture=architecture, width=3,
                            n_branches=3 if architecture == "parallel" else None, seed=5)
    _, grad = relu_network_penalty_and_grad(W, architecture, penalty)
    numeric = _central_differences(lambda w: relu_network_penalty(w, architecture, penalty), W, architecture)
    np.testing.assert_allclose(_flat(grad, architecture), numeric, rtol=1e-6, atol=1e-7)


def test_forward_and_penalty_follow_the_definitions_for_three_layers(data):
    X, Y = data
    rng = np.random.default_rng(0)
    W1, W2, W3 = rng.standard_normal((3, 4)), rng.standard_normal((4, 3)), rng.standard_normal((3, 2))
    expected = np.maximum(np.maximum(X @ W1, 0) @ W2, 0) @ W3
    np.testing.assert_allclose(relu_network_forward(X, [W1, W2, W3]), expected, rtol=1e-14)
    assert relu_network_penalty([W1, W2, W3]) == pytest.approx(0.5 * sum(np.sum(W ** 2) for W in (W1, W2, W3)))
    assert relu_network_penalty([W1, W2, W3], penalty="power") == pytest.approx(
        sum(np.linalg.norm(W) ** 3 for W in (W1, W2, W3)) / 3)
    branches = [[rng.standard_normal((3, 4)), rng.standard_normal(4), rng.standard_normal(2)] for _ in range(3)]
    expected = sum(np.maximum(np.maximum(X @ B1, 0) @ b2, 0)[:, None] * b3[None, :] for B1, b2, b3 in branches)
    np.testing.assert_allclose(relu_network_forward(X, branches, "parallel"), expected, rtol=1e-13)
    assert relu_network_penalty(branches, "parallel", "power") == pytest.approx(
        sum(np.linalg.norm(a) ** 3 for br in branches for a in br) / 3)


@pytest.fixture
def wide_data():
    rng = np.random.default_rng(8)
    return rng.standard_normal((4, 5)), rng.standard_normal((4, 2))


@pytest.mark.parametrize("architecture", ["standard", "parallel"])
def test_trained_network_interpolates_and_reports_its_own_penalty(wide_data, architecture):
    X, Y = wide_data
    kw = dict(n_branches=5, width=2, penalty="power") if architecture == "parallel" else dict(width=5)
    fit = train_relu_network(X, Y, 3, architecture=architecture, n_starts=2, seed=1, **kw)
    out = relu_network_forward(X, fit.weights, architecture)
    assert np.abs(out - Y).max() == pytest.approx(fit.residual, abs=1e-12)
    assert fit.residual <= 1e-6
    assert fit.objective == pytest.approx(relu_network_penalty(fit.weights, architecture, fit.penalty), rel=1e-12)
    assert fit.objective == pytest.approx(np.nanmin(fit.objectives), rel=1e-12)
    assert fit.objectives.shape == fit.residuals.shape == (2,)


def test_training_is_reproducible_for_a_fixed_seed(wide_data):
    X, Y = wide_data
    a = train_relu_network(X, Y[:, 0], 3, width=4, n_starts=2, seed=4)
    b = train_relu_network(X, Y[:, 0], 3, width=4, n_starts=2, seed=4)
    assert a.objective == b.objective
    np.testing.assert_array_equal(a.weights[0], b.weights[0])


def test_value_scales_with_the_data_as_homogeneity_predicts():
    """Weight decay, depth L: P(s X, t Y) = (t / s)^(2/L) P(X, Y); the rank-one value is known exactly."""
    c, a, y1, y2 = np.array([2.0, 1.0, -1.0]), np.array([0.5, -1.0]), 0.8, 1.3
    X, y = rank_one_data(c, a), rank_one_labels(c, y1, y2)
    base = train_relu_network(X, y, 3, width=3, n_starts=2, seed=0).objective
    scaled = train_relu_network(10.0 * X, 0.1 * y, 3, width=3, n_starts=2, seed=0).objective
    assert scaled == pytest.approx(0.01 ** (2 / 3) * base, rel=1e-6)


def test_zero_labels_give_the_zero_network(wide_data):
    X, _ = wide_data
    fit = train_relu_network(X, np.zeros(4), 3, width=3)
    assert fit.objective == 0.0 and fit.residual == 0.0


def test_two_layer_network_on_rank_one_data_reaches_the_gauge_value():
    """L = 2: the features (X u)_+ are s_+ c_+ + s_- c_-, |s| <= ||a||, so the min-norm value is
    (|y1| + |y2|) / ||a|| (book appendix, section 1.7: the gauge of C at y)."""
    c, a, y1, y2 = np.array([1.0, 2.0, -1.0, -3.0]), np.array([1.0, 0.5, -0.3]), 1.5, -0.7
    fit = train_relu_network(rank_one_data(c, a), rank_one_labels(c, y1, y2), 2, width=3, n_starts=3, seed=0)
    assert fit.objective == pytest.approx((abs(y1) + abs(y2)) / np.linalg.norm(a), rel=1e-6)


def test_labels_that_no_network_can_fit_raise_solver_error():
    """Width one, two layers: f(x) = (w1 x)_+ w2 is zero on one side of the origin, so it cannot fit
    labels that are non-zero on both sides."""
    X, y = np.array([[1.0], [2.0], [-1.0]]), np.array([1.0, 2.0, 5.0])
    with pytest.raises(SolverError, match="none of the 2 starts"):
        train_relu_network(X, y, 2, width=1, n_starts=2, max_outer=4)


@pytest.mark.parametrize("X,y,match", [
    (np.array([[1.0, 0.0], [0.0, 0.0]]), np.array([1.0, 1.0]), "row 1 is zero"),
    (np.array([[1.0, 1.0], [2.0, 2.0]]), np.array([1.0, 1.0]), "same direction"),
])
def test_labels_contradicting_positive_homogeneity_are_rejected(X, y, match):
    with pytest.raises(ValueError, match=match):
        train_relu_network(X, y, 3)


@pytest.mark.parametrize("kwargs,error,match", [
    (dict(architecture="resnet"), ValueError, "architecture"),
    (dict(penalty="l1"), ValueError, "penalty"),
    (dict(width=[3]), ValueError, "2 hidden widths"),
    (dict(width=0), ValueError, "width must be at least 1"),
    (dict(width=2.5), TypeError, "width must be an integer"),
    (dict(max_outer=0), ValueError, "max_outer"),
    (dict(n_branches=3), ValueError, "parallel' only"),
    (dict(architecture="parallel", n_branches=0), ValueError, "n_branches"),
    (dict(n_starts=0), ValueError, "n_starts"),
    (dict(tol=-1.0), ValueError, "tol"),
    (dict(seed="a"), TypeError, "seed"),
])
def test_bad_training_options_are_rejected(data, kwargs, error, match):
    X, Y = data
    with pytest.raises(error, match=match):
        train_relu_network(X, Y, 3, **kwargs)


@pytest.mark.parametrize("X,Y,L,error,match", [
    (np.ones((3, 2)), np.ones((4, 1)), 3, ValueError, "rows"),
    (np.array([[np.nan, 1.0]]), np.ones(1), 3, ValueError, "NaN"),
    ("X", np.ones(1), 3, TypeError, "X"),
    (np.ones((3, 2)), np.ones(3), 1, ValueError, "at least 2"),
    (np.ones((3, 2)), np.ones(3), 2.5, TypeError, "integer"),
])
def test_bad_data_or_depth_is_rejected(X, Y, L, error, match):
    with pytest.raises(error, match=match):
        train_relu_network(X, Y, L)


def test_malformed_weights_are_rejected(data):
    X, _ = data
    with pytest.raises(ValueError, match="consecutive layers"):
        relu_network_forward(X, [np.ones((3, 4)), np.ones((5, 1))])
    with pytest.raises(ValueError, match="first layer expects"):
        relu_network_forward(X, [np.ones((2, 4)), np.ones((4, 1))])
    with pytest.raises(ValueError, match="same layer shapes"):
        relu_network_forward(X, [[np.ones((3, 2)), np.ones(2), np.ones(1)],
                                 [np.ones((3, 4)), np.ones(4), np.ones(1)]], "parallel")
    with pytest.raises(TypeError, match="branch"):
        relu_network_forward(X, [np.ones((3, 2))], "parallel")
    with pytest.raises(TypeError, match="non-empty list"):
        relu_network_forward(X, np.ones((3, 2)))
    with pytest.raises(ValueError, match="penalty"):
        relu_network_penalty([np.ones((3, 2)), np.ones((2, 1))], penalty="l2")
