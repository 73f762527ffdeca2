"""Deep linear values from the singular values of the target ``A = X^+ Y`` alone.

With ``sigma_1 >= ... >= sigma_r > 0`` the non-zero singular values of ``A`` and depth ``L >= 2``:

* primal (standard network, weight decay): ``P_lin = (L/2) sum_i sigma_i^{2/L} = (L/2) ||A||_{S_{2/L}}^{2/L}``;
* dual: ``D_lin = (L/2) (sum_i sigma_i)^{2/L} = (L/2) ||A||_*^{2/L}``;
* the stairs ``P^l = (L/2) ||A||_{S_{2/l}}^{2/L}``, l = 2..L, from ``D_lin = P^2`` to ``P_lin = P^L``;
* at a fixed scale ``t > 0`` (layers 1..L-2 of Frobenius norm <= t): ``P^l(t) = t^{-(L-2)} ||A||_{S_{2/l}}``.

The gap ``P_lin - D_lin`` is zero iff ``L = 2`` or ``rank(A) <= 1`` (the book's deep linear chapter; the
source paper's "iff the singular values are equal" is false). Values are computed in logarithms, so they stay
finite for very deep networks.
"""

from __future__ import annotations

import numpy as np

from .._validation import check_count, check_depth, check_positive

__all__ = [
    "primal_value_from_singular_values",
    "dual_value_from_singular_values",
    "gap_from_singular_values",
    "stairs_from_singular_values",
    "parallel_value_from_singular_values",
    "decaying_spectrum",
]


# ----------------------------------------------------------------------------------------- internals
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


def decaying_spectrum(rank: int, decay: float) -> np.ndarray:
    """Singular values ``sigma_i = exp(-decay (i - 1))``, i = 1..rank (the explorer's spectrum).

    Parameters
    ----------
    rank : int
        Number of non-zero singular values (>= 1).
    decay : float
        Decay rate (>= 0). ``decay = 0`` gives ``rank`` equal singular values; a large decay gives an
        (almost) rank-one matrix.

    Returns
    -------
    ndarray, shape (rank,)
        Non-increasing positive singular values with ``sigma_1 = 1``.
    """
    rank = check_count("rank", rank, 1)
    decay = check_positive("decay", decay, allow_zero=True)
    return np.exp(-decay * np.arange(rank))
