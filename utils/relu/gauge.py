"""The gauge picture of two-layer ReLU networks: sampled neurons, the gauge as a linear program, and its polar.

For data ``X`` (n, 2) the features of the unit-norm neurons are ``f(u) = (X u)_+`` for ``u`` on the unit circle.
The book's chapter on two-layer networks (section *The gauge picture*) uses

* ``C``, the absolutely convex hull of ``{(X u)_+ : ||u||_2 <= 1}``: its gauge ``gamma_C(y) = min{t >= 0 : y in t C}``
  is the minimum weight-decay cost ``P_2`` of a two-layer ReLU network that outputs ``y`` on the data;
* its polar ``C° = {lambda : |lambda^T (X u)_+| <= 1 for all ||u||_2 <= 1}``, the dual constraint set, with
  ``gamma_C(y) = max{lambda^T y : lambda in C°}`` (the dual problem ``D_2``).

Here the circle is sampled at ``u_k = (cos theta_k, sin theta_k)``: a uniform grid of angles plus the critical
angles of the hyperplane arrangement (where some ``x_j^T u`` changes sign). The sampled gauge is the linear program

    gamma_S(y) = min sum_k |c_k|  s.t.  sum_k c_k f(u_k) = y,
    dual:        max lambda^T y   s.t.  |lambda^T f(u_k)| <= 1  for every k,

solved by HiGHS (:func:`scipy.optimize.linprog`). Between two consecutive critical angles ``(X u)_+ = D X u`` is
linear in ``u``, so ``lambda^T f(u(theta)) = R cos(theta - phi)`` there; its largest value on the arc is at an arc end
(sampled) or at ``theta = phi``, within half the largest angular gap ``delta`` of a sample. Hence
``max_k |lambda^T f(u_k)| >= cos(delta / 2) max_u |lambda^T (X u)_+|`` for every ``lambda``, and

    gamma_C(y) <= gamma_S(y) <= gamma_C(y) / cos(delta / 2),

an upper bound within a relative ``1 / cos(delta / 2) - 1`` (about ``(pi / K)^2 / 2`` for ``K`` grid angles).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linprog
from scipy.spatial import ConvexHull, QhullError

from .._validation import SolverError, as_matrix, as_vector, check_count
from .arrangements import arrangement_cells_2d

__all__ = ["SampledReluGauge", "relu_feature_samples", "sampled_relu_gauge", "relu_gauge_polygons"]

_MIN_ANGLES = 8
_ANGLE_TOL = 1e-12  # critical angles closer than this to a grid angle are the same direction
_ACTIVE_RTOL = 1e-9  # coefficients below this fraction of sum |c_k| are zeros of the simplex solution


def _check_data(X) -> np.ndarray:
    X = as_matrix("X", X)
    if X.shape[1] != 2:
        raise ValueError(f"the sampled gauge draws directions u on the unit circle: X needs 2 columns (d = 2), "
                         f"got shape {X.shape}")
    return X


def _samples(X: np.ndarray, n_angles: int) -> tuple[np.ndarray, np.ndarray, float]:
    """Sorted angles (uniform grid and critical angles), features (K, n) and the largest angular gap."""
    grid = 2 * np.pi * np.arange(n_angles) / n_angles
    crit = arrangement_cells_2d(X)[0]
    angles = np.sort(np.concatenate([grid, crit]))
    keep = np.concatenate([[True], np.diff(angles) > _ANGLE_TOL])
    angles = angles[keep]
    if angles[-1] - angles[0] > 2 * np.pi - _ANGLE_TOL:  # a critical angle just below 2 pi is the angle 0
        angles = angles[:-1]
    gap = float(np.max(np.diff(np.concatenate([angles, [angles[0] + 2 * np.pi]]))))
    features = np.maximum(X @ np.stack([np.cos(angles), np.sin(angles)]), 0.0).T
    return angles, features, gap


def relu_feature_samples(X, n_angles: int = 720) -> tuple[np.ndarray, np.ndarray]:
    """The features ``(X u_k)_+`` of unit neurons ``u_k = (cos theta_k, sin theta_k)`` on the unit circle.

    Parameters
    ----------
    X : array_like, shape (n, 2)
        Data with two columns (for example one-dimensional inputs with a bias column).
    n_angles : int >= 8
        Number of angles of the uniform grid ``theta = 2 pi k / n_angles``; the critical angles of the
        arrangement (where some ``x_j^T u = 0``) are added to it.

    Returns
    -------
    angles : ndarray, shape (K,)
        Sorted distinct angles in ``[0, 2 pi)``, ``n_angles <= K <= n_angles + 2 n``.
    features : ndarray, shape (K, n)
        Row k is ``(X u_k)_+``.

    Raises
    ------
    TypeError, ValueError
        For data that are not a finite (n, 2) array or a bad ``n_angles``.
    """
    X = _check_data(X)
    n_angles = check_count("n_angles", n_angles, _MIN_ANGLES)
    angles, features, _ = _samples(X, n_angles)
    return angles, features


@dataclass
class SampledReluGauge:
    """The gauge of a label vector over sampled neurons, with its dual (see :func:`sampled_relu_gauge`).

    Attributes
    ----------
    value : float
        ``gamma_S(y) = min sum_k |c_k| s.t. sum_k c_k (X u_k)_+ = y``, an upper bound on ``gamma_C(y) = P_2``.
    dual : ndarray, shape (n,)
        An optimal ``lambda*`` of ``max lambda^T y s.t. |lambda^T (X u_k)_+| <= 1`` (``lambda*^T y = value``).
    coefficients : ndarray, shape (K,)
        An optimal ``c`` of the primal program (a vertex: at most n non-zero entries), complementary to ``dual``.
    angles : ndarray, shape (K,)
        The sampled directions ``u_k = (cos theta_k, sin theta_k)``.
    features : ndarray, shape (K, n)
        ``(X u_k)_+``.
    max_gap : float
        The largest angular gap ``delta`` between consecutive sampled directions.
    """

    value: float
    dual: np.ndarray
    coefficients: np.ndarray
    angles: np.ndarray
    features: np.ndarray
    max_gap: float

    @property
    def relative_error_bound(self) -> float:
        """``1 / cos(delta / 2) - 1``: ``gamma_C(y) <= value <= (1 + bound) gamma_C(y)`` (module docstring)."""
        return float(1.0 / np.cos(self.max_gap / 2) - 1.0)

    @property
    def active(self) -> np.ndarray:
        """Indices k of the neurons used, ``|c_k| > 1e-9 sum |c|`` (the active neurons), shape (a,)."""
        c = np.abs(self.coefficients)
        return np.flatnonzero(c > _ACTIVE_RTOL * c.sum()) if c.sum() > 0 else np.array([], dtype=int)

    @property
    def atoms(self) -> np.ndarray:
        """Signed features ``sign(c_k) (X u_k)_+`` of the active neurons, shape (a, n); on ``lambda*^T v = 1``."""
        k = self.active
        return np.sign(self.coefficients[k])[:, None] * self.features[k]


def sampled_relu_gauge(X, y, n_angles: int = 720) -> SampledReluGauge:
    """The gauge ``gamma_S(y)`` over sampled unit neurons and an optimal dual ``lambda*``, by one linear program.

    HiGHS solves the dual ``max lambda^T y s.t. -1 <= F lambda <= 1`` (``F`` the (K, n) features, one row per
    sampled neuron); its constraint multipliers are an optimal ``c`` of the primal
    ``min sum |c_k| s.t. F^T c = y``, so the two are complementary: ``c_k > 0`` only where ``lambda*^T f_k = 1``,
    ``c_k < 0`` only where ``lambda*^T f_k = -1``. The program is solved on ``F / a``, ``y / b`` (``a``, ``b`` the
    largest entries) and rescaled, so HiGHS' absolute tolerances act on data of order one.

    Parameters
    ----------
    X : array_like, shape (n, 2)
    y : array_like, shape (n,)
        Labels (any vector in the span of the features).
    n_angles : int >= 8
        Grid size of :func:`relu_feature_samples`.

    Returns
    -------
    SampledReluGauge
        ``gamma_C(y) <= value <= gamma_C(y) / cos(max_gap / 2)``, where ``gamma_C(y)`` is the exact convex
        program :func:`utils.gauge_relu_features` (all neurons).

    Raises
    ------
    TypeError, ValueError
        Bad input, or labels outside the span of the sampled features (no network of these neurons outputs y).
    SolverError
        When HiGHS does not report an optimal solution.
    """
    X = _check_data(X)
    y = as_vector("y", y)
    if y.shape != (X.shape[0],):
        raise ValueError(f"y must have one entry per row of X ({X.shape[0]}), got shape {y.shape}")
    n_angles = check_count("n_angles", n_angles, _MIN_ANGLES)
    angles, F, gap = _samples(X, n_angles)
    K = len(angles)
    fx, fy = float(np.abs(F).max()), float(np.abs(y).max())
    if fy == 0.0:
        return SampledReluGauge(0.0, np.zeros_like(y), np.zeros(K), angles, F, gap)
    if fx == 0.0:
        raise ValueError("y is not zero but every sampled feature (X u)_+ is: no network outputs y")
    Fn, yn = F / fx, y / fy
    res = linprog(-yn, A_ub=np.concatenate([Fn, -Fn]), b_ub=np.ones(2 * K), bounds=[(None, None)] * len(y),
                  method="highs")
    if res.status == 3:
        raise ValueError("y is outside the span of the sampled features (X u_k)_+: no network of these neurons "
                         "outputs it (its gauge is infinite)")
    if res.status != 0:
        raise SolverError(f"sampled ReLU gauge: HiGHS stopped with status {res.status} ({res.message})")
    mu = -np.asarray(res.ineqlin.marginals)  # >= 0: multipliers of F lambda <= 1 and -F lambda <= 1
    coefficients = (mu[:K] - mu[K:]) * fy / fx
    return SampledReluGauge(value=float(-res.fun) * fy / fx, dual=np.asarray(res.x) / fx,
                            coefficients=coefficients, angles=angles, features=F, max_gap=gap)


def relu_gauge_polygons(X, n_angles: int = 720) -> tuple[np.ndarray, np.ndarray]:
    """The sampled ball ``C_S = conv(+-(X u_k)_+)`` and its polar ``{lambda : |lambda^T (X u_k)_+| <= 1}``.

    Both are polygons for two samples (n = 2): ``C_S`` is inside the exact ball ``C`` and contains
    ``cos(delta / 2) C``; its polar contains ``C°`` and lies inside ``C° / cos(delta / 2)`` (``delta`` the largest
    angular gap, see the module docstring). Each edge ``{v : a^T v = b}`` of ``C_S`` (``b > 0``, outward normal
    ``a``) gives the vertex ``a / b`` of the polar.

    Parameters
    ----------
    X : array_like, shape (2, 2)
        Two samples with two features each.
    n_angles : int >= 8
        Grid size of :func:`relu_feature_samples`.

    Returns
    -------
    ball : ndarray, shape (V, 2)
        Vertices of ``C_S`` in counter-clockwise order.
    polar : ndarray, shape (V, 2)
        Vertices of the polar in counter-clockwise order (vertex i comes from the edge of ``ball`` that starts at
        ``ball[i]``).

    Raises
    ------
    ValueError
        For ``n != 2``, or features that do not span the plane (the ball is flat and its polar unbounded).
    """
    X = _check_data(X)
    if X.shape[0] != 2:
        raise ValueError(f"the polygons live in the plane of the labels: X needs n = 2 rows, got {X.shape[0]}")
    n_angles = check_count("n_angles", n_angles, _MIN_ANGLES)
    _, F, _ = _samples(X, n_angles)
    points = np.concatenate([F, -F])
    try:
        hull = ConvexHull(points)
    except QhullError:
        raise ValueError("the features (X u)_+ do not span the plane: the ball is flat and its polar is "
                         "unbounded") from None
    ball = points[hull.vertices]                        # counter-clockwise for 2-D hulls
    polar = np.empty_like(ball)
    for i in range(len(ball)):                          # the edge from ball[i] to ball[i + 1]
        p, q = ball[i], ball[(i + 1) % len(ball)]
        normal = np.array([q[1] - p[1], p[0] - q[0]])    # outward for a counter-clockwise polygon
        polar[i] = normal / float(normal @ p)
    return ball, polar
