"""The two-way partitioning problem: the primer's example of a non-convex problem with a duality gap.

The problem (Boyd & Vandenberghe, *Convex Optimization*, section 5.1.5) splits n items into two groups,
encoded by signs ``x_i = +1`` or ``-1``, so that the total cost ``x^T W x`` is smallest::

    p* = min_x  x^T W x   s.t.  x_i^2 = 1,  i = 1..n          (non-convex: 2^n feasible points)

Its Lagrangian is ``L(x, nu) = x^T (W + diag(nu)) x - 1^T nu``, hence the dual function::

    g(nu) = inf_x L(x, nu) = -1^T nu   if W + diag(nu) is positive semidefinite,   -inf otherwise,

and the Lagrange dual problem, a semidefinite program::

    d* = max_nu  -1^T nu   s.t.  W + diag(nu) >= 0      (PSD).

Its own dual (the bi-dual of the partitioning problem) is the semidefinite relaxation
``min tr(W X) s.t. X >= 0, diag(X) = 1``, whose value is again ``d*``. Weak duality gives
``n lambda_min(W) <= d* <= p*``; the gap ``p* - d*`` is usually positive, and it is zero when every
off-diagonal entry of ``W`` is ``<= 0`` (then ``x = 1`` is optimal and the relaxation is tight).
"""

from __future__ import annotations

import numbers
from typing import NamedTuple

import cvxpy as cp
import numpy as np

from .._cvx import certify, solve_with_clarabel
from .._optim import data_scale
from .._validation import as_matrix, as_vector, check_count, check_seed

__all__ = [
    "PARTITION_MAX_BRUTE_FORCE_N",
    "PartitionBounds",
    "partition_problem_instance",
    "partition_frustrated_instance",
    "partition_objective",
    "partition_objective_values",
    "partition_brute_force",
    "partition_dual_function",
    "partition_eigenvalue_bound",
    "partition_dual_value",
    "partition_sdp_relaxation",
    "partition_randomized_rounding",
    "partition_bounds",
]

#: Largest n for which :func:`partition_brute_force` enumerates the 2^(n-1) sign vectors.
PARTITION_MAX_BRUTE_FORCE_N = 20

# Clarabel's tolerances, tighter than its defaults (1e-8): the primer compares the dual and the SDP relaxation
# to 1e-8 relative and prints them to 8 decimals. 1e-10 is out of reach on a few of the primer's ~300
# instances ("optimal_inaccurate"): those are solved again at 1e-9 (then dual and relaxation agree to ~3e-9).
_SDP_TOLERANCES = (1e-10, 1e-9)


def _as_cost_matrix(W) -> np.ndarray:
    """Validate the cost matrix: finite, square, symmetric (returned exactly symmetrised)."""
    W = as_matrix("W", W)
    if W.shape[0] != W.shape[1]:
        raise ValueError(f"W must be a square (n, n) cost matrix, got shape {W.shape}")
    scale = max(1.0, float(np.max(np.abs(W))))
    asym = float(np.max(np.abs(W - W.T)))
    if asym > 1e-10 * scale:
        raise ValueError(
            f"W must be symmetric (x^T W x only sees (W + W^T)/2): max |W - W^T| = {asym:.3g}; "
            "pass (W + W.T) / 2"
        )
    return (W + W.T) / 2


def _check_brute_force_size(n: int) -> None:
    if n > PARTITION_MAX_BRUTE_FORCE_N:
        raise ValueError(
            f"brute force enumerates 2^(n-1) sign vectors and is limited to n <= "
            f"{PARTITION_MAX_BRUTE_FORCE_N}, got n = {n}; use partition_dual_value (a lower bound) and "
            "partition_randomized_rounding (an upper bound) instead"
        )


def _sign_vectors(n: int, start: int, stop: int) -> np.ndarray:
    """Rows = sign vectors number start..stop-1 with x_0 = +1 (bit j of the index sets x_{j+1})."""
    idx = np.arange(start, stop)[:, None]
    bits = (idx >> np.arange(n - 1)[None, :]) & 1
    return np.hstack([np.ones((stop - start, 1)), 1.0 - 2.0 * bits])


# ----------------------------------------------------------------------------------------------------
# instances
# ----------------------------------------------------------------------------------------------------
def partition_problem_instance(n, seed=None) -> np.ndarray:
    """A random symmetric cost matrix for the two-way partitioning problem.

    Parameters
    ----------
    n : int, the number of items (>= 1).
    seed : int, numpy.random.Generator or None (None means the fixed seed 0).

    Returns
    -------
    W : ndarray, shape (n, n), ``(G + G^T) / 2`` with G standard Gaussian (N(0, 1) diagonal, N(0, 1/2) elsewhere).
    """
    n = check_count("n (the number of items)", n, 1)
    G = check_seed(seed).standard_normal((n, n))
    return (G + G.T) / 2


def partition_frustrated_instance(n, frustration, seed=None) -> np.ndarray:
    """A cost matrix that moves from a zero-gap instance to a random one as ``frustration`` grows.

    With ``R = partition_problem_instance(n, seed)`` and ``theta = frustration``::

        W(theta) = theta * R - (1 - theta) * |R|        (entrywise absolute value)

    For ``theta <= 1/2`` every entry of ``W(theta)`` is ``<= 0``: all pairs "want" equal signs, ``x = 1``
    is optimal and the duality gap is zero. Above 1/2 the entries where ``R_ij > 0`` turn positive
    (conflicting, "frustrated" pairs) and a gap can open; ``theta = 1`` gives ``R`` itself.

    Parameters
    ----------
    n : int, the number of items (>= 1); frustration : float, ``theta`` in [0, 1]; seed : as for R.

    Returns
    -------
    W : ndarray, shape (n, n)
    """
    if isinstance(frustration, bool) or not isinstance(frustration, numbers.Real):
        raise TypeError(f"frustration must be a real number in [0, 1], got {frustration!r}")
    theta = float(frustration)
    if not (0.0 <= theta <= 1.0):
        raise ValueError(f"frustration must lie in [0, 1], got {frustration!r}")
    R = partition_problem_instance(n, seed)
    return theta * R - (1.0 - theta) * np.abs(R)


# ----------------------------------------------------------------------------------------------------
# primal side
# ----------------------------------------------------------------------------------------------------
def partition_objective(W, x) -> float:
    """The partitioning objective ``x^T W x`` at a sign vector.

    Parameters
    ----------
    W : array_like, shape (n, n), symmetric cost matrix; x : array_like, shape (n,), entries +1 or -1.

    Returns
    -------
    float, ``x^T W x``; ``ValueError`` for a bad ``W`` (non-square, non-symmetric, non-finite) or ``x``.
    """
    W = _as_cost_matrix(W)
    x = as_vector("x", x)
    if x.shape[0] != W.shape[0]:
        raise ValueError(f"x has {x.shape[0]} entries but W is {W.shape[0]} x {W.shape[0]}")
    if not np.all(np.abs(x) == 1.0):
        raise ValueError("x must be a sign vector: every entry +1 or -1 (the constraint x_i^2 = 1)")
    return float(x @ W @ x)


def partition_objective_values(W) -> np.ndarray:
    """The objective ``x^T W x`` at every feasible point, one of each pair ``{x, -x}``.

    Parameters
    ----------
    W : array_like, shape (n, n)
        Symmetric cost matrix, ``n <= PARTITION_MAX_BRUTE_FORCE_N``.

    Returns
    -------
    values : ndarray, shape (2^(n-1),)
        ``values[k] = x_k^T W x_k`` where ``x_k`` has ``x_0 = +1`` and ``x_{j+1} = -1`` iff bit j of k
        is set. (``x`` and ``-x`` have the same value, so this lists every value the primal can take.)
    """
    W = _as_cost_matrix(W)
    n = W.shape[0]
    _check_brute_force_size(n)
    total = 2 ** (n - 1)
    out = np.empty(total)
    block = 1 << 14
    for start in range(0, total, block):
        stop = min(total, start + block)
        S = _sign_vectors(n, start, stop)
        out[start:stop] = np.einsum("ki,ij,kj->k", S, W, S, optimize=True)
    return out


def partition_brute_force(W) -> tuple[float, np.ndarray]:
    """The exact optimum of the partitioning problem, by enumerating every sign vector.

    ``p* = min { x^T W x : x in {-1, +1}^n }``. Since ``x`` and ``-x`` have the same value, only the
    ``2^(n-1)`` vectors with ``x_0 = +1`` are enumerated.

    Parameters
    ----------
    W : array_like, shape (n, n)
        Symmetric cost matrix with ``n <= PARTITION_MAX_BRUTE_FORCE_N`` (= 20).

    Returns
    -------
    p_star : float
        The optimal value.
    x_star : ndarray, shape (n,)
        A minimiser (entries +1/-1, with ``x_star[0] = +1``).

    Raises
    ------
    ValueError
        For a non-square, non-symmetric or non-finite ``W``, or ``n > 20``.
    """
    values = partition_objective_values(W)
    k = int(np.argmin(values))
    n = np.asarray(W).shape[0]
    return float(values[k]), _sign_vectors(n, k, k + 1)[0]


# ----------------------------------------------------------------------------------------------------
# dual side
# ----------------------------------------------------------------------------------------------------
def partition_dual_function(W, nu, *, tol=None) -> float:
    """The Lagrange dual function of the partitioning problem.

    ``g(nu) = inf_x x^T (W + diag(nu)) x - 1^T nu``, i.e.::

        g(nu) = -sum(nu)   if lambda_min(W + diag(nu)) >= -tol,      -inf otherwise.

    Parameters
    ----------
    W : array_like, shape (n, n)
        Symmetric cost matrix.
    nu : array_like, shape (n,)
        One multiplier per constraint ``x_i^2 = 1``.
    tol : float, optional
        Round-off allowance in the PSD test; default ``1e-9 * max(1, ||W||_2)``.

    Returns
    -------
    float
        ``g(nu)``, possibly ``-inf``. For every ``nu`` it is a lower bound on ``p*``.
    """
    W = _as_cost_matrix(W)
    nu = as_vector("nu", nu)
    if nu.shape[0] != W.shape[0]:
        raise ValueError(f"nu has {nu.shape[0]} entries but W is {W.shape[0]} x {W.shape[0]}: one multiplier "
                         "per constraint is needed")
    if tol is None:
        tol = 1e-9 * max(1.0, float(np.linalg.norm(W, 2)))
    lam_min = float(np.linalg.eigvalsh(W + np.diag(nu))[0])
    return -float(np.sum(nu)) if lam_min >= -tol else -np.inf


def partition_eigenvalue_bound(W) -> float:
    """The simple lower bound ``n * lambda_min(W)``: the dual function at ``nu = -lambda_min(W) 1``.

    ``W + diag(nu) = W - lambda_min(W) I`` is PSD, so ``g(nu) = n lambda_min(W) <= d* <= p*``
    (Boyd & Vandenberghe, section 5.1.5).

    Parameters
    ----------
    W : array_like, shape (n, n), symmetric cost matrix (else ``ValueError``).

    Returns
    -------
    float, ``n * lambda_min(W)``.
    """
    W = _as_cost_matrix(W)
    return float(W.shape[0] * np.linalg.eigvalsh(W)[0])


def _normalised(W: np.ndarray) -> tuple[np.ndarray, float]:
    """``(W / s, s)`` with ``s`` the power of two nearest to ``max |W_ij|`` (exact in floating point)."""
    s = data_scale(W)
    return W / s, s


def partition_dual_value(W) -> tuple[float, np.ndarray]:
    """The Lagrange dual of the partitioning problem, solved as an SDP (cvxpy + Clarabel).

    ``d* = max_nu -1^T nu  s.t.  W + diag(nu) PSD``. Homogeneity: ``d*(a W) = a d*(W)`` with ``nu -> a nu`` for
    ``a > 0``; the SDP is solved on ``W / a`` (``a`` the power of two nearest to ``max |W_ij|``) and rescaled,
    so Clarabel's tolerances (1e-10, else 1e-9) act on data of order one, and the solution is certified
    (status ``optimal``, constraint residual and objective within 1e-6).

    The solver's ``nu`` is shifted by ``max(0, -lambda_min(W + diag(nu)))`` in every entry so that
    ``W + diag(nu)`` is PSD up to round-off: the returned value is then a certified lower bound on
    ``p*`` (weak duality), within the solver tolerance of the exact ``d*``.

    Parameters
    ----------
    W : array_like, shape (n, n)
        Symmetric cost matrix.

    Returns
    -------
    d_star : float
        ``-sum(nu)``, the dual optimal value.
    nu : ndarray, shape (n,)
        The dual optimal multipliers (dual-feasible).

    Raises
    ------
    SolverError
        When Clarabel does not certify an optimal solution.
    """
    W = _as_cost_matrix(W)
    Wn, scale = _normalised(W)
    nu = cp.Variable(W.shape[0])
    problem = cp.Problem(cp.Maximize(-cp.sum(nu)), [Wn + cp.diag(nu) >> 0])
    what = "partitioning dual (max -1^T nu s.t. W + diag(nu) PSD)"
    solve_with_clarabel(problem, what, _SDP_TOLERANCES)
    certify(problem, what)
    nu_value = np.asarray(nu.value, dtype=float) * scale
    lam_min = float(np.linalg.eigvalsh(W + np.diag(nu_value))[0])
    if lam_min < 0:
        nu_value = nu_value - lam_min
    return -float(np.sum(nu_value)), nu_value


def partition_sdp_relaxation(W) -> tuple[float, np.ndarray]:
    """The semidefinite relaxation of the partitioning problem (the dual of its Lagrange dual).

    ``min_X tr(W X)  s.t.  X PSD, diag(X) = 1``. Every feasible ``x`` gives a feasible ``X = x x^T``,
    so the value is ``<= p*``; by strong duality between two strictly feasible SDPs it equals the
    Lagrange dual value ``d*``. It equals ``p*`` exactly when some optimal ``X`` has rank one.
    Homogeneity: the value scales as ``a`` and ``X`` does not change under ``W -> a W`` (``a > 0``); solved on
    normalised data and certified like :func:`partition_dual_value`.

    Parameters
    ----------
    W : array_like, shape (n, n)
        Symmetric cost matrix.

    Returns
    -------
    value : float
        The optimal value ``tr(W X*)``.
    X : ndarray, shape (n, n)
        The optimal matrix (symmetric, PSD and with unit diagonal up to the solver tolerance).

    Raises
    ------
    SolverError
        When Clarabel does not certify an optimal solution.
    """
    W = _as_cost_matrix(W)
    Wn, scale = _normalised(W)
    n = W.shape[0]
    X = cp.Variable((n, n), symmetric=True)
    # tr(W X) as sum(W * X) (W, X symmetric): cvxpy 1.8 (Pyodide's) cannot canonicalise trace(W X) when n = 1
    problem = cp.Problem(cp.Minimize(cp.sum(cp.multiply(Wn, X))), [X >> 0, cp.diag(X) == 1])
    what = "partitioning SDP relaxation (min tr(WX) s.t. X PSD, diag X = 1)"
    solve_with_clarabel(problem, what, _SDP_TOLERANCES)
    value = certify(problem, what) * scale
    Xv = np.asarray(X.value, dtype=float)
    return value, (Xv + Xv.T) / 2


def partition_randomized_rounding(W, X, n_samples=200, seed=None) -> tuple[float, np.ndarray]:
    """A feasible sign vector from the SDP solution by random-hyperplane rounding.

    Factor ``X = V V^T`` and take ``x = sign(V g)`` for Gaussian vectors ``g`` (Goemans & Williamson,
    1995); return the best of ``n_samples`` draws. Its value is an upper bound on ``p*``, so
    ``d* <= p* <= value`` brackets the optimum when ``n`` is too large for brute force.

    Parameters
    ----------
    W : array_like, shape (n, n)
        Symmetric cost matrix.
    X : array_like, shape (n, n)
        A symmetric PSD matrix, normally from :func:`partition_sdp_relaxation`.
    n_samples : int
        Number of random hyperplanes (>= 1).
    seed : int, numpy.random.Generator or None
        Seed of the generator (None means the fixed seed 0).

    Returns
    -------
    value : float
        ``x^T W x`` of the best rounded vector.
    x : ndarray, shape (n,)
        That vector (entries +1/-1).
    """
    W = _as_cost_matrix(W)
    X = as_matrix("X", X)
    if X.shape != W.shape:
        raise ValueError(f"X must have the shape of W, {W.shape}, got {X.shape}")
    n_samples = check_count("n_samples", n_samples, 1)
    rng = check_seed(seed)
    lam, Q = np.linalg.eigh((X + X.T) / 2)
    V = Q * np.sqrt(np.clip(lam, 0.0, None))
    S = np.sign(V @ rng.standard_normal((W.shape[0], n_samples))).T
    S[S == 0] = 1.0
    values = np.einsum("ki,ij,kj->k", S, W, S)
    k = int(np.argmin(values))
    return float(values[k]), S[k].copy()


# ----------------------------------------------------------------------------------------------------
# everything at once
# ----------------------------------------------------------------------------------------------------
class PartitionBounds(NamedTuple):
    """The chain ``eigenvalue_bound <= dual_value <= optimum`` for one instance, and the gap."""

    eigenvalue_bound: float  #: n * lambda_min(W)
    dual_value: float  #: d*, the Lagrange dual (= SDP relaxation)
    optimum: float  #: p*, by brute force
    gap: float  #: p* - d* >= 0


def partition_bounds(W) -> PartitionBounds:
    """Eigenvalue bound, Lagrange dual value, exact optimum and duality gap of one instance.

    Parameters
    ----------
    W : array_like, shape (n, n), symmetric cost matrix, ``n <= PARTITION_MAX_BRUTE_FORCE_N`` (= 20).

    Returns
    -------
    PartitionBounds, ``(n lambda_min(W), d*, p*, p* - d*)``; ``ValueError`` for a bad ``W`` or ``n > 20``,
    :class:`SolverError` when the dual SDP is not certified (see :func:`partition_dual_value`).
    """
    W = _as_cost_matrix(W)
    _check_brute_force_size(W.shape[0])
    p_star, _ = partition_brute_force(W)
    d_star, _ = partition_dual_value(W)
    return PartitionBounds(partition_eigenvalue_bound(W), d_star, p_star, p_star - d_star)
