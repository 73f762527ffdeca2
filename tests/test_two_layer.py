"""Tests of the exact convex program of two-layer ReLU networks (utils.relu.two_layer).

The program is that of the book's appendix *Derivations and conventions*, section 1.5.
"""

import cvxpy as cp
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from utils import (
    SolverError,
    TwoLayerReluPath,
    arrangement_cells_2d,
    gauge_relu_features,
    hyperplane_patterns,
    relu_gauge_constraints,
    relu_max_correlation,
    train_two_layer_min_norm,
    train_two_layer_weight_decay,
    two_layer_forward,
    two_layer_relu_convex,
    two_layer_weight_cost,
    two_layer_weight_decay_objective,
)


def one_d_with_bias(n, seed):
    """1-D inputs on [-1, 1] with a bias column, smooth noisy labels (rank(X) = 2)."""
    rng = np.random.default_rng(seed)
    x = np.linspace(-1, 1, n) + 0.1 * rng.uniform(-1, 1, n)
    return np.c_[x, np.ones(n)], np.sin(3 * x) + 0.3 * rng.standard_normal(n)


# a 1-D-with-bias instance on which multi-start min-norm training reaches the convex optimum
FIXED = (np.c_[np.linspace(-1, 1, 5), np.ones(5)], np.array([0.5, -0.5, 0.2, 0.8, 0.3]))


def rank_two_in_3d(n, seed):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, 2)) @ rng.standard_normal((2, 3))


# ---------------------------------------------------------------------------------------------- patterns
@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("make", ["1d_bias", "rank2_3d", "rank1", "with_zero_and_opposite_rows"])
def test_exact_patterns_equal_brute_force_sampling(make, seed):
    rng = np.random.default_rng(seed)
    if make == "1d_bias":
        X = one_d_with_bias(7, seed)[0]
    elif make == "rank2_3d":
        X = rank_two_in_3d(6, seed)
    elif make == "rank1":
        X = np.outer(rng.standard_normal(5), rng.standard_normal(3))
    else:
        X = rng.standard_normal((5, 2))
        X = np.vstack([X, -2.0 * X[0], np.zeros(2)])       # an opposite row and a zero row
    for include_zero in (False, True):
        exact = hyperplane_patterns(X, include_zero=include_zero)
        sampled = hyperplane_patterns(X, "sample", n_samples=100_000, seed=seed, include_zero=include_zero)
        assert exact.dtype == bool and exact.shape[1] == X.shape[0]
        np.testing.assert_array_equal(exact, sampled)


@settings(max_examples=15, deadline=None)
@given(st.lists(st.floats(-5, 5, allow_nan=False), min_size=2, max_size=9, unique=True))
def test_one_d_with_bias_has_2n_cells(xs):
    x = np.array(xs)
    assume(np.min(np.diff(np.sort(x))) >= 1e-3)
    X = np.c_[x, np.ones_like(x)]
    assert hyperplane_patterns(X, include_zero=True).shape == (2 * len(x), len(x))
    assert hyperplane_patterns(X).shape == (2 * len(x) - 1, len(x))   # the all-inactive cell dropped


def test_patterns_are_sorted_distinct_and_deterministic():
    X = rank_two_in_3d(6, 3)
    a = hyperplane_patterns(X, "sample", n_samples=500, seed=4)
    b = hyperplane_patterns(X, "sample", n_samples=500, seed=4)
    np.testing.assert_array_equal(a, b)
    assert len(np.unique(a, axis=0)) == len(a)
    np.testing.assert_array_equal(np.unique(a, axis=0), a)


def test_zero_data_has_one_all_active_pattern():
    np.testing.assert_array_equal(hyperplane_patterns(np.zeros((3, 2))), np.ones((1, 3), dtype=bool))


def test_arrangement_cells_2d_patterns_match_exact_enumeration():
    X = np.random.default_rng(5).standard_normal((5, 2))
    crit, mids, pats = arrangement_cells_2d(X)
    assert len(crit) == len(mids) == len(pats) == 10
    assert np.all(np.diff(crit) > 0)
    np.testing.assert_array_equal(np.unique(pats[pats.any(axis=1)], axis=0), hyperplane_patterns(X))


# ---------------------------------------------------------------------------------------------- convex program
@pytest.fixture(scope="module")
def instance():
    X, y = one_d_with_bias(6, 1)
    return X, y, two_layer_relu_convex(X, y)


def test_convex_value_equals_best_trained_network():
    X, y = FIXED
    res = two_layer_relu_convex(X, y)
    trained = train_two_layer_min_norm(X, y, width=6, n_starts=10, seed=0)
    feasible = trained.objectives[trained.residuals <= 1e-6]
    assert feasible.min() >= res.value * (1 - 1e-6)                 # no run beats the convex optimum
    assert trained.best_objective == pytest.approx(res.value, rel=1e-4)


def test_rebuilt_network_interpolates_with_cost_equal_to_value(instance):
    X, y, res = instance
    assert res.status == "optimal"
    assert res.v.shape == res.w.shape == (len(res.patterns), 2)
    for prune in (False, True):
        W1, w2 = res.network(prune=prune)
        assert W1.shape == (2, w2.size)
        np.testing.assert_allclose(two_layer_forward(X, W1, w2), y, atol=1e-8)
        assert two_layer_weight_cost(W1, w2) == pytest.approx(res.value, rel=1e-6)
    assert res.network(prune=True)[1].size <= min(res.n_neurons, len(y) + 1)
    np.testing.assert_allclose(res.predict(X), y, atol=1e-8)


def test_pruning_keeps_at_most_n_plus_one_neurons():
    X, y = one_d_with_bias(8, 7)
    res = two_layer_relu_convex(X, y)
    W1, w2 = res.network(prune=True)
    assert w2.size <= len(y) + 1
    np.testing.assert_allclose(two_layer_forward(X, W1, w2), y, atol=1e-8)


def test_sampled_patterns_give_an_upper_bound_and_the_full_set_gives_the_value():
    """Subsets of the patterns give upper bounds, decreasing as patterns are added. The subsets are built to be
    feasible: the "suffix" patterns 1[x >= x_j] (sorted x) alone interpolate any labels, since D_j X (0, 1)
    is the indicator of a suffix and the suffix indicators span R^n."""
    X, y = one_d_with_bias(7, 2)
    exact = two_layer_relu_convex(X, y).value
    order = np.argsort(X[:, 0])
    suffixes = np.array([(X[:, 0] >= X[order[j], 0]) for j in range(len(y))])
    assert set(map(tuple, suffixes)) <= set(map(tuple, hyperplane_patterns(X)))
    previous = two_layer_relu_convex(X, y, patterns=suffixes).value
    assert previous > exact * (1 + 1e-3)                   # the suffixes alone are strictly worse here
    for m in (4, 6, 12):
        sampled = hyperplane_patterns(X, "sample", n_samples=m, seed=1)
        pats = np.unique(np.vstack([suffixes, sampled]), axis=0)
        bound = two_layer_relu_convex(X, y, patterns=pats).value
        assert exact * (1 - 1e-7) <= bound <= previous * (1 + 1e-7)
        suffixes, previous = pats, bound
    many = two_layer_relu_convex(X, y, patterns=hyperplane_patterns(X, "sample", n_samples=20000, seed=1))
    assert many.value == pytest.approx(exact, rel=1e-7)


def test_convex_program_on_trained_patterns_is_no_worse_than_the_trained_network():
    X, y = FIXED
    trained = train_two_layer_min_norm(X, y, width=6, n_starts=3, seed=1)
    pats = (X @ trained.W1 >= 0).T
    assert two_layer_relu_convex(X, y, patterns=pats).value <= trained.best_objective * (1 + 1e-6)


def test_weight_decay_value_equals_trained_network_and_rebuilt_objective():
    X, y = one_d_with_bias(6, 4)
    beta = 0.05
    res = two_layer_relu_convex(X, y, beta=beta)
    W1, w2 = res.network()
    assert two_layer_weight_decay_objective(X, y, W1, w2, beta)[0] == pytest.approx(res.value, rel=1e-6)
    trained = train_two_layer_weight_decay(X, y, width=8, beta=beta, n_starts=6, seed=0)
    assert trained.best_objective >= res.value * (1 - 1e-7)
    assert trained.best_objective == pytest.approx(res.value, rel=1e-5)


def test_path_resolve_equals_cold_solve():
    X, y = one_d_with_bias(7, 5)
    path = TwoLayerReluPath(X, y)
    for beta in (1.0, 0.1, 0.01, 0.1):
        warm, cold = path.solve(beta), two_layer_relu_convex(X, y, beta=beta)
        assert warm.value == pytest.approx(cold.value, rel=1e-6, abs=1e-8)
        np.testing.assert_allclose(warm.fitted, cold.fitted, atol=1e-6)
        assert warm.beta == beta


def test_gauge_is_homogeneous_zero_at_zero_and_infinite_off_span():
    X, y = one_d_with_bias(5, 6)
    g = gauge_relu_features(X, y)
    assert g == pytest.approx(two_layer_relu_convex(X, y).value)
    assert gauge_relu_features(X, 2.5 * y) == pytest.approx(2.5 * g, rel=1e-6)
    assert gauge_relu_features(X, np.zeros(5)) == 0.0
    c = np.array([1.0, 2.0, -1.0, -3.0])
    assert gauge_relu_features(c[:, None], np.array([1.0, 0.0, 0.0, 0.0])) == np.inf


def test_gauge_pieces_embed_in_a_larger_program():
    """min_p gamma(p) + gamma(y - p) = gamma(y) (a gauge is sublinear): two gauges in one SOCP."""
    X, y = one_d_with_bias(5, 8)
    pats = hyperplane_patterns(X)
    p = cp.Variable(5)
    obj1, cons1, (V1, _) = relu_gauge_constraints(X, pats, p)
    obj2, cons2, _ = relu_gauge_constraints(X, pats, y - p)
    assert V1.shape == (2, len(pats))
    prob = cp.Problem(cp.Minimize(obj1 + obj2), cons1 + cons2)
    prob.solve(solver="CLARABEL")
    assert prob.status == "optimal"
    assert prob.value == pytest.approx(gauge_relu_features(X, y), rel=1e-6)


@pytest.mark.parametrize("seed", [0, 1])
def test_max_correlation_matches_a_dense_search(seed):
    rng = np.random.default_rng(seed)
    X, z = rank_two_in_3d(6, seed), rng.standard_normal(6)
    G = rng.standard_normal((3, 200_000))
    G /= np.linalg.norm(G, axis=0)
    brute = np.abs(z @ np.maximum(X @ G, 0)).max()
    assert brute <= relu_max_correlation(X, z) * (1 + 1e-12)
    assert relu_max_correlation(X, z) == pytest.approx(brute, rel=1e-3)
    Xr = np.outer(rng.standard_normal(6), rng.standard_normal(3))
    assert relu_max_correlation(Xr, z) == pytest.approx(np.abs(z @ np.maximum(Xr @ G, 0)).max(), rel=1e-3)
    assert relu_max_correlation(np.zeros((6, 2)), z) == 0.0


def test_dual_solution_certifies_strong_duality():
    """lambda^T y = P2 and max_u |lambda^T (X u)_+| = 1: the dual D2 is attained at the same value."""
    X, y = one_d_with_bias(7, 9)
    res = two_layer_relu_convex(X, y)
    assert res.dual @ y == pytest.approx(res.value, rel=1e-7)
    assert relu_max_correlation(X, res.dual) == pytest.approx(1.0, abs=1e-6)
    beta = 0.2
    res_b = two_layer_relu_convex(X, y, beta=beta)
    assert relu_max_correlation(X, res_b.dual) <= beta * (1 + 1e-6)
    big = relu_max_correlation(X, y)                 # beyond this beta the zero network is optimal
    assert np.abs(two_layer_relu_convex(X, y, beta=1.01 * big).fitted).max() < 1e-6
    assert np.abs(two_layer_relu_convex(X, y, beta=0.9 * big).fitted).max() > 1e-3


# ---------------------------------------------------------------------------------------------- bad input
def test_bad_inputs_are_rejected_clearly():
    X, y = one_d_with_bias(5, 0)
    pats = hyperplane_patterns(X)
    with pytest.raises(ValueError, match="rank"):
        hyperplane_patterns(np.random.default_rng(0).standard_normal((5, 3)))
    with pytest.raises(ValueError, match="method"):
        hyperplane_patterns(X, method="all")
    with pytest.raises(ValueError, match="n_samples"):
        hyperplane_patterns(X, "sample")
    for bad, error in ((0, ValueError), (-3, ValueError), (2.5, TypeError), (True, TypeError)):
        with pytest.raises(error, match="n_samples"):
            hyperplane_patterns(X, "sample", n_samples=bad)
    with pytest.raises(TypeError, match="seed"):
        hyperplane_patterns(X, "sample", n_samples=3, seed="a")
    with pytest.raises(ValueError, match="NaN"):
        hyperplane_patterns(np.array([[np.nan, 1.0]]))
    with pytest.raises(TypeError):
        hyperplane_patterns("X")
    with pytest.raises(ValueError, match="rows"):
        two_layer_relu_convex(X, y[:4])
    with pytest.raises(ValueError, match="1-D"):
        two_layer_relu_convex(X, np.ones((5, 2)))
    with pytest.raises(ValueError, match="rank"):
        two_layer_relu_convex(np.random.default_rng(0).standard_normal((5, 3)), y)
    with pytest.raises(ValueError, match="shape"):
        two_layer_relu_convex(X, y, patterns=pats[:, :3])
    with pytest.raises(ValueError, match="0/1"):
        two_layer_relu_convex(X, y, patterns=2 * pats.astype(int))
    with pytest.raises(ValueError, match="shape"):
        two_layer_relu_convex(X, y, patterns=np.zeros((0, 5), dtype=bool))
    with pytest.raises(TypeError):
        two_layer_relu_convex(X, y, patterns="sampled")
    for beta in (0.0, -1.0, np.inf):
        with pytest.raises(ValueError, match="beta"):
            two_layer_relu_convex(X, y, beta=beta)
    with pytest.raises(TypeError, match="beta"):
        two_layer_relu_convex(X, y, beta="1")
    with pytest.raises(SolverError, match="NO_SUCH_SOLVER"):
        two_layer_relu_convex(X, y, solver="NO_SUCH_SOLVER")
    c = np.array([[1.0], [2.0], [-1.0], [-3.0]])
    with pytest.raises(ValueError, match="cannot be interpolated"):
        two_layer_relu_convex(c, np.array([1.0, 0.0, 0.0, 0.0]))
    with pytest.raises(ValueError, match="cannot be interpolated"):
        two_layer_relu_convex(X, y, patterns=pats[:1])
    res = two_layer_relu_convex(X, y)
    with pytest.raises(ValueError, match="tol"):
        res.network(tol=-1.0)
    with pytest.raises(ValueError, match="columns"):
        res.predict(np.ones((3, 3)))
    with pytest.raises(ValueError, match="beta"):
        TwoLayerReluPath(X, y).solve(0.0)
    with pytest.raises(ValueError, match="d = 2"):
        arrangement_cells_2d(np.ones((3, 3)))
    with pytest.raises(ValueError, match="shape"):
        relu_gauge_constraints(X, pats, cp.Variable(4))
    with pytest.raises(ValueError, match="rank"):
        relu_max_correlation(np.random.default_rng(0).standard_normal((5, 3)), y)
    with pytest.raises(ValueError, match="length"):
        relu_max_correlation(X, y[:3])


# ---------------------------------------------------------------------------------------------- exercise checks
@pytest.mark.parametrize("exercise_id", ["01.2", "01.3", "01.4"])
def test_chapter_01_checks_accept_the_answer_and_reject_a_wrong_one(exercise_id, capsys):
    from utils import check_exercise
    from utils.course.checks import ch01

    answer = getattr(ch01, "_answer_" + exercise_id.replace(".", "_"))()
    assert check_exercise(exercise_id, answer)
    assert not check_exercise(exercise_id, answer * 1.1 + 1)
    assert not check_exercise(exercise_id, None)
    assert "not answered yet" in capsys.readouterr().out


def test_chapter_01_answers_match_independent_computations():
    from utils.course.checks import ch01

    assert ch01._answer_01_3() == 2 * len(ch01.X_01_3)
    X, y = ch01.X_01_4, ch01.Y_01_4
    beta = ch01._answer_01_4()
    assert np.abs(two_layer_relu_convex(X, y, beta=1.001 * beta).fitted).max() < 1e-6
    assert np.abs(two_layer_relu_convex(X, y, beta=0.99 * beta).fitted).max() > 1e-4
