"""Solver availability as in the in-browser edition, for the unit tests of the convex programs.

Pyodide (JupyterLite's kernel) ships cvxpy with Clarabel and HiGHS but without SCS, ECOS and OSQP.
:func:`hide_solvers_missing_in_pyodide` makes this Python look the same to cvxpy for one test: the solver
modules become unimportable (``sys.modules[name] = None``), so cvxpy's ``installed_solvers()`` drops them and
``solve(solver="SCS")`` raises "The solver SCS is not installed", as in the browser. The whole-chapter
version of this check is tests/test_pyodide_mirror.py (a venv with Pyodide's package set).
"""

from __future__ import annotations

import sys

import cvxpy as cp
import numpy as np
import pytest

#: cvxpy's name -> Python module of the solvers that Pyodide does not have.
MISSING_IN_PYODIDE = {"SCS": "scs", "ECOS": "ecos", "OSQP": "osqp"}


def hide_solvers_missing_in_pyodide(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make SCS, ECOS and OSQP unimportable until the test ends; check that cvxpy no longer finds them."""
    for module in MISSING_IN_PYODIDE.values():
        monkeypatch.setitem(sys.modules, module, None)
    assert not set(MISSING_IN_PYODIDE) & set(cp.installed_solvers())
    assert "CLARABEL" in cp.installed_solvers()
    x = cp.Variable()
    with pytest.raises(cp.error.SolverError, match="SCS is not installed"):
        cp.Problem(cp.Minimize(cp.abs(x))).solve(solver="SCS")


def solve_with_scs(problem: cp.Problem) -> float:
    """The optimal value of ``problem`` by SCS at ``eps_abs = eps_rel = 1e-9``: an independent solver."""
    problem.solve(solver="SCS", eps_abs=1e-9, eps_rel=1e-9, max_iters=200_000)
    assert problem.status == "optimal", problem.status
    return float(problem.value)


def assert_same_results(first, second) -> None:
    """Two results (a float or a tuple of floats and arrays) are equal entry by entry."""
    first = first if isinstance(first, tuple) else (first,)
    second = second if isinstance(second, tuple) else (second,)
    assert len(first) == len(second)
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
