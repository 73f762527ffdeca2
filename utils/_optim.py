"""Generic optimisation drivers shared by the reference trainers.

The trainers of this package solve *min-norm interpolation* problems
``min f(x) s.t. c(x) = 0`` (``f`` a weight penalty, ``c`` the residual of the network on the data) by the
augmented Lagrangian method: for fixed multipliers ``lam`` and penalty ``rho`` the smooth function

    L_rho(x, lam) = f(x) + lam^T c(x) + (rho / 2) ||c(x)||^2

is minimised with scipy's L-BFGS-B from the previous point, then ``lam <- lam + rho c(x)``, and ``rho`` grows
when the residual did not shrink enough (Nocedal & Wright, Numerical Optimization, ch. 17). Gradients are
analytic: the caller gives ``f`` with its gradient and ``c`` with a function applying ``J(x)^T``.

It also holds the two conventions every solver-backed function of the package shares: BLAS limited to one
thread (:func:`single_thread_blas`, the one place it is set) and data normalised by a power of two
(:func:`pow2_scale`) before solving, with the result rescaled by the problem's homogeneity.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize
from threadpoolctl import threadpool_limits

__all__: list[str] = []


def single_thread_blas():
    """Context manager limiting BLAS to one thread: the trainers multiply tiny matrices, where OpenBLAS threads
    only add synchronisation (10-15x slower on a busy 2-core machine). The one place the package sets it."""
    return threadpool_limits(limits=1, user_api="blas")


def pow2_scale(size: float) -> float:
    """The power of two nearest to ``size`` (1.0 when ``size`` is 0 or not finite).

    Solvers stop on absolute tolerances, so the package divides data by ``pow2_scale(max |entry|)`` before
    solving (the normalised data have largest entry in ``[2^-1/2, 2^1/2)``) and rescales the solution using the
    problem's homogeneity. Dividing by a power of two is exact in floating point, so data already of order one
    are solved bit for bit as given, and ``c * data`` gives the same normalised problem as ``data`` up to a factor
    in ``[2^-1/2, 2^1/2]``.

    Parameters
    ----------
    size : float
        A non-negative size, e.g. ``max |X_ij|``.

    Returns
    -------
    float
        ``2^round(log2(size))``, clipped to the finite doubles.
    """
    size = float(size)
    if not (size > 0 and np.isfinite(size)):
        return 1.0
    return float(np.ldexp(1.0, int(np.clip(np.round(np.log2(size)), -1074, 1023))))


def data_scale(A: np.ndarray) -> float:
    """:func:`pow2_scale` of the largest absolute entry of ``A`` (1.0 for a zero array).

    The normalisation of the convex programs and the two-layer trainers: data of order one are solved bit for
    bit as given, and any other scale is brought to order one. A convex program's value is unique, so it is then
    homogeneous to the solver's relative accuracy; a seeded non-convex trainer solves a problem of order one at
    every scale, though a start may reach another local minimum (as it may under a rounding-level change of
    the data: the path of a start is that sensitive).
    """
    return pow2_scale(float(np.max(np.abs(A), initial=0.0)))


def max_abs_scale(A: np.ndarray) -> float:
    """The largest absolute entry of ``A`` (1.0 for a zero or non-finite array): the exact normalisation, for
    solvers whose parameters are calibrated for data with largest entry exactly 1 (e.g. the initial penalty of
    the deep ReLU trainer). ``A`` and ``c A`` give the same normalised data up to rounding."""
    size = float(np.max(np.abs(A), initial=0.0))
    return size if size > 0 and np.isfinite(size) else 1.0


@dataclass
class ALResult:
    """Outcome of :func:`augmented_lagrangian`.

    Attributes
    ----------
    x : ndarray
        Final point (flat parameter vector).
    fun : float
        Objective ``f(x)`` at the final point (without the penalty terms).
    residual : float
        ``max |c(x)|``: how far from exact interpolation the final point is.
    multipliers : ndarray
        Final Lagrange multiplier estimates ``lam`` (same shape as ``c(x)``).
    n_outer : int
        Outer iterations used.
    converged : bool
        True when ``residual <= tol`` and the last inner solve stopped on its own tolerances.
    """

    x: np.ndarray
    fun: float
    residual: float
    multipliers: np.ndarray
    n_outer: int
    converged: bool


def augmented_lagrangian(
    objective: Callable[[np.ndarray], tuple[float, np.ndarray]],
    constraint: Callable[[np.ndarray], tuple[np.ndarray, Callable[[np.ndarray], np.ndarray]]],
    x0: np.ndarray,
    *,
    tol: float = 1e-9,
    rho0: float = 10.0,
    rho_max: float = 1e9,
    growth: float = 10.0,
    max_outer: int = 60,
    max_inner: int = 3000,
    inner_gtol: float = 1e-11,
    jitter: float = 0.0,
    rng: np.random.Generator | None = None,
) -> ALResult:
    """Minimise ``f(x)`` subject to ``c(x) = 0`` by the augmented Lagrangian method with L-BFGS.

    Parameters
    ----------
    objective : callable
        ``objective(x) -> (f, grad_f)`` with ``x`` of shape (p,), ``grad_f`` of shape (p,).
    constraint : callable
        ``constraint(x) -> (c, vjp)`` with ``c`` an array of any shape (m entries) and ``vjp(v)`` returning
        ``J(x)^T v`` of shape (p,) for ``v`` of the shape of ``c``.
    x0 : ndarray, shape (p,)
        Starting point.
    tol : float
        Target for ``max |c(x)|``.
    rho0, rho_max, growth : float
        Initial penalty, its cap, and the factor it grows by when the residual shrinks by less than 4x.
    max_outer, max_inner : int
        Outer iterations, and L-BFGS iterations per inner solve.
    inner_gtol : float
        L-BFGS-B projected-gradient tolerance of each inner solve.
    jitter, rng : float, numpy Generator
        A remedy for ReLU networks: when an inner L-BFGS-B solve stops abnormally within 5 iterations (its line
        search failed, typically at a ReLU kink), it is retried once from a point perturbed by ``jitter``
        (relative to the point's RMS size), drawn from ``rng``. Off when ``jitter == 0``. Measured on 2-D data:
        2-3 of 10 starts of a three-layer ReLU network interpolated without it, 9 of 10 with it.

    BLAS is limited to one thread during the solve: on these small problems OpenBLAS threads made each
    L-BFGS step 10-15x slower on a 2-core machine.

    Returns
    -------
    ALResult

    Raises
    ------
    ValueError
        ``max_outer < 1`` or ``max_inner < 1`` (no iteration would run), or a negative ``tol``.
    """
    if int(max_outer) < 1 or int(max_inner) < 1:
        raise ValueError(f"max_outer and max_inner must be at least 1 (no iteration would run), got "
                         f"max_outer={max_outer}, max_inner={max_inner}")
    if not tol >= 0:
        raise ValueError(f"tol must be >= 0, got {tol}")
    with single_thread_blas():
        return _augmented_lagrangian(objective, constraint, np.asarray(x0, dtype=float).copy(), tol=tol, rho=rho0,
                                     rho_max=rho_max, growth=growth, max_outer=max_outer, jitter=jitter, rng=rng,
                                     options={"maxiter": max_inner, "gtol": inner_gtol, "ftol": 1e-15, "maxcor": 30})


def _augmented_lagrangian(objective, constraint, x, *, tol, rho, rho_max, growth, max_outer, jitter, rng, options):
    lam = np.zeros_like(np.asarray(constraint(x)[0], dtype=float))
    rho = float(rho)
    prev_res = np.inf
    inner_ok = False
    n_outer = 0
    if jitter > 0 and rng is None:
        raise ValueError("jitter > 0 needs a seeded rng")
    for n_outer in range(1, max_outer + 1):  # noqa: B007 - n_outer is reported after the loop

        def al(z, lam=lam, rho=rho):
            f, g = objective(z)
            c, vjp = constraint(z)
            w = lam + rho * c
            return f + float(np.sum(lam * c)) + 0.5 * rho * float(np.sum(c * c)), g + vjp(w)

        out = minimize(al, x, jac=True, method="L-BFGS-B", options=options)
        if jitter > 0 and out.status == 2 and out.nit < 5:
            kick = jitter * np.linalg.norm(out.x) / np.sqrt(out.x.size) * rng.standard_normal(out.x.size)
            out = minimize(al, out.x + kick, jac=True, method="L-BFGS-B", options=options)
        x = out.x
        inner_ok = bool(out.success) or out.nit < options["maxiter"]
        c, _ = constraint(x)
        res = float(np.max(np.abs(c)))
        lam = lam + rho * c
        if res <= tol and inner_ok:
            break
        if res > 0.25 * prev_res:
            rho = min(rho * growth, rho_max)
        prev_res = res
    f, _ = objective(x)
    res = float(np.max(np.abs(constraint(x)[0])))
    return ALResult(x=x, fun=float(f), residual=res, multipliers=lam, n_outer=n_outer,
                    converged=bool(res <= tol and inner_ok))


def best_of_starts(run: Callable[[np.random.Generator], ALResult], n_starts: int, rng: np.random.Generator,
                   feasibility_tol: float = 1e-6) -> tuple[ALResult, list[ALResult]]:
    """Run ``run(rng)`` ``n_starts`` times and return (best feasible result, all results).

    "Best" is the lowest objective among runs with residual <= ``feasibility_tol``; when none is feasible the
    run with the smallest residual is returned (callers must then report it as not converged).
    """
    results = [run(rng) for _ in range(int(n_starts))]
    feasible = [r for r in results if r.residual <= feasibility_tol]
    best = min(feasible, key=lambda r: r.fun) if feasible else min(results, key=lambda r: r.residual)
    return best, results
