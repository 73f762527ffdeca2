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

from ._validation import as_matrix, check_depth, check_positive, check_same_rows

__all__ = [
    "schatten_norm",
    "min_norm_target",
    "target_singular_values",
    "deep_linear_primal_value",
    "deep_linear_dual_value",
    "deep_linear_gap",
    "primal_value_from_singular_values",
    "dual_value_from_singular_values",
    "gap_from_singular_values",
    "duality_gap_stairs",
    "stairs_from_singular_values",
    "parallel_linear_value",
    "parallel_value_from_singular_values",
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


def _as_sigma(sigma) -> np.ndarray:
    """Validate singular values: 1-D, finite, >= 0; an empty array means A = 0. Returned descending."""
    if isinstance(sigma, (str, bytes)) or sigma is None:
        raise TypeError(f"sigma must be a numeric array, got {type(sigma).__name__}")
    try:
        s = np.asarray(sigma, dtype=float)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"sigma must be a numeric array ({exc})") from None
    if s.ndim == 0:
        s = s[None]
    if s.ndim != 1:
        raise ValueError(f"sigma must be a 1-D array of singular values, got shape {s.shape}")
    if not np.all(np.isfinite(s)):
        raise ValueError("sigma contains NaN or infinite entries")
    if np.any(s < 0):
        raise ValueError("singular values must be >= 0")
    return np.sort(s[s > 0])[::-1]


def _schatten(s: np.ndarray, p: float) -> float:
    """(sum s_i^p)^(1/p) for descending s > 0, computed as s_1 (sum (s_i/s_1)^p)^(1/p) (no overflow)."""
    if s.size == 0:
        return 0.0
    return float(s[0] * np.sum((s / s[0]) ** p) ** (1.0 / p))


def _log_schatten(s: np.ndarray, p: float) -> float:
    """log (sum s_i^p)^(1/p) for descending s > 0: stays finite where the norm itself would overflow."""
    return float(np.log(s[0]) + np.log(np.sum((s / s[0]) ** p)) / p)


def _scale(t):
    return None if t is None else check_positive("t", t)


def _stairs(s: np.ndarray, L: int, t: float | None) -> np.ndarray:
    if s.size == 0:
        return np.zeros(L - 1)
    log_norms = np.array([_log_schatten(s, 2.0 / l) for l in range(2, L + 1)])
    if t is None:  # (L/2) ||A||_{S_{2/l}}^{2/L}, in logs so that deep networks (L in the hundreds) do not overflow
        return 0.5 * L * np.exp(log_norms * (2.0 / L))
    return np.exp(log_norms - (L - 2) * np.log(t))


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
def primal_value_from_singular_values(sigma, L, t=None) -> float:
    """Primal value of the standard deep linear network from the singular values of ``A``.

    ``t=None``: ``P_lin = (L/2) sum_i sigma_i^{2/L}`` (optimised over the scale; MATH.md 2.1).
    ``t > 0``: ``P_lin(t) = t^{-(L-2)} ||A||_{S_{2/L}}`` (layers 1..L-2 of Frobenius norm <= t; MATH.md 2.3).

    Parameters
    ----------
    sigma : array_like, shape (r,), singular values of ``A`` (>= 0, any order; zeros are dropped).
    L : int >= 2, the depth.
    t : float > 0, optional, the scale; None (default) optimises over it.

    Returns
    -------
    float, ``P_lin`` or ``P_lin(t)``; 0 for empty or all-zero ``sigma`` (zero labels).

    Raises
    ------
    ValueError
        If ``sigma`` is not 1-D or has NaN/inf or negative entries, ``L < 2`` or ``t <= 0``.
    """
    return float(stairs_from_singular_values(sigma, L, t)[-1])


def dual_value_from_singular_values(sigma, L, t=None) -> float:
    """Dual value of the deep linear network from the singular values of ``A`` (MATH.md 2.3).

    ``t=None``: ``D_lin = (L/2) (sum_i sigma_i)^{2/L}``; ``t > 0``: ``D_lin(t) = t^{-(L-2)} ||A||_*``.

    Parameters
    ----------
    sigma, L, t : as in :func:`primal_value_from_singular_values`.

    Returns
    -------
    float, ``D_lin`` or ``D_lin(t)``; 0 for empty or all-zero ``sigma``.

    Raises
    ------
    ValueError
        If ``sigma`` is not 1-D or has NaN/inf or negative entries, ``L < 2`` or ``t <= 0``.
    """
    return float(stairs_from_singular_values(sigma, L, t)[0])


def gap_from_singular_values(sigma, L, t=None) -> float:
    """Duality gap ``P - D >= 0`` from singular values (MATH.md 2.4); zero iff L = 2 or rank <= 1.

    ``t=None``: ``(L/2) (sum sigma_i^{2/L} - (sum sigma_i)^{2/L})``; ``t > 0``: ``P_lin(t) - D_lin(t)``.

    Parameters
    ----------
    sigma, L, t : as in :func:`primal_value_from_singular_values`.

    Returns
    -------
    float, the gap (>= 0).

    Raises
    ------
    ValueError
        If ``sigma`` is not 1-D or has NaN/inf or negative entries, ``L < 2`` or ``t <= 0``.
    """
    st = stairs_from_singular_values(sigma, L, t)
    return float(max(st[-1] - st[0], 0.0))


def stairs_from_singular_values(sigma, L, t=None) -> np.ndarray:
    """The stairs of the duality gap ``[P^2, ..., P^L]`` (MATH.md 3).

    ``P^l`` is the value of the network whose first ``s = l - 2`` layers are shared and the rest parallel:

    * ``t=None`` (optimised over the scale): ``P^l = (L/2) ||A||_{S_{2/l}}^{2/L}``;
    * ``t > 0``: ``P^l(t) = t^{-(L-2)} ||A||_{S_{2/l}}``.

    ``P^2`` is the dual value ``D_lin``, ``P^L`` the primal value ``P_lin``.

    Parameters
    ----------
    sigma : array_like, shape (r,), singular values of ``A`` (>= 0, any order; zeros are dropped).
    L : int >= 2, the depth.
    t : float > 0, optional, the scale; None (default) optimises over it.

    Returns
    -------
    ndarray, shape (L - 1,), non-decreasing (strictly iff rank(A) >= 2); zeros for zero labels.

    Raises
    ------
    ValueError
        If ``sigma`` is not 1-D or has NaN/inf or negative entries, ``L < 2`` or ``t <= 0``.
    """
    L = check_depth(L)
    return _stairs(_as_sigma(sigma), L, _scale(t))


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


def parallel_value_from_singular_values(sigma, L, penalty="power") -> float:
    """Value of the parallel deep linear network (MATH.md 4) from the singular values of ``A``.

    ``penalty="power"`` (``1/L sum_j sum_l ||W_{l,j}||_F^L``): ``||A||_* = sum sigma_i`` (any L, zero gap).
    ``penalty="weight_decay"`` (``1/2 sum_j sum_l ||W_{l,j}||_F^2``): ``(L/2) ||A||_{S_{2/L}}^{2/L}``, the
    standard network's value.

    Parameters
    ----------
    sigma : array_like, shape (r,), singular values of ``A`` (>= 0; zeros are dropped).
    L : int >= 2, the depth.
    penalty : {"power", "weight_decay"}

    Returns
    -------
    float, the value; 0 for zero labels.

    Raises
    ------
    ValueError
        For an unknown ``penalty``, ``L < 2``, or ``sigma`` not 1-D or with NaN/inf or negative entries.
    """
    L = check_depth(L)
    if penalty not in ("power", "weight_decay"):
        raise ValueError(f"penalty must be 'power' or 'weight_decay', got {penalty!r}")
    s = _as_sigma(sigma)
    return float(s.sum()) if penalty == "power" else float(_stairs(s, L, None)[-1])


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
