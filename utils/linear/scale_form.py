"""Scale form, dual certificate and optimal weights of standard deep linear networks (chapter ``02_deep_linear``).

The scale form fixes the Frobenius norms of the first ``L - 2`` layers at ``t``: the primal and dual values
become ``P_lin(t) = t^{-(L-2)} ||A||_{S_{2/L}}`` and ``D_lin(t) = t^{-(L-2)} ||A||_*``, and optimising
``(L-2)/2 t^2 + value(t)`` over t recovers the values of :mod:`utils.linear.closed_forms`. Conventions (rank
tolerance, range check, zero labels) are those of :mod:`utils.linear.closed_forms`. Everything is computed in
logarithms, so depths up to 10**6 are exact; a value at a scale ``t`` so far from the optimal one that it
exceeds the largest float raises ``OverflowError``.

Homogeneity (a, c > 0): ``P_lin(t)``, ``D_lin(t)`` scale as ``c/a`` under ``X -> aX, Y -> cY``; the optimal
scale as ``(c/a)^{1/L}``; the certificate ``Lambda`` as ``1/a`` (independent of ``c``); each optimal layer as
``(c/a)^{1/L}``.
"""

from __future__ import annotations

import math

import numpy as np

from .._validation import check_count, check_depth, check_positive, check_seed
from ._linalg import min_norm_solution, solution_svd
from .closed_forms import _data, _sigma_of
from .spectra import _dual, _exp, _log_schatten, _primal

__all__ = [
    "deep_linear_primal_value_at_scale",
    "deep_linear_dual_value_at_scale",
    "optimal_scale",
    "deep_linear_dual_certificate",
    "deep_linear_optimal_weights",
]


# ----------------------------------------------------------------------------------------- scale form
def deep_linear_primal_value_at_scale(X, Y, L, t) -> float:
    """Primal value at scale t, ``P_lin(t) = t^{-(L-2)} ||A||_{S_{2/L}}`` (chapter ``02_deep_linear``).

    Layers 1..L-2 have ``||W_l||_F <= t`` and the objective is ``1/2 (||W_{L-1}||_F^2 + ||W_L||_F^2)``.

    Parameters
    ----------
    X, Y : as in :func:`deep_linear_primal_value`.
    L : int, 2 <= L <= 10**6, the depth.
    t : float > 0, the scale.

    Returns
    -------
    float, ``P_lin(t)``; 0 for zero labels.

    Raises
    ------
    TypeError
        If ``X`` or ``Y`` is not a real numeric array (complex or boolean entries), or ``L`` is not an integer.
    ValueError
        If ``Y`` is not in range(X) (no interpolating network), ``L`` is not in 2..10**6, ``t <= 0``, or for
        bad shapes or NaN/inf.
    OverflowError
        If the value exceeds the largest float (a scale ``t`` far from 1 in a deep network).
    """
    L = check_depth(L)
    t = check_positive("t", t)
    return _primal(_sigma_of(X, Y), L, t)


def deep_linear_dual_value_at_scale(X, Y, L, t) -> float:
    """Dual value at scale t, ``D_lin(t) = t^{-(L-2)} ||A||_*`` (chapter ``02_deep_linear``).

    Parameters
    ----------
    X, Y, L, t : as in :func:`deep_linear_primal_value_at_scale`.

    Returns
    -------
    float, ``D_lin(t)``; 0 for zero labels.

    Raises
    ------
    TypeError, ValueError, OverflowError
        As :func:`deep_linear_primal_value_at_scale`.
    """
    L = check_depth(L)
    t = check_positive("t", t)
    return _dual(_sigma_of(X, Y), L, t)


def optimal_scale(X, Y, L, problem="primal") -> float:
    """The scale t minimising ``(L-2)/2 t^2 + t^{-(L-2)} s``, i.e. ``t = s^{1/L}`` (chapter ``02_deep_linear``).

    ``s = ||A||_{S_{2/L}}`` for ``problem="primal"`` (then t is the common Frobenius norm of the balanced
    optimal layers) and ``s = ||A||_*`` for ``problem="dual"``. For L = 2 the value does not depend on t and
    this returns ``s^{1/2}``. Computed as ``exp(log(s) / L)``: finite even where ``s`` itself overflows
    (``||I_8||_{S_{2/800}} = 8^{400}``, yet t = sqrt(8)).

    Parameters
    ----------
    X, Y, L : as in :func:`deep_linear_primal_value`.
    problem : {"primal", "dual"}

    Returns
    -------
    float, ``t >= 0``; 0 for zero labels.

    Raises
    ------
    TypeError, ValueError
        As :func:`deep_linear_primal_value`, and ``ValueError`` for an unknown ``problem``.
    """
    L = check_depth(L)
    if problem not in ("primal", "dual"):
        raise ValueError(f"problem must be 'primal' or 'dual', got {problem!r}")
    s = _sigma_of(X, Y)
    if s.size == 0:
        return 0.0
    return math.exp(_log_schatten(s, 2.0 / L if problem == "primal" else 1.0) / L)


def deep_linear_dual_certificate(X, Y, L, t=1.0) -> np.ndarray:
    """Optimal dual variable ``Lambda = t^{-(L-2)} (X^T)^+ U V^T`` of ``D_lin(t)`` (chapter ``02_deep_linear``).

    ``A = U S V^T`` is the compact SVD. Lambda is feasible with ``||X^T Lambda||_2 = t^{-(L-2)}`` and attains
    ``tr(Lambda^T Y) = D_lin(t) = t^{-(L-2)} ||A||_*``. ``(X^T)^+`` is applied from the SVD of ``X``.

    Parameters
    ----------
    X, Y, L : as in :func:`deep_linear_primal_value`.
    t : float > 0, the scale (default 1).

    Returns
    -------
    ndarray, shape (n, k) (``(n, 1)`` for vector ``Y``); zeros for zero labels (value 0).

    Raises
    ------
    TypeError, ValueError, OverflowError
        As :func:`deep_linear_primal_value_at_scale`.
    """
    L = check_depth(L)
    t = check_positive("t", t)
    sol = min_norm_solution(*_data(X, Y))
    U, _, V = solution_svd(sol)
    if U.shape[1] == 0:
        return np.zeros((sol.U.shape[0], sol.A.shape[1]))
    M = sol.U @ ((sol.V.T @ (U @ V.T)) / sol.s[:, None])  # (X^T)^+ U V^T = U_X diag(1/s) V_X^T U V^T
    top = float(np.max(np.abs(M)))
    factor = _exp(-(L - 2) * math.log(t) + math.log(top), "the dual certificate's largest entry")
    return (M / top) * factor


# ----------------------------------------------------------------------------------------- weights
def deep_linear_optimal_weights(X, Y, L, widths=None, seed=None) -> list[np.ndarray]:
    """Closed-form optimal weights of the standard deep linear network (chapter ``02_deep_linear``).

    With ``A = U S V^T`` (compact SVD, rank r): ``W_1 = U S^{1/L} R_1^T``, ``W_l = R_{l-1} S^{1/L} R_l^T``,
    ``W_L = R_{L-1} S^{1/L} V^T``, each ``R_l`` (m_l, r) with orthonormal columns drawn at random from
    ``seed``. The weights interpolate (``X W_1...W_L = Y``), are balanced (``||W_l||_F^2 = sum sigma_i^{2/L}``)
    and attain ``P_lin``.

    Parameters
    ----------
    X : array_like, shape (n, d); Y : array_like, shape (n, k) or (n,); L : int, 2 <= L <= 10**6
    widths : sequence of L-1 ints, hidden widths m_1..m_{L-1}, each >= max(r, 1); default all max(r, 1).
    seed : int, Generator or None (fixed seed 0).

    Returns
    -------
    list of L arrays, shapes (d, m_1), (m_1, m_2), ..., (m_{L-1}, k). Zero labels give zero matrices.

    Raises
    ------
    TypeError
        As :func:`deep_linear_primal_value`, and for a non-integer width or a bad ``seed``.
    ValueError
        As :func:`deep_linear_primal_value`, and for the wrong number of widths or a width below max(r, 1).
    """
    L = check_depth(L)
    rng = check_seed(seed)
    sol = min_norm_solution(*_data(X, Y))
    U, s, V = solution_svd(sol)
    r = s.size
    if widths is None:
        widths = [max(r, 1)] * (L - 1)
    widths = list(np.atleast_1d(np.asarray(widths)))
    if len(widths) != L - 1:
        raise ValueError(f"widths must list L - 1 = {L - 1} hidden widths, got {len(widths)}")
    widths = [check_count(f"widths[{i}]", m, 1) for i, m in enumerate(widths)]
    for m in widths:
        if m < max(r, 1):
            raise ValueError(f"every hidden width must be an integer >= max(rank(A), 1) = {max(r, 1)}, got {m}")
    dims = [sol.A.shape[0], *widths, sol.A.shape[1]]
    if r == 0:
        return [np.zeros((dims[i], dims[i + 1])) for i in range(L)]
    R = [np.linalg.qr(rng.standard_normal((m, r)))[0] for m in widths]
    left = [U] + R
    right = R + [V]
    root = np.exp(np.log(s) / L)
    return [(left[i] * root) @ right[i].T for i in range(L)]
