"""Tests of utils.relu.parallel_three_layer: the exact value of parallel three-layer ReLU networks.

The SOCP is that of the book's appendix *Derivations and conventions*, section 5.1.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from utils import (
    MAX_SAMPLES_RELU3,
    parallel_relu3_value,
    rank_one_data,
    rank_one_relu3_values,
    relu_network_forward,
    train_relu_network,
    two_layer_relu_convex,
)


def line_data(n, seed=None):
    """1-D inputs with a bias column (rank 2), sorted; evenly spaced when seed is None."""
    if seed is None:
        x = np.linspace(-1.0, 1.0, n)
    else:
        x = np.sort(np.random.default_rng(seed).uniform(-1.0, 1.0, n))
    return np.column_stack([x, np.ones(n)])


@pytest.mark.parametrize("n, seed", [(3, 0), (4, 1), (4, 2), (5, 3)])
def test_rebuilt_network_interpolates_with_penalty_equal_to_value(n, seed):
    X = line_data(n, seed)
    y = np.random.default_rng(10 + seed).standard_normal(n)
    res = parallel_relu3_value(X, y)
    assert res.status == "optimal"
    out = relu_network_forward(X, res.weights, "parallel")[:, 0]
    assert np.max(np.abs(out - y)) <= 1e-6
    assert res.penalty() == pytest.approx(res.value, rel=1e-6)
    assert np.sum(res.branch_values) == pytest.approx(res.value, rel=1e-6)
    for W1, w2, w3 in res.weights:  # balanced for the power penalty
        assert np.linalg.norm(W1) == pytest.approx(np.linalg.norm(w2), rel=1e-9)
        assert np.linalg.norm(W1) == pytest.approx(abs(w3[0]), rel=1e-9)


@pytest.mark.parametrize("y1, y2", [(1.0, -1.0), (1.0, 2.0), (-0.5, -2.0), (2.0, 0.0)])
def test_value_equals_rank_one_closed_form_dual_in_both_sign_cases(y1, y2):
    c = np.array([1.0, 2.0, -1.0, -3.0])
    a = np.array([1.0, 0.5, -0.3])
    X = rank_one_data(c, a)
    y = y1 * np.maximum(c, 0) + y2 * np.maximum(-c, 0)
    res = parallel_relu3_value(X, y)
    primal, dual = rank_one_relu3_values(c, a, y1, y2)
    # D(1) = (|y1| + |y2|) / ||a||, and the dual of the standard network optimised over t is (3/2) D(1)^{2/3}
    assert res.value == pytest.approx((abs(y1) + abs(y2)) / np.linalg.norm(a), rel=1e-6)
    assert res.standard_dual_value == pytest.approx(dual, rel=1e-6)
    assert res.standard_dual_value <= primal * (1 + 1e-9)


def test_value_never_above_two_layer_value():
    # A(1) contains every (X u)_+ (take W1 = u, w2 = 1), so the three-layer gauge is at most the two-layer one
    for seed in range(3):
        X = line_data(5, seed)
        y = np.random.default_rng(20 + seed).standard_normal(5)
        assert parallel_relu3_value(X, y).value <= two_layer_relu_convex(X, y).value * (1 + 1e-7)


@settings(max_examples=6, deadline=None)
@given(seed=st.integers(0, 10_000), scale=st.floats(0.1, 10.0), sx=st.floats(0.2, 5.0))
def test_value_is_homogeneous_and_sign_symmetric(seed, scale, sx):
    rng = np.random.default_rng(seed)
    X = line_data(4)
    X[:, 0] += rng.uniform(-0.2, 0.2, 4)                   # keep the points apart (well conditioned)
    y = rng.standard_normal(4)
    v = parallel_relu3_value(X, y).value
    assert parallel_relu3_value(X, scale * y).value == pytest.approx(scale * v, rel=1e-6)
    assert parallel_relu3_value(X, -y).value == pytest.approx(v, rel=1e-6)
    # phi is homogeneous of degree 1 in X, so scaling the data by sx divides the gauge by sx
    assert parallel_relu3_value(sx * X, y).value == pytest.approx(v / sx, rel=1e-6)


def test_value_never_above_trained_parallel_networks_and_close_on_a_tiny_instance():
    X = line_data(5)                                       # the running example of chapter 07
    y = np.array([1.0, 0.2, -0.6, 0.3, 1.2])
    value = parallel_relu3_value(X, y).value
    fit = train_relu_network(X, y, 3, architecture="parallel", width=3, n_branches=5, penalty="power",
                             n_starts=4, seed=0)
    feasible = fit.objectives[np.isfinite(fit.objectives)]
    assert feasible.size >= 1
    assert np.all(value <= feasible * (1 + 1e-7))
    assert fit.objective == pytest.approx(value, rel=1e-4)


def test_value_below_trained_parallel_networks_on_four_points():
    X = line_data(4)
    y = np.array([1.0, -0.5, 0.8, -1.0])
    value = parallel_relu3_value(X, y).value
    fit = train_relu_network(X, y, 3, architecture="parallel", width=3, n_branches=4, penalty="power",
                             n_starts=3, seed=1)
    assert value <= fit.objective * (1 + 1e-7)


def test_zero_labels_give_zero_value():
    res = parallel_relu3_value(line_data(3), np.zeros(3))
    assert res.value == 0.0 and res.weights == []


def test_rejects_too_many_samples():
    n = MAX_SAMPLES_RELU3 + 1
    with pytest.raises(ValueError, match="at most"):
        parallel_relu3_value(line_data(n), np.ones(n))


def test_rejects_rank_above_two():
    X = np.random.default_rng(0).standard_normal((4, 3))
    with pytest.raises(ValueError, match="rank"):
        parallel_relu3_value(X, np.ones(4))


def test_rejects_labels_no_network_interpolates():
    X = np.array([[1.0, 1.0], [2.0, 2.0], [-1.0, 1.0]])  # row 1 = 2 * row 0, so y_1 must be 2 y_0
    with pytest.raises(ValueError, match="interpolates"):
        parallel_relu3_value(X, np.array([1.0, 1.0, 0.5]))
    X0 = np.array([[0.0, 0.0], [1.0, 1.0], [-1.0, 1.0]])  # a zero row needs a zero label
    with pytest.raises(ValueError, match="interpolates"):
        parallel_relu3_value(X0, np.array([1.0, 1.0, 0.5]))


@pytest.mark.parametrize("X, y, err", [
    (np.ones((3, 2)), np.ones(4), ValueError),           # row mismatch
    (np.ones(3), np.ones(3), ValueError),                # X not 2-D
    ("data", np.ones(3), TypeError),
    (np.ones((3, 2)), "labels", TypeError),
    (np.full((3, 2), np.nan), np.ones(3), ValueError),
    (np.ones((3, 2)), np.ones((3, 2)), ValueError),      # vector labels
])
def test_rejects_bad_input(X, y, err):
    with pytest.raises(err):
        parallel_relu3_value(X, y)
