"""How low is the rank? Two rank measures and the solutions of the penalised deep linear problem over (L, beta).

The solutions come from :func:`utils.solve_schatten_penalised` (the problem
``min_W 1/2 ||X W - Y||_F^2 + beta (L/2) ||W||_{S_{2/L}}^{2/L}``, equal to the deep linear network with squared
loss and weight decay beta; the book's low-rank chapter).

Two measures of rank, both computed from the singular values ``s_1 >= s_2 >= ... >= 0`` of a solution:

* **numerical rank**: the number of ``s_i > rtol * s_1`` (0 for the zero matrix), default ``rtol = 1e-6``;
* **effective rank** (entropy-based, Roy and Vetterli 2007): ``exp(-sum_i p_i log p_i)`` with
  ``p_i = s_i / sum_j s_j`` (terms with ``p_i = 0`` count 0); it is r for r equal non-zero singular values,
  at least 1 for a non-zero matrix and 0 for the zero matrix. It is not bounded by the numerical rank: tiny
  singular values below the numerical-rank cutoff still add to the entropy. Unlike the numerical rank it
  also sees singular values that shrink without vanishing.
"""

from __future__ import annotations

import numpy as np

from .._validation import _as_real_array, as_matrix, check_count, check_depth, check_positive, check_same_rows
from .low_rank import solve_schatten_penalised

__all__ = ["numerical_rank", "effective_rank", "ranks_from_singular_values", "low_rank_path"]


# --------------------------------------------------------------------------------------------- rank measures
def _ranks(s: np.ndarray, rtol: float):
    """Numerical and effective rank along the last axis of an array of non-negative singular values."""
    s = np.sort(s, axis=-1)[..., ::-1]
    top = s[..., :1]
    numerical = np.sum(s > rtol * top, axis=-1) * (top[..., 0] > 0)
    total = s.sum(axis=-1, keepdims=True)
    p = np.divide(s, total, out=np.zeros_like(s), where=total > 0)
    plogp = np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)
    effective = np.where(total[..., 0] > 0, np.exp(-plogp.sum(axis=-1)), 0.0)
    return numerical.astype(int), effective


def _check_rtol(rtol):
    rtol = check_positive("rtol", rtol)
    if rtol >= 1:
        raise ValueError(f"rtol must be < 1, got {rtol}")
    return rtol


def numerical_rank(W, rtol=1e-6) -> int:
    """Numerical rank: the number of singular values of ``W`` above ``rtol * sigma_1(W)`` (module doc).

    Parameters
    ----------
    W : array_like, shape (d, k) or (d,), the matrix.
    rtol : float in (0, 1), relative tolerance.

    Returns
    -------
    int, the rank; 0 for the zero matrix.

    Raises
    ------
    ValueError
        If ``rtol`` is not in (0, 1), or ``W`` is not 1-D/2-D, empty or has NaN/inf entries.
    """
    rtol = _check_rtol(rtol)
    s = np.linalg.svd(as_matrix("W", W, allow_vector=True), compute_uv=False)
    return int(_ranks(s, rtol)[0])


def effective_rank(W) -> float:
    """Entropy-based effective rank ``exp(-sum_i p_i log p_i)``, ``p_i = sigma_i / sum_j sigma_j`` (module doc).

    Parameters
    ----------
    W : array_like, shape (d, k) or (d,), the matrix.

    Returns
    -------
    float, r for r equal non-zero singular values, 1 for rank one, 0 for the zero matrix.

    Raises
    ------
    ValueError
        If ``W`` is not 1-D/2-D, empty or has NaN/inf entries.
    """
    s = np.linalg.svd(as_matrix("W", W, allow_vector=True), compute_uv=False)
    return float(_ranks(s, 0.5)[1])


def ranks_from_singular_values(singular_values, rtol=1e-6):
    """Numerical and effective ranks of many solutions at once.

    Parameters
    ----------
    singular_values : array_like, shape (..., r), entries >= 0
        Singular values along the last axis (e.g. the output of :func:`low_rank_path`).
    rtol : float in (0, 1)

    Returns
    -------
    numerical : int ndarray, shape (...)
    effective : float ndarray, shape (...)

    Raises
    ------
    TypeError
        If ``singular_values`` is not a real numeric array (complex or boolean entries).
    ValueError
        If it is empty along its last axis, has NaN/inf or negative entries, or ``rtol`` is not in (0, 1).
    """
    rtol = _check_rtol(rtol)
    s = _as_real_array("singular_values", singular_values)
    if s.ndim == 0 or s.shape[-1] == 0:
        raise ValueError("singular_values must have at least one entry along its last axis")
    if not np.all(np.isfinite(s)) or np.any(s < 0):
        raise ValueError("singular values must be finite and >= 0")
    return _ranks(s, rtol)


# --------------------------------------------------------------------------------------------- the path
def _grid(name, values, check):
    vals = np.atleast_1d(np.asarray(values)).tolist()
    if not vals:
        raise ValueError(f"{name} is empty")
    return [check(v) for v in vals]


def low_rank_path(X, Y, depths, betas, *, n_starts=2, seed=0, tol=1e-10):
    """Solve the Schatten-2/L problem for every depth in ``depths`` and every ``beta`` in ``betas``.

    Parameters
    ----------
    X : (n, d); Y : (n, k) or (n,)
    depths : sequence of ints in 2..10**6
    betas : sequence of floats > 0
    n_starts, seed, tol : passed to :func:`utils.linear.low_rank.solve_schatten_penalised` (``n_starts >= 1``,
        ``tol > 0``).

    Returns
    -------
    singular_values : ndarray, shape (len(depths), len(betas), min(d, k))
        Singular values of each solution, descending (exact zeros where the prox set them to zero).
    objectives : ndarray, shape (len(depths), len(betas))
        The optimal values found.

    Raises
    ------
    TypeError, ValueError
        For bad data, an empty grid, a depth or count that is not an integer in range, ``beta <= 0`` or
        ``tol <= 0`` (each message names the argument).
    """
    X = as_matrix("X", X)
    Y = as_matrix("Y", Y, allow_vector=True)
    check_same_rows(X, Y)
    n_starts = check_count("n_starts", n_starts, 1)
    tol = check_positive("tol", tol)
    depths = _grid("depths", depths, check_depth)
    betas = _grid("betas", betas, lambda b: check_positive("beta", b))
    r = min(X.shape[1], Y.shape[1])
    sv = np.zeros((len(depths), len(betas), r))
    obj = np.zeros((len(depths), len(betas)))
    for i, L in enumerate(depths):
        for j, b in enumerate(betas):
            fit = solve_schatten_penalised(X, Y, L, b, n_starts=n_starts, seed=seed, tol=tol)
            sv[i, j] = fit.singular_values
            obj[i, j] = fit.objective
    return sv, obj
