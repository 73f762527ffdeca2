"""Deep linear values from the singular values of the target ``A = X^+ Y`` alone.

With ``sigma_1 >= ... >= sigma_r > 0`` the non-zero singular values of ``A`` and depth ``L >= 2``:

* primal (standard network, weight decay): ``P_lin = (L/2) sum_i sigma_i^{2/L} = (L/2) ||A||_{S_{2/L}}^{2/L}``;
* dual: ``D_lin = (L/2) (sum_i sigma_i)^{2/L} = (L/2) ||A||_*^{2/L}``;
* the stairs ``P^l = (L/2) ||A||_{S_{2/l}}^{2/L}``, l = 2..L, from ``D_lin = P^2`` to ``P_lin = P^L``;
* at a fixed scale ``t > 0`` (layers 1..L-2 of Frobenius norm <= t): ``P^l(t) = t^{-(L-2)} ||A||_{S_{2/l}}``.

The gap ``P_lin - D_lin`` is zero iff ``L = 2`` or ``rank(A) <= 1`` (the book's deep linear chapter; the
source paper's "iff the singular values are equal" is false).

Homogeneity: multiplying every singular value by ``c > 0`` multiplies ``P_lin``, ``D_lin``, the gap and the
stairs by ``c^{2/L}``, and the values at a fixed scale by ``c``.

Numerics: everything is computed from ``log sigma_i`` (ratios ``sigma_i / sigma_1`` never underflow), the
gap without subtracting two nearly equal numbers (``expm1``/``log1p``), and a value is exponentiated only at
the end. So every depth up to ``MAX_DEPTH = 10**6`` gives a finite, accurate value in O(r) operations (the
stairs in O(r L)). A value larger than the largest float (``1.8e308``; possible at a fixed scale ``t`` far
from 1 for deep networks, e.g. ``t^{-(L-2)} = 2^{1998}``) raises ``OverflowError``; values below the
smallest float underflow to 0 as usual.
"""

from __future__ import annotations

import math

import numpy as np

from .._validation import as_vector, check_count, check_depth, check_positive

__all__ = [
    "primal_value_from_singular_values",
    "dual_value_from_singular_values",
    "gap_from_singular_values",
    "stairs_from_singular_values",
    "parallel_value_from_singular_values",
    "decaying_spectrum",
]

_LOG_FLOAT_MAX = math.log(np.finfo(float).max)


# ----------------------------------------------------------------------------------------- internals
def _as_sigma(sigma) -> np.ndarray:
    """Validate singular values: 1-D, real, finite, >= 0; an empty array means A = 0. Returned descending > 0."""
    if (isinstance(sigma, (list, tuple)) and len(sigma) == 0) or (isinstance(sigma, np.ndarray) and sigma.size == 0):
        return np.zeros(0)
    s = as_vector("sigma", np.atleast_1d(sigma) if not isinstance(sigma, (str, bytes)) else sigma)
    if np.any(s < 0):
        raise ValueError("singular values must be >= 0")
    return np.sort(s[s > 0])[::-1]


def _exp(log_value: float, what: str) -> float:
    """``exp(log_value)``, raising ``OverflowError`` (with the value's size) instead of returning inf."""
    if log_value > _LOG_FLOAT_MAX:
        raise OverflowError(
            f"{what} is about 10^{log_value / math.log(10):.1f}, beyond the largest float (1.8e308): "
            "choose a scale t closer to the optimal one (optimal_scale) or a smaller depth"
        )
    return float(np.exp(log_value))  # np.exp, as for the stairs: equal logs give equal values


def _exp_times(log_factor: float, mantissa: float, what: str) -> float:
    """``exp(log_factor) * mantissa`` (mantissa > 0): the product when it is safe, so a mantissa spanning many
    orders of magnitude keeps its full precision, else in logarithms."""
    factor = float(np.exp(log_factor)) if log_factor < _LOG_FLOAT_MAX else math.inf
    value = factor * mantissa
    if 0.0 < factor < math.inf and np.finfo(float).tiny <= value < math.inf:
        return value
    return _exp(log_factor + math.log(mantissa), what)


def _logs(s: np.ndarray):
    """``log sigma_1`` and the ratios ``x_i = sigma_i / sigma_1`` for i >= 2, with their logs (descending s > 0)."""
    ls = np.log(s)
    return float(ls[0]), (s[1:] / s[0], ls[1:] - ls[0])


def _tail(x, p) -> float:
    """``sum_{i >= 2} x_i^p``, as ``x_i^p`` (accurate to a few ulps) unless ``x_i`` underflows, then
    ``exp(p log x_i)``."""
    ratio, log_ratio = x
    normal = ratio >= np.finfo(float).tiny
    return float(np.sum(np.where(normal, np.power(np.where(normal, ratio, 1.0), p), np.exp(p * log_ratio))))


def _log_schatten(s: np.ndarray, p: float) -> float:
    """``log ||A||_{S_p} = log sigma_1 + log1p(sum_{i>=2} (sigma_i/sigma_1)^p) / p`` (descending s > 0)."""
    l1, x = _logs(s)
    return l1 + math.log1p(_tail(x, p)) / p


def _log_scale(L: int, t: float) -> float:
    return -(L - 2) * math.log(t)


def _primal(s: np.ndarray, L: int, t: float | None) -> float:
    if s.size == 0:
        return 0.0
    q = 2.0 / L
    if t is None:  # (L/2) sigma_1^q (1 + sum_{i>=2} (sigma_i/sigma_1)^q)
        l1, x = _logs(s)
        return _exp_times(math.log(L / 2) + q * l1, 1.0 + _tail(x, q), "the primal value")
    return _exp(_log_schatten(s, q) + _log_scale(L, t), "the primal value at scale t")


def _dual(s: np.ndarray, L: int, t: float | None) -> float:
    if s.size == 0:
        return 0.0
    log_nuc = _log_schatten(s, 1.0)
    if t is None:
        return _exp(math.log(L / 2) + 2.0 / L * log_nuc, "the dual value")
    return _exp(log_nuc + _log_scale(L, t), "the dual value at scale t")


def _log_expm1(u: float) -> float:
    """``log(exp(u) - 1)`` for u > 0, without overflow for large u."""
    return u + math.log1p(-math.exp(-u)) if u > 30.0 else math.log(math.expm1(u))


def _gap(s: np.ndarray, L: int, t: float | None) -> float:
    if s.size <= 1 or L == 2:
        return 0.0
    q = 2.0 / L
    l1, x = _logs(s)
    T, S = _tail(x, q), _tail(x, 1.0)
    if t is None:  # (L/2) sigma_1^q [sum_{i>=2} x_i^q - ((1 + sum_{i>=2} x_i)^q - 1)], x_i = sigma_i / sigma_1
        bracket = T - math.expm1(q * math.log1p(S))
        if bracket <= 0.0:
            return 0.0
        return _exp_times(math.log(L / 2) + q * l1, bracket, "the duality gap")
    # t^{-(L-2)} (||A||_{S_q} - ||A||_*) = t^{-(L-2)} sigma_1 (1 + S) expm1(log1p(T)/q - log1p(S))
    u = math.log1p(T) / q - math.log1p(S)
    if u <= 0.0:
        return 0.0
    return _exp(l1 + math.log1p(S) + _log_expm1(u) + _log_scale(L, t), "the duality gap at scale t")


def _stairs(s: np.ndarray, L: int, t: float | None) -> np.ndarray:
    if s.size == 0:
        return np.zeros(L - 1)
    p = 2.0 / np.arange(2, L + 1)
    l1, x = _logs(s)
    tail = np.zeros(L - 1)
    for ratio, log_ratio in zip(*x, strict=True):  # O(r L) time, O(L) memory
        tail += np.power(ratio, p) if ratio >= np.finfo(float).tiny else np.exp(p * log_ratio)
    log_norms = l1 + np.log1p(tail) / p
    logs = math.log(L / 2) + 2.0 / L * log_norms if t is None else log_norms + _log_scale(L, t)
    top = float(np.max(logs))
    _exp(top, "a step of the stairs" + ("" if t is None else " at scale t"))  # raises on overflow
    out = np.exp(logs)
    out[0], out[-1] = _dual(s, L, t), _primal(s, L, t)  # the ends are exactly D and P
    return out


def _scale(t):
    return None if t is None else check_positive("t", t)


# ----------------------------------------------------------------------------------------- values
def primal_value_from_singular_values(sigma, L, t=None) -> float:
    """Primal value of the standard deep linear network from the singular values of ``A``.

    ``t=None``: ``P_lin = (L/2) sum_i sigma_i^{2/L}`` (optimised over the scale; chapter ``02_deep_linear``).
    ``t > 0``: ``P_lin(t) = t^{-(L-2)} ||A||_{S_{2/L}}`` (layers 1..L-2 of Frobenius norm <= t).
    Computed in logarithms in O(r) for every depth (module doc); homogeneous of degree ``2/L`` in ``sigma``
    (degree 1 at a fixed ``t``).

    Parameters
    ----------
    sigma : array_like, shape (r,), singular values of ``A`` (>= 0, any order; zeros are dropped).
    L : int, 2 <= L <= 10**6, the depth.
    t : float > 0, optional, the scale; None (default) optimises over it.

    Returns
    -------
    float, ``P_lin`` or ``P_lin(t)``; 0 for empty or all-zero ``sigma`` (zero labels).

    Raises
    ------
    TypeError
        If ``sigma`` is not a real numeric array (complex, boolean) or ``L`` is not an integer.
    ValueError
        If ``sigma`` is not 1-D or has NaN/inf or negative entries, ``L`` is not in 2..10**6, or ``t <= 0``.
    OverflowError
        If the value exceeds the largest float (possible only at a scale ``t`` far from 1).
    """
    L = check_depth(L)
    return _primal(_as_sigma(sigma), L, _scale(t))


def dual_value_from_singular_values(sigma, L, t=None) -> float:
    """Dual value of the deep linear network from the singular values of ``A`` (chapter ``02_deep_linear``).

    ``t=None``: ``D_lin = (L/2) (sum_i sigma_i)^{2/L}``; ``t > 0``: ``D_lin(t) = t^{-(L-2)} ||A||_*``.
    Homogeneous of degree ``2/L`` in ``sigma`` (degree 1 at a fixed ``t``).

    Parameters
    ----------
    sigma, L, t : as in :func:`primal_value_from_singular_values`.

    Returns
    -------
    float, ``D_lin`` or ``D_lin(t)``; 0 for empty or all-zero ``sigma``.

    Raises
    ------
    TypeError
        If ``sigma`` is not a real numeric array (complex, boolean) or ``L`` is not an integer.
    ValueError
        If ``sigma`` is not 1-D or has NaN/inf or negative entries, ``L`` is not in 2..10**6, or ``t <= 0``.
    OverflowError
        If the value exceeds the largest float (possible only at a scale ``t`` far from 1).
    """
    L = check_depth(L)
    return _dual(_as_sigma(sigma), L, _scale(t))


def gap_from_singular_values(sigma, L, t=None) -> float:
    """Duality gap ``P - D >= 0`` from singular values (chapter ``02_deep_linear``); zero iff L = 2 or rank <= 1.

    ``t=None``: ``(L/2) (sum sigma_i^{2/L} - (sum sigma_i)^{2/L})``; ``t > 0``: ``P_lin(t) - D_lin(t)``.
    Computed without cancellation (``expm1``/``log1p``), so it is accurate even when it is tiny compared with
    ``P`` (rank one up to a negligible singular value); exactly 0 for rank <= 1 or L = 2.

    Parameters
    ----------
    sigma, L, t : as in :func:`primal_value_from_singular_values`.

    Returns
    -------
    float, the gap (>= 0).

    Raises
    ------
    TypeError
        If ``sigma`` is not a real numeric array (complex, boolean) or ``L`` is not an integer.
    ValueError
        If ``sigma`` is not 1-D or has NaN/inf or negative entries, ``L`` is not in 2..10**6, or ``t <= 0``.
    OverflowError
        If the value exceeds the largest float (possible only at a scale ``t`` far from 1).
    """
    L = check_depth(L)
    return _gap(_as_sigma(sigma), L, _scale(t))


def stairs_from_singular_values(sigma, L, t=None) -> np.ndarray:
    """The stairs of the duality gap ``[P^2, ..., P^L]`` (chapter ``03_stairs``).

    ``P^l`` is the value of the network whose first ``s = l - 2`` layers are shared and the rest parallel:

    * ``t=None`` (optimised over the scale): ``P^l = (L/2) ||A||_{S_{2/l}}^{2/L}``;
    * ``t > 0``: ``P^l(t) = t^{-(L-2)} ||A||_{S_{2/l}}``.

    ``P^2`` is the dual value ``D_lin``, ``P^L`` the primal value ``P_lin`` (exactly the numbers of
    :func:`dual_value_from_singular_values` and :func:`primal_value_from_singular_values`). O(r L) time.

    Parameters
    ----------
    sigma : array_like, shape (r,), singular values of ``A`` (>= 0, any order; zeros are dropped).
    L : int, 2 <= L <= 10**6, the depth.
    t : float > 0, optional, the scale; None (default) optimises over it.

    Returns
    -------
    ndarray, shape (L - 1,), non-decreasing (strictly iff rank(A) >= 2); zeros for zero labels.

    Raises
    ------
    TypeError
        If ``sigma`` is not a real numeric array (complex, boolean) or ``L`` is not an integer.
    ValueError
        If ``sigma`` is not 1-D or has NaN/inf or negative entries, ``L`` is not in 2..10**6, or ``t <= 0``.
    OverflowError
        If the value exceeds the largest float (possible only at a scale ``t`` far from 1).
    """
    L = check_depth(L)
    return _stairs(_as_sigma(sigma), L, _scale(t))


def parallel_value_from_singular_values(sigma, L, penalty="power") -> float:
    """Value of the parallel deep linear network (chapter ``04_parallel_linear``) from the singular values of ``A``.

    ``penalty="power"`` (``1/L sum_j sum_l ||W_{l,j}||_F^L``): ``||A||_* = sum sigma_i`` (any L, zero gap;
    homogeneous of degree 1). ``penalty="weight_decay"`` (``1/2 sum_j sum_l ||W_{l,j}||_F^2``):
    ``(L/2) ||A||_{S_{2/L}}^{2/L}``, the standard network's value (degree ``2/L``).

    Parameters
    ----------
    sigma : array_like, shape (r,), singular values of ``A`` (>= 0; zeros are dropped).
    L : int, 2 <= L <= 10**6, the depth.
    penalty : {"power", "weight_decay"}

    Returns
    -------
    float, the value; 0 for zero labels.

    Raises
    ------
    ValueError
        For an unknown ``penalty``, and as :func:`primal_value_from_singular_values`.
    """
    L = check_depth(L)
    if penalty not in ("power", "weight_decay"):
        raise ValueError(f"penalty must be 'power' or 'weight_decay', got {penalty!r}")
    s = _as_sigma(sigma)
    if penalty == "weight_decay":
        return _primal(s, L, None)
    return 0.0 if s.size == 0 else _exp(_log_schatten(s, 1.0), "the nuclear norm")


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
