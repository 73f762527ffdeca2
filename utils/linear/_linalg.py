"""Linear-algebra kernels shared by the deep linear modules (internal; callers validate their inputs).

* Rank decisions follow numpy's ``matrix_rank`` rule: a singular value of an (m, q) matrix counts as zero when
  it is at most ``max(m, q) * eps * scale``, with ``scale`` its largest singular value, or a larger round-off
  scale when the matrix was itself computed (see :func:`min_norm_solution`).
* The min-norm target ``A = X^+ Y`` comes from the SVD of ``X`` (no explicit inverse), and the range check uses
  the orthogonal projector ``U U^T`` onto range(X), whose round-off does not grow with the condition number.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__: list[str] = []

EPS = float(np.finfo(float).eps)
#: Relative residual ``||Y - X X^+ Y||_F / ||Y||_F`` above which labels count as outside range(X).
RANGE_RTOL = 1e-8


def rank_cutoff(shape: tuple[int, ...], scale: float) -> float:
    """numpy's ``matrix_rank`` threshold ``max(shape) * eps * scale``."""
    return max(shape) * EPS * float(scale)


def _rank(s: np.ndarray, cutoff: float) -> int:
    return int(np.sum(s > cutoff)) if s.size and s[0] > 0 else 0


def compact_svd(M: np.ndarray, scale: float = 0.0):
    """``M = U diag(s) V^T`` keeping singular values above ``max(M.shape) * eps * max(s_1, scale)``.

    Returns ``U`` (m, r), ``s`` (r,) descending, ``V`` (q, r).
    """
    U, s, Vt = np.linalg.svd(M, full_matrices=False)
    r = _rank(s, rank_cutoff(M.shape, max(s[0] if s.size else 0.0, scale)))
    return U[:, :r], s[:r], Vt[:r].T


def singular_values(M: np.ndarray, scale: float = 0.0) -> np.ndarray:
    """The singular values kept by :func:`compact_svd`, descending (no singular vectors computed)."""
    s = np.linalg.svd(M, compute_uv=False)
    return s[:_rank(s, rank_cutoff(M.shape, max(s[0] if s.size else 0.0, scale)))]


class MinNormSolution(NamedTuple):
    """``A = X^+ Y`` with the compact SVD ``X = U diag(s) V^T`` it was computed from.

    ``error_scale`` is ``||diag(1/s) (|U|^T |Y|)||_F``, the size of the first-order round-off of
    ``A = V diag(1/s) U^T Y``: about ``||A||`` when ``X`` is well conditioned or diagonal (however graded),
    up to ``cond(X) ||A||`` otherwise. Rank decisions on ``A`` use ``max(||A||_2, error_scale)`` as scale.
    """

    A: np.ndarray
    error_scale: float
    U: np.ndarray
    s: np.ndarray
    V: np.ndarray


#: Condition number of ``X`` above which a full-rank ``X`` is equilibrated before solving (see below).
EQUILIBRATE_COND = 1e6


def _range_check(Y: np.ndarray, R: np.ndarray) -> None:
    res = np.linalg.norm(R, axis=0)
    total, norm_y = float(np.linalg.norm(res)), float(np.linalg.norm(Y))
    if total > RANGE_RTOL * norm_y:
        j = int(np.argmax(res))
        raise ValueError(
            f"Y is not in range(X): the relative residual ||Y - X X^+ Y||_F / ||Y||_F = {total / norm_y:.2e} "
            f"exceeds {RANGE_RTOL:g} (largest in column {j}); no interpolating network exists for these labels"
        )


def _equilibrated(X: np.ndarray, Y: np.ndarray, check_range: bool):
    """``(A, error_scale)`` for an ill-conditioned ``X`` of full column or row rank, or None.

    Full column rank: ``X = B D`` with ``D`` the column norms and ``X^+ = D^{-1} B^+``. Full row rank:
    ``X = D B`` with ``D`` the row norms and ``X^+ = B^+ D^{-1}``. ``B`` is solved by its SVD. For graded data
    (``X`` a well-conditioned matrix times a diagonal, e.g. a permuted diagonal) this keeps full relative
    accuracy, where the SVD of ``X`` itself loses a factor up to ``cond(X)``.
    """
    n, d = X.shape
    cols = d <= n
    D = np.linalg.norm(X, axis=0 if cols else 1)
    B = X / D if cols else X / D[:, None]
    Yb = Y if cols else Y / D[:, None]
    Ub, sb, Vbt = np.linalg.svd(B, full_matrices=False)
    if sb[-1] <= rank_cutoff(B.shape, sb[0]):
        return None
    C = Ub.T @ Yb
    if check_range and cols:
        _range_check(Y, Y - Ub @ C)
    A = Vbt.T @ (C / sb[:, None])
    E = (np.abs(Ub).T @ np.abs(Yb)) / sb[:, None]
    if cols:
        return A / D[:, None], float(np.linalg.norm((np.abs(Vbt.T) @ E) / D[:, None]))
    return A, float(np.linalg.norm(E))


def min_norm_solution(X: np.ndarray, Y: np.ndarray, *, check_range: bool = True) -> MinNormSolution:
    """``A = X^+ Y`` from the compact SVD of ``X`` (rank cutoff ``max(n, d) * eps * sigma_1(X)``).

    With ``check_range`` (the default) raise ``ValueError`` when
    ``||Y - U U^T Y||_F > RANGE_RTOL * ||Y||_F``: then ``X W = Y`` has no solution. Without it, ``A`` is the
    min-norm least-squares solution. When ``X`` has full column or row rank and condition number above
    ``EQUILIBRATE_COND``, ``A`` is computed from the SVD of ``X`` with its columns (rows) scaled to unit norm
    (:func:`_equilibrated`), which is exact for graded data.
    """
    U, s, V = compact_svd(X)
    if s.size == min(X.shape) and s.size and s[0] > EQUILIBRATE_COND * s[-1]:
        solved = _equilibrated(X, Y, check_range)
        if solved is not None:
            return MinNormSolution(solved[0], solved[1], U, s, V)
    C = U.T @ Y
    if check_range:
        _range_check(Y, Y - U @ C)
    A = V @ (C / s[:, None])
    error_scale = float(np.linalg.norm((np.abs(U).T @ np.abs(Y)) / s[:, None]))
    return MinNormSolution(A, error_scale, U, s, V)


def solution_singular_values(sol: MinNormSolution) -> np.ndarray:
    """Non-zero singular values of ``sol.A``, rank cutoff ``max(n, d, k) * eps * max(||A||_2, error_scale)``."""
    s = np.linalg.svd(sol.A, compute_uv=False)
    dims = (sol.U.shape[0], *sol.A.shape)
    return s[:_rank(s, rank_cutoff(dims, max(s[0] if s.size else 0.0, sol.error_scale)))]


def solution_svd(sol: MinNormSolution):
    """Compact SVD ``(U_A, s_A, V_A)`` of ``sol.A`` with the cutoff of :func:`solution_singular_values`."""
    U, s, Vt = np.linalg.svd(sol.A, full_matrices=False)
    dims = (sol.U.shape[0], *sol.A.shape)
    r = _rank(s, rank_cutoff(dims, max(s[0] if s.size else 0.0, sol.error_scale)))
    return U[:, :r], s[:r], Vt[:r].T
