"""Tests of the reference two-layer trainers (utils.relu.two_layer_training; book appendix, section 1)."""

import numpy as np
import pytest

from utils import (
    SolverError,
    train_two_layer_min_norm,
    train_two_layer_weight_decay,
    two_layer_forward,
    two_layer_relu_convex,
    two_layer_weight_cost,
    two_layer_weight_decay_objective,
)


@pytest.mark.parametrize("activation", ["relu", "linear"])
@pytest.mark.parametrize("k", [None, 2])
def test_gradient_matches_finite_differences(activation, k):
    rng = np.random.default_rng(0)
    n, d, m = 6, 3, 4
    X = rng.standard_normal((n, d))
    y = rng.standard_normal(n) if k is None else rng.standard_normal((n, k))
    W1 = rng.standard_normal((d, m))
    w2 = rng.standard_normal(m) if k is None else rng.standard_normal((m, k))
    beta = 0.3
    _, g1, g2 = two_layer_weight_decay_objective(X, y, W1, w2, beta, activation)
    assert g1.shape == W1.shape and g2.shape == w2.shape
    h = 1e-6
    for W, g, which in ((W1, g1, 0), (w2, g2, 1)):
        num = np.zeros_like(W)
        for idx in np.ndindex(W.shape):
            E = np.zeros_like(W)
            E[idx] = h
            args_p = (W1 + E, w2) if which == 0 else (W1, w2 + E)
            args_m = (W1 - E, w2) if which == 0 else (W1, w2 - E)
            num[idx] = (two_layer_weight_decay_objective(X, y, *args_p, beta, activation)[0]
                        - two_layer_weight_decay_objective(X, y, *args_m, beta, activation)[0]) / (2 * h)
        np.testing.assert_allclose(g, num, rtol=1e-6, atol=1e-7)


def test_forward_and_cost_follow_the_definitions():
    rng = np.random.default_rng(1)
    X, W1, w2 = rng.standard_normal((5, 3)), rng.standard_normal((3, 4)), rng.standard_normal(4)
    np.testing.assert_allclose(two_layer_forward(X, W1, w2), np.maximum(X @ W1, 0) @ w2)
    np.testing.assert_allclose(two_layer_forward(X, W1, w2, "linear"), X @ W1 @ w2)
    assert two_layer_weight_cost(W1, w2) == pytest.approx(0.5 * (np.sum(W1**2) + np.sum(w2**2)))


def test_linear_min_norm_training_reaches_the_nuclear_norm():
    rng = np.random.default_rng(2)
    X, Y = rng.standard_normal((3, 5)), rng.standard_normal((3, 2))
    res = train_two_layer_min_norm(X, Y, width=4, n_starts=3, seed=0, activation="linear")
    nuclear = np.linalg.norm(np.linalg.pinv(X) @ Y, "nuc")
    assert res.best_objective == pytest.approx(nuclear, rel=1e-6)
    assert res.w2.shape == (4, 2) and res.residual <= 1e-6
    np.testing.assert_allclose(two_layer_forward(X, res.W1, res.w2, "linear"), Y, atol=1e-6)


def test_min_norm_training_is_seeded_and_reports_every_start():
    x = np.linspace(-1, 1, 5)
    X, y = np.c_[x, np.ones(5)], np.abs(x) - 0.5
    a = train_two_layer_min_norm(X, y, width=6, n_starts=3, seed=7)
    b = train_two_layer_min_norm(X, y, width=6, n_starts=3, seed=7)
    np.testing.assert_array_equal(a.objectives, b.objectives)
    assert a.objectives.shape == a.residuals.shape == a.converged.shape == (3,)
    assert a.w2.shape == (6,) and a.W1.shape == (2, 6)
    assert a.best_objective == pytest.approx(two_layer_weight_cost(a.W1, a.w2))
    assert a.best_objective == pytest.approx(two_layer_relu_convex(X, y).value, rel=1e-4)


def test_weight_decay_training_never_beats_the_convex_value():
    x = np.linspace(-1, 1, 5)
    X, y = np.c_[x, np.ones(5)], np.array([0.5, -0.5, 0.2, 0.8, 0.3])
    res = train_two_layer_weight_decay(X, y, width=8, beta=0.1, n_starts=6, seed=0)
    convex = two_layer_relu_convex(X, y, beta=0.1).value
    assert res.objectives.min() >= convex * (1 - 1e-7)
    assert res.best_objective == pytest.approx(convex, rel=1e-5)
    assert res.best_objective == pytest.approx(
        two_layer_weight_decay_objective(X, y, res.W1, res.w2, 0.1)[0])


def test_bad_inputs_are_rejected_clearly():
    rng = np.random.default_rng(3)
    X, y = rng.standard_normal((4, 2)), rng.standard_normal(4)
    W1, w2 = rng.standard_normal((2, 3)), rng.standard_normal(3)
    with pytest.raises(ValueError, match="activation"):
        two_layer_forward(X, W1, w2, activation="tanh")
    with pytest.raises(ValueError, match="W1"):
        two_layer_forward(X, W1.T, w2)
    with pytest.raises(ValueError, match="w2"):
        two_layer_forward(X, W1, np.ones(5))
    with pytest.raises(ValueError, match="output"):
        two_layer_weight_decay_objective(X, y, W1, np.ones((3, 2)), 0.1)
    with pytest.raises(ValueError, match="beta"):
        two_layer_weight_decay_objective(X, y, W1, w2, -1.0)
    with pytest.raises(ValueError, match="rows"):
        train_two_layer_weight_decay(X, y[:3], 3, 0.1)
    with pytest.raises(ValueError, match="beta"):
        train_two_layer_weight_decay(X, y, 3, 0.0)
    for bad, error in ((0, ValueError), (2.5, TypeError), (True, TypeError)):
        with pytest.raises(error, match="width"):
            train_two_layer_min_norm(X, y, bad)
        with pytest.raises(error, match="n_starts"):
            train_two_layer_weight_decay(X, y, 3, 0.1, n_starts=bad)
    with pytest.raises(ValueError, match="NaN"):
        train_two_layer_min_norm(np.full((4, 2), np.nan), y, 3)
    with pytest.raises(TypeError, match="seed"):
        train_two_layer_min_norm(X, y, 3, seed="s")
    with pytest.raises(ValueError, match="range"):
        train_two_layer_min_norm(X, y, 3, activation="linear")   # 4 generic labels, rank(X) = 2
    with pytest.raises(SolverError, match="interpolat"):
        # rank-one data c a^T: labels must be y1 c_+ + y2 c_-, so e_1 cannot be fitted
        train_two_layer_min_norm(np.array([[1.0], [2.0], [-1.0], [-3.0]]), [1.0, 0, 0, 0], 4, n_starts=1)
