"""Tests of utils.linear.low_rank, .factorised and .ranks: the Schatten-2/L problem of deep linear networks with
squared loss and weight decay (chapter 05_low_rank), its exact prox, the factorised trainer, rank measures, widget."""

import cvxpy as cp
import matplotlib
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from utils import check_exercise
from utils.figures.low_rank import low_rank_explorer, plot_low_rank_spectra, plot_rank_versus_depth
from utils.linear.factorised import train_factorised_linear
from utils.linear.low_rank import (
    LowRankFit,
    factorised_objective,
    schatten_penalised_objective,
    schatten_power_prox,
    schatten_prox_threshold,
    solve_schatten_penalised,
)
from utils.linear.ranks import effective_rank, low_rank_path, numerical_rank, ranks_from_singular_values

matplotlib.use("Agg")


def _instance(seed, n=8, d=4, k=3, noise=0.3):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    Y = X @ rng.standard_normal((d, k)) + noise * rng.standard_normal((n, k))
    return X, Y


def _orthonormal_instance(seed, n=7, d=4, k=3):
    """X with orthonormal columns: then the problem is the prox of the singular values of X^T Y."""
    rng = np.random.default_rng(seed)
    X = np.linalg.qr(rng.standard_normal((n, d)))[0]
    Y = rng.standard_normal((n, k)) * 2.0
    return X, Y


def _scalar_objective(x, s, c, L):
    return 0.5 * (x - s) ** 2 + c * x ** (2.0 / L)


# ---------------------------------------------------------------------------------------------- the prox
@pytest.mark.parametrize("L", [2, 3, 4, 6])
@pytest.mark.parametrize("c", [0.05, 0.7, 3.0])
def test_prox_matches_fine_grid_search(L, c):
    s = np.linspace(0.0, 6.0, 61)
    prox = schatten_power_prox(s, c, L)
    grid = np.linspace(0.0, 6.0, 600_001)  # spacing 1e-5
    for si, pi in zip(s, prox, strict=True):
        h = _scalar_objective(grid, si, c, L)
        j = int(np.argmin(h))
        # The prox can only be better than the grid (it is exact), and not by more than the grid error.
        assert _scalar_objective(pi, si, c, L) <= h[j] + 1e-12
        assert _scalar_objective(pi, si, c, L) >= h[j] - 1e-7
        if abs(si - schatten_prox_threshold(c, L)) > 1e-3:  # away from the tie, the minimiser is unique
            assert abs(pi - grid[j]) <= 2e-4


@pytest.mark.parametrize("L", [3, 4, 5, 8])
def test_prox_jumps_at_the_threshold(L):
    c = 0.9
    tau = schatten_prox_threshold(c, L)
    below, above = schatten_power_prox([tau * (1 - 1e-9), tau * (1 + 1e-9)], c, L)
    assert below == 0.0
    x_tau = (2 * c * (L - 2) / L) ** (L / (2 * (L - 1)))  # the interior minimiser at the tie
    assert above == pytest.approx(x_tau, rel=1e-5)
    # at the tie both candidates have the same objective
    assert _scalar_objective(x_tau, tau, c, L) == pytest.approx(_scalar_objective(0.0, tau, c, L), rel=1e-10)


def test_prox_for_l2_is_soft_thresholding():
    s = np.array([0.0, 0.5, 1.0, 2.5])
    np.testing.assert_allclose(schatten_power_prox(s, 1.0, 2), [0.0, 0.0, 0.0, 1.5])
    assert schatten_prox_threshold(1.0, 2) == 1.0
    np.testing.assert_array_equal(schatten_power_prox(s, 0.0, 5), s)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(0, 50), min_size=2, max_size=8), st.floats(0.01, 5), st.integers(2, 9))
def test_prox_is_monotone_and_shrinks(s, c, L):
    s = np.sort(np.array(s))
    p = schatten_power_prox(s, c, L)
    assert np.all(np.diff(p) >= -1e-12)  # keeps the order of singular values
    assert np.all(p <= s + 1e-12) and np.all(p >= 0)


# ---------------------------------------------------------------------------------------------- objectives
def test_objectives_agree_at_a_balanced_factorisation():
    """Product lemma (chapter 02_deep_linear): the cheapest factorisation of W costs (L/2) sum sigma_i^{2/L}."""
    X, Y = _instance(0)
    rng = np.random.default_rng(1)
    W = rng.standard_normal((4, 3))
    U, s, Vt = np.linalg.svd(W, full_matrices=False)
    for L in (2, 3, 5):
        R = [np.linalg.qr(rng.standard_normal((3, 3)))[0] for _ in range(L - 1)]
        left, right = [U] + R, R + [Vt.T]
        layers = [(left[i] * s ** (1 / L)) @ right[i].T for i in range(L)]
        assert factorised_objective(X, Y, layers, 0.7) == pytest.approx(
            schatten_penalised_objective(X, Y, W, L, 0.7), rel=1e-12)


def test_direct_objective_ignores_round_off_singular_values():
    X, Y = _instance(0)
    W = np.outer([1.0, 2.0, 0.5, -1.0], [1.0, 0.0, 3.0])  # exactly rank one; SVD gives ~1e-16 others
    s1 = np.linalg.norm(W, 2)
    expected = 0.5 * np.sum((X @ W - Y) ** 2) + 0.5 * 6 / 2 * s1 ** (2 / 6)
    assert schatten_penalised_objective(X, Y, W, 6, 0.5) == pytest.approx(expected, rel=1e-12)


# ---------------------------------------------------------------------------------------------- solvers
def test_l2_solution_matches_cvxpy_nuclear_norm_problem():
    X, Y = _instance(3, n=10, d=4, k=3)
    beta = 1.5
    W = cp.Variable((4, 3))
    problem = cp.Problem(cp.Minimize(0.5 * cp.sum_squares(X @ W - Y) + beta * cp.normNuc(W)))
    problem.solve(solver=cp.SCS, eps_abs=1e-10, eps_rel=1e-10, max_iters=200_000)
    assert problem.status == "optimal"
    fit = solve_schatten_penalised(X, Y, 2, beta)
    assert fit.objective == pytest.approx(problem.value, rel=1e-6)
    np.testing.assert_allclose(fit.singular_values, np.linalg.svd(W.value, compute_uv=False), atol=1e-4)


@pytest.mark.parametrize("L", [2, 3, 4])
@pytest.mark.parametrize("seed", [0, 1])
def test_direct_solver_and_factorised_training_agree(L, seed):
    """Both forms of the penalised problem, solved independently, reach the same value and singular values.

    Tolerances: both solvers stop at first-order tolerances (step 1e-12, gradient 1e-10); at a local minimum
    with non-degenerate curvature the objective error is quadratic in these, far below 1e-7 relative, and
    the singular values are accurate to about the gradient tolerance / curvature.
    """
    X, Y = _instance(seed)
    beta = 2.0
    direct = solve_schatten_penalised(X, Y, L, beta, seed=seed)
    trained = train_factorised_linear(X, Y, L, beta, n_starts=4, seed=seed)
    assert direct.converged and trained.converged
    assert trained.objective == pytest.approx(direct.objective, rel=1e-7)
    np.testing.assert_allclose(trained.singular_values, direct.singular_values, atol=1e-5)
    # the trained weights' product is W, and their penalty is the Schatten term at W (balanced optimum)
    assert factorised_objective(X, Y, trained.weights, beta) == pytest.approx(trained.objective, rel=1e-12)
    assert schatten_penalised_objective(X, Y, trained.W, L, beta) == pytest.approx(trained.objective, rel=1e-6)


@pytest.mark.parametrize("L", [3, 4, 5])
def test_orthonormal_data_solution_is_the_prox_of_the_labels(L):
    """With X^T X = I the loss is 1/2 ||W - X^T Y||^2 + const, so the solution is the spectral prox of X^T Y."""
    X, Y = _orthonormal_instance(L)
    beta = 0.8
    s_closed = schatten_power_prox(np.linalg.svd(X.T @ Y, compute_uv=False), beta * L / 2, L)
    fit = solve_schatten_penalised(X, Y, L, beta)
    np.testing.assert_allclose(fit.singular_values, s_closed, atol=1e-8)


@pytest.mark.parametrize("beta", [0.05, 0.5, 2.0, 8.0])
def test_rank_is_non_increasing_in_depth_for_orthonormal_data(beta):
    """Guaranteed property: for X with orthonormal columns the rank of the solution is the number of singular
    values of X^T Y above tau_L = schatten_prox_threshold(beta L / 2, L), and tau_L is non-decreasing in L
    for beta <= 8 (checked here up to L = 30). The solver's ranks follow."""
    taus = [schatten_prox_threshold(beta * L / 2, L) for L in range(2, 31)]
    assert np.all(np.diff(taus) >= 0)
    X, Y = _orthonormal_instance(0, n=9, d=6, k=5)
    s = np.linalg.svd(X.T @ Y, compute_uv=False)
    Y = Y * (taus[2] / np.median(s))  # put the threshold inside the spectrum
    ranks = [numerical_rank(solve_schatten_penalised(X, Y, L, beta, n_starts=1).W) for L in range(2, 7)]
    assert all(a >= b for a, b in zip(ranks, ranks[1:], strict=False))


def test_rank_monotonicity_is_not_universal_for_large_beta():
    """For large beta the thresholds are not monotone: tau_3 < tau_2 at beta = 30 (so the property above
    needs its assumption)."""
    assert schatten_prox_threshold(30 * 3 / 2, 3) < schatten_prox_threshold(30.0, 2)


def test_solvers_are_deterministic():
    X, Y = _instance(5)
    a = train_factorised_linear(X, Y, 3, 1.0, n_starts=2, seed=7)
    b = train_factorised_linear(X, Y, 3, 1.0, n_starts=2, seed=7)
    assert a.objective == b.objective
    c = solve_schatten_penalised(X, Y, 3, 1.0, seed=7)
    d = solve_schatten_penalised(X, Y, 3, 1.0, seed=7)
    assert c.objective == d.objective
    assert isinstance(c, LowRankFit) and c.weights is None and len(a.weights) == 3


# ---------------------------------------------------------------------------------------------- rank measures
def test_rank_measures():
    assert numerical_rank(np.zeros((3, 2))) == 0
    assert effective_rank(np.zeros((3, 2))) == 0.0
    assert effective_rank(2.5 * np.eye(3)) == pytest.approx(3.0)
    assert effective_rank(np.outer([1, 2], [3, 4, 5])) == pytest.approx(1.0)
    assert numerical_rank(np.diag([1.0, 1e-7, 0.0])) == 1
    assert numerical_rank(np.diag([1.0, 1e-7, 0.0]), rtol=1e-8) == 2
    W = np.diag([3.0, 1.0, 0.5])
    assert 1.0 < effective_rank(W) < 3.0
    assert effective_rank(10 * W) == pytest.approx(effective_rank(W))
    num, eff = ranks_from_singular_values(np.array([[[3.0, 1.0, 0.5], [1.0, 0.0, 0.0]]]))
    np.testing.assert_array_equal(num, [[3, 1]])
    np.testing.assert_allclose(eff, [[effective_rank(W), 1.0]])


def test_path_matches_single_solves():
    X, Y = _instance(2)
    sv, obj = low_rank_path(X, Y, [2, 4], [0.5, 3.0])
    assert sv.shape == (2, 2, 3) and obj.shape == (2, 2)
    fit = solve_schatten_penalised(X, Y, 4, 3.0, n_starts=2, tol=1e-10)
    np.testing.assert_allclose(sv[1, 1], fit.singular_values)
    assert obj[1, 1] == fit.objective


# ---------------------------------------------------------------------------------------------- figures, widget
def _fake_path():
    rng = np.random.default_rng(0)
    return np.sort(rng.random((3, 2, 4)), axis=-1)[..., ::-1], [2, 3, 4], [0.5, 2.0]


def test_static_figures_plot_the_path():
    sv, depths, betas = _fake_path()
    fig = plot_low_rank_spectra(sv, depths, betas, reference=sv[0, 0] * 1.1)
    line = [ln for ln in fig.axes[1].get_lines() if ln.get_gid() == "sv-L3"][0]
    np.testing.assert_array_equal(line.get_ydata(), sv[1, 1])
    fig = plot_rank_versus_depth(sv, depths, betas)
    _, eff = ranks_from_singular_values(sv)
    line = [ln for ln in fig.axes[0].get_lines() if ln.get_gid() == "erank-beta1"][0]
    np.testing.assert_allclose(line.get_ydata(), eff[:, 1])


def test_explorer_redraws_the_selected_solution():
    sv, depths, betas = _fake_path()
    ex = low_rank_explorer(sv, depths, betas, reference=sv[0, 0])
    first_png = ex.image.value
    ex.depth.value = 4
    ex.beta.value = 2.0
    np.testing.assert_array_equal(ex.spectrum_line.get_ydata(), sv[2, 1])
    assert ex.image.value != first_png and ex.image.value[:4] == b"\x89PNG"


# ---------------------------------------------------------------------------------------------- bad input
def test_bad_inputs_raise_clear_errors():
    X, Y = _instance(0)
    with pytest.raises(ValueError, match="at least 2"):
        solve_schatten_penalised(X, Y, 1, 1.0)
    with pytest.raises(TypeError, match="integer"):
        solve_schatten_penalised(X, Y, 2.5, 1.0)
    with pytest.raises(ValueError, match="beta"):
        train_factorised_linear(X, Y, 3, 0.0)
    with pytest.raises(ValueError, match="rows"):
        solve_schatten_penalised(X, Y[:-1], 3, 1.0)
    with pytest.raises(ValueError, match="NaN"):
        solve_schatten_penalised(np.full_like(X, np.nan), Y, 3, 1.0)
    with pytest.raises(ValueError, match="zero matrix"):
        solve_schatten_penalised(np.zeros_like(X), Y, 3, 1.0)
    with pytest.raises(ValueError, match="n_starts"):
        solve_schatten_penalised(X, Y, 3, 1.0, n_starts=0)
    with pytest.raises(TypeError, match="width"):
        train_factorised_linear(X, Y, 3, 1.0, width=2.5)
    with pytest.raises(ValueError, match="non-negative"):
        schatten_power_prox([-1.0, 2.0], 1.0, 3)
    with pytest.raises(TypeError):
        schatten_power_prox("abc", 1.0, 3)
    with pytest.raises(ValueError, match="c must be"):
        schatten_power_prox([1.0], -1.0, 3)
    with pytest.raises(ValueError, match="shape"):
        schatten_penalised_objective(X, Y, np.ones((3, 3)), 3, 1.0)
    with pytest.raises(TypeError, match="list"):
        factorised_objective(X, Y, np.ones((4, 3)), 1.0)
    with pytest.raises(ValueError, match="rows"):
        factorised_objective(X, Y, [np.ones((4, 2)), np.ones((3, 3))], 1.0)
    with pytest.raises(ValueError, match="outputs"):
        factorised_objective(X, Y, [np.ones((4, 2)), np.ones((2, 2))], 1.0)
    with pytest.raises(ValueError, match="rtol"):
        numerical_rank(np.eye(2), rtol=1.0)
    with pytest.raises(ValueError, match=">= 0"):
        ranks_from_singular_values([1.0, -1.0])
    with pytest.raises(ValueError, match="shape"):
        low_rank_explorer(np.ones((2, 2, 3)), [2, 3, 4], [1.0, 2.0])
    with pytest.raises(ValueError, match="empty"):
        low_rank_path(X, Y, [], [1.0])


# ---------------------------------------------------------------------------------------------- exercise checks
@pytest.mark.parametrize(("exercise_id", "good", "bad"), [
    ("04.2", lambda: float(np.linalg.svd([[2.0, 0.0], [1.0, 1.0], [0.0, 3.0]], compute_uv=False).sum()), 5.0),
    ("04.3", lambda: 2 / 3, 1 / 3),
    ("05.2", lambda: schatten_power_prox(np.array([3.0, 1.4, 0.6]), 1.5, 6), np.array([3.0, 0.0, 0.0])),
    ("05.3", lambda: 4, 3),
])
def test_exercise_checks_accept_the_answer_and_reject_a_wrong_one(exercise_id, good, bad, capsys):
    assert check_exercise(exercise_id, good())
    assert not check_exercise(exercise_id, bad)
    assert not check_exercise(exercise_id, None)
    assert "not answered yet" in capsys.readouterr().out
