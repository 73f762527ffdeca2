"""Automatic checks for the exercises of chapter 05, "Depth prefers low rank"."""

from __future__ import annotations

import numpy as np

from ...linear.low_rank import solve_schatten_penalised
from ...linear.ranks import numerical_rank
from . import register

_Y_05 = np.diag([3.0, 1.4, 0.6])
_BETA_05 = 0.5


def _answer_05_2() -> np.ndarray:
    """Singular values of the solution for X = I_3, Y = diag(3, 1.4, 0.6), beta = 0.5, L = 6."""
    return solve_schatten_penalised(np.eye(3), _Y_05, 6, _BETA_05).singular_values


def _answer_05_3() -> int:
    """Smallest depth L >= 2 at which the solution (same data, beta = 0.5) has rank 1."""
    for L in range(2, 21):
        if numerical_rank(solve_schatten_penalised(np.eye(3), _Y_05, L, _BETA_05).W) == 1:
            return L
    raise AssertionError("the rank should reach 1 for some L <= 20")


register("05.2", _answer_05_2, rtol=1e-6, atol=1e-8, kind="vector",
         unit="the three singular values of the solution, in decreasing order (zeros included)",
         hint="with the identity as data the problem splits over the singular values of Y; read off from the "
              "penalty which constant c the scalar prox needs (it involves both beta and L)")
register("05.3", _answer_05_3, kind="count", unit="a depth L, a whole number",
         hint="compare each singular value of Y with the threshold of the prox, which grows with L for this beta")
