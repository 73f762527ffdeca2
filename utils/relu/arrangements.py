"""Activation patterns of the hyperplane arrangement of the rows of X.

They index the blocks of the convex program of two-layer ReLU networks (the book's appendix *Derivations and
conventions*, section 1.5).

A pattern is the diagonal of ``D = diag(1[X u >= 0])`` for a direction u; patterns are stored as boolean
arrays of shape (P, n), one row per pattern. The public names are importable from :mod:`utils`.
"""

from __future__ import annotations

import numpy as np

from .._validation import as_matrix, as_vector, check_count, check_seed

__all__ = ["hyperplane_patterns", "arrangement_cells_2d", "relu_max_correlation"]

_ANGLE_TOL = 1e-10


def _row_space(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates ``Z = X V_r`` (n, r) of the rows in an orthonormal basis of the row space, and the
    mask of rows that are zero up to the rank tolerance."""
    _, s, vt = np.linalg.svd(X, full_matrices=False)
    tol = (s[0] if s.size else 0.0) * max(X.shape) * np.finfo(float).eps
    r = int(np.sum(s > tol))
    Z = X @ vt[:r].T
    zero_rows = np.linalg.norm(Z, axis=1) <= max(tol, np.finfo(float).tiny)
    return Z, zero_rows


def _canonical(patterns: np.ndarray, include_zero: bool) -> np.ndarray:
    """Distinct rows in ascending lexicographic order (False < True), optionally without the all-False row."""
    patterns = np.unique(np.asarray(patterns, dtype=bool), axis=0)
    if not include_zero:
        patterns = patterns[patterns.any(axis=1)]
    return patterns


def _cells_from_coordinates(Z: np.ndarray, zero_rows: np.ndarray):
    """Critical angles, cell mid-angles and cell patterns of the arrangement of lines z_j^T u = 0 in R^2."""
    nz = ~zero_rows
    phi = np.arctan2(Z[nz, 1], Z[nz, 0])
    crit = np.mod(np.concatenate([phi + np.pi / 2, phi - np.pi / 2]), 2 * np.pi)
    crit = np.sort(crit)
    if crit.size:
        keep = np.concatenate([[True], np.diff(crit) > _ANGLE_TOL])
        crit = crit[keep]
        if crit.size > 1 and crit[-1] - crit[0] > 2 * np.pi - _ANGLE_TOL:
            crit = crit[:-1]
    if crit.size == 0:
        mids = np.array([0.0])
    else:
        nxt = np.concatenate([crit[1:], [crit[0] + 2 * np.pi]])
        mids = np.mod(0.5 * (crit + nxt), 2 * np.pi)
    U = np.stack([np.cos(mids), np.sin(mids)])
    patterns = (Z @ U >= 0).T
    patterns[:, zero_rows] = True
    return crit, mids, patterns


def arrangement_cells_2d(X) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The cells of the hyperplane arrangement of 2-D data, in angular order (for drawings).

    Parameters
    ----------
    X : array_like, shape (n, 2)
        Data with two features; each non-zero row ``x_j`` defines the line ``x_j^T u = 0`` through the origin.

    Returns
    -------
    critical_angles : ndarray, shape (c,)
        Sorted distinct angles in [0, 2 pi) of the directions lying on some line (the cell boundaries).
    mid_angles : ndarray, shape (c,)
        One angle inside each open cell (the midpoint between consecutive critical angles).
    patterns : ndarray of bool, shape (c, n)
        ``1[X u >= 0]`` for ``u = (cos, sin)`` of each mid-angle (including the all-False cell, if any).
    """
    X = as_matrix("X", X)
    if X.shape[1] != 2:
        raise ValueError(f"arrangement_cells_2d needs 2 features (d = 2), got X with shape {X.shape}")
    zero_rows = np.linalg.norm(X, axis=1) <= np.finfo(float).eps * max(1.0, np.abs(X).max()) * 2
    return _cells_from_coordinates(X, zero_rows)


def hyperplane_patterns(X, method: str = "exact", n_samples: int | None = None, seed=None, *,
                        include_zero: bool = False) -> np.ndarray:
    """Distinct activation patterns ``1[X u >= 0]`` of the hyperplane arrangement of the rows of X.

    The patterns are those of the *open cells* of the arrangement (directions ``u`` on no hyperplane
    ``x_j^T u = 0`` of a non-zero row); a zero row is active for every ``u``. Patterns realised only on the
    hyperplanes themselves are not listed: their cones in the convex program are faces of the cone of an
    adjacent cell, so they add nothing (appendix section 1.5). Random Gaussian gates find exactly these cells
    with probability one, so ``"sample"`` with enough gates returns the same array as ``"exact"``.

    Parameters
    ----------
    X : array_like, shape (n, d)
        Data, one sample per row.
    method : {"exact", "sample"}
        ``"exact"`` enumerates every cell and needs rank(X) <= 2 (e.g. 1-D inputs with a bias column): the
        rows are projected onto the 2-D row space and one direction is taken inside each angular sector between
        consecutive critical directions. ``"sample"`` keeps the distinct patterns of ``n_samples`` gates
        ``u ~ N(0, I_d)``.
    n_samples : int >= 1, optional
        Number of random gates (required for ``"sample"``).
    seed : int, numpy Generator or None
        Seed of the gates (None means the fixed seed 0).
    include_zero : bool, default False
        Keep the all-inactive pattern when it occurs. It contributes nothing to the network (its neurons
        output zero), so it is dropped by default.

    Returns
    -------
    ndarray of bool, shape (P, n)
        One row per distinct pattern (row i is the diagonal of ``D_i``), in ascending lexicographic order
        (False < True, column 0 most significant), so equal sets give equal arrays.

    Raises
    ------
    ValueError
        For an unknown method, a missing ``n_samples``, or ``"exact"`` with rank(X) > 2.
    """
    X = as_matrix("X", X)
    if method not in ("exact", "sample"):
        raise ValueError(f"method must be 'exact' or 'sample', got {method!r}")
    Z, zero_rows = _row_space(X)
    if method == "exact":
        r = Z.shape[1]
        if r > 2:
            raise ValueError(
                f"exact enumeration of activation patterns needs rank(X) <= 2, but rank(X) = {r}; "
                "use method='sample' with n_samples (sampled patterns only give an upper bound)")
        if r == 0:
            patterns = np.ones((1, X.shape[0]), dtype=bool)
        elif r == 1:
            patterns = np.stack([(s * Z[:, 0] > 0) | zero_rows for s in (1.0, -1.0)])
        else:
            patterns = _cells_from_coordinates(Z, zero_rows)[2]
        return _canonical(patterns, include_zero)
    if n_samples is None:
        raise ValueError("method='sample' needs n_samples, the number of random gates to draw")
    n_samples = check_count("n_samples", n_samples, 1)
    rng = check_seed(seed)
    found = []
    n, d = X.shape
    for start in range(0, int(n_samples), 20000):
        G = rng.standard_normal((d, min(20000, int(n_samples) - start)))
        block = (X @ G >= 0).T
        block[:, zero_rows] = True
        found.append(np.unique(block, axis=0))
    return _canonical(np.concatenate(found), include_zero)


def _check_patterns(patterns, n: int) -> np.ndarray:
    """Validate a user-given pattern array and return it as bool (P, n)."""
    if isinstance(patterns, (str, bytes)):
        raise TypeError(f"patterns must be an array of 0/1 values of shape (P, n), got {patterns!r}")
    arr = np.asarray(patterns)
    if np.iscomplexobj(arr):
        raise TypeError("patterns must contain only 0/1 or boolean values, got complex entries")
    if arr.ndim == 1 and arr.size == n:
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] != n or arr.shape[0] == 0:
        raise ValueError(f"patterns must have shape (P, n) with P >= 1 and n = {n}, got shape {arr.shape}")
    if arr.dtype != bool:
        try:
            vals = arr.astype(float)
        except (TypeError, ValueError):
            raise TypeError("patterns must contain only 0/1 or boolean values") from None
        if not np.all((vals == 0) | (vals == 1)):
            raise ValueError("patterns must contain only 0/1 or boolean values")
        arr = vals.astype(bool)
    return arr


def relu_max_correlation(X, z) -> float:
    """``max_{||u||_2 <= 1} |z^T (X u)_+|``, exactly, for rank(X) <= 2 (appendix section 1.3).

    This is the left side of the dual constraint of two-layer ReLU training: ``lambda`` is dual feasible iff
    ``relu_max_correlation(X, lambda) <= 1``, and with weight decay beta the zero network is optimal iff
    ``relu_max_correlation(X, y) <= beta``. Only directions in the row space matter; on each angular sector
    of the arrangement ``z^T (X u)_+ = g^T u`` is linear, so its extremes over the sector's arc are at the
    sector's ends or at ``+- g / ||g||`` when that direction lies inside.

    Parameters
    ----------
    X : array_like, shape (n, d), rank <= 2
    z : array_like, shape (n,)

    Returns
    -------
    float
    """
    X = as_matrix("X", X)
    z = as_vector("z", z)
    if z.shape != (X.shape[0],):
        raise ValueError(f"z must be a vector of length {X.shape[0]} (one entry per row of X), got {z.size}")
    Z, zero_rows = _row_space(X)
    r = Z.shape[1]
    if r > 2:
        raise ValueError(f"relu_max_correlation is exact only for rank(X) <= 2, got rank(X) = {r}")
    if r == 0:
        return 0.0
    if r == 1:
        return float(max(abs(z @ np.maximum(Z[:, 0], 0)), abs(z @ np.maximum(-Z[:, 0], 0))))
    crit, mids, patterns = _cells_from_coordinates(Z, zero_rows)
    best = 0.0
    ends = np.concatenate([crit[1:], [crit[0] + 2 * np.pi]]) if crit.size else np.array([2 * np.pi])
    starts = crit if crit.size else np.array([0.0])
    for a, b, p in zip(starts, ends, patterns, strict=True):
        g = Z.T @ (p * z)
        theta = np.arctan2(g[1], g[0])
        cands = [a, b] + [t for t in (theta, theta + np.pi)
                          for t in (t + 2 * np.pi * np.round((0.5 * (a + b) - t) / (2 * np.pi)),) if a <= t <= b]
        best = max(best, max(abs(g @ np.array([np.cos(t), np.sin(t)])) for t in cands))
    return float(best)
