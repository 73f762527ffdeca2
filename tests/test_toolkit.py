"""The duality toolkit (utils.primer.toolkit, utils.primer.gauges, utils.figures.toolkit).

Every function is compared with an independent method: cvxpy programs written here from the definitions (dual
norms, games, support functions, nuclear norm), closed forms derived by hand (l1/l_inf balls, 2 x 2 games, the
triangle of exercise T.4, determinants, Hoelder's equality case), or the defining property itself (saddle-point inequalities, the point
and the weights of a Caratheodory representation).
"""

from __future__ import annotations

import cvxpy as cp
import matplotlib
import numpy as np
import pytest

from utils import (
    SolverError,
    atomic_dual_norm,
    atomic_norm_lp,
    caratheodory_reduce,
    convex_combination_lp,
    dual_norm,
    game_max_min,
    game_min_max,
    gauge_lp,
    horn_partial_products,
    norm_dual_step,
    plot_gauge_polar,
    polar_vertices,
    schatten_holder_sides,
    schatten_norm,
    support_function,
    von_neumann_bound,
)

matplotlib.use("Agg")

PENTAGON = np.array([[2.0, 0.0], [1.0, 1.5], [-1.0, 1.2], [-1.5, -0.5], [0.3, -1.2]])


def _solved(problem: cp.Problem) -> float:
    problem.solve(solver="CLARABEL")
    assert problem.status == "optimal", problem.status
    return float(problem.value)


# ------------------------------------------------------------------------------------------ dual norms
@pytest.mark.parametrize("p", [1, 1.5, 2, 3, np.inf])
def test_dual_norm_is_the_supremum_over_the_unit_ball(p):
    g = np.random.default_rng(0).standard_normal(6)
    w = cp.Variable(6)
    sup = _solved(cp.Problem(cp.Maximize(g @ w), [cp.norm(w, p) <= 1]))
    np.testing.assert_allclose(dual_norm(g, p), sup, rtol=1e-6)


@pytest.mark.parametrize("p", [1, 2, np.inf])
@pytest.mark.parametrize("size", [0.5, 1.0, 2.0])
def test_norm_dual_step_is_the_infimum_over_a_ball_of_radius_r(p, size):
    g0 = np.random.default_rng(1).standard_normal(4)
    g = g0 * size / dual_norm(g0, p)
    w = cp.Variable(4)
    R = 7.0
    inf = _solved(cp.Problem(cp.Minimize(cp.norm(w, p) - g @ w), [cp.norm(w, p) <= R]))
    np.testing.assert_allclose(norm_dual_step(g, p, R), inf, rtol=0, atol=1e-6 * R)
    assert norm_dual_step(g, p) == (0.0 if size <= 1 else -np.inf)


def test_dual_norm_pairs_l1_with_linf_and_l2_with_itself():
    g = np.array([3.0, -4.0, 1.0])
    assert dual_norm(g, 1) == 4.0 and dual_norm(g, np.inf) == 8.0
    np.testing.assert_allclose(dual_norm(g, 2), np.sqrt(26.0), rtol=1e-15)


@pytest.mark.parametrize("p, error", [(0.5, ValueError), (True, TypeError), ("2", TypeError)])
def test_dual_norm_rejects_exponents_below_one_and_non_numbers(p, error):
    with pytest.raises(error, match="p must"):
        dual_norm([1.0, 2.0], p)


def test_norm_dual_step_rejects_a_non_positive_radius():
    with pytest.raises(ValueError, match="radius"):
        norm_dual_step([1.0, 2.0], 2, radius=0.0)


# ------------------------------------------------------------------------------------------ games
def _game_cvxpy(M: np.ndarray) -> float:
    x = cp.Variable(M.shape[0], nonneg=True)
    return _solved(cp.Problem(cp.Minimize(cp.max(M.T @ x)), [cp.sum(x) == 1]))


@pytest.mark.parametrize("seed", range(4))
def test_game_values_agree_with_cvxpy_and_strategies_are_a_saddle_point(seed):
    M = np.random.default_rng(seed).standard_normal((3 + seed, 5))
    v1, x = game_min_max(M)
    v2, y = game_max_min(M)
    np.testing.assert_allclose([v1, v2], _game_cvxpy(M), rtol=1e-7, atol=1e-8)
    assert np.all(x >= 0) and np.all(y >= 0)
    np.testing.assert_allclose([x.sum(), y.sum()], 1.0, rtol=1e-12)
    assert (M.T @ x).max() <= v1 + 1e-9 and (M @ y).min() >= v2 - 1e-9


def test_two_by_two_game_without_saddle_point_has_the_closed_form_value():
    a, b, c, d = 3.0, -1.0, -2.0, 4.0            # no entry is a row maximum and a column minimum
    value = (a * d - b * c) / (a + d - b - c)
    p = (d - c) / (a + d - b - c)
    v, x = game_min_max([[a, b], [c, d]])
    np.testing.assert_allclose([v, x[0]], [value, p], rtol=1e-12)
    np.testing.assert_allclose(game_max_min([[a, b], [c, d]])[0], value, rtol=1e-12)


def test_rock_paper_scissors_has_value_zero_and_uniform_strategies():
    M = np.array([[0.0, 1.0, -1.0], [-1.0, 0.0, 1.0], [1.0, -1.0, 0.0]])
    v, x = game_min_max(M)
    w, y = game_max_min(M)
    np.testing.assert_allclose([v, w], 0.0, atol=1e-12)
    np.testing.assert_allclose(np.r_[x, y], 1 / 3, rtol=1e-12)


def test_game_rejects_a_matrix_with_nan():
    with pytest.raises(ValueError, match="NaN"):
        game_min_max([[1.0, np.nan]])


# ------------------------------------------------------------------------------------------ Caratheodory
def _long_combination(seed: int, m: int = 30, n: int = 4):
    rng = np.random.default_rng(seed)
    P = rng.standard_normal((m, n))
    lam = rng.dirichlet(np.ones(m))
    return P, lam, lam @ P


@pytest.mark.parametrize("seed", range(5))
def test_lp_vertex_and_elimination_each_use_at_most_n_plus_one_points(seed):
    P, lam, z = _long_combination(seed)
    for weights in (convex_combination_lp(P, z), caratheodory_reduce(P, lam)):
        assert np.count_nonzero(weights) <= P.shape[1] + 1 and np.all(weights >= 0)
        np.testing.assert_allclose(weights @ P, z, rtol=0, atol=1e-12)
        np.testing.assert_allclose(weights.sum(), 1.0, rtol=1e-12)


@pytest.mark.parametrize("seed", range(3))
def test_conic_representations_use_at_most_n_linearly_independent_points(seed):
    P, lam, _ = _long_combination(seed)
    c = 3.0 * lam + 0.1
    z = c @ P
    for weights in (convex_combination_lp(P, z, conic=True), caratheodory_reduce(P, c, conic=True)):
        support = np.flatnonzero(weights)
        assert support.size <= P.shape[1] and np.linalg.matrix_rank(P[support]) == support.size
        np.testing.assert_allclose(weights @ P, z, rtol=0, atol=1e-12)


def test_elimination_keeps_an_already_short_combination():
    P = np.eye(3)
    lam = np.array([0.2, 0.3, 0.5])
    np.testing.assert_array_equal(caratheodory_reduce(P, lam), lam)


def test_point_outside_the_hull_is_rejected_but_inside_the_cone_is_accepted():
    P = np.eye(2)
    with pytest.raises(ValueError, match="not in the convex hull"):
        convex_combination_lp(P, [1.0, 1.0])
    np.testing.assert_allclose(convex_combination_lp(P, [1.0, 1.0], conic=True), [1.0, 1.0])
    with pytest.raises(ValueError, match="not in the cone"):
        convex_combination_lp(P, [-1.0, 1.0], conic=True)


def test_caratheodory_reduce_rejects_negative_weights_and_wrong_lengths():
    with pytest.raises(ValueError, match=">= 0"):
        caratheodory_reduce(np.eye(2), [0.5, -0.5])
    with pytest.raises(ValueError, match="2 points"):
        caratheodory_reduce(np.eye(2), [1.0, 0.0, 0.0])


# ------------------------------------------------------------------------------------------ gauges
def test_gauge_of_the_cross_polytope_is_the_l1_norm_and_its_polar_the_cube():
    V = np.r_[np.eye(3), -np.eye(3)]
    y = np.array([0.5, -2.0, 1.25])
    np.testing.assert_allclose(gauge_lp(V, y), np.abs(y).sum(), rtol=1e-12)
    cube = np.array([[a, b, c] for a in (-1, 1) for b in (-1, 1) for c in (-1, 1)], dtype=float)
    polar = polar_vertices(V)
    assert polar.shape == (8, 3)
    np.testing.assert_allclose(np.unique(np.round(polar, 12), axis=0), cube, atol=1e-12)


def test_gauge_of_the_square_is_the_linf_norm():
    V = np.array([[1.0, 1.0], [1.0, -1.0], [-1.0, 1.0], [-1.0, -1.0]])
    for y in ([0.3, -2.0], [1.5, 1.5], [0.0, 0.1]):
        np.testing.assert_allclose(gauge_lp(V, y), np.abs(y).max(), rtol=1e-12)


def test_gauge_of_the_triangle_of_exercise_t4_is_the_max_of_three_linear_functions():
    V = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0]])
    polar = polar_vertices(V)                                   # counter-clockwise from the angle -pi
    np.testing.assert_allclose(polar, [[1.0, -2.0], [1.0, 1.0], [-2.0, 1.0]], atol=1e-12)
    for y in np.random.default_rng(2).standard_normal((20, 2)):
        expected = max(y[0] + y[1], -2 * y[0] + y[1], y[0] - 2 * y[1])
        np.testing.assert_allclose(gauge_lp(V, y), expected, rtol=1e-10)


@pytest.mark.parametrize("seed", range(4))
def test_gauge_equals_the_support_function_of_the_polar_computed_by_cvxpy(seed):
    y = np.random.default_rng(seed).standard_normal(2)
    v = cp.Variable(2)
    sup = _solved(cp.Problem(cp.Maximize(y @ v), [PENTAGON @ v <= 1]))
    np.testing.assert_allclose(gauge_lp(PENTAGON, y), sup, rtol=1e-7)
    np.testing.assert_allclose(support_function(polar_vertices(PENTAGON), y), gauge_lp(PENTAGON, y), rtol=1e-12)


def test_gauge_is_positively_homogeneous_and_infinite_outside_the_cone():
    y = np.array([0.7, -0.4])
    np.testing.assert_allclose(gauge_lp(PENTAGON, 3 * y), 3 * gauge_lp(PENTAGON, y), rtol=1e-12)
    wedge = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])    # C contains 0 on its boundary
    assert gauge_lp(wedge, [-1.0, 0.5]) == np.inf
    np.testing.assert_allclose(gauge_lp(wedge, [0.25, 0.25]), 0.5, rtol=1e-12)


def test_gauge_and_polar_reject_sets_without_the_origin():
    shifted = PENTAGON + 5.0
    with pytest.raises(ValueError, match="origin"):
        gauge_lp(shifted, [1.0, 1.0])
    with pytest.raises(ValueError, match="origin"):
        polar_vertices(shifted)
    with pytest.raises(ValueError, match="full-dimensional"):
        polar_vertices([[1.0, 0.0], [-1.0, 0.0], [2.0, 0.0]])


@pytest.mark.parametrize("seed", range(3))
def test_atomic_norm_is_the_gauge_of_the_symmetric_hull_and_equals_its_dual_program(seed):
    rng = np.random.default_rng(seed)
    S, y = rng.standard_normal((7, 3)), rng.standard_normal(3)
    value, c = atomic_norm_lp(S, y)
    np.testing.assert_allclose(c @ S, y, atol=1e-12)
    np.testing.assert_allclose(np.abs(c).sum(), value, rtol=1e-12)
    assert np.count_nonzero(c) <= 3
    np.testing.assert_allclose(gauge_lp(np.r_[S, -S], y), value, rtol=1e-12)
    v = cp.Variable(3)
    dual = _solved(cp.Problem(cp.Maximize(y @ v), [cp.abs(S @ v) <= 1]))
    np.testing.assert_allclose(dual, value, rtol=1e-7)
    assert atomic_dual_norm(S, v.value) <= 1 + 1e-7


def test_atomic_norm_with_the_standard_basis_is_l1_and_its_dual_is_linf():
    y = np.array([1.0, -3.0, 0.5])
    np.testing.assert_allclose(atomic_norm_lp(np.eye(3), y)[0], 4.5, rtol=1e-12)
    assert atomic_dual_norm(np.eye(3), y) == 3.0
    with pytest.raises(ValueError, match="span"):
        atomic_norm_lp(np.eye(3)[:2], y)


# ------------------------------------------------------------------------------------------ singular values
def test_von_neumann_bound_dominates_the_trace_and_is_attained_with_shared_singular_vectors():
    rng = np.random.default_rng(3)
    for _ in range(20):
        A, B = rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
        assert abs(np.trace(A.T @ B)) <= von_neumann_bound(A, B) * (1 + 1e-12)
    U, _, Vt = np.linalg.svd(A, full_matrices=False)
    B = U @ np.diag([2.0, 1.0, 0.25]) @ Vt
    np.testing.assert_allclose(np.trace(A.T @ B), von_neumann_bound(A, B), rtol=1e-12)


def test_spectral_norm_ball_maximises_the_trace_at_the_nuclear_norm():
    A = np.random.default_rng(4).standard_normal((4, 3))
    B = cp.Variable((4, 3))
    sup = _solved(cp.Problem(cp.Maximize(cp.trace(A.T @ B)), [cp.sigma_max(B) <= 1]))
    nuclear = np.linalg.svd(A, compute_uv=False).sum()
    np.testing.assert_allclose(sup, nuclear, rtol=1e-6)
    U, _, Vt = np.linalg.svd(A, full_matrices=False)
    np.testing.assert_allclose(von_neumann_bound(A, U @ Vt), nuclear, rtol=1e-12)


def test_von_neumann_bound_rejects_different_shapes():
    with pytest.raises(ValueError, match="same shape"):
        von_neumann_bound(np.eye(2), np.eye(3))


@pytest.mark.parametrize("seed", range(4))
def test_horn_inequality_holds_for_every_k_and_is_an_equality_of_determinants_for_square_factors(seed):
    rng = np.random.default_rng(seed)
    lhs, rhs = horn_partial_products([rng.standard_normal((3, 5)), rng.standard_normal((5, 4)),
                                      rng.standard_normal((4, 6))])
    assert lhs.shape == rhs.shape == (3,) and np.all(lhs <= rhs * (1 + 1e-12))
    squares = [rng.standard_normal((3, 3)) for _ in range(3)]
    lhs, rhs = horn_partial_products(squares)
    det = abs(np.linalg.det(squares[0] @ squares[1] @ squares[2]))
    np.testing.assert_allclose([lhs[-1], rhs[-1]], det, rtol=1e-10)
    np.testing.assert_allclose(lhs[0], np.linalg.norm(squares[0] @ squares[1] @ squares[2], 2), rtol=1e-12)


def test_horn_partial_products_of_one_matrix_are_its_own_and_shapes_are_checked():
    W = np.diag([3.0, 2.0, 0.5])
    lhs, rhs = horn_partial_products([W])
    np.testing.assert_allclose(lhs, [3.0, 6.0, 3.0])
    np.testing.assert_allclose(rhs, lhs)
    with pytest.raises(ValueError, match="columns"):
        horn_partial_products([np.ones((2, 3)), np.ones((2, 3))])
    with pytest.raises(ValueError, match="at least one"):
        horn_partial_products([])


@pytest.mark.parametrize("seed", range(4))
def test_schatten_holder_holds_for_mixed_exponents_including_quasi_norms(seed):
    rng = np.random.default_rng(seed)
    shapes = [(4, 5), (5, 3), (3, 4), (4, 2)]
    factors = [rng.standard_normal(shape) for shape in shapes]
    for exponents in ([1.0, 2.0], [2.0, 2.0, 1.0], [0.5, 1.0, 2.0, 3.0], [2 / 3, 0.4, 1.0, 2.0]):
        mats = factors[: len(exponents)]
        lhs, rhs, rho = schatten_holder_sides(mats, exponents)
        np.testing.assert_allclose(1 / rho, sum(1 / r for r in exponents), rtol=1e-14)
        np.testing.assert_allclose(lhs, schatten_norm(np.linalg.multi_dot(mats), rho), rtol=1e-12)
        assert lhs <= rhs * (1 + 1e-12)
        assert lhs < 0.99 * rhs  # random factors are far from the equality case


def test_schatten_holder_is_an_equality_for_powers_of_one_spectrum_with_matched_singular_vectors():
    rng = np.random.default_rng(7)
    s = np.array([3.0, 1.5, 0.2])
    exponents = [1.0, 2.0, 0.5]
    rotations = [np.linalg.qr(rng.standard_normal((3, 3)))[0] for _ in range(4)]
    # M_i = Q_{i-1} diag(s^(1/rho_i)) Q_i^T: the product is Q_0 diag(s^(1/rho)) Q_3^T
    mats = [rotations[i] @ np.diag(s ** (1 / r)) @ rotations[i + 1].T for i, r in enumerate(exponents)]
    lhs, rhs, rho = schatten_holder_sides(mats, exponents)
    by_hand = np.sum(s) ** (1 / rho)  # ||M_1 M_2 M_3||_{S_rho}^rho = sum_j s_j = ||M_i||_{S_rho_i}^rho_i
    np.testing.assert_allclose([lhs, rhs], by_hand, rtol=1e-12)


def test_schatten_holder_with_frobenius_factors_is_the_horn_corollary_and_one_factor_is_its_own_norm():
    rng = np.random.default_rng(8)
    mats = [rng.standard_normal((3, 4)), rng.standard_normal((4, 4)), rng.standard_normal((4, 2))]
    lhs, rhs, rho = schatten_holder_sides(mats, [2.0, 2.0, 2.0])
    np.testing.assert_allclose(rho, 2 / 3, rtol=1e-14)
    np.testing.assert_allclose(rhs, np.prod([np.linalg.norm(W) for W in mats]), rtol=1e-12)
    assert lhs <= rhs
    W = np.diag([3.0, 4.0])
    np.testing.assert_allclose(schatten_holder_sides([W], [1.0])[:2], [7.0, 7.0], rtol=1e-14)


def test_schatten_holder_rejects_bad_exponents_and_shapes():
    with pytest.raises(ValueError, match="one exponent per factor"):
        schatten_holder_sides([np.eye(2), np.eye(2)], [1.0])
    with pytest.raises(ValueError, match="> 0"):
        schatten_holder_sides([np.eye(2)], [0.0])
    with pytest.raises(TypeError):
        schatten_holder_sides([np.eye(2)], ["two"])
    with pytest.raises(ValueError, match="columns"):
        schatten_holder_sides([np.ones((2, 3)), np.ones((2, 3))], [1.0, 1.0])


# ------------------------------------------------------------------------------------------ the figure
def test_gauge_figure_draws_the_level_set_through_y_and_the_supporting_vertex():
    import matplotlib.pyplot as plt

    y = np.array([1.6, 1.9])
    fig = plot_gauge_polar(PENTAGON, y)
    lines = {line.get_gid(): line for ax in fig.axes for line in ax.get_lines() if line.get_gid()}
    gauge = gauge_lp(PENTAGON, y)
    point = np.r_[lines["boundary-point"].get_xdata(), lines["boundary-point"].get_ydata()]
    np.testing.assert_allclose(point, y / gauge, rtol=1e-12)
    v_star = np.r_[lines["polar-argmax"].get_xdata(), lines["polar-argmax"].get_ydata()]
    np.testing.assert_allclose(v_star @ y, gauge, rtol=1e-12)
    level = np.c_[lines["level-y"].get_xdata(), lines["level-y"].get_ydata()]
    assert np.any(np.all(np.isclose(level[:-1] / gauge, PENTAGON[1]), axis=1))
    assert {"set-C", "set-polar", "support-line", "level-0.5", "level-2"} <= set(lines)
    plt.close(fig)


def test_gauge_figure_rejects_the_origin_and_three_dimensional_points():
    with pytest.raises(ValueError, match="origin"):
        plot_gauge_polar(PENTAGON, [0.0, 0.0])
    with pytest.raises(ValueError, match="two-dimensional"):
        plot_gauge_polar(np.r_[np.eye(3), -np.eye(3)], [1.0, 0.0, 0.0])


def test_lp_failure_raises_solver_error(monkeypatch):
    from utils.primer import toolkit

    class Failed:
        status, message = 4, "numerical difficulties"

    monkeypatch.setattr(toolkit, "linprog", lambda *args, **kwargs: Failed())
    with pytest.raises(SolverError, match="status 4"):
        game_min_max(np.eye(2))
