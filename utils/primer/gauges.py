"""Gauges, polars and support functions of polytopes, and atomic norms (the duality toolkit, part two).

For a closed convex set ``C`` containing the origin: the gauge ``gamma_C(y) = min{t >= 0 : y in t C}``, the polar
``C° = {v : v^T c <= 1 for all c in C}`` and the support function ``sigma_C(v) = max{v^T c : c in C}``, with
``gamma_C = sigma_{C°}``. For ``C = conv(S u -S)`` the gauge is the atomic norm ``min{sum_i |c_i| : sum_i c_i s_i
= y}`` and its dual norm is ``max_i |s_i^T v|``. Polytopes are given by points (rows); linear programs are solved
by HiGHS (:func:`scipy.optimize.linprog`).
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import ConvexHull

from .._validation import as_matrix
from .toolkit import _points_and_target, _solve_lp, convex_combination_lp

__all__ = ["gauge_lp", "polar_vertices", "support_function", "atomic_norm_lp", "atomic_dual_norm"]


def gauge_lp(vertices, y) -> float:
    """The gauge ``gamma_C(y) = min{t >= 0 : y in t C}`` of the polytope ``C = conv(vertices)``, ``0 in C``.

    Since ``0 in C``, ``t C = {sum_i mu_i v_i : mu >= 0, 1^T mu <= t}``, so ``gamma_C(y)`` is the LP
    ``min 1^T mu  s.t.  V^T mu = y,  mu >= 0``.

    Parameters
    ----------
    vertices : array_like, shape (m, n)
        Points whose convex hull is ``C`` (rows); the origin must lie in their convex hull.
    y : array_like, shape (n,)

    Returns
    -------
    float
        ``gamma_C(y)``; ``np.inf`` when no multiple of ``C`` contains ``y``.

    Raises
    ------
    TypeError, ValueError
        For malformed input, or when the origin is not in the convex hull of ``vertices``.
    SolverError
        When HiGHS fails.
    """
    V, y = _points_and_target(vertices, y)
    try:
        convex_combination_lp(V, np.zeros(V.shape[1]))
    except ValueError:
        raise ValueError("the origin must lie in the convex hull of the vertices (a gauge needs 0 in C)") from None
    res = _solve_lp("gauge_lp", np.ones(V.shape[0]), A_eq=V.T, b_eq=y, bounds=(0, None))
    return np.inf if res is None else float(res.fun)


def polar_vertices(vertices) -> np.ndarray:
    """The vertices of the polar ``C° = {v : v^T c <= 1 for all c in C}`` of ``C = conv(vertices)``.

    When the origin is interior to ``C``, every facet of ``C`` is ``{x : a^T x = b}`` with ``b > 0`` and gives
    the vertex ``a / b`` of ``C°`` (facets from Qhull through :class:`scipy.spatial.ConvexHull`).

    Parameters
    ----------
    vertices : array_like, shape (m, n), n >= 2
        Points whose convex hull ``C`` is full-dimensional and contains the origin in its interior.

    Returns
    -------
    ndarray, shape (f, n)
        One row per facet of ``C`` (duplicates merged); in two dimensions in counter-clockwise order.

    Raises
    ------
    TypeError, ValueError
        For malformed input, ``n < 2``, or an origin that is not interior to ``C``.
    """
    V = as_matrix("vertices", vertices)
    if V.shape[1] < 2 or V.shape[0] <= V.shape[1]:
        raise ValueError(f"need at least n + 1 points in n >= 2 dimensions, got shape {V.shape}")
    try:
        hull = ConvexHull(V)
    except Exception as exc:                        # Qhull: flat or degenerate point sets
        raise ValueError(f"the convex hull of the vertices is not full-dimensional ({exc})") from None
    normals, offsets = hull.equations[:, :-1], -hull.equations[:, -1]     # facet: normal^T x = offset
    scale = np.abs(V).max()
    if np.any(offsets <= 1e-12 * scale):
        raise ValueError("the origin must be interior to the convex hull of the vertices")
    polar = normals / offsets[:, None]
    polar = polar[np.unique(np.round(polar * scale, 9), axis=0, return_index=True)[1]]
    if polar.shape[1] == 2:
        polar = polar[np.argsort(np.arctan2(polar[:, 1], polar[:, 0]))]
    return polar


def support_function(points, v) -> float:
    """The support function ``sigma_C(v) = max{c^T v : c in C}`` of ``C = conv(points)``: ``max_i p_i^T v``.

    Parameters
    ----------
    points : array_like, shape (m, n)
        Points (rows) whose convex hull is ``C``; a linear function is largest at one of them.
    v : array_like, shape (n,)

    Returns
    -------
    float

    Raises
    ------
    TypeError, ValueError
        For malformed input.
    """
    P, v = _points_and_target(points, v)
    return float(np.max(P @ v))


def atomic_norm_lp(atoms, y) -> tuple[float, np.ndarray]:
    """The atomic norm ``min{sum_i |c_i| : sum_i c_i s_i = y}``, the gauge of ``conv(S u -S)``, as one LP.

    Parameters
    ----------
    atoms : array_like, shape (m, n)
        The atoms ``s_i`` as rows.
    y : array_like, shape (n,)

    Returns
    -------
    value : float
    c : ndarray, shape (m,)
        Optimal coefficients at a vertex of the LP (at most ``n`` non-zero entries).

    Raises
    ------
    TypeError, ValueError
        For malformed input, or a ``y`` outside the span of the atoms (its atomic norm is infinite).
    SolverError
        When HiGHS fails.
    """
    S, y = _points_and_target(atoms, y)
    m = S.shape[0]
    res = _solve_lp("atomic_norm_lp", np.ones(2 * m), A_eq=np.c_[S.T, -S.T], b_eq=y, bounds=(0, None))
    if res is None:
        raise ValueError("y is not in the span of the atoms: its atomic norm is infinite")
    return float(res.fun), res.x[:m] - res.x[m:]


def atomic_dual_norm(atoms, v) -> float:
    """The dual of the atomic norm, ``max_i |s_i^T v|``: the support function of ``conv(S u -S)``.

    Parameters
    ----------
    atoms : array_like, shape (m, n)
        The atoms ``s_i`` as rows.
    v : array_like, shape (n,)

    Returns
    -------
    float

    Raises
    ------
    TypeError, ValueError
        For malformed input.
    """
    S, v = _points_and_target(atoms, v)
    return float(np.max(np.abs(S @ v)))
