"""Low-rank bias of depth: deep linear networks with squared loss and weight decay (chapter ``05_low_rank``).

For data ``X`` (n x d), labels ``Y`` (n x k), depth ``L >= 2`` and weight decay ``beta > 0``,

    min_{W_1..W_L} 1/2 ||X W_1 ... W_L - Y||_F^2 + beta/2 sum_l ||W_l||_F^2                       (factorised)

has the same value as the problem on the end-to-end matrix ``W = W_1 ... W_L`` (d x k),

    min_W 1/2 ||X W - Y||_F^2 + beta (L/2) ||W||_{S_{2/L}}^{2/L},  ||W||_{S_{2/L}}^{2/L} = sum_i sigma_i(W)^{2/L},   (direct)

because the cheapest factorisation of a given ``W`` costs ``(L/2) sum_i sigma_i(W)^{2/L}`` (product lemma,
chapter ``02_deep_linear``; hidden widths >= rank W). L = 2 is the convex nuclear-norm problem; for L >= 3 the
penalty is a non-convex quasi-norm that pushes singular values to zero harder as L grows.

Homogeneity: substituting ``W = (c/a) V`` shows that the problem for ``(aX, cY, beta c^{2-2/L} a^{2/L})`` is
``c^2`` times the problem for ``(X, Y, beta)``. Both solvers run on data normalised this way (a, c the largest
entries of ``X`` and ``Y``: ``Y`` and ``c Y`` then give the same normalised problem up to rounding, so the seeded
starts follow the same path) and rescale, so their tolerances are relative and their answers do not depend on
the units of the data.

This module has the exact prox of the spectral penalty, both objectives and a proximal-gradient solver of the
direct problem; :mod:`utils.linear.factorised` trains the factorised network by L-BFGS (each checks the other).
Rank measures and the solution path over (L, beta) are in :mod:`utils.linear.ranks`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .._optim import max_abs_scale
from .._validation import (
    _as_real_array,
    as_matrix,
    check_count,
    check_depth,
    check_positive,
    check_same_rows,
    check_seed,
)
from ._linalg import min_norm_solution

__all__ = [
    "LowRankFit",
    "schatten_power_prox",
    "schatten_prox_threshold",
    "schatten_penalised_objective",
    "factorised_objective",
    "solve_schatten_penalised",
]


@dataclass
class LowRankFit:
    """A solution of the penalised deep linear problem.

    Attributes
    ----------
    objective : float
        Best objective value found (the same number for both forms at a common solution).
    W : ndarray, shape (d, k)
        End-to-end matrix (the product ``W_1 ... W_L`` for the factorised trainer).
    singular_values : ndarray, shape (min(d, k),)
        Singular values of ``W``, descending.
    objectives : ndarray, shape (n_starts,)
        Final objective of every start (the spread shows how many starts were needed).
    converged : bool
        True when the best start met its stopping tolerance.
    weights : list of ndarray or None
        Layer matrices ``W_1 .. W_L`` (factorised trainer only).
    """

    objective: float
    W: np.ndarray
    singular_values: np.ndarray
    objectives: np.ndarray
    converged: bool
    weights: list = field(default=None)


def _check_problem(X, Y, L, beta):
    X = as_matrix("X", X)
    Y = as_matrix("Y", Y, allow_vector=True)
    check_same_rows(X, Y)
    if not np.any(X):
        raise ValueError("X is the zero matrix: the loss does not depend on W (the solution is W = 0)")
    return X, Y, check_depth(L), check_positive("beta", beta)


def _normalise(X, Y, L, beta):
    """``(a, c, beta_n)``: solve on ``X / a, Y / c`` with weight decay ``beta_n``, then ``W = (c/a) W_n`` and
    the objective is ``c^2`` times the normalised one (module doc)."""
    a, c = max_abs_scale(X), max_abs_scale(Y)
    beta_n = math.exp(math.log(beta) + (2.0 / L - 2.0) * math.log(c) - 2.0 / L * math.log(a))
    return a, c, beta_n


# ---------------------------------------------------------------------------------------------------------
# The scalar prox of c s^{2/L}
# ---------------------------------------------------------------------------------------------------------
def _prox_unchecked(s: np.ndarray, c: float, L: int) -> np.ndarray:
    if c == 0.0:
        return s.copy()
    if L == 2:  # q = 1: soft thresholding
        return np.maximum(s - c, 0.0)
    q = 2.0 / L
    # h(x) = 1/2 (x - s)^2 + c x^q on x >= 0. h' = x - s + c q x^{q-1} is convex on (0, inf) (h''' > 0) and
    # decreases until x_inf, where h'' = 0, then increases. An interior minimum exists iff h'(x_inf) < 0;
    # it is the root of h' in (x_inf, s], reached monotonically by Newton's method started at s (h'(s) > 0).
    x_inf = (c * q * (1.0 - q)) ** (1.0 / (2.0 - q))
    out = np.zeros_like(s)
    cand = (x_inf - s + c * q * x_inf ** (q - 1.0)) < 0.0
    if not np.any(cand):
        return out
    sc = s[cand]
    x = sc.copy()
    for _ in range(100):
        g = x - sc + c * q * x ** (q - 1.0)
        hess = 1.0 + c * q * (q - 1.0) * x ** (q - 2.0)
        step = g / hess
        x = np.maximum(x - step, x_inf)
        if np.all(np.abs(step) <= 1e-15 * np.maximum(x, 1e-300)):
            break
    h_root = 0.5 * (x - sc) ** 2 + c * x ** q
    out[cand] = np.where(h_root < 0.5 * sc ** 2, x, 0.0)  # compare with the boundary point x = 0
    return out


def schatten_power_prox(s, c, L) -> np.ndarray:
    """Exact prox of ``x -> c x^{2/L}`` on ``x >= 0``, entrywise: ``argmin_{x>=0} 1/2 (x - s)^2 + c x^{2/L}``.

    For L = 2 this is soft thresholding ``max(s - c, 0)``. For L >= 3 the scalar problem is non-convex, but it
    has at most one interior local minimum (the larger root of the derivative, found by Newton's method from
    ``s``), so comparing it with ``x = 0`` gives the global minimiser (on an exact tie, 0 is returned).
    Applied to the singular values of ``V`` it gives the prox of the spectral penalty
    ``c sum_i sigma_i(W)^{2/L}`` at ``V`` (von Neumann's trace inequality; the scalar prox is non-decreasing
    in ``s``, so the order of the singular values is kept).

    Parameters
    ----------
    s : array_like, entries >= 0
        Points (singular values) to apply the prox to.
    c : float >= 0
        Weight of the penalty.
    L : int >= 2
        Depth; the exponent is ``2/L``.

    Returns
    -------
    ndarray, same shape as ``s``.

    Raises
    ------
    TypeError
        If ``s`` is not a real numeric array (complex or boolean) or ``L`` is not an integer.
    ValueError
        If ``s`` has negative or non-finite entries, ``c < 0`` or ``L`` is not in 2..10**6.
    """
    s_arr = _as_real_array("s", s)
    if not np.all(np.isfinite(s_arr)) or np.any(s_arr < 0):
        raise ValueError("s must contain finite non-negative numbers (singular values)")
    c = check_positive("c", c, allow_zero=True)
    L = check_depth(L)
    flat = np.atleast_1d(s_arr).ravel()
    return _prox_unchecked(flat, c, L).reshape(s_arr.shape)


def schatten_prox_threshold(c, L) -> float:
    """Smallest ``s`` whose prox (:func:`schatten_power_prox`) is non-zero.

    ``c`` for L = 2; for L >= 3, ``tau = (L-1)/(L-2) * (2 c (L-2)/L)^{L/(2(L-1))}`` (where the interior local
    minimum of ``1/2 (x - s)^2 + c x^{2/L}`` ties with ``x = 0``; there it sits at ``x = (2 c (L-2)/L)^{L/(2(L-1))}``).
    The prox jumps from 0 to that value at ``s = tau``: hard-threshold-like for large L.

    Parameters
    ----------
    c : float >= 0, weight of the penalty ``c x^{2/L}``.
    L : int >= 2, the depth.

    Returns
    -------
    float, the threshold ``tau >= 0``.

    Raises
    ------
    ValueError
        If ``c < 0`` (or not finite) or ``L < 2``.
    """
    c = check_positive("c", c, allow_zero=True)
    L = check_depth(L)
    if L == 2:
        return c
    return (L - 1) / (L - 2) * (2.0 * c * (L - 2) / L) ** (L / (2.0 * (L - 1)))


# ---------------------------------------------------------------------------------------------------------
# Objectives
# ---------------------------------------------------------------------------------------------------------
def schatten_penalised_objective(X, Y, W, L, beta) -> float:
    """The direct problem's objective (module doc).

    ``1/2 ||X W - Y||_F^2 + beta (L/2) sum_i sigma_i(W)^{2/L}``. Singular values below
    ``max(d, k) * eps * sigma_1(W)`` count as 0 (round-off of an exactly low-rank W: ``s^{2/L}`` would turn
    1e-16 into 5e-6 for L = 6).

    Parameters
    ----------
    X : array_like, shape (n, d), not all zero; Y : array_like, shape (n, k) or (n,).
    W : array_like, shape (d, k) (or (d,) when k = 1), the end-to-end matrix.
    L : int >= 2; beta : float > 0, the weight decay.

    Returns
    -------
    float, the objective value.

    Raises
    ------
    TypeError
        For complex or boolean entries, or a non-integer ``L``.
    ValueError
        For mismatched shapes, NaN/inf entries, a zero ``X``, ``L`` not in 2..10**6 or ``beta <= 0``.
    """
    X, Y, L, beta = _check_problem(X, Y, L, beta)
    W = as_matrix("W", W, allow_vector=True)
    if W.shape != (X.shape[1], Y.shape[1]):
        raise ValueError(f"W must have shape {(X.shape[1], Y.shape[1])} (d x k), got {W.shape}")
    return _direct_value(X, Y, W, L, beta)


def factorised_objective(X, Y, weights, beta) -> float:
    """The factorised objective ``1/2 ||X W_1 ... W_L - Y||_F^2 + beta/2 sum_l ||W_l||_F^2`` (module doc).

    Parameters
    ----------
    X : array_like, shape (n, d); Y : array_like, shape (n, k) or (n,).
    weights : list of L >= 2 arrays, shapes (d, m_1), (m_1, m_2), ..., (m_{L-1}, k), the layers ``W_l``.
    beta : float > 0, the weight decay.

    Returns
    -------
    float, the objective value.

    Raises
    ------
    TypeError
        If ``weights`` is not a list or tuple of at least two matrices, or for complex or boolean entries.
    ValueError
        For mismatched shapes, NaN/inf entries or ``beta <= 0``.
    """
    X = as_matrix("X", X)
    Y = as_matrix("Y", Y, allow_vector=True)
    check_same_rows(X, Y)
    beta = check_positive("beta", beta)
    if not isinstance(weights, (list, tuple)) or len(weights) < 2:
        raise TypeError("weights must be a list of at least two layer matrices W_1 .. W_L")
    Ws = [as_matrix(f"weights[{i}]", w) for i, w in enumerate(weights)]
    P = X
    for i, w in enumerate(Ws):
        if w.shape[0] != P.shape[1]:
            raise ValueError(f"weights[{i}] has {w.shape[0]} rows, expected {P.shape[1]}")
        P = P @ w
    if P.shape[1] != Y.shape[1]:
        raise ValueError(f"the last layer has {P.shape[1]} outputs but Y has {Y.shape[1]} columns")
    return 0.5 * float(np.sum((P - Y) ** 2)) + beta / 2 * sum(float(np.sum(w * w)) for w in Ws)


# ---------------------------------------------------------------------------------------------------------
# (a) Proximal gradient on the direct problem
# ---------------------------------------------------------------------------------------------------------
def _clean_singular_values(W):
    """Singular values of ``W`` with round-off (below ``max(d, k) * eps * sigma_1``) set to exactly 0.

    ``s^{2/L}`` amplifies round-off: (1e-16)^{1/3} = 5e-6, so an exactly low-rank matrix would otherwise be
    charged for singular values that are only floating-point noise.
    """
    s = np.linalg.svd(W, compute_uv=False)
    s[s <= max(W.shape) * np.finfo(float).eps * (s[0] if s.size else 0.0)] = 0.0
    return s


def _direct_value(X, Y, W, L, beta, s=None):
    s = _clean_singular_values(W) if s is None else s
    return 0.5 * float(np.sum((X @ W - Y) ** 2)) + beta * L / 2 * float(np.sum(s ** (2.0 / L)))


def _prox_gradient(X, Y, W, L, beta, eta, tol, max_iter):
    """Proximal gradient ``W <- prox_{eta beta L/2 S}(W - eta X^T (X W - Y))`` until the step is tiny."""
    XtX, XtY = X.T @ X, X.T @ Y
    c = eta * beta * L / 2
    for _ in range(max_iter):
        V = W - eta * (XtX @ W - XtY)
        U, s, Vt = np.linalg.svd(V, full_matrices=False)
        s = _prox_unchecked(s, c, L)
        W_new = (U * s) @ Vt
        step = np.linalg.norm(W_new - W)
        W = W_new
        if step <= tol * max(1.0, np.linalg.norm(W)):
            return W, s, True
    return W, s, False


def solve_schatten_penalised(X, Y, L, beta, *, n_starts=3, seed=0, tol=1e-12, max_iter=20000) -> LowRankFit:
    """Solve ``min_W 1/2 ||X W - Y||_F^2 + beta (L/2) ||W||_{S_{2/L}}^{2/L}`` by proximal gradient.

    Each iteration takes a gradient step of size ``eta = 0.99 / ||X||_2^2`` on the squared loss and applies the
    exact prox of the spectral penalty (:func:`schatten_power_prox` on the singular values). The objective
    never increases. For L = 2 the problem is convex and this converges to the global minimum; for L >= 3 it is
    not, and proximal gradient reaches a stationary point, so several starts are run and the best kept:
    start 1 is continuation from the convex L = 2 solution, start 2 is the least-squares fit ``X^+ Y``, further
    starts are random perturbations of ``X^+ Y`` (for L = 2 a single start is run). Then, for L >= 3, a
    *rank descent*: the local minima differ mostly in which singular values are zero, so the solver restarts
    from every truncated SVD (ranks 0 .. r-1) of the best point found and keeps any improvement. The tests
    compare it with the factorised trainer (:func:`utils.train_factorised_linear`) on random instances, but for
    L >= 3 global optimality is not guaranteed.

    The iteration runs on normalised data (module doc: ``X / a``, ``Y / c`` with ``beta`` rescaled), so ``tol``
    is relative and ``f(aX, cY, beta c^{2-2/L} a^{2/L})`` is ``c^2 f(X, Y, beta)`` with ``W`` times ``c/a``.

    Parameters
    ----------
    X : array_like, shape (n, d), not all zero.
    Y : array_like, shape (n, k) (or (n,)).
    L : int, 2 <= L <= 10**6.
    beta : float > 0.
    n_starts : int >= 1
        Starts before the rank descent (see above).
    seed : int, Generator or None
    tol : float > 0
        Stop when ``||W_new - W||_F <= tol * max(1, ||W||_F)`` on the normalised problem.
    max_iter : int >= 1
        Iteration cap per start.

    Returns
    -------
    LowRankFit (``weights`` is None), in the units of the data.

    Raises
    ------
    TypeError
        Complex/boolean data, non-integer ``L``, ``n_starts`` or ``max_iter``.
    ValueError
        Bad shapes, NaN/inf, zero ``X``, ``L`` not in 2..10**6, ``beta <= 0``, ``tol <= 0``, ``n_starts < 1``.
    """
    X, Y, L, beta = _check_problem(X, Y, L, beta)
    rng = check_seed(seed)
    n_starts = check_count("n_starts", n_starts, 1)
    max_iter = check_count("max_iter", max_iter, 1)
    tol = check_positive("tol", tol)
    a, c, beta_n = _normalise(X, Y, L, beta)
    Xn, Yn = X / a, Y / c
    if L == 2:
        n_starts = 1  # convex: every start reaches the same minimum value
    eta = 0.99 / np.linalg.norm(Xn, 2) ** 2
    W_ls = min_norm_solution(Xn, Yn, check_range=False).A

    def solve(W0, depth):
        return _prox_gradient(Xn, Yn, W0, depth, beta_n, eta, tol, max_iter)

    starts = []
    if L > 2:
        starts.append(solve(W_ls, 2)[0])
    starts.append(W_ls)
    scale = max(np.linalg.norm(W_ls), 1e-12) / np.sqrt(W_ls.size)
    while len(starts) < n_starts:
        starts.append(W_ls + scale * rng.standard_normal(W_ls.shape))
    results = []
    for W0 in starts[:n_starts]:
        W, s, ok = solve(W0, L)
        results.append((_direct_value(Xn, Yn, W, L, beta_n, s), W, ok, s))
    best = min(results, key=lambda r: r[0])
    if L > 2:
        # Rank descent: the local minima differ mostly in which singular values are zero, so restart from
        # every truncated SVD of the best point (ranks 0 .. r-1) and keep any improvement.
        U, s, Vt = np.linalg.svd(best[1], full_matrices=False)
        for j in range(int(np.sum(s > 1e-12 * max(s[0], 1e-300)))):
            W, s_j, ok = solve((U[:, :j] * s[:j]) @ Vt[:j], L)
            results.append((_direct_value(Xn, Yn, W, L, beta_n, s_j), W, ok, s_j))
        best = min(results, key=lambda r: r[0])
    return LowRankFit(objective=c * c * best[0], W=(c / a) * best[1], singular_values=(c / a) * best[3],
                      objectives=c * c * np.array([r[0] for r in results]), converged=bool(best[2]))
