"""Scale form, dual certificate and optimal weights of standard deep linear networks (MATH.md 2.2-2.3).

The scale form fixes the Frobenius norms of the first ``L - 2`` layers at ``t``: the primal and dual values
become ``P_lin(t) = t^{-(L-2)} ||A||_{S_{2/L}}`` and ``D_lin(t) = t^{-(L-2)} ||A||_*``, and optimising
``(L-2)/2 t^2 + value(t)`` over t recovers the values of :mod:`utils.linear_closed_forms`. Conventions (rank
tolerance, range check, zero labels) are those of :mod:`utils.linear_closed_forms`.
"""

from __future__ import annotations

import numpy as np

from .._validation import check_depth, check_positive, check_seed
from .closed_forms import (
    _compact_svd,
    _data,
    _pinv,
    _schatten,
    _sigma_of,
    _target,
    dual_value_from_singular_values,
    primal_value_from_singular_values,
)

__all__ = [
    "deep_linear_primal_value_at_scale",
    "deep_linear_dual_value_at_scale",
    "optimal_scale",
    "deep_linear_dual_certificate",
    "deep_linear_optimal_weights",
]


# ----------------------------------------------------------------------------------------- scale form
def deep_linear_primal_value_at_scale(X, Y, L, t) -> float:
    """Primal value at scale t, ``P_lin(t) = t^{-(L-2)} ||A||_{S_{2/L}}`` (MATH.md 2.3).

    Layers 1..L-2 have ``||W_l||_F <= t`` and the objective is ``1/2 (||W_{L-1}||_F^2 + ||W_L||_F^2)``.

    Parameters
    ----------
    X, Y, L : as in :func:`deep_linear_primal_value`.
    t : float > 0, the scale.

    Returns
    -------
    float, ``P_lin(t)``; 0 for zero labels.

    Raises
    ------
    ValueError
        If ``Y`` is not in range(X) (no interpolating network), ``L < 2``, ``t <= 0``, or for bad shapes
        or NaN/inf.
    """
    return primal_value_from_singular_values(_sigma_of(X, Y), L, check_positive("t", t))


def deep_linear_dual_value_at_scale(X, Y, L, t) -> float:
    """Dual value at scale t, ``D_lin(t) = t^{-(L-2)} ||A||_*`` (MATH.md 2.3).

    Parameters
    ----------
    X, Y, L : as in :func:`deep_linear_primal_value`.
    t : float > 0, the scale.

    Returns
    -------
    float, ``D_lin(t)``; 0 for zero labels.

    Raises
    ------
    ValueError
        If ``Y`` is not in range(X) (no interpolating network), ``L < 2``, ``t <= 0``, or for bad shapes
        or NaN/inf.
    """
    return dual_value_from_singular_values(_sigma_of(X, Y), L, check_positive("t", t))


def optimal_scale(X, Y, L, problem="primal") -> float:
    """The scale t minimising ``(L-2)/2 t^2 + t^{-(L-2)} s``, i.e. ``t = s^{1/L}`` (MATH.md 2.3).

    ``s = ||A||_{S_{2/L}}`` for ``problem="primal"`` (then t is the common Frobenius norm of the balanced
    optimal layers) and ``s = ||A||_*`` for ``problem="dual"``. For L = 2 the value does not depend on t and
    this returns ``s^{1/2}``.

    Parameters
    ----------
    X, Y, L : as in :func:`deep_linear_primal_value`.
    problem : {"primal", "dual"}

    Returns
    -------
    float, ``t >= 0``; 0 for zero labels.

    Raises
    ------
    ValueError
        For an unknown ``problem``, ``Y`` not in range(X), ``L < 2``, or bad shapes or NaN/inf.
    """
    L = check_depth(L)
    if problem not in ("primal", "dual"):
        raise ValueError(f"problem must be 'primal' or 'dual', got {problem!r}")
    s = _sigma_of(X, Y)
    norm = _schatten(s, 2.0 / L) if problem == "primal" else float(s.sum())
    return float(norm ** (1.0 / L))


def deep_linear_dual_certificate(X, Y, L, t=1.0) -> np.ndarray:
    """Optimal dual variable ``Lambda = t^{-(L-2)} (X^T)^+ U V^T`` of ``D_lin(t)`` (MATH.md 2.3).

    ``A = U S V^T`` is the compact SVD. Lambda is feasible with ``||X^T Lambda||_2 = t^{-(L-2)}`` and attains
    ``tr(Lambda^T Y) = D_lin(t) = t^{-(L-2)} ||A||_*``.

    Parameters
    ----------
    X, Y, L : as in :func:`deep_linear_primal_value`.
    t : float > 0, the scale (default 1).

    Returns
    -------
    ndarray, shape (n, k) (``(n, 1)`` for vector ``Y``); zeros for zero labels (value 0).

    Raises
    ------
    ValueError
        If ``Y`` is not in range(X) (no interpolating network), ``L < 2``, ``t <= 0``, or for bad shapes
        or NaN/inf.
    """
    L = check_depth(L)
    t = check_positive("t", t)
    X, Y = _data(X, Y)
    U, _, V = _compact_svd(_target(X, Y))
    if U.shape[1] == 0:
        return np.zeros(Y.shape)
    return t ** (-(L - 2)) * (_pinv(X).T @ (U @ V.T))


# ----------------------------------------------------------------------------------------- weights
def deep_linear_optimal_weights(X, Y, L, widths=None, seed=None) -> list[np.ndarray]:
    """Closed-form optimal weights of the standard deep linear network (MATH.md 2.2).

    With ``A = U S V^T`` (compact SVD, rank r): ``W_1 = U S^{1/L} R_1^T``, ``W_l = R_{l-1} S^{1/L} R_l^T``,
    ``W_L = R_{L-1} S^{1/L} V^T``, each ``R_l`` (m_l, r) with orthonormal columns drawn at random from
    ``seed``. The weights interpolate (``X W_1...W_L = Y``), are balanced (``||W_l||_F^2 = sum sigma_i^{2/L}``)
    and attain ``P_lin``.

    Parameters
    ----------
    X : (n, d); Y : (n, k) or (n,); L : int >= 2
    widths : sequence of L-1 ints, hidden widths m_1..m_{L-1}, each >= max(r, 1); default all max(r, 1).
    seed : int, Generator or None (fixed seed 0).

    Returns
    -------
    list of L arrays, shapes (d, m_1), (m_1, m_2), ..., (m_{L-1}, k). Zero labels give zero matrices.
    """
    L = check_depth(L)
    rng = check_seed(seed)
    X, Y = _data(X, Y)
    U, s, V = _compact_svd(_target(X, Y))
    r = s.size
    if widths is None:
        widths = [max(r, 1)] * (L - 1)
    widths = list(np.atleast_1d(np.asarray(widths)))
    if len(widths) != L - 1:
        raise ValueError(f"widths must list L - 1 = {L - 1} hidden widths, got {len(widths)}")
    for m in widths:
        if not float(m).is_integer() or int(m) < max(r, 1):
            raise ValueError(f"every hidden width must be an integer >= max(rank(A), 1) = {max(r, 1)}, got {m}")
    widths = [int(m) for m in widths]
    dims = [X.shape[1], *widths, Y.shape[1]]
    if r == 0:
        return [np.zeros((dims[i], dims[i + 1])) for i in range(L)]
    R = [np.linalg.qr(rng.standard_normal((m, r)))[0] for m in widths]
    left = [U] + R
    right = R + [V]
    root = s ** (1.0 / L)
    return [(left[i] * root) @ right[i].T for i in range(L)]
