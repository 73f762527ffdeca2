"""Closed forms for deep linear networks from data: primal and dual values, the gap, its stairs.

With data ``X`` (n, d) and labels ``Y`` (n, k), the min-norm target is ``A = X^+ Y`` and
``sigma_1 >= ... >= sigma_r > 0`` are its non-zero singular values. Then, for depth ``L >= 2`` (chapter
``02_deep_linear``),

* primal (standard network, weight decay): ``P_lin = (L/2) ||A||_{S_{2/L}}^{2/L} = (L/2) sum sigma_i^{2/L}``;
* dual: ``D_lin = (L/2) ||A||_*^{2/L}``;
* gap ``P_lin - D_lin >= 0``, zero **iff L = 2 or rank(A) <= 1**. (The source paper's Theorem 3 says "iff the
  singular values are equal"; that is false, e.g. sigma = (1, 1, 1), L = 3.)

Conventions used by every function here and in :mod:`utils.linear.scale_form`:

* ``X^+ Y`` is computed from the SVD of ``X`` (never an explicit inverse); an ill-conditioned ``X`` (condition
  number above 1e6) of full column (row) rank is first scaled to unit column (row) norms, which keeps full
  accuracy for graded data such as permuted diagonal matrices. Rank decisions follow numpy's
  ``matrix_rank`` rule: a singular value of ``X`` counts as zero when it is at most
  ``max(n, d) * eps * sigma_1(X)``; a singular value of ``A`` when it is at most
  ``max(n, d, k) * eps * max(sigma_1(A), e_A)``, where ``e_A = ||diag(1/s) |U|^T |Y|||_F`` (``X = U diag(s) V^T``)
  bounds the round-off of computing ``A`` (about ``||A||`` for well-conditioned or graded ``X``).
  ``eps`` is the float64 machine epsilon. So an exactly low-rank ``A`` is not charged for round-off singular
  values (which ``sigma^{2/L}`` would amplify), while ill-conditioned data keep their exact values: for
  ``X = diag(1, 1e-11)`` and ``Y = [[1, 1], [1e-11, -1e-11]]``, ``A = [[1, 1], [1, -1]]`` and the gap at
  L = 3 is ``3 * 2^{1/3} - 3``.
* Labels outside range(X) raise ``ValueError`` (no interpolating network exists): the test is
  ``||Y - X X^+ Y||_F > 1e-8 ||Y||_F``, with the projector ``X X^+`` from the SVD, so it stays reliable for
  ill-conditioned ``X``.
* Zero labels (``A = 0``): the zero network interpolates, so every value is ``0``, the optimal scale is ``0``,
  the optimal weights are zero matrices and the dual certificate is ``Lambda = 0``.
* Homogeneity: ``A(aX, cY) = (c/a) A(X, Y)`` (a, c > 0), so ``P_lin``, ``D_lin``, the gap and the stairs scale
  as ``(c/a)^{2/L}``, the values at a fixed scale t and the nuclear norm as ``c/a``. Depths up to 10**6 give
  finite values in O(r) (see :mod:`utils.linear.spectra`); all cost one SVD of ``X`` (two when it is
  equilibrated) and one of ``A``.
"""

from __future__ import annotations

import numpy as np

from .._validation import as_matrix, check_depth, check_positive, check_same_rows
from ._linalg import min_norm_solution, singular_values, solution_singular_values
from .spectra import (  # noqa: F401 - also importable from here (utils.course.checks does so)
    _dual,
    _exp,
    _gap,
    _log_schatten,
    _primal,
    _stairs,
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


# ----------------------------------------------------------------------------------------- internals
def _data(X, Y):
    X = as_matrix("X", X)
    Y = as_matrix("Y", Y, allow_vector=True)
    check_same_rows(X, Y)
    return X, Y


def _sigma_of(X, Y) -> np.ndarray:
    """Validated data -> the non-zero singular values of ``A = X^+ Y`` (module doc for the tolerances)."""
    return solution_singular_values(min_norm_solution(*_data(X, Y)))


# ----------------------------------------------------------------------------------------- basic objects
def schatten_norm(A, p) -> float:
    """Schatten-p (quasi-)norm ``||A||_{S_p} = (sum_i sigma_i^p)^{1/p}``, computed in logarithms.

    Singular values at most ``max(m, q) * eps * sigma_1`` (numpy's ``matrix_rank`` rule) count as zero.
    Homogeneous of degree 1: ``||c A||_{S_p} = |c| ||A||_{S_p}``.

    Parameters
    ----------
    A : array_like, shape (m, q)
    p : float, > 0 (finite). For p < 1 this is a quasi-norm, ``>= ||A||_*`` with equality iff rank <= 1.

    Returns
    -------
    float, the norm; 0 for the zero matrix.

    Raises
    ------
    TypeError
        If ``A`` is not a real numeric array (complex or boolean entries) or ``p`` is not a real number.
    ValueError
        If ``A`` is not 2-D or has NaN/inf entries, or ``p`` is not finite and > 0.
    OverflowError
        If the norm exceeds the largest float (possible for p < 1 and many singular values near 1e308).
    """
    A = as_matrix("A", A)
    p = check_positive("p", p)
    s = singular_values(A)
    return 0.0 if s.size == 0 else _exp(_log_schatten(s, p), "the Schatten norm")


def min_norm_target(X, Y) -> np.ndarray:
    """The min-norm target ``A = X^+ Y``, shape (d, k), from the SVD of ``X`` (module doc).

    Homogeneous: ``A(aX, cY) = (c/a) A(X, Y)``; unchanged by ``X -> Q X, Y -> Q Y`` with ``Q`` orthogonal.

    Parameters
    ----------
    X : array_like, shape (n, d)
    Y : array_like, shape (n, k), or (n,) treated as (n, 1)

    Returns
    -------
    ndarray, shape (d, k). Singular values of ``X`` at most ``max(n, d) * eps * sigma_1(X)`` count as zero.

    Raises
    ------
    TypeError
        If ``X`` or ``Y`` is not a real numeric array (complex or boolean entries).
    ValueError
        If ``||Y - X X^+ Y||_F > 1e-8 ||Y||_F`` (``Y`` not in range(X)): then ``X W = Y`` has no solution and no
        interpolating network exists. Also for bad shapes or NaN/inf entries.
    """
    return min_norm_solution(*_data(X, Y)).A


def target_singular_values(X, Y) -> np.ndarray:
    """Non-zero singular values of ``A = X^+ Y``, descending (rank tolerance in the module doc).

    Parameters
    ----------
    X : array_like, shape (n, d), the data.
    Y : array_like, shape (n, k) or (n,), the labels.

    Returns
    -------
    ndarray, shape (rank(A),); empty for zero labels (``A = 0``). Homogeneous of degree 1 in ``Y``, -1 in ``X``.

    Raises
    ------
    TypeError
        If ``X`` or ``Y`` is not a real numeric array (complex or boolean entries).
    ValueError
        If ``Y`` is not in range(X) (no interpolating network), or for bad shapes or NaN/inf.
    """
    return _sigma_of(X, Y)


# ----------------------------------------------------------------------------------------- values
def deep_linear_primal_value(X, Y, L) -> float:
    """Primal value of the standard deep linear network (chapter ``02_deep_linear``).

    ``P_lin = min 1/2 sum_l ||W_l||_F^2 s.t. X W_1...W_L = Y`` equals ``(L/2) ||A||_{S_{2/L}}^{2/L}``.
    Homogeneous: ``P_lin(aX, cY) = (c/a)^{2/L} P_lin(X, Y)``. Finite for every depth up to 10**6.

    Parameters
    ----------
    X : array_like, shape (n, d), the data.
    Y : array_like, shape (n, k) or (n,), the labels.
    L : int, 2 <= L <= 10**6, the depth.

    Returns
    -------
    float, ``P_lin``; 0 for zero labels (the zero network).

    Raises
    ------
    TypeError
        If ``X`` or ``Y`` is not a real numeric array (complex or boolean entries), or ``L`` is not an integer.
    ValueError
        If ``Y`` is not in range(X) (no interpolating network), ``L`` is not in 2..10**6, or for bad shapes
        or NaN/inf.
    """
    L = check_depth(L)
    return _primal(_sigma_of(X, Y), L, None)


def deep_linear_dual_value(X, Y, L) -> float:
    """Dual value ``D_lin = (L/2) ||A||_*^{2/L}`` (chapter ``02_deep_linear``).

    Homogeneous: ``D_lin(aX, cY) = (c/a)^{2/L} D_lin(X, Y)``.

    Parameters
    ----------
    X, Y, L : as in :func:`deep_linear_primal_value`.

    Returns
    -------
    float, ``D_lin``; 0 for zero labels.

    Raises
    ------
    TypeError, ValueError
        As :func:`deep_linear_primal_value`.
    """
    L = check_depth(L)
    return _dual(_sigma_of(X, Y), L, None)


def deep_linear_gap(X, Y, L) -> float:
    """Duality gap ``P_lin - D_lin`` (chapter ``02_deep_linear``): zero iff L = 2 or rank(A) <= 1.

    (Not "iff equal singular values", as the source paper's Theorem 3 says.) Computed without cancellation,
    see :func:`gap_from_singular_values`. Homogeneous of degree ``2/L`` in ``Y`` and ``-2/L`` in ``X``.

    Parameters
    ----------
    X, Y, L : as in :func:`deep_linear_primal_value`.

    Returns
    -------
    float, the gap (>= 0).

    Raises
    ------
    TypeError, ValueError
        As :func:`deep_linear_primal_value`.
    """
    L = check_depth(L)
    return _gap(_sigma_of(X, Y), L, None)


def duality_gap_stairs(X, Y, L, t=None) -> np.ndarray:
    """Stairs ``[P^2, ..., P^L]`` (chapter ``03_stairs``) for data X, Y; see :func:`stairs_from_singular_values`.

    Homogeneous of degree ``2/L`` in ``Y`` (degree 1 at a fixed ``t``), and the opposite in ``X``.

    Parameters
    ----------
    X, Y, L : as in :func:`deep_linear_primal_value`.
    t : float > 0, optional, the scale; None (default) optimises over it.

    Returns
    -------
    ndarray, shape (L - 1,).

    Raises
    ------
    TypeError, ValueError
        As :func:`deep_linear_primal_value`, and ``ValueError`` for ``t <= 0``.
    OverflowError
        If a value at the scale ``t`` exceeds the largest float (``t`` far from 1 in a deep network).
    """
    L = check_depth(L)
    t = None if t is None else check_positive("t", t)
    return _stairs(_sigma_of(X, Y), L, t)


def parallel_linear_value(X, Y, L, penalty="power") -> float:
    """Min-norm value of the parallel deep linear network (chapter ``04_parallel_linear``).

    ``||A||_*`` for ``"power"`` (homogeneous of degree 1 in ``Y``), ``P_lin`` for ``"weight_decay"``
    (degree ``2/L``); see :func:`parallel_value_from_singular_values`.

    Parameters
    ----------
    X, Y, L : as in :func:`deep_linear_primal_value`.
    penalty : {"power", "weight_decay"}

    Returns
    -------
    float, the value; 0 for zero labels.

    Raises
    ------
    TypeError, ValueError
        As :func:`deep_linear_primal_value`, and ``ValueError`` for an unknown ``penalty``.
    """
    L = check_depth(L)
    if penalty not in ("power", "weight_decay"):
        raise ValueError(f"penalty must be 'power' or 'weight_decay', got {penalty!r}")
    s = _sigma_of(X, Y)
    if penalty == "weight_decay":
        return _primal(s, L, None)
    return 0.0 if s.size == 0 else _exp(_log_schatten(s, 1.0), "the nuclear norm")
