"""Closed forms for deep linear networks: primal and dual values, the gap, its stairs, optimal weights.

Everything follows ``MATH.md`` sections 2-4 (normalisations included). With data ``X`` (n, d) and labels
``Y`` (n, k), the min-norm target is ``A = X^+ Y`` and ``sigma_1 >= ... >= sigma_r > 0`` are its non-zero
singular values. Then, for depth ``L >= 2``,

* primal (standard network, weight decay): ``P_lin = (L/2) ||A||_{S_{2/L}}^{2/L} = (L/2) sum sigma_i^{2/L}``;
* dual: ``D_lin = (L/2) ||A||_*^{2/L}``;
* gap ``P_lin - D_lin >= 0``, zero **iff L = 2 or rank(A) <= 1**. (The source paper's Theorem 3 says "iff the
  singular values are equal"; that is false, e.g. sigma = (1, 1, 1), L = 3. See MATH.md 2.4.)

Conventions used by every function here:

* Ranks use the relative tolerance ``_RANK_RTOL = 1e-10``: singular values below ``1e-10 * sigma_1`` count as
  zero (for ``X`` when forming ``X^+`` and for ``A``). This matters because ``sigma^{2/L}`` amplifies
  round-off singular values.
* Labels outside range(X) raise ``ValueError`` (no interpolating network exists).
* Zero labels (``A = 0``): the zero network interpolates, so every value is ``0``, the optimal scale is ``0``,
  the optimal weights are zero matrices and the dual certificate is ``Lambda = 0``.
"""

from __future__ import annotations

import numpy as np

from .._validation import as_matrix, check_positive, check_same_rows
from .spectra import (
    _schatten,
    dual_value_from_singular_values,
    gap_from_singular_values,
    parallel_value_from_singular_values,
    primal_value_from_singular_values,
    stairs_from_singular_values,
)

__all__ = [
    "schatten_norm",
    "min_norm_target",
    "target_singular_values",
    "deep_linear_primal_value",
    "deep_linear_dual_value",
    "deep_linear_gap",
    "duality_gap_stairs",
    "parallel_linear_value",
]

_RANK_RTOL = 1e-10  # relative rank tolerance (singular values below this times the largest are zero)
_RANGE_RTOL = 1e-8  # relative residual tolerance for "column of Y lies in range(X)"


# ----------------------------------------------------------------------------------------- internals
def _compact_svd(M: np.ndarray):
    """Compact SVD ``M = U diag(s) V^T`` keeping singular values > _RANK_RTOL * s_max."""
    U, s, Vt = np.linalg.svd(M, full_matrices=False)
    r = int(np.sum(s > _RANK_RTOL * s[0])) if s.size and s[0] > 0 else 0
    return U[:, :r], s[:r], Vt[:r].T


def _pinv(X: np.ndarray) -> np.ndarray:
    U, s, V = _compact_svd(X)
    return (V / s) @ U.T


def _data(X, Y):
    X = as_matrix("X", X)
    Y = as_matrix("Y", Y, allow_vector=True)
    check_same_rows(X, Y)
    return X, Y


def _target(X: np.ndarray, Y: np.ndarray) -> np.ndarray:
    A = _pinv(X) @ Y
    res = np.linalg.norm(X @ A - Y, axis=0)
    scale = np.linalg.norm(Y, axis=0)
    bad = np.flatnonzero(res > _RANGE_RTOL * np.maximum(scale, np.finfo(float).tiny))
    if bad.size:
        j = int(bad[0])
        raise ValueError(
            f"column {j} of Y is not in range(X) (relative residual {res[j] / scale[j]:.2e}): "
            "no interpolating network exists for these labels"
        )
    return A


def _sigma_of(X, Y) -> np.ndarray:
    X, Y = _data(X, Y)
    return _compact_svd(_target(X, Y))[1]


# ----------------------------------------------------------------------------------------- basic objects
def schatten_norm(A, p) -> float:
    """Schatten-p (quasi-)norm ``||A||_{S_p} = (sum_i sigma_i^p)^{1/p}`` (MATH.md 0).

    Parameters
    ----------
    A : array_like, shape (m, q)
    p : float, > 0 (finite). For p < 1 this is a quasi-norm, ``>= ||A||_*`` with equality iff rank <= 1.

    Singular values below ``1e-10 * sigma_1`` are treated as zero. Returns 0 for the zero matrix.
    """
    A = as_matrix("A", A)
    p = check_positive("p", p)
    return _schatten(_compact_svd(A)[1], p)


def min_norm_target(X, Y) -> np.ndarray:
    """The min-norm target ``A = X^+ Y`` (MATH.md 0, 2.1), shape (d, k).

    Parameters
    ----------
    X : array_like, shape (n, d)
    Y : array_like, shape (n, k), or (n,) treated as (n, 1)

    Raises
    ------
    ValueError
        If a column of ``Y`` is not in range(X) (relative residual above 1e-8): then ``X W = Y`` has no
        solution and no interpolating network exists. Also for bad shapes or NaN/inf entries.
    """
    X, Y = _data(X, Y)
    return _target(X, Y)


def target_singular_values(X, Y) -> np.ndarray:
    """Non-zero singular values of ``A = X^+ Y``, descending (relative rank tolerance 1e-10).

    Parameters
    ----------
    X : array_like, shape (n, d), the data.
    Y : array_like, shape (n, k) or (n,), the labels.

    Returns
    -------
    ndarray, shape (rank(A),); empty for zero labels (``A = 0``).

    Raises
    ------
    ValueError
        If ``Y`` is not in range(X) (no interpolating network), or for bad shapes or NaN/inf.
    """
    return _sigma_of(X, Y)


# ----------------------------------------------------------------------------------------- values
def deep_linear_primal_value(X, Y, L) -> float:
    """Primal value of the standard deep linear network (MATH.md 2.1).

    ``P_lin = min 1/2 sum_l ||W_l||_F^2 s.t. X W_1...W_L = Y`` equals ``(L/2) ||A||_{S_{2/L}}^{2/L}``.

    Parameters
    ----------
    X : array_like, shape (n, d), the data.
    Y : array_like, shape (n, k) or (n,), the labels.
    L : int >= 2, the depth.

    Returns
    -------
    float, ``P_lin``; 0 for zero labels (the zero network).

    Raises
    ------
    ValueError
        If ``Y`` is not in range(X) (no interpolating network), ``L < 2``, or for bad shapes or NaN/inf.
    """
    return primal_value_from_singular_values(_sigma_of(X, Y), L)


def deep_linear_dual_value(X, Y, L) -> float:
    """Dual value ``D_lin = (L/2) ||A||_*^{2/L}`` (MATH.md 2.3).

    Parameters
    ----------
    X, Y, L : as in :func:`deep_linear_primal_value`.

    Returns
    -------
    float, ``D_lin``; 0 for zero labels.

    Raises
    ------
    ValueError
        If ``Y`` is not in range(X) (no interpolating network), ``L < 2``, or for bad shapes or NaN/inf.
    """
    return dual_value_from_singular_values(_sigma_of(X, Y), L)


def deep_linear_gap(X, Y, L) -> float:
    """Duality gap ``P_lin - D_lin`` (MATH.md 2.4): zero iff L = 2 or rank(A) <= 1.

    (Not "iff equal singular values", as the source paper's Theorem 3 says.)

    Parameters
    ----------
    X, Y, L : as in :func:`deep_linear_primal_value`.

    Returns
    -------
    float, the gap (>= 0).

    Raises
    ------
    ValueError
        If ``Y`` is not in range(X) (no interpolating network), ``L < 2``, or for bad shapes or NaN/inf.
    """
    return gap_from_singular_values(_sigma_of(X, Y), L)


def duality_gap_stairs(X, Y, L, t=None) -> np.ndarray:
    """Stairs ``[P^2, ..., P^L]`` (MATH.md 3) for data X, Y; see :func:`stairs_from_singular_values`.

    Parameters
    ----------
    X, Y, L : as in :func:`deep_linear_primal_value`.
    t : float > 0, optional, the scale; None (default) optimises over it.

    Returns
    -------
    ndarray, shape (L - 1,).

    Raises
    ------
    ValueError
        If ``Y`` is not in range(X) (no interpolating network), ``L < 2``, or for bad shapes or NaN/inf.
    """
    return stairs_from_singular_values(_sigma_of(X, Y), L, t)


def parallel_linear_value(X, Y, L, penalty="power") -> float:
    """Min-norm value of the parallel deep linear network (MATH.md 4).

    ``||A||_*`` for ``"power"``, ``P_lin`` for ``"weight_decay"``
    (see :func:`parallel_value_from_singular_values`).

    Parameters
    ----------
    X, Y, L : as in :func:`deep_linear_primal_value`.
    penalty : {"power", "weight_decay"}

    Returns
    -------
    float, the value; 0 for zero labels.

    Raises
    ------
    ValueError
        For an unknown ``penalty``, ``Y`` not in range(X), ``L < 2``, or bad shapes or NaN/inf.
    """
    return parallel_value_from_singular_values(_sigma_of(X, Y), L, penalty)
