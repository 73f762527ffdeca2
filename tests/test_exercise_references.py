"""Every registered exercise's reference answer, pinned to a value obtained without the code it uses.

``utils.course.checks`` computes each reference with ``utils``; a mistake there (a wrong depth, an index off
by one, a lost factor) would make the checker accept a wrong answer and reject the right one. Each test below
recomputes the answer from the exercise's statement in the chapter, by a closed form derived by hand (the
derivation is in the comment) or by an independent numerical method written here with numpy (brute force,
polynomial roots, dense grids) or cvxpy (the convex programs of chapters 0, 1 and 7, set up from scratch), and
compares it with the registered reference. A registered exercise without such a test fails
:func:`test_every_registered_exercise_has_a_pinned_reference`.
"""

from __future__ import annotations

from collections.abc import Callable

import cvxpy as cp
import numpy as np
import pytest

from utils.course import checks
from utils.course.checks import check_exercise, registered_exercises

PINNED: dict[str, Callable[[], None]] = {}


def _pins(exercise_id: str):
    """Record that the decorated test pins the reference of ``exercise_id``."""

    def record(test):
        PINNED[exercise_id] = test
        return test

    return record


def _assert_reference_is(exercise_id: str, expected, *, rtol: float, atol: float = 0.0) -> None:
    """The registered reference equals ``expected`` (same shape, within rtol/atol), and the checker accepts it."""
    reference = checks._reference(checks._REGISTRY[exercise_id])
    assert np.shape(reference) == np.shape(expected), f"{exercise_id}: shape {np.shape(reference)}"
    np.testing.assert_allclose(np.asarray(reference, dtype=float), np.asarray(expected, dtype=float),
                               rtol=rtol, atol=atol, err_msg=f"reference of exercise {exercise_id}")
    assert check_exercise(exercise_id, expected), f"the checker of {exercise_id} rejects the independent value"


def _line_data(x) -> np.ndarray:
    """1-D inputs with a bias column, shape (n, 2)."""
    x = np.asarray(x, dtype=float)
    return np.column_stack([x, np.ones_like(x)])


def _cell_patterns(x) -> np.ndarray:
    """The non-zero activation patterns ``1[x_j u_1 + u_2 >= 0]`` of 1-D data with a bias, shape (P, n).

    Sample j vanishes on the two directions ``+-(1, -x_j)`` of the (u_1, u_2)-plane; the open arcs between
    consecutive such directions are the cells, and the midpoint of each arc gives its pattern.
    """
    x = np.asarray(x, dtype=float)
    crit = np.sort(np.mod(np.r_[np.arctan2(-x, 1.0), np.arctan2(x, -1.0)], 2 * np.pi))
    mids = 0.5 * (crit + np.r_[crit[1:], crit[0] + 2 * np.pi])
    signs = _line_data(x) @ np.vstack([np.cos(mids), np.sin(mids)])
    patterns = np.unique((signs >= 0).T, axis=0)
    return patterns[patterns.any(axis=1)].astype(float)


def _relu_gauges(x, n_blocks: int):
    """``n_blocks`` independent copies of the two-layer ReLU gauge program on 1-D data with a bias.

    Block b outputs ``z_b = sum_i D_i X (v_bi - w_bi)`` with ``(2 D_i - I) X v_bi >= 0`` (same for w) and costs
    ``sum_i ||v_bi|| + ||w_bi||``. Returns ``(Z, cost, constraints)`` with ``Z`` the (n, n_blocks) outputs.
    """
    X, P = _line_data(x), _cell_patterns(x)
    n_pat = P.shape[0]
    V, W = cp.Variable((2, n_blocks * n_pat)), cp.Variable((2, n_blocks * n_pat))
    masks = np.tile(P.T, n_blocks)  # column b * n_pat + i is pattern i of block b
    sums = np.kron(np.eye(n_blocks), np.ones((n_pat, 1)))  # adds the columns of each block
    Z = cp.multiply(masks, X @ (V - W)) @ sums
    constraints = [cp.multiply(2 * masks - 1, X @ V) >= 0, cp.multiply(2 * masks - 1, X @ W) >= 0]
    return Z, cp.sum(cp.norm(V, 2, axis=0)) + cp.sum(cp.norm(W, 2, axis=0)), constraints


def _solved(problem: cp.Problem) -> float:
    problem.solve(solver="CLARABEL")
    assert problem.status == "optimal", problem.status
    return float(problem.value)


# ------------------------------------------------------------------------------------------ chapter 00
def _partition_dual_bracket(W: np.ndarray) -> tuple[float, float]:
    """Certified bounds ``lo <= d* <= hi`` on ``d* = max -1^T nu s.t. W + diag(nu) >= 0``.

    Any ``nu`` shifted by ``lambda_min(W + diag(nu))`` is feasible, so ``-1^T nu + n min(0, lambda_min)`` is
    a lower bound; any ``X >= 0`` with unit diagonal bounds the relaxation ``min tr(W X)``, which equals d*,
    from above. cvxpy supplies near-optimal ``nu`` and ``X``; numpy certifies both.
    """
    n = W.shape[0]
    nu = cp.Variable(n)
    _solved(cp.Problem(cp.Maximize(-cp.sum(nu)), [W + cp.diag(nu) >> 0]))
    lam = np.linalg.eigvalsh(W + np.diag(nu.value))[0]
    lo = -float(np.sum(nu.value)) + n * min(0.0, lam)
    S = cp.Variable((n, n), symmetric=True)
    _solved(cp.Problem(cp.Minimize(cp.trace(W @ S)), [S >> 0, cp.diag(S) == 1]))
    evals, evecs = np.linalg.eigh((S.value + S.value.T) / 2)
    psd = (evecs * np.maximum(evals, 0)) @ evecs.T
    scale = 1 / np.sqrt(np.diag(psd))
    hi = float(np.sum(W * (scale[:, None] * psd * scale[None, :])))
    return lo, hi


@_pins("00.2")
def test_00_2_gap_is_the_brute_force_optimum_minus_the_certified_dual_value():
    # W = (G + G^T) / 2 with G standard Gaussian from seed 2 (the instance generator's documented rule);
    # p* = min over the 2^10 sign vectors of x^T W x, d* bracketed by a certified primal-dual pair.
    G = np.random.default_rng(2).standard_normal((10, 10))
    W = (G + G.T) / 2
    signs = 1.0 - 2.0 * ((np.arange(2**10)[:, None] >> np.arange(10)) & 1)
    p_star = float(np.min(np.einsum("si,ij,sj->s", signs, W, signs)))
    lo, hi = _partition_dual_bracket(W)
    assert hi - lo <= 1e-6 * abs(lo)
    _assert_reference_is("00.2", p_star - 0.5 * (lo + hi), rtol=1e-6)


# ------------------------------------------------------------------------------------------ chapter 01
@_pins("01.2")
def test_01_2_minimum_norm_value_is_the_convex_program_over_all_cells():
    # P2 = min sum_i ||v_i|| + ||w_i|| s.t. sum_i D_i X (v_i - w_i) = y, over the patterns of all cells
    x, y = np.array([-1.0, -0.4, 0.1, 0.6, 1.0]), np.array([0.2, -0.6, 0.3, 0.9, -0.1])
    Z, cost, constraints = _relu_gauges(x, 1)
    value = _solved(cp.Problem(cp.Minimize(cost), [*constraints, Z[:, 0] == y]))
    _assert_reference_is("01.2", value, rtol=1e-6)


@_pins("01.3")
def test_01_3_nine_distinct_points_cut_the_plane_into_eighteen_cells():
    # n distinct lines x_j u_1 + u_2 = 0 through the origin cut the unit circle into 2n arcs: 2 * 9 = 18
    assert len(_cell_patterns([-2.0, -1.3, -0.7, 0.0, 0.4, 0.9, 1.5, 2.2, 3.0])) + 1 == 18  # + the all-zero cell
    _assert_reference_is("01.3", 18, rtol=0.0)


@_pins("01.4")
def test_01_4_switch_off_threshold_is_the_maximum_over_a_dense_grid_of_directions():
    # beta* = max_{||u|| <= 1} |y^T (X u)_+|, attained on the unit circle (the function is 1-homogeneous).
    # On a grid of 400000 angles plus the 24 kinks, the error at a smooth maximum is <= |g| (pi/400000)^2 / 2.
    x = np.linspace(-1.0, 1.0, 12)
    X, y = _line_data(x), np.sin(3.0 * x)
    theta = np.r_[np.linspace(0.0, 2 * np.pi, 400_001), np.arctan2(-x, 1.0), np.arctan2(x, -1.0)]
    values = np.abs(y @ np.maximum(X @ np.vstack([np.cos(theta), np.sin(theta)]), 0.0))
    _assert_reference_is("01.4", values.max(), rtol=1e-9)


# ------------------------------------------------------------------------------------------ chapter 02
@_pins("02.2")
def test_02_2_gap_is_2_sum_of_square_roots_minus_2_sqrt6():
    # P = (L/2) sum sigma_i^(2/L) = 2 (sqrt 3 + sqrt 2 + 1), D = (L/2) (sum sigma_i)^(2/L) = 2 sqrt 6 at L = 4
    _assert_reference_is("02.2", 2 * (np.sqrt(3) + np.sqrt(2) + 1) - 2 * np.sqrt(6), rtol=1e-12)


@_pins("02.4")
def test_02_4_ratio_tends_to_the_rank_four():
    # P/D = sum sigma_i^(2/L) / (sum sigma_i)^(2/L) -> (1 + 1 + 1 + 1) / 1 = 4 as 2/L -> 0
    _assert_reference_is("02.4", 4.0, rtol=0.0)


# ------------------------------------------------------------------------------------------ chapter 03
@_pins("03.2")
def test_03_2_one_shared_layer_is_step_three_of_depth_five():
    # one shared layer: l = s + 2 = 3; P^3 = (5/2) ||A||_{S_{2/3}}^{2/5} = (5/2) (sum sigma_i^(2/3))^(3/5)
    _assert_reference_is("03.2", 2.5 * (2 ** (2 / 3) + 1 + 0.5 ** (2 / 3)) ** 0.6, rtol=1e-12)


@_pins("03.3")
def test_03_3_flat_spectrum_steps_grow_by_the_square_root_of_the_rank():
    # P^l(1) = ||A||_{S_{2/l}} = (r sigma^(2/l))^(l/2) = r^(l/2) sigma: consecutive ratio sqrt(r) = sqrt 4 = 2
    _assert_reference_is("03.3", 2.0, rtol=1e-12)


# ------------------------------------------------------------------------------------------ chapter 04
@_pins("04.2")
def test_04_2_power_penalty_is_the_nuclear_norm_sqrt_29():
    # branch i has L layers of norm sigma_i^(1/L): penalty (1/L) sum_i L sigma_i = ||Y||_*. With
    # Y^T Y = [[5, 1], [1, 10]] (trace 15, determinant 49): (sqrt l1 + sqrt l2)^2 = 15 + 2 sqrt 49 = 29
    _assert_reference_is("04.2", np.sqrt(29.0), rtol=1e-12)


@_pins("04.3")
def test_04_3_split_cost_exponent_is_one_minus_two_over_depth():
    # m branches carrying M/m: (L/2) m (1/m)^(2/L) = (L/2) m^(1 - 2/L); at L = 6 the exponent is 2/3
    _assert_reference_is("04.3", 2.0 / 3.0, rtol=1e-12)


# ------------------------------------------------------------------------------------------ chapter 05
def _scalar_prox(s: float, c: float, L: int) -> float:
    """``argmin_{x >= 0} 1/2 (x - s)^2 + c x^(2/L)``, from polynomial roots.

    With ``x = z^L`` the objective is ``1/2 (z^L - s)^2 + c z^2``, whose derivative is
    ``z (L z^(2L-2) - L s z^(L-2) + 2c)``: the candidates are ``x = 0`` and the positive real roots.
    """
    coeffs = np.zeros(2 * L - 1)
    coeffs[0] = L  # the power 2L-2
    coeffs[L] -= L * s  # the power L-2 (the constant term when L = 2)
    coeffs[-1] += 2 * c
    roots = np.roots(coeffs)
    z = roots[(np.abs(roots.imag) < 1e-9) & (roots.real > 0)].real
    candidates = np.r_[0.0, z**L]
    values = 0.5 * (candidates - s) ** 2 + c * candidates ** (2 / L)
    return float(candidates[np.argmin(values)])


@_pins("05.2")
def test_05_2_singular_values_are_the_scalar_prox_of_those_of_y():
    # X = I: the problem splits over the singular values s of Y; each is the scalar prox with c = beta L / 2
    # = 3/2 and q = 1/3. Its threshold 5/4 * 2^(3/5) = 1.89 zeroes 1.4 and 0.6.
    expected = np.array([_scalar_prox(s, 0.5 * 6 / 2, 6) for s in (3.0, 1.4, 0.6)])
    assert expected[0] > 0 and np.all(expected[1:] == 0)
    _assert_reference_is("05.2", expected, rtol=1e-9, atol=1e-12)


@_pins("05.3")
def test_05_3_rank_first_drops_to_one_at_depth_four():
    # thresholds of the prox with c = beta L / 2, beta = 1/2: L = 2, soft threshold 0.5 < 0.6 (rank 3);
    # L = 3, 2 beta^(3/4) = 1.19 < 1.4 (rank 2); L = 4, (3/2) (2 beta)^(2/3) = 1.5 in (1.4, 3) (rank 1)
    ranks = [sum(_scalar_prox(s, 0.5 * L / 2, L) > 0 for s in (3.0, 1.4, 0.6)) for L in (2, 3, 4)]
    assert ranks == [3, 2, 1]
    _assert_reference_is("05.3", 4, rtol=0.0)


# ------------------------------------------------------------------------------------------ chapter 06
@_pins("06.2")
def test_06_2_relative_gap_is_a_ratio_of_two_thirds_powers():
    # P(1)/D(1) = (|y1|^(2/3) + |y2|^(2/3))^(3/2) / (|y1| + |y2|) (||a|| cancels), and P/D = (P(1)/D(1))^(2/3):
    # (P - D)/D = (0.5^(2/3) + 2^(2/3)) / 2.5^(2/3) - 1
    _assert_reference_is("06.2", (0.5 ** (2 / 3) + 2 ** (2 / 3)) / 2.5 ** (2 / 3) - 1, rtol=1e-12)


@_pins("06.3")
def test_06_3_largest_ratio_is_the_cube_root_of_two():
    # y2 >= 0: no gap. y2 < 0: P/D = (1 + |y2|^(2/3)) / (1 + |y2|)^(2/3), largest at |y2| = 1 (on the grid):
    # 2 / 2^(2/3) = 2^(1/3), whatever c and a
    _assert_reference_is("06.3", 2 ** (1 / 3), rtol=1e-12)


# ------------------------------------------------------------------------------------------ chapter 07
def _parallel_relu3_program(x):
    """The exact parallel three-layer value ``V(y)`` as a cvxpy problem with a parameter ``y``.

    Branches are grouped by the outer pattern ``D_o`` (all 2^n - 1 non-zero ones), each with a block of each
    sign: ``V = min sum_o gamma(p_o) + gamma(q_o) s.t. sum_o D_o (p_o - q_o) = y, (2 D_o - I) p_o >= 0``
    (same for q_o), every gauge ``gamma`` written out as the two-layer program over all cells.
    """
    n = len(x)
    outer = ((np.arange(1, 2**n)[:, None] >> np.arange(n)) & 1).T.astype(float)  # (n, 2^n - 1)
    masks, signs = np.hstack([outer, outer]), np.r_[np.ones(2**n - 1), -np.ones(2**n - 1)]
    Z, cost, constraints = _relu_gauges(x, masks.shape[1])
    y = cp.Parameter(n)
    fit = cp.multiply(masks, Z) @ signs
    return cp.Problem(cp.Minimize(cost), [*constraints, cp.multiply(2 * masks - 1, Z) >= 0, fit == y]), y


@_pins("07.2")
def test_07_2_dual_value_is_three_halves_of_the_parallel_value_to_the_two_thirds():
    # D(t) = D(1)/t, so D = min_t t^2/2 + D(1)/t = (3/2) D(1)^(2/3), with D(1) the parallel network's value
    problem, y = _parallel_relu3_program(np.linspace(-1.0, 1.0, 4))
    y.value = np.array([1.0, -0.5, 0.8, -1.0])
    _assert_reference_is("07.2", 1.5 * _solved(problem) ** (2 / 3), rtol=1e-6)


@_pins("07.3")
def test_07_3_sweep_of_the_middle_label_is_the_parallel_value_at_each_label():
    problem, y = _parallel_relu3_program(np.linspace(-1.0, 1.0, 5))
    values = []
    for s in np.linspace(-1.0, 1.0, 9):
        y.value = np.array([1.0, 0.2, s, 0.3, 1.2])
        values.append(_solved(problem))
    values = np.array(values)
    assert np.all(np.diff(values, 2) >= -1e-6)  # a gauge of y is convex in s
    _assert_reference_is("07.3", values, rtol=1e-6)


# ------------------------------------------------------------------------------------------ chapter 08
@_pins("08.2")
def test_08_2_ratio_for_four_equal_singular_values_is_four_to_the_three_fifths():
    # P = (L/2) r, D = (L/2) r^(2/L): P/D = r^(1 - 2/L) = 4^(3/5)
    _assert_reference_is("08.2", 4 ** 0.6, rtol=1e-12)


@_pins("08.3")
def test_08_3_gaps_at_depth_three_follow_the_two_thirds_powers():
    # P - D = (3/2) (1 + s^(2/3) - (1 + s)^(2/3)), zero at s = 0 (rank one)
    s = np.linspace(0.0, 1.0, 11)
    _assert_reference_is("08.3", 1.5 * (1 + s ** (2 / 3) - (1 + s) ** (2 / 3)), rtol=1e-12, atol=1e-15)


# ------------------------------------------------------------------------------------------ chapter 09
def _standardised(A: np.ndarray) -> np.ndarray:
    """Columns centred and divided by their population standard deviation (ddof = 0), as chapter 09 states."""
    A = np.asarray(A, dtype=float)
    return (A - A.mean(axis=0)) / A.std(axis=0)


@_pins("09.2")
def test_09_2_zero_network_threshold_is_the_maximum_over_a_dense_grid_of_directions():
    # The zero network is optimal iff lambda = y is dual feasible: beta >= max_{||u|| = 1} |y^T (X u)_+| with
    # X = [x, 1], x the standardised raw bmi and y the standardised raw progression (scikit-learn's raw arrays).
    # u = (cos a, sin a): between two consecutive angles where a sample switches (x_j cos a + sin a = 0) the function
    # is R cos(a - phi), so a grid of step h misses an interior maximum by at most R h^2 / 8 (h = 2 pi / 200000:
    # 1.2e-10 relative), and a maximum at a switching angle is on the grid.
    from sklearn.datasets import load_diabetes

    raw = load_diabetes(scaled=False)
    x = _standardised(raw.data[:, raw.feature_names.index("bmi")])
    y = _standardised(raw.target)
    angles = np.r_[np.linspace(0.0, 2 * np.pi, 200_001), np.arctan2(-x, 1.0), np.arctan2(x, -1.0)]
    best = 0.0
    for chunk in np.array_split(angles, 40):
        pre = np.outer(x, np.cos(chunk)) + np.sin(chunk)       # (n, angles): x_j cos a + sin a
        best = max(best, float(np.abs(y @ np.maximum(pre, 0.0)).max()))
    _assert_reference_is("09.2", best, rtol=1e-9)


@_pins("09.3")
def test_09_3_architecture_gap_is_a_sum_over_singular_values_of_prox_values():
    # Linnerud, every column standardised, features whitened (X <- X C^{-1/2}, C = X^T X / n): X^T X = n I, so with
    # A = X^T Y / n = U diag(s) V^T and W = U diag(w) V^T, 1/2 ||XW - Y||^2 = 1/2 ||Y||^2 + sum_i (n/2 w_i^2 - n s_i w_i)
    # (von Neumann: optimal W share A's singular vectors). Standard network, depth L (weight decay):
    # w_i = argmin 1/2 (w - s_i)^2 + (beta L / 2n) w^(2/L), penalty beta L/2 sum w_i^(2/L). Parallel network (power
    # penalty, nuclear norm): w_i = max(s_i - beta/n, 0), penalty beta sum w_i. The difference drops 1/2 ||Y||^2.
    from sklearn.datasets import load_linnerud

    raw = load_linnerud()
    F, Y = _standardised(raw.data), _standardised(raw.target)
    n, beta = F.shape[0], 1.0
    evals, evecs = np.linalg.eigh(F.T @ F / n)
    X = F @ (evecs / np.sqrt(evals)) @ evecs.T
    np.testing.assert_allclose(X.T @ X, n * np.eye(3), atol=1e-10)
    s = np.linalg.svd(X.T @ Y / n, compute_uv=False)

    def value(w, penalty):
        return float(np.sum(n / 2 * w**2 - n * s * w)) + penalty

    w_par = np.maximum(s - beta / n, 0.0)
    parallel = value(w_par, beta * np.sum(w_par))
    gaps = []
    for L in (2, 3, 4, 5):
        w = np.array([_scalar_prox(si, beta * L / (2 * n), L) for si in s])
        gaps.append(value(w, beta * L / 2 * np.sum(w ** (2 / L))) - parallel)
    assert abs(gaps[0]) <= 1e-12 and np.all(np.diff(gaps) > 0)     # L = 2: weight decay is the nuclear norm
    _assert_reference_is("09.3", np.array(gaps), rtol=1e-8, atol=1e-10)


# ------------------------------------------------------------------------------------------ coverage
def test_every_registered_exercise_has_a_pinned_reference():
    missing = sorted(set(registered_exercises()) - set(PINNED))
    assert not missing, f"exercises without an independently pinned reference in this file: {missing}"


def test_every_pinned_exercise_is_registered():
    stale = sorted(set(PINNED) - set(registered_exercises()))
    assert not stale, f"pinned exercises that are no longer registered: {stale}"


@pytest.mark.parametrize("x, n_cells", [([0.0], 2), ([-1.0, 2.0], 4), ([-2.0, -0.5, 0.3, 1.0, 4.0], 10)])
def test_cell_patterns_of_n_distinct_points_are_2n_minus_the_zero_cell(x, n_cells):
    patterns = _cell_patterns(x)
    assert patterns.shape == (n_cells - 1, len(x))
    assert len({tuple(p) for p in patterns}) == n_cells - 1
