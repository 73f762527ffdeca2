"""Real-data experiments: the reduced exact ReLU program, practical trainers, dual certificates, deep linear optima.

Every certified optimum is checked against an independent computation written here (a cvxpy build of the plain
program on a different subset, or of the nuclear-norm problem), and no trained run may end below a certified
optimum or below a dual lower bound.
"""

import cvxpy as cp
import numpy as np
import pytest

from utils import (
    arrangement_cells_2d,
    factorised_objective,
    hyperplane_patterns,
    solve_schatten_penalised,
    two_layer_weight_decay_objective,
)
from utils.data.real import load_real_dataset
from utils.linear.practical import (
    deep_linear_weight_decay_optimum,
    parallel_linear_power_optimum,
    train_linear_network,
)
from utils.relu._reduced import (
    _cone_rows,
    _plane_coordinates,
    reduced_relu_parts,
    two_layer_relu_convex_reduced,
)
from utils.relu.practical_training import relu_weight_decay_certificate, train_two_layer_practical


# ------------------------------------------------------------------------------------------ independent builds
def threshold_patterns(x):
    """All activation patterns of ``[x, 1]``, enumerated directly: ``x >= t`` and ``x <= t`` over the data values."""
    values = np.unique(x)
    found = {tuple(x >= t) for t in values} | {tuple(x <= t) for t in values}
    return np.array(sorted(found), dtype=bool)


def plain_value(X, y, patterns, beta=None):
    """The plain convex program written out in cvxpy, one block per pattern, every cone inequality."""
    n, d = X.shape
    V = [cp.Variable(d) for _ in patterns]
    W = [cp.Variable(d) for _ in patterns]
    fit = sum(cp.multiply(p.astype(float), X @ (v - w)) for p, v, w in zip(patterns, V, W, strict=True))
    cons = []
    for p, v, w in zip(patterns, V, W, strict=True):
        s = np.where(p, 1.0, -1.0)
        cons += [cp.multiply(s, X @ v) >= 0, cp.multiply(s, X @ w) >= 0]
    penalty = sum(cp.norm(v) + cp.norm(w) for v, w in zip(V, W, strict=True))
    if beta is None:
        problem = cp.Problem(cp.Minimize(penalty), cons + [fit == y])
    else:
        problem = cp.Problem(cp.Minimize(0.5 * cp.sum_squares(fit - y) + beta * penalty), cons)
    problem.solve(solver="CLARABEL")
    assert problem.status == "optimal"
    return problem.value


def diabetes(feature, n, seed):
    data = load_real_dataset("diabetes", feature, n_samples=n, seed=seed, bias=True)
    return data.X, data.y


# --------------------------------------------------------------------------------------- the reduced program
@pytest.mark.parametrize("feature, beta", [("s5", 0.5), ("bp", 0.05), ("age", 2.0)])
def test_reduced_program_matches_an_independent_plain_build_on_a_diabetes_subset(feature, beta):
    X, y = diabetes(feature, 35, seed=11)
    res = two_layer_relu_convex_reduced(X, y, beta=beta)
    assert res.patterns.shape == threshold_patterns(X[:, 0]).shape
    expected = plain_value(X, y, threshold_patterns(X[:, 0]), beta)
    assert res.value == pytest.approx(expected, rel=1e-6)
    F = res.patterns.T * 1.0
    np.testing.assert_allclose(res.fitted, np.sum(F * (X @ (res.v - res.w).T), axis=1), atol=1e-9)
    np.testing.assert_allclose(res.dual, y - res.fitted)


def test_reduced_min_norm_program_matches_the_plain_build_and_interpolates():
    rng = np.random.default_rng(4)
    x = np.sort(rng.uniform(-2, 2, 15))
    X, y = np.c_[x, np.ones_like(x)], np.sin(2 * x) + 0.2 * rng.standard_normal(15)
    res = two_layer_relu_convex_reduced(X, y)
    assert res.value == pytest.approx(plain_value(X, y, threshold_patterns(x)), rel=1e-6)
    np.testing.assert_allclose(res.fitted, y, atol=1e-7)
    W1, w2 = res.network()
    np.testing.assert_allclose(np.maximum(X @ W1, 0) @ w2, y, atol=1e-6)


def test_reduced_program_handles_general_rank_two_data_and_pattern_subsets():
    rng = np.random.default_rng(2)
    X = rng.standard_normal((12, 2)) @ rng.standard_normal((2, 3))          # rank 2, not "feature plus bias"
    y = rng.standard_normal(12)
    sampled = hyperplane_patterns(X, "sample", n_samples=100_000, seed=0)
    res = two_layer_relu_convex_reduced(X, y, beta=0.3)
    assert res.value == pytest.approx(plain_value(X, y, sampled, 0.3), rel=1e-6)
    half = sampled[::2]
    sub = two_layer_relu_convex_reduced(X, y, beta=0.3, patterns=half)
    assert sub.value == pytest.approx(plain_value(X, y, half, 0.3), rel=1e-6)
    assert sub.value >= res.value - 1e-8


def test_two_cone_inequalities_per_pattern_imply_all_the_others():
    rng = np.random.default_rng(0)
    for X in (diabetes("bmi", 60, seed=1)[0], rng.standard_normal((20, 2)) @ rng.standard_normal((2, 4))):
        Z, r = _plane_coordinates(X)
        _, mids, cells = arrangement_cells_2d(Z)
        keep = cells.any(axis=1)
        cells, mids = cells[keep], mids[keep]
        rows, signs = _cone_rows(Z, cells, mids)
        for i, p in enumerate(cells):
            G = np.stack([signs[i, k] * Z[rows[i, k]] for k in range(2)], axis=1)     # 2 x 2 generators
            s = np.where(p, 1.0, -1.0)
            coef = np.linalg.lstsq(G, (s[:, None] * Z).T, rcond=None)[0]          # every generator from the two
            np.testing.assert_allclose(G @ coef, (s[:, None] * Z).T, atol=1e-9)
            assert coef.min() >= -1e-9


def test_prefix_sum_fit_equals_the_sum_over_patterns_for_any_blocks():
    X, _ = diabetes("bmi", 40, seed=8)
    patterns = hyperplane_patterns(X)[::-1]                  # any order
    V, W, fit, _, cones = reduced_relu_parts(X, patterns)
    rng = np.random.default_rng(1)
    V_fixed, W_fixed = rng.standard_normal(V.shape), rng.standard_normal(W.shape)
    # the prefix-sum equalities determine the prefix sums once the blocks are fixed
    equalities = [c for c in cones if isinstance(c, cp.constraints.Equality)]
    problem = cp.Problem(cp.Minimize(0), equalities + [V == V_fixed, W == W_fixed])
    problem.solve(solver="CLARABEL")
    assert problem.status == "optimal"
    direct = np.sum(patterns.T * (X @ (V_fixed - W_fixed)), axis=1)
    np.testing.assert_allclose(fit.value, direct, atol=1e-7)


def test_reduced_program_is_homogeneous_in_the_scales_of_data_and_labels():
    X, y = diabetes("s5", 30, seed=3)
    a, c, beta = 3.0, -0.25, 0.4
    base = two_layer_relu_convex_reduced(X, y, beta=beta).value
    scaled = two_layer_relu_convex_reduced(a * X, c * y, beta=a * abs(c) * beta).value
    assert scaled == pytest.approx(c * c * base, rel=1e-6)


def test_reduced_program_rejects_rank_three_data_and_foreign_patterns():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="rank"):
        two_layer_relu_convex_reduced(rng.standard_normal((8, 3)), rng.standard_normal(8), beta=1.0)
    X, y = diabetes("bmi", 10, seed=0)
    order = np.argsort(X[:, 0])
    odd = np.zeros((1, 10), dtype=bool)
    odd[0, order[::2]] = True                                 # every other point: no hyperplane does that
    with pytest.raises(ValueError, match="not activation patterns"):
        two_layer_relu_convex_reduced(X, y, beta=1.0, patterns=odd)


# -------------------------------------------------------------------------------- training and certificates
@pytest.fixture(scope="module")
def small_relu():
    X, y = diabetes("bmi", 40, seed=2)
    beta = 0.5
    opt = two_layer_relu_convex_reduced(X, y, beta=beta)
    cert = relu_weight_decay_certificate(X, y, beta, opt.dual)
    runs = [train_two_layer_practical(X, y, m, beta, optimizer=o, n_seeds=8, seed=5, n_steps=1500)
            for o in ("gd", "adam") for m in (3, 12)]
    return X, y, beta, opt, cert, runs


def test_dual_certificate_at_the_convex_residual_is_feasible_and_equals_the_optimum(small_relu):
    X, y, beta, opt, cert, _ = small_relu
    assert cert.max_correlation <= beta
    assert cert.lower_bound <= opt.value
    assert opt.value - cert.lower_bound <= 1e-6 * opt.value
    # the dual objective at the unscaled residual is the primal optimum (strong duality)
    lam = opt.dual
    assert 0.5 * y @ y - 0.5 * np.sum((lam - y) ** 2) == pytest.approx(opt.value, rel=1e-6)


def test_dual_constraint_of_the_certificate_holds_on_a_dense_grid_of_directions(small_relu):
    X, y, beta, _, _, _ = small_relu
    direction = np.random.default_rng(3).standard_normal(len(y))
    cert = relu_weight_decay_certificate(X, y, beta, direction)
    theta = np.linspace(0, 2 * np.pi, 200_001)
    U = np.linalg.svd(X, full_matrices=False)[2].T @ np.stack([np.cos(theta), np.sin(theta)])
    sampled = np.max(np.abs(cert.multiplier @ np.maximum(X @ U, 0)))
    assert sampled <= beta * (1 + 1e-12)
    assert sampled == pytest.approx(cert.max_correlation, rel=1e-6)


def test_no_trained_run_ends_below_the_certified_optimum_or_the_dual_bound(small_relu):
    X, y, beta, opt, cert, runs = small_relu
    random_cert = relu_weight_decay_certificate(X, y, beta, np.random.default_rng(0).standard_normal(len(y)))
    assert random_cert.lower_bound <= opt.value
    for res in runs:
        assert np.all(res.objectives >= opt.value * (1 - 1e-7))
        assert np.all(res.objectives >= cert.lower_bound)
        assert np.all(res.objectives >= random_cert.lower_bound)
        assert np.all(res.history >= cert.lower_bound)
        # a trained network's own residual certifies a bound below its objective, too
        s = 0
        own = y - np.maximum(X @ res.W1[s], 0) @ res.w2[s]
        assert relu_weight_decay_certificate(X, y, beta, own).lower_bound <= res.objectives[s]


def test_reported_objectives_and_gradients_match_an_independent_evaluation(small_relu):
    X, y, beta, _, _, runs = small_relu
    for res in runs:
        np.testing.assert_array_equal(res.history[-1], res.objectives)
        for s in (0, 5):
            value, g1, g2 = two_layer_weight_decay_objective(X, y, res.W1[s], res.w2[s], beta)
            assert res.objectives[s] == pytest.approx(value, rel=1e-12)
            assert res.grad_norms[s] == pytest.approx(np.sqrt(np.sum(g1 ** 2) + np.sum(g2 ** 2)), rel=1e-8)


def test_adam_with_enough_width_reaches_the_certified_optimum_on_a_small_instance(small_relu):
    *_, opt, _, runs = small_relu
    adam_wide = runs[3]
    assert adam_wide.optimizer == "adam" and adam_wide.width == 12
    assert adam_wide.best_objective <= opt.value * (1 + 1e-4)


def test_training_runs_are_determined_by_the_seed():
    X, y = diabetes("bmi", 20, seed=0)
    a = train_two_layer_practical(X, y, 4, 0.5, n_seeds=3, seed=1, n_steps=50)
    b = train_two_layer_practical(X, y, 4, 0.5, n_seeds=3, seed=1, n_steps=50)
    c = train_two_layer_practical(X, y, 4, 0.5, n_seeds=3, seed=2, n_steps=50)
    np.testing.assert_array_equal(a.objectives, b.objectives)
    assert not np.array_equal(a.objectives, c.objectives)


# ------------------------------------------------------------------------------------------ deep linear
@pytest.fixture(scope="module")
def linnerud():
    data = load_real_dataset("linnerud", whiten=True)
    return data.X, data.y


@pytest.mark.parametrize("L", [2, 3, 4, 5])
def test_closed_form_deep_linear_optimum_agrees_with_proximal_gradient_and_balanced_weights(linnerud, L):
    X, Y = linnerud
    beta = 0.5
    opt = deep_linear_weight_decay_optimum(X, Y, L, beta)
    assert opt.certified
    assert opt.value == pytest.approx(solve_schatten_penalised(X, Y, L, beta).objective, rel=1e-9)
    # balanced layers W_1 = U S^{1/L}, W_l = S^{1/L}, W_L = S^{1/L} V^T attain the value (product lemma)
    U, _, Vt = np.linalg.svd(opt.W)
    root = np.diag(opt.singular_values ** (1.0 / L))        # exact zeros: round-off would cost s^{2/L}
    layers = [U @ root] + [root] * (L - 2) + [root @ Vt]
    assert factorised_objective(X, Y, layers, beta) == pytest.approx(opt.value, rel=1e-12)


def test_parallel_optimum_matches_an_independent_nuclear_norm_program_on_a_subset():
    data = load_real_dataset("linnerud", n_samples=15, seed=4)            # not whitened: the general case
    X, Y, beta = data.X, data.y, 2.0
    opt = parallel_linear_power_optimum(X, Y, beta)
    W = cp.Variable((3, 3))
    problem = cp.Problem(cp.Minimize(0.5 * cp.sum_squares(X @ W - Y) + beta * cp.normNuc(W)))
    problem.solve(solver="SCS", eps=1e-10, max_iters=200_000)
    assert opt.value == pytest.approx(problem.value, rel=1e-6)
    assert opt.certified and opt.lower_bound <= opt.value <= opt.lower_bound + 1e-9 * opt.value


def test_balanced_rank_one_branches_attain_the_parallel_optimum(linnerud):
    X, Y = linnerud
    beta, L = 0.5, 4
    opt = parallel_linear_power_optimum(X, Y, beta)
    U, s, Vt = np.linalg.svd(opt.W)
    total, penalty = 0.0, 0.0
    for j in range(3):                 # branch j: u_j s^{1/L} e1^T, then e1 e1^T s^{1/L}, ..., then s^{1/L} v_j^T
        r = s[j] ** (1.0 / L)
        layers = [r * U[:, j:j + 1]] + [np.array([[r]])] * (L - 2) + [r * Vt[j:j + 1]]
        product = layers[0]
        for w in layers[1:]:
            product = product @ w
        total = total + product
        penalty += beta / L * sum(np.sum(w * w) ** (L / 2) for w in layers)
    value = 0.5 * np.sum((X @ total - Y) ** 2) + penalty
    assert value == pytest.approx(opt.value, rel=1e-12)


@pytest.mark.parametrize("architecture", ["standard", "parallel"])
def test_trained_linear_networks_never_end_below_their_certified_optimum(linnerud, architecture):
    X, Y = linnerud
    beta = 0.5
    for L in (2, 3, 5):
        opt = (deep_linear_weight_decay_optimum(X, Y, L, beta) if architecture == "standard"
               else parallel_linear_power_optimum(X, Y, beta))
        res = train_linear_network(X, Y, L, beta, architecture=architecture, n_seeds=6, seed=1, n_steps=1500)
        assert np.all(res.objectives >= opt.lower_bound * (1 - 1e-12))
        assert np.all(res.objectives >= opt.value * (1 - 1e-12))
        assert np.median(res.relative_gaps(opt.value)) <= 1e-2
        if architecture == "standard":
            layers = [W[0, 0] for W in res.weights]
            assert factorised_objective(X, Y, layers, beta) == pytest.approx(res.objectives[0], rel=1e-12)


def test_standard_and_parallel_optima_coincide_at_depth_two_and_differ_deeper(linnerud):
    X, Y = linnerud
    parallel = parallel_linear_power_optimum(X, Y, 0.5).value
    assert deep_linear_weight_decay_optimum(X, Y, 2, 0.5).value == pytest.approx(parallel, rel=1e-9)
    assert deep_linear_weight_decay_optimum(X, Y, 3, 0.5).value > parallel * (1 + 1e-3)


def test_linear_optima_are_homogeneous_in_the_scales_of_data_and_labels(linnerud):
    X, Y = linnerud
    a, c, beta, L = 2.0, 0.5, 0.5, 3
    par = parallel_linear_power_optimum(X, Y, beta).value
    assert parallel_linear_power_optimum(a * X, c * Y, a * c * beta).value == pytest.approx(c * c * par, rel=1e-8)
    std = deep_linear_weight_decay_optimum(X, Y, L, beta).value
    scaled_beta = beta * c ** (2 - 2 / L) * a ** (2 / L)
    assert deep_linear_weight_decay_optimum(a * X, c * Y, L, scaled_beta).value == pytest.approx(c * c * std,
                                                                                                 rel=1e-12)


def test_dual_certificate_is_homogeneous_in_the_scale_of_the_labels():
    X, y = diabetes("bp", 30, seed=9)
    direction = np.random.default_rng(4).standard_normal(len(y))
    base = relu_weight_decay_certificate(X, y, 0.3, direction).lower_bound
    c = -2.5
    scaled = relu_weight_decay_certificate(X, c * y, abs(c) * 0.3, c * direction).lower_bound
    assert scaled == pytest.approx(c * c * base, rel=1e-10)
