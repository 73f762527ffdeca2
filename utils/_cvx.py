"""Checked cvxpy solves for the convex programs of :mod:`utils.relu` and :mod:`utils.primer`.

Interior-point and splitting solvers stop on *absolute* tolerances (about 1e-8 for Clarabel), so a program
whose data are tiny or huge can come back "optimal" with a solution far from feasible (labels of size 1e-8
fitted to 30% in our runs) or "infeasible" when it is not. The callers therefore solve a normalised problem
(data divided by :func:`utils._optim.pow2_scale` of their largest entry, so of order one) and rescale, and every
solve goes through :func:`solve_problem` and :func:`certify`:

* :func:`solve_problem` runs the solver and turns a solver crash into :class:`SolverError`;
* :func:`certify` accepts only the status ``optimal``, then recomputes the primal constraint residual
  ``sqrt(sum_c ||violation_c||^2)`` over all constraints (cvxpy's ``Constraint.violation``) and the objective at
  the returned point; an "optimal" solution whose residual exceeds ``rtol * scale`` or whose objective differs
  from the reported value by more than ``rtol * max(|value|, scale)`` raises :class:`SolverError`, naming both.

One solver for every program, :data:`CONIC_SOLVER` = Clarabel (interior point, for LPs, SOCPs and SDPs): it is
also the solver of the in-browser edition (JupyterLite runs Pyodide, whose cvxpy has Clarabel and HiGHS
but not SCS, ECOS or OSQP), so the book's outputs come from the solver that a reader's browser runs.
:func:`clarabel_options` sets its stopping tolerances, :func:`solve_with_clarabel` solves at the tightest of
several that Clarabel reaches.
"""

from __future__ import annotations

import warnings

import cvxpy as cp
import numpy as np

from ._validation import check_constraint_residual, require_optimal
from .errors import SolverError

__all__: list[str] = []

#: The solver of the package's convex programs (installed with cvxpy, and present in Pyodide's cvxpy-base).
CONIC_SOLVER = "CLARABEL"


def clarabel_options(tol: float, max_iter: int = 200) -> dict[str, float | int]:
    """Clarabel's options for a solve to accuracy ``tol``.

    Parameters
    ----------
    tol : float > 0
        Every stopping tolerance of Clarabel: the absolute and relative duality gap (``tol_gap_abs``,
        ``tol_gap_rel``) and the primal/dual feasibility (``tol_feas``); Clarabel's defaults are 1e-8.
    max_iter : int >= 1
        Iteration limit (Clarabel's default 200; an interior-point method needs a few dozen). Reaching it
        gives the status ``user_limit``, which :func:`certify` rejects.

    Returns
    -------
    dict
        Keyword arguments for ``problem.solve(solver=CONIC_SOLVER, ...)``.
    """
    return {"tol_gap_abs": tol, "tol_gap_rel": tol, "tol_feas": tol, "max_iter": int(max_iter)}


def solve_with_clarabel(problem: cp.Problem, what: str, tolerances, *, max_iter: int = 200) -> None:
    """Solve with Clarabel at the tightest of ``tolerances`` that it reaches.

    Solves at ``tolerances[0]`` (:func:`clarabel_options`) and, while the status is ``optimal_inaccurate``
    (Clarabel's "almost solved": that tolerance was out of reach), again at the next one. The caller
    certifies the last solve with :func:`certify`, which rejects any status but ``optimal``.
    """
    for tol in tolerances:
        solve_problem(problem, what, CONIC_SOLVER, **clarabel_options(tol, max_iter))
        if problem.status != "optimal_inaccurate":
            return


def solve_problem(problem: cp.Problem, what: str, solver: str, **options) -> None:
    """``problem.solve(solver=solver, **options)``; a solver crash raises :class:`SolverError` naming ``what``.

    The warning "Solution may be inaccurate" is silenced: :func:`certify` rejects such a status anyway.
    """
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Solution may be inaccurate", category=UserWarning)
            problem.solve(solver=solver, **options)
    except cp.error.SolverError as exc:
        raise SolverError(f"{what}: solver {solver} failed ({exc})") from None


def constraint_residual(problem: cp.Problem) -> float:
    """``sqrt(sum_c ||violation_c||_2^2)`` over the constraints of a solved problem (inf when a value is missing)."""
    total = 0.0
    for constraint in problem.constraints:
        try:
            violation = np.asarray(constraint.violation(), dtype=float)
        except ValueError:                     # a variable without a value: the solver returned no point
            return float("inf")
        total += float(np.sum(violation * violation))
    return float(np.sqrt(total))


def certify(problem: cp.Problem, what: str, *, scale: float = 1.0, rtol: float = 1e-6) -> float:
    """Check a solved problem and return its optimal value.

    Parameters
    ----------
    problem : cvxpy Problem
        Solved (by :func:`solve_problem`).
    what : str
        Name of the program, for the messages.
    scale : float
        Size of the data the residual is measured against (1 for the normalised programs of this package).
    rtol : float
        Relative tolerance of the residual and objective checks.

    Returns
    -------
    float
        ``problem.value``.

    Raises
    ------
    SolverError
        Status other than ``optimal``; or ``optimal`` with a constraint residual above ``rtol * scale``, or an
        objective at the returned point that differs from the reported value by more than
        ``rtol * max(|value|, scale)``.
    """
    require_optimal(problem, what)
    check_constraint_residual(what, constraint_residual(problem), scale, rtol=rtol, status=problem.status)
    value = float(problem.value)
    recomputed = float(np.asarray(problem.objective.value, dtype=float))
    bound = rtol * max(abs(value), float(scale))
    if not np.isfinite(recomputed) or abs(recomputed - value) > bound:
        raise SolverError(
            f"{what}: the solver reported status '{problem.status}' with value {value:.9e}, but the objective "
            f"at its solution is {recomputed:.9e} (difference {abs(recomputed - value):.3e} > tolerance "
            f"{bound:.3e})")
    return value
