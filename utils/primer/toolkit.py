"""The duality toolkit: the convex-analysis facts the chapters use, as small checkable computations.

* dual norms and the norm-dual step ``inf_w ||w|| - g^T w = 0 if ||g||_* <= 1, -inf otherwise``;
* matrix games: ``min_x max_y x^T M y`` and ``max_y min_x x^T M y`` over probability simplices, each one linear
  program (von Neumann's minimax theorem says the two values agree);
* Caratheodory's theorem: a point of a convex hull (or cone) in ``R^n`` as a combination of at most ``n + 1``
  (or ``n``) of the points, by a vertex of a linear program or by eliminating affine dependences;
* von Neumann's trace bound ``sum_i sigma_i(A) sigma_i(B)``, Horn's partial products of singular values and
  both sides of Hoelder's inequality for Schatten quasi-norms with mixed exponents.

Gauges, polars and atomic norms are in :mod:`utils.primer.gauges`. Linear programs are solved by HiGHS through
:func:`scipy.optimize.linprog`: no cone solver is needed.
"""

from __future__ import annotations

import numbers

import numpy as np
from scipy.optimize import linprog

from .._validation import as_matrix, as_vector, check_positive
from ..errors import SolverError

__all__ = [
    "dual_norm",
    "norm_dual_step",
    "game_min_max",
    "game_max_min",
    "convex_combination_lp",
    "caratheodory_reduce",
    "von_neumann_bound",
    "horn_partial_products",
    "schatten_holder_sides",
]

#: HiGHS statuses of :func:`scipy.optimize.linprog`: 0 optimal, 2 infeasible, 3 unbounded.
_OPTIMAL, _INFEASIBLE = 0, 2


def _check_p(p) -> float:
    """The exponent of an l_p norm: a real number >= 1 or ``np.inf``."""
    if isinstance(p, (bool, np.bool_)) or not isinstance(p, numbers.Real):
        raise TypeError(f"p must be a real number >= 1 or np.inf, got {p!r}")
    p = float(p)
    if not p >= 1:
        raise ValueError(f"p must be >= 1 (an l_p norm), got {p}")
    return p


def _conjugate_exponent(p: float) -> float:
    """``q`` with ``1/p + 1/q = 1`` (1 <-> inf)."""
    if p == 1:
        return np.inf
    if np.isinf(p):
        return 1.0
    return p / (p - 1)


def _solve_lp(what: str, c, **kwargs):
    """:func:`scipy.optimize.linprog` with HiGHS' dual simplex (a vertex solution); ``None`` when infeasible."""
    res = linprog(c, method="highs-ds", **kwargs)
    if res.status == _INFEASIBLE:
        return None
    if res.status != _OPTIMAL:
        raise SolverError(f"{what}: HiGHS returned status {res.status} ({res.message}), not optimal")
    return res


# ------------------------------------------------------------------------------------------ dual norms
def dual_norm(g, p) -> float:
    """The dual norm of the l_p norm at ``g``: ``||g||_* = sup{g^T w : ||w||_p <= 1} = ||g||_q``, ``1/p + 1/q = 1``.

    Parameters
    ----------
    g : array_like, shape (n,)
    p : float
        The exponent of the primal norm, ``p >= 1`` or ``np.inf``.

    Returns
    -------
    float
        ``||g||_q`` (``q = inf`` for ``p = 1``, ``q = 1`` for ``p = inf``).

    Raises
    ------
    TypeError, ValueError
        For a non-numeric or non-finite ``g``, or ``p < 1``.
    """
    g = as_vector("g", g)
    return float(np.linalg.norm(g, _conjugate_exponent(_check_p(p))))


def norm_dual_step(g, p, radius=np.inf) -> float:
    """``inf{||w||_p - g^T w : ||w||_p <= radius}``, the step that turns a norm penalty into a dual constraint.

    Writing ``w = s u`` with ``||u||_p = 1`` and ``0 <= s <= radius``, the infimum over ``u`` is
    ``s (1 - ||g||_*)``, so the value is ``radius * min(0, 1 - ||g||_*)``: ``0`` when ``||g||_* <= 1`` and, for
    ``radius = inf``, ``-inf`` otherwise.

    Parameters
    ----------
    g : array_like, shape (n,)
    p : float
        Exponent of the norm, ``p >= 1`` or ``np.inf``.
    radius : float
        Bound on ``||w||_p`` (``> 0``; default ``np.inf``, no bound).

    Returns
    -------
    float
        ``0.0``, ``radius * (1 - ||g||_*)`` or ``-inf``.

    Raises
    ------
    TypeError, ValueError
        As :func:`dual_norm`, or for ``radius <= 0``.
    """
    excess = 1.0 - dual_norm(g, p)
    if not (isinstance(radius, numbers.Real) and np.isposinf(radius)):
        radius = check_positive("radius", radius)
    if excess >= 0:
        return 0.0
    return -np.inf if np.isinf(radius) else float(radius * excess)


# ------------------------------------------------------------------------------------------ matrix games
def game_min_max(M) -> tuple[float, np.ndarray]:
    """``min_{x in simplex} max_{y in simplex} x^T M y``: the row player's best guaranteed loss, as one LP.

    For fixed ``x`` the maximum over the simplex is attained at a vertex, ``max_j (M^T x)_j``, so the value is
    ``min v  s.t.  M^T x <= v 1,  1^T x = 1,  x >= 0``.

    Parameters
    ----------
    M : array_like, shape (m, n)
        Payoff matrix: the row player (``x``) pays ``M_ij`` to the column player (``y``).

    Returns
    -------
    value : float
    x : ndarray, shape (m,)
        An optimal mixed strategy of the row player (a vertex of the LP, entries ``>= 0`` summing to 1).

    Raises
    ------
    TypeError, ValueError
        For a non-numeric, non-finite or non-2-D ``M``.
    SolverError
        When HiGHS does not report an optimal solution.
    """
    M = as_matrix("M", M)
    m, n = M.shape
    res = _solve_lp("game_min_max", np.r_[np.zeros(m), 1.0],
                    A_ub=np.c_[M.T, -np.ones(n)], b_ub=np.zeros(n),
                    A_eq=np.r_[np.ones(m), 0.0][None, :], b_eq=[1.0],
                    bounds=[(0, None)] * m + [(None, None)])
    if res is None:
        raise SolverError("game_min_max: HiGHS reports the (always feasible) game LP infeasible")
    return float(res.x[-1]), np.maximum(res.x[:m], 0.0)


def game_max_min(M) -> tuple[float, np.ndarray]:
    """``max_{y in simplex} min_{x in simplex} x^T M y``: the column player's best guaranteed gain, as one LP.

    ``max w  s.t.  M y >= w 1,  1^T y = 1,  y >= 0`` (solved as its own program, not read off the dual of
    :func:`game_min_max`).

    Parameters
    ----------
    M : array_like, shape (m, n)
        Payoff matrix, as in :func:`game_min_max`.

    Returns
    -------
    value : float
    y : ndarray, shape (n,)
        An optimal mixed strategy of the column player.

    Raises
    ------
    TypeError, ValueError, SolverError
        As :func:`game_min_max`.
    """
    M = as_matrix("M", M)
    m, n = M.shape
    res = _solve_lp("game_max_min", np.r_[np.zeros(n), -1.0],
                    A_ub=np.c_[-M, np.ones(m)], b_ub=np.zeros(m),
                    A_eq=np.r_[np.ones(n), 0.0][None, :], b_eq=[1.0],
                    bounds=[(0, None)] * n + [(None, None)])
    if res is None:
        raise SolverError("game_max_min: HiGHS reports the (always feasible) game LP infeasible")
    return float(res.x[-1]), np.maximum(res.x[:n], 0.0)


# ------------------------------------------------------------------------------------------ Caratheodory
def _points_and_target(points, z) -> tuple[np.ndarray, np.ndarray]:
    P = as_matrix("points", points)
    z = as_vector("z", z)
    if z.size != P.shape[1]:
        raise ValueError(f"z has {z.size} coordinates but the points have {P.shape[1]} (points are rows)")
    return P, z


def convex_combination_lp(points, z, *, conic: bool = False) -> np.ndarray:
    """Weights ``lam >= 0`` with ``sum_i lam_i p_i = z`` (and ``sum_i lam_i = 1``) at a vertex of that polytope.

    The feasible set ``{lam >= 0 : P^T lam = z, 1^T lam = 1}`` has ``n + 1`` equality constraints, so each of
    its vertices (basic solutions, which the simplex method returns) has at most ``n + 1`` non-zero entries:
    Caratheodory's theorem. With ``conic=True`` the sum constraint is dropped (``z`` in the cone of the
    points) and at most ``n`` entries are non-zero.

    Parameters
    ----------
    points : array_like, shape (m, n)
        The points ``p_i`` as rows.
    z : array_like, shape (n,)
        The point to represent.
    conic : bool
        Represent ``z`` in the convex cone of the points instead of their convex hull.

    Returns
    -------
    ndarray, shape (m,)
        The weights; non-basic entries are exactly 0.

    Raises
    ------
    TypeError, ValueError
        For malformed input, or when ``z`` is not in the convex hull (cone) of the points.
    SolverError
        When HiGHS fails.
    """
    P, z = _points_and_target(points, z)
    m = P.shape[0]
    A_eq, b_eq = (P.T, z) if conic else (np.r_[P.T, np.ones((1, m))], np.r_[z, 1.0])
    res = _solve_lp("convex_combination_lp", np.zeros(m), A_eq=A_eq, b_eq=b_eq, bounds=(0, None))
    if res is None:
        where = "cone" if conic else "convex hull"
        raise ValueError(f"z is not in the {where} of the points")
    return np.maximum(res.x, 0.0)


def caratheodory_reduce(points, weights, *, conic: bool = False, rtol: float = 1e-10) -> np.ndarray:
    """Shrink the support of ``sum_i lam_i p_i`` to affinely (linearly) independent points, keeping the sum.

    While the points with ``lam_i > 0`` are affinely dependent, take ``mu != 0`` with ``sum_i mu_i p_i = 0`` and
    ``sum_i mu_i = 0`` (a null vector of the support's ``[P^T; 1^T]``, some ``mu_i > 0``), and move to
    ``lam - alpha mu`` with ``alpha = min{lam_i / mu_i : mu_i > 0}``: the point and the total weight are kept,
    the weights stay ``>= 0`` and one of them becomes 0. At most ``n + 1`` points remain. With ``conic=True``
    only ``sum_i mu_i p_i = 0`` is imposed (the total weight may change) and at most ``n`` points remain.

    Parameters
    ----------
    points : array_like, shape (m, n)
        The points ``p_i`` as rows.
    weights : array_like, shape (m,)
        Non-negative weights ``lam``.
    conic : bool
        Keep only the point ``sum_i lam_i p_i``, not the total weight.
    rtol : float
        Singular values below ``rtol`` times the largest count as zero when testing for dependence.

    Returns
    -------
    ndarray, shape (m,)
        The new weights, ``>= 0``, with at most ``n + 1`` (``n`` for ``conic``) non-zero entries.

    Raises
    ------
    TypeError, ValueError
        For malformed input or negative weights.
    """
    P = as_matrix("points", points)
    lam = as_vector("weights", weights).copy()
    rtol = check_positive("rtol", rtol)
    if lam.size != P.shape[0]:
        raise ValueError(f"weights has {lam.size} entries but there are {P.shape[0]} points (rows)")
    if np.any(lam < 0):
        raise ValueError("weights must be >= 0")
    while True:
        support = np.flatnonzero(lam > 0)
        B = P[support].T if conic else np.r_[P[support].T, np.ones((1, support.size))]
        _, s, vt = np.linalg.svd(B)
        rank = int(np.sum(s > rtol * s[0])) if s.size else 0
        if rank == support.size:
            return lam
        mu = vt[-1]                                  # a null vector of B (support.size > rank)
        if not np.any(mu > 0):
            mu = -mu
        pos = mu > rtol * np.abs(mu).max()
        ratios = lam[support[pos]] / mu[pos]
        k = int(np.argmin(ratios))
        lam[support] = np.maximum(lam[support] - ratios[k] * mu, 0.0)
        lam[support[pos][k]] = 0.0


# ------------------------------------------------------------------------------------------ singular values
def _factors(matrices) -> list[np.ndarray]:
    """The factors ``W_1, ..., W_L`` as checked 2-D arrays with compatible shapes (a single matrix allowed)."""
    if isinstance(matrices, np.ndarray) and matrices.ndim == 2:
        matrices = [matrices]
    mats = [as_matrix(f"matrices[{i}]", W) for i, W in enumerate(matrices)]
    if not mats:
        raise ValueError("matrices must contain at least one matrix")
    for i, (W, V) in enumerate(zip(mats[:-1], mats[1:], strict=True)):
        if W.shape[1] != V.shape[0]:
            raise ValueError(f"matrices[{i}] has {W.shape[1]} columns but matrices[{i + 1}] has {V.shape[0]} rows")
    return mats


def von_neumann_bound(A, B) -> float:
    """Von Neumann's bound ``sum_i sigma_i(A) sigma_i(B) >= |tr(A^T B)|`` (singular values in decreasing order).

    Parameters
    ----------
    A, B : array_like, shape (m, n)

    Returns
    -------
    float

    Raises
    ------
    TypeError, ValueError
        For malformed input or different shapes.
    """
    A, B = as_matrix("A", A), as_matrix("B", B)
    if A.shape != B.shape:
        raise ValueError(f"A and B must have the same shape, got {A.shape} and {B.shape}")
    return float(np.linalg.svd(A, compute_uv=False) @ np.linalg.svd(B, compute_uv=False))


def horn_partial_products(matrices) -> tuple[np.ndarray, np.ndarray]:
    """Both sides of Horn's inequality ``prod_{i<=k} sigma_i(W_1...W_L) <= prod_{i<=k} prod_l sigma_i(W_l)``.

    Parameters
    ----------
    matrices : sequence of L >= 1 array_like
        Factors ``W_1, ..., W_L`` with compatible shapes (``W_l`` has as many columns as ``W_{l+1}`` rows).

    Returns
    -------
    lhs, rhs : ndarray, shape (K,)
        ``lhs[k-1] = prod_{i<=k} sigma_i(W_1 ... W_L)`` and ``rhs[k-1] = prod_{i<=k} prod_l sigma_i(W_l)``
        for ``k = 1..K``, ``K`` the smallest dimension of all factors.

    Raises
    ------
    TypeError, ValueError
        For an empty sequence, malformed matrices or incompatible shapes.
    """
    mats = _factors(matrices)
    K = min(min(W.shape) for W in mats)
    product = np.linalg.multi_dot(mats) if len(mats) > 1 else mats[0]
    lhs = np.cumprod(np.linalg.svd(product, compute_uv=False)[:K])
    rhs = np.cumprod(np.prod([np.linalg.svd(W, compute_uv=False)[:K] for W in mats], axis=0))
    return lhs, rhs


def schatten_holder_sides(matrices, exponents) -> tuple[float, float, float]:
    """Both sides of Hoelder's inequality ``||M_1 ... M_q||_{S_rho} <= prod_i ||M_i||_{S_rho_i}``.

    Here ``||M||_{S_p} = (sum_j sigma_j(M)^p)^(1/p)`` (a quasi-norm for ``p < 1``; ``p = 1`` nuclear, ``p = 2``
    Frobenius; singular values below numpy's rank tolerance count as zero) and ``1/rho = sum_i 1/rho_i``. The inequality holds for all positive exponents (Horn's inequality,
    then Hoelder's inequality for sums); with every ``rho_i = 2`` it is ``||M_1...M_q||_{S_{2/q}} <= prod ||M_i||_F``.

    Parameters
    ----------
    matrices : sequence of q >= 1 array_like
        Factors ``M_1, ..., M_q`` with compatible shapes (``M_i`` has as many columns as ``M_{i+1}`` rows).
    exponents : sequence of q floats
        The exponents ``rho_i > 0``, one per factor.

    Returns
    -------
    lhs : float
        ``||M_1 ... M_q||_{S_rho}``.
    rhs : float
        ``prod_i ||M_i||_{S_rho_i}``.
    rho : float
        ``1 / sum_i (1 / rho_i)``.

    Raises
    ------
    TypeError, ValueError
        For malformed matrices, incompatible shapes, non-positive exponents or one exponent per factor missing.
    """
    mats = _factors(matrices)
    rhos = [check_positive(f"exponents[{i}]", r) for i, r in enumerate(np.atleast_1d(exponents).tolist())]
    if len(rhos) != len(mats):
        raise ValueError(f"give one exponent per factor: {len(mats)} factors but {len(rhos)} exponents")
    rho = 1.0 / sum(1.0 / r for r in rhos)
    product = np.linalg.multi_dot(mats) if len(mats) > 1 else mats[0]
    rhs = float(np.prod([_schatten(M, r) for M, r in zip(mats, rhos, strict=True)]))
    return _schatten(product, rho), rhs, rho


def _schatten(M: np.ndarray, p: float) -> float:
    """``(sum_j sigma_j(M)^p)^(1/p)``; singular values at most ``max(M.shape) eps sigma_1`` count as zero
    (rounding noise would otherwise weigh ``eps^p`` for small ``p``)."""
    s = np.linalg.svd(M, compute_uv=False)
    s = s[s > max(M.shape) * np.finfo(float).eps * s[0]] if s.size and s[0] > 0 else s[:0]
    return float(np.sum(s**p) ** (1.0 / p))
