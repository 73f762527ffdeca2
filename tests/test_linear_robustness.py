"""Numbers that survive scale, conditioning and depth: the deep linear functions of ``utils``.

Independent references: exact values (``A = X^+ Y`` known by construction, hand-derived closed forms), and the
closed forms recomputed with Python's ``decimal`` module at 60 significant digits. Properties: homogeneity in
``X`` and ``Y`` of every value, invariance under orthogonal changes of basis, depths up to 10**6, solver
results that scale exactly with the data, and solvers that report success with a violated constraint.
"""

from decimal import Decimal, localcontext

import cvxpy as cp
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import utils.linear.spectra as spectra
from utils import (
    SolverError,
    deep_linear_dual_certificate,
    deep_linear_dual_cvxpy,
    deep_linear_dual_value,
    deep_linear_dual_value_at_scale,
    deep_linear_gap,
    deep_linear_optimal_weights,
    deep_linear_primal_value,
    deep_linear_primal_value_at_scale,
    dual_value_from_singular_values,
    duality_gap_stairs,
    gap_from_singular_values,
    min_norm_target,
    nuclear_norm_min_cvxpy,
    optimal_scale,
    parallel_linear_value,
    parallel_value_from_singular_values,
    primal_value_from_singular_values,
    schatten_norm,
    stairs_from_singular_values,
    target_singular_values,
    train_deep_linear,
)
from utils._optim import ALResult
from utils.linear.factorised import train_factorised_linear
from utils.linear.low_rank import schatten_power_prox, solve_schatten_penalised
from utils.linear.ranks import low_rank_path, ranks_from_singular_values

PROPS = settings(max_examples=25, deadline=None)
SCALES = [1e-10, 1e-5, 1.0, 1e5, 1e10]


def instance(seed, rank=None):
    """Random interpolable data X (n, d), Y = X A0 with rank(A0) = rank; n, d, k in 2..6."""
    rng = np.random.default_rng(seed)
    n, d, k = (int(v) for v in rng.integers(2, 7, size=3))
    rank = int(rng.integers(1, min(d, k) + 1)) if rank is None else rank
    X = rng.standard_normal((n, d))
    return X, X @ (rng.standard_normal((d, rank)) @ rng.standard_normal((rank, k)))


def rel(a, b):
    return abs(a - b) / abs(b)


def reference(sigma, L, t=None, steps=()):
    """(P, D, gap, {l: P^l}) from the singular values, with 60 significant digits (``decimal``)."""
    with localcontext() as ctx:
        ctx.prec = 60
        s = [Decimal(float(x)) for x in sigma if x > 0]
        half = Decimal(L) / 2

        def power_sum(p):
            return sum((x.ln() * p).exp() for x in s)

        def log_schatten(p):
            return power_sum(p).ln() / p

        if t is None:
            P, D = half * power_sum(Decimal(2) / L), half * (sum(s).ln() * 2 / L).exp()
            stairs = {l: half * (log_schatten(Decimal(2) / l) * 2 / L).exp() for l in steps}
        else:
            log_f = -(L - 2) * Decimal(float(t)).ln()
            P, D = (log_schatten(Decimal(2) / L) + log_f).exp(), (sum(s).ln() + log_f).exp()
            stairs = {l: (log_schatten(Decimal(2) / l) + log_f).exp() for l in steps}
        return float(P), float(D), float(P - D), {l: float(v) for l, v in stairs.items()}


# ------------------------------------------------------------------------------- rank decisions
def test_reported_ill_conditioned_target_gives_the_exact_gap():
    X, Y = np.diag([1.0, 1e-11]), [[1.0, 1.0], [1e-11, -1e-11]]
    np.testing.assert_allclose(min_norm_target(X, Y), [[1.0, 1.0], [1.0, -1.0]], rtol=1e-15)
    assert rel(deep_linear_gap(X, Y, 3), 3 * 2 ** (1 / 3) - 3) < 1e-14
    assert rel(deep_linear_primal_value(X, Y, 3), 3 * 2 ** (1 / 3)) < 1e-14


@PROPS
@given(st.integers(0, 10**6), st.floats(-12.0, 0.0), st.integers(2, 8), st.booleans())
def test_graded_diagonal_data_of_any_condition_give_the_values_of_the_known_target(seed, log_cond, L, wide):
    """X = P1 diag(s) P2 (permutations, signs, extra zero rows or columns): Y = X A0 is computed exactly (one
    product per entry), so A = X^+ Y is A0 without its rows at zero columns, exactly, for cond(X) up to 1e12."""
    rng = np.random.default_rng(seed)
    m, k, extra = (int(v) for v in rng.integers(2, 6, size=3))
    s = np.logspace(0.0, log_cond, m)
    shape = (m, m + extra) if wide else (m + extra, m)
    X = np.zeros(shape)
    rows, cols = rng.permutation(shape[0])[:m], rng.permutation(shape[1])[:m]
    X[rows, cols] = s * rng.choice([-1.0, 1.0], m)
    A0 = rng.standard_normal((shape[1], k))
    A0[np.setdiff1d(np.arange(shape[1]), cols)] = 0.0  # rows outside the row space of X
    sv = np.linalg.svd(A0, compute_uv=False)[:min(m, k)]
    assume(sv[-1] > 1e-3 * sv[0])
    Y = X @ A0
    np.testing.assert_allclose(min_norm_target(X, Y), A0, rtol=0, atol=1e-14 * sv[0])
    P, D, gap, _ = reference(sv, L)
    assert rel(deep_linear_primal_value(X, Y, L), P) < 1e-12
    assert rel(deep_linear_dual_value(X, Y, L), D) < 1e-12
    assert abs(deep_linear_gap(X, Y, L) - gap) <= 1e-12 * P


def test_labels_along_a_tiny_singular_direction_are_in_range_and_others_are_not():
    X = np.zeros((6, 3))
    X[[4, 0, 2], [0, 1, 2]] = [1.0, 1e-6, 1e-12]  # cond(X) = 1e12
    y = X @ np.array([0.0, 0.0, 1.0])  # = 1e-12 e_2
    np.testing.assert_allclose(min_norm_target(X, y)[:, 0], [0.0, 0.0, 1.0], atol=1e-15)
    assert target_singular_values(X, y).tolist() == [1.0]
    y_out = y.copy()
    y_out[5] = 1e-18  # outside range(X), 1e-6 relative to ||y||
    with pytest.raises(ValueError, match="not in range"):
        min_norm_target(X, y_out)


@PROPS
@given(st.integers(0, 10**6), st.integers(3, 12))
def test_rank_one_labels_have_exactly_zero_gap_despite_round_off(seed, L):
    X, Y = instance(seed, rank=1)
    assert target_singular_values(X, Y).size == 1
    assert deep_linear_gap(X, Y, L) == 0.0
    np.testing.assert_array_equal(np.diff(duality_gap_stairs(X, Y, L)), 0.0)


def test_a_tiny_second_singular_value_gives_a_tiny_accurate_gap():
    # L = 3, sigma = (1, x): gap = 3/2 (x^{2/3} - ((1 + x)^{2/3} - 1)); a subtraction P - D would return 0
    for x in (1e-30, 1e-100, 1e-200):
        expected = 1.5 * (x ** (2 / 3) - 2 / 3 * x)
        assert rel(gap_from_singular_values([1.0, x], 3), expected) < 1e-14


# ------------------------------------------------------------------------------- depth and scale
def test_reported_overflows_are_finite_or_clear():
    assert rel(optimal_scale(np.eye(8), np.eye(8), 800), np.sqrt(8)) < 1e-14
    with pytest.raises(OverflowError, match="largest float"):
        gap_from_singular_values([3, 2, 1], 2000, t=0.5)
    P, D, gap, _ = reference([3, 2, 1], 2000, t=1.3)
    assert rel(gap_from_singular_values([3, 2, 1], 2000, t=1.3), gap) < 1e-10
    assert rel(primal_value_from_singular_values([3, 2, 1], 2000, t=1.3), P) < 1e-10


@pytest.mark.parametrize("L", [10**3, 10**5, 10**6])
def test_deep_values_match_high_precision_and_the_large_depth_expansion(L):
    sigma = [5.0, 2.0, 0.7, 1e-3]
    P, D, gap, stairs = reference(sigma, L, steps=(2, 3, 17, L))
    assert rel(primal_value_from_singular_values(sigma, L), P) < 1e-13
    assert rel(dual_value_from_singular_values(sigma, L), D) < 1e-13
    assert rel(gap_from_singular_values(sigma, L), gap) < 1e-13
    assert rel(optimal_scale(np.eye(len(sigma)), np.diag(sigma), L), float(Decimal(P / L * 2).sqrt())) < 1e-12
    # P = (L/2) sum exp(2 log s / L) = 2 L + sum log s + (1/L) sum log^2 s + 2/(3 L^2) sum log^3 s + R,
    # |R| <= (1/(3 L^3)) sum log^4 s exp(|2 log s / L|) (Taylor), and the float P is exact to a few ulps
    logs = np.log(sigma)
    expansion = 2 * L + logs.sum() + np.sum(logs**2) / L + 2 * np.sum(logs**3) / (3 * L**2)
    assert abs(P - expansion) < np.sum(logs**4) / L**3 + 1e-15 * P
    values = stairs_from_singular_values(sigma, L)
    assert values.shape == (L - 1,) and np.all(np.diff(values) > 0)
    for l, v in stairs.items():
        assert rel(values[l - 2], v) < 1e-13


@PROPS
@given(st.integers(3, 10**6), st.floats(-300.0, 300.0), st.lists(st.floats(1e-3, 1e3), min_size=2, max_size=5))
def test_values_at_scales_far_from_one_match_high_precision(L, u, sigma):
    """t = t* exp(u / L), t* the primal (dual) optimal scale: t^{-(L-2)} spans e^{-300}..e^{300} relative to the
    optimum, however deep. (At the primal optimum the dual value is about r^{-L/2} smaller: it is tested at its own.)"""
    X, Y = np.eye(len(sigma)), np.diag(sigma)
    t = optimal_scale(X, Y, L) * np.exp(u / L)
    P, _, gap, _ = reference(sigma, L, t=t)
    assert rel(primal_value_from_singular_values(sigma, L, t=t), P) < 1e-9
    assert rel(gap_from_singular_values(sigma, L, t=t), gap) < 1e-9
    t = optimal_scale(X, Y, L, "dual") * np.exp(u / L)
    assert rel(dual_value_from_singular_values(sigma, L, t=t), reference(sigma, L, t=t)[1]) < 1e-9


def test_values_at_any_depth_do_not_build_the_staircase(monkeypatch):
    def refuse(*args):
        raise AssertionError("the O(L) staircase was built")

    monkeypatch.setattr(spectra, "_stairs", refuse)
    X, Y = instance(1)
    L = 10**6
    for f in (deep_linear_primal_value, deep_linear_dual_value, deep_linear_gap, parallel_linear_value,
              optimal_scale):
        assert np.isfinite(f(X, Y, L))
    t = optimal_scale(np.eye(2), np.diag([3.0, 2.0]), L)
    for f in (primal_value_from_singular_values, dual_value_from_singular_values, gap_from_singular_values):
        assert np.isfinite(f([3.0, 2.0], L)) and np.isfinite(f([3.0, 2.0], L, t=t))
    assert np.isfinite(deep_linear_primal_value_at_scale(X, Y, L, optimal_scale(X, Y, L)))


# ------------------------------------------------------------------------------- homogeneity
magnitudes = st.floats(-10.0, 10.0).map(lambda u: 10.0**u)


def _values(X, Y, L, t):
    """Every value function with its degrees of homogeneity (in Y, in X): f(aX, cY) = c^dy a^dx f(X, Y)."""
    q = 2 / L
    return [(deep_linear_primal_value(X, Y, L), q, -q), (deep_linear_dual_value(X, Y, L), q, -q),
            (deep_linear_gap(X, Y, L), q, -q), (duality_gap_stairs(X, Y, L), q, -q),
            (duality_gap_stairs(X, Y, L, t=t), 1, -1), (deep_linear_primal_value_at_scale(X, Y, L, t), 1, -1),
            (deep_linear_dual_value_at_scale(X, Y, L, t), 1, -1), (parallel_linear_value(X, Y, L, "power"), 1, -1),
            (parallel_linear_value(X, Y, L, "weight_decay"), q, -q), (optimal_scale(X, Y, L), 1 / L, -1 / L),
            (optimal_scale(X, Y, L, "dual"), 1 / L, -1 / L), (min_norm_target(X, Y), 1, -1),
            (target_singular_values(X, Y), 1, -1), (deep_linear_dual_certificate(X, Y, L, t), 0, -1),
            *[(W, 1 / L, -1 / L) for W in deep_linear_optimal_weights(X, Y, L, seed=3)]]


@PROPS
@given(st.integers(0, 10**6), st.integers(2, 7), magnitudes, st.sampled_from(["X", "Y"]))
def test_every_value_is_homogeneous_in_the_data(seed, L, c, which):
    X, Y = instance(seed)
    t = 0.8
    base = _values(X, Y, L, t)
    scaled = _values(c * X, Y, L, t) if which == "X" else _values(X, c * Y, L, t)
    for (v0, dy, dx), (v1, _, _) in zip(base, scaled, strict=True):
        factor = c ** (dx if which == "X" else dy)
        np.testing.assert_allclose(v1, factor * np.asarray(v0), rtol=1e-10, atol=1e-12 * factor * np.max(np.abs(v0)))


@PROPS
@given(st.lists(st.floats(1e-3, 1e3), min_size=1, max_size=5), st.integers(2, 10**6), magnitudes)
def test_values_from_singular_values_are_homogeneous(sigma, L, c):
    scaled = [c * s for s in sigma]
    for f, degree in ((primal_value_from_singular_values, 2 / L), (dual_value_from_singular_values, 2 / L),
                      (gap_from_singular_values, 2 / L)):
        assert f(scaled, L) == pytest.approx(c**degree * f(sigma, L), rel=1e-12, abs=1e-300)
    assert parallel_value_from_singular_values(scaled, L) == pytest.approx(c * sum(sigma), rel=1e-13)
    A = np.diag(sigma)
    assert schatten_norm(c * A, 2 / 3) == pytest.approx(c * schatten_norm(A, 2 / 3), rel=1e-13)
    if L <= 50:
        np.testing.assert_allclose(stairs_from_singular_values(scaled, L), c ** (2 / L)
                                   * stairs_from_singular_values(sigma, L), rtol=1e-12)
        np.testing.assert_allclose(stairs_from_singular_values(scaled, L, t=1.0),
                                   c * stairs_from_singular_values(sigma, L, t=1.0), rtol=1e-12)


# ------------------------------------------------------------------------------- orthogonal invariance
def _orthogonal(rng, m):
    Q, R = np.linalg.qr(rng.standard_normal((m, m)))
    return Q * np.sign(np.diag(R))


@PROPS
@given(st.integers(0, 10**6), st.integers(2, 7))
def test_orthogonal_changes_of_basis_leave_the_target_or_its_spectrum_unchanged(seed, L):
    X, Y = instance(seed)
    rng = np.random.default_rng(seed + 1)
    Q, R, S = (_orthogonal(rng, m) for m in (X.shape[0], X.shape[1], Y.shape[1]))
    A = min_norm_target(X, Y)
    np.testing.assert_allclose(min_norm_target(Q @ X, Q @ Y), A, atol=1e-10 * np.abs(A).max())
    np.testing.assert_allclose(deep_linear_dual_certificate(Q @ X, Q @ Y, L), Q @ deep_linear_dual_certificate(
        X, Y, L), atol=1e-10 * np.abs(deep_linear_dual_certificate(X, Y, L)).max())
    sigma = target_singular_values(X, Y)
    for Xb, Yb in ((X @ R, Y), (X, Y @ S), (Q @ X, Q @ Y @ S)):
        np.testing.assert_allclose(target_singular_values(Xb, Yb), sigma, rtol=1e-10)
        assert rel(deep_linear_gap(Xb, Yb, L) + deep_linear_primal_value(Xb, Yb, L),
                   deep_linear_gap(X, Y, L) + deep_linear_primal_value(X, Y, L)) < 1e-10


# ------------------------------------------------------------------------------- solvers at every scale
X_S, Y_S = instance(5, rank=2)


@pytest.mark.parametrize("c", SCALES)
def test_cvxpy_programs_scale_exactly_with_the_data(c):
    nuclear = parallel_linear_value(X_S, Y_S, 2, "power")
    value, Lam = deep_linear_dual_cvxpy(X_S, c * Y_S, bound=0.5)
    assert rel(value, 0.5 * c * nuclear) < 1e-6
    assert np.linalg.norm(X_S.T @ Lam, 2) <= 0.5 * (1 + 1e-6)
    value_x, Lam_x = deep_linear_dual_cvxpy(c * X_S, Y_S)
    assert rel(value_x, nuclear / c) < 1e-6
    assert np.linalg.norm(c * X_S.T @ Lam_x, 2) <= 1 + 1e-6
    nuc, W = nuclear_norm_min_cvxpy(X_S, c * Y_S)
    assert rel(nuc, c * nuclear) < 1e-6
    np.testing.assert_allclose(X_S @ W, c * Y_S, atol=1e-7 * c * np.abs(Y_S).max())
    nuc_x, W_x = nuclear_norm_min_cvxpy(c * X_S, Y_S)
    assert rel(nuc_x, nuclear / c) < 1e-6 and rel(np.abs(W_x).sum(), np.abs(W).sum() / c**2) < 1e-5


@pytest.mark.parametrize("architecture,penalty,options,degree", [
    ("standard", "weight_decay", {}, 2 / 3), ("standard", "power", {}, 1),
    ("partial", "weight_decay", {"n_shared": 1, "scale": 0.9, "n_branches": 2, "width": 2}, 1)])
def test_trained_network_scales_exactly_with_the_labels_and_the_data(architecture, penalty, options, degree):
    X, Y = X_S[:, :3], X_S[:, :3] @ np.array([[1.0, 0.5], [-0.3, 2.0], [0.7, 0.1]])
    fits = {(c, which): train_deep_linear(*((c * X, Y) if which == "X" else (X, c * Y)), 3,
                                          architecture=architecture, penalty=penalty, n_starts=1, seed=0, **options)
            for c in SCALES for which in "XY"}
    base = fits[1.0, "Y"].objective
    for (c, which), fit in fits.items():
        factor = c ** (degree if which == "Y" else -degree)
        assert rel(fit.objective, factor * base) < 1e-8
        assert fit.residual <= 1e-6 * np.abs(c * Y if which == "Y" else Y).max()
    closed = {"standard": deep_linear_primal_value(X, Y, 3), "partial": duality_gap_stairs(X, Y, 3, t=0.9)[1]}
    closed["power"] = schatten_norm(min_norm_target(X, Y), 2 / 3)
    assert rel(base, closed["power" if penalty == "power" else architecture]) < 1e-4


@pytest.fixture(scope="module")
def penalised():
    """The direct solution at unit scale: X_S, Y_S, L = 3, beta = 0.7."""
    return solve_schatten_penalised(X_S, Y_S, 3, 0.7)


@pytest.mark.parametrize("c", SCALES)
def test_penalised_solvers_scale_exactly_with_labels_data_and_weight_decay(c, penalised):
    X, Y, L, beta = X_S, Y_S, 3, 0.7
    scaled = solve_schatten_penalised(X, c * Y, L, beta * c ** (2 - 2 / L))
    assert rel(scaled.objective, c**2 * penalised.objective) < 1e-9
    np.testing.assert_allclose(scaled.W, c * penalised.W, atol=1e-9 * c * np.abs(penalised.W).max())
    data = solve_schatten_penalised(c * X, Y, L, beta * c ** (2 / L))
    assert rel(data.objective, penalised.objective) < 1e-9
    np.testing.assert_allclose(c * data.W, penalised.W, atol=1e-9 * np.abs(penalised.W).max())
    trained = train_factorised_linear(X, c * Y, L, beta * c ** (2 - 2 / L), n_starts=1, seed=0)
    assert rel(trained.objective, c**2 * penalised.objective) < 1e-7
    np.testing.assert_allclose(trained.singular_values, c * penalised.singular_values,
                               atol=1e-5 * c * penalised.singular_values[0])


def test_low_rank_path_scales_with_labels_and_weight_decay(penalised):
    c = 1e-8
    sv, obj = low_rank_path(X_S, c * Y_S, [3], [0.7 * c ** (2 - 2 / 3)])
    assert rel(obj[0, 0], c**2 * penalised.objective) < 1e-9
    np.testing.assert_allclose(sv[0, 0], c * penalised.singular_values, atol=1e-9 * c * sv[0, 0, 0])


# ------------------------------------------------------------------------------- status against residual
def test_an_optimal_status_with_a_violated_constraint_raises(monkeypatch):
    def lying_solve(self, *args, **kwargs):
        for v in self.variables():
            v.value = np.full(v.shape, 3.0)
        self._status, self._value = "optimal", 0.0
        return 0.0

    monkeypatch.setattr(cp.Problem, "solve", lying_solve)
    for f in (deep_linear_dual_cvxpy, nuclear_norm_min_cvxpy):
        with pytest.raises(SolverError, match=r"status 'optimal'.*residual"):
            f(X_S, Y_S)


def test_a_converged_trainer_whose_weights_do_not_interpolate_raises(monkeypatch):
    def lying_run(objective, constraint, x0, **kwargs):
        return ALResult(x=np.zeros_like(x0), fun=0.0, residual=0.0, multipliers=np.zeros(1), n_outer=1,
                        converged=True)

    monkeypatch.setattr("utils.linear.solvers.augmented_lagrangian", lying_run)
    with pytest.raises(SolverError, match=r"status 'converged'.*residual"):
        train_deep_linear(X_S, Y_S, 3, n_starts=1)


# ------------------------------------------------------------------------------- input validation
@pytest.mark.parametrize("bad,error", [(np.eye(3, dtype=complex), "complex"), (np.eye(3, dtype=bool), "boolean")])
def test_complex_and_boolean_inputs_are_rejected_by_name(bad, error):
    calls = [lambda: deep_linear_primal_value(bad, np.eye(3), 3), lambda: min_norm_target(np.eye(3), bad),
             lambda: primal_value_from_singular_values(np.diag(bad), 3), lambda: schatten_norm(bad, 1),
             lambda: schatten_power_prox(np.diag(bad), 1.0, 3), lambda: ranks_from_singular_values(bad),
             lambda: train_deep_linear(bad, np.eye(3), 3), lambda: solve_schatten_penalised(np.eye(3), bad, 3, 1.0),
             lambda: nuclear_norm_min_cvxpy(bad, np.eye(3))]
    for call in calls:
        with pytest.raises(TypeError, match=rf"(X|Y|sigma|A|s|singular_values) must be .*{error[:4]}"):
            call()


def test_counts_depths_and_tolerances_are_validated_by_name():
    X, Y = X_S, Y_S
    for L in (2.5, "3", True, None):
        with pytest.raises(TypeError, match="L"):
            deep_linear_gap(X, Y, L)
        with pytest.raises(TypeError, match="L"):
            gap_from_singular_values([1.0, 2.0], L)
    with pytest.raises(ValueError, match="at most 1000000"):
        primal_value_from_singular_values([1.0], 10**6 + 1)
    for f, kwargs in ((train_deep_linear, {}), (solve_schatten_penalised, {"beta": 1.0}),
                      (train_factorised_linear, {"beta": 1.0})):
        with pytest.raises(ValueError, match="n_starts must be at least 1"):
            f(X, Y, 3, n_starts=0, **kwargs)
        with pytest.raises(TypeError, match="n_starts must be an integer"):
            f(X, Y, 3, n_starts=2.0, **kwargs)
    with pytest.raises(ValueError, match="n_starts"):
        low_rank_path(X, Y, [3], [1.0], n_starts=0)
    for f, name in ((lambda v: train_deep_linear(X, Y, 3, tol=v), "tol"),
                    (lambda v: solve_schatten_penalised(X, Y, 3, 1.0, tol=v), "tol"),
                    (lambda v: train_factorised_linear(X, Y, 3, 1.0, gtol=v), "gtol"),
                    (lambda v: deep_linear_dual_cvxpy(X, Y, eps=v), "eps"),
                    (lambda v: low_rank_path(X, Y, [3], [1.0], tol=v), "tol")):
        with pytest.raises(ValueError, match=f"{name} must be > 0"):
            f(-1e-9)
    with pytest.raises(TypeError, match="width must be an integer"):
        train_deep_linear(X, Y, 3, width=2.5)
    with pytest.raises(TypeError, match="n_shared must be an integer"):
        train_deep_linear(X, Y, 3, architecture="partial", n_shared=0.5, scale=1.0)
    with pytest.raises(TypeError, match=r"widths\[0\] must be an integer"):
        deep_linear_optimal_weights(X, Y, 3, widths=[2.5, 3])
    with pytest.raises(ValueError, match="max_iters must be at least 1"):
        nuclear_norm_min_cvxpy(X, Y, max_iters=0)


def test_singular_value_ratio_below_the_smallest_float_still_counts_at_large_depth():
    # sigma_2 / sigma_1 = 1e-400 underflows, but sigma_i^(2/L) does not: P = (L/2) (10^(600/L) + 10^(-200/L))
    L = 1000
    expected = 0.5 * L * (10.0 ** (600 / L) + 10.0 ** (-200 / L))
    assert primal_value_from_singular_values([1e300, 1e-100], L) == pytest.approx(expected, rel=1e-12)
    expected_dual = 0.5 * L * (1e300 + 1e-100) ** (2 / L)
    assert dual_value_from_singular_values([1e300, 1e-100], L) == pytest.approx(expected_dual, rel=1e-12)
