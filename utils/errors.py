"""The package's own exception.

Bad input raises ``TypeError`` or ``ValueError`` with a message naming the argument; a numerical method that
did not reach a certified answer raises :class:`SolverError`.
"""

from __future__ import annotations

__all__ = ["SolverError"]


class SolverError(RuntimeError):
    """A numerical solver (cvxpy or a reference trainer) did not reach a certified optimal solution.

    Raised when the solver's status is not ``optimal``, or when it says ``optimal`` but the solution it
    returns violates the constraints by more than the stated tolerance.
    """
