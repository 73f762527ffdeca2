"""Automatic checks for the exercises of chapter 04, "Parallel deep linear networks close the gap"."""

from __future__ import annotations

import numpy as np

from ...linear.closed_forms import parallel_linear_value, parallel_value_from_singular_values
from . import register

_Y_04_2 = np.array([[2.0, 0.0], [1.0, 1.0], [0.0, 3.0]])


def _answer_04_2() -> float:
    """Power penalty of the parallel network built from the SVD of A = Y (X = I_3), L = 4: equals ||Y||_*."""
    return parallel_linear_value(np.eye(3), _Y_04_2, 4, penalty="power")


def _answer_04_3() -> float:
    """Exponent a in (weight-decay cost of one branch split into m equal copies) ~ m^a, at L = 6.

    Splitting a rank-one output M into m branches each carrying M / m costs what a matrix with m equal
    singular values ||M|| / m costs; the ratio to the unsplit cost is a pure power of m.
    """
    L = 6
    costs = [parallel_value_from_singular_values(np.full(m, 1.0 / m), L, penalty="weight_decay")
             for m in (1, 2, 4)]
    a1, a2 = np.log(costs[1] / costs[0]) / np.log(2), np.log(costs[2] / costs[0]) / np.log(4)
    if not np.isclose(a1, a2, rtol=1e-12):
        raise AssertionError("the split cost should be a pure power of m")
    return float(a1)


register("04.2", _answer_04_2, rtol=1e-6, kind="value",
         unit="a power penalty: the cost of your parallel network, on the scale of a norm of A",
         hint="balanced means that all L layers of a branch have the same norm, and the product of the layers must "
              "reproduce the branch's singular value; then add up the costs of the branches")
register("04.3", _answer_04_3, rtol=1e-3, kind="value",
         unit="an exponent: the slope of log(cost) against log(m), a plain number",
         hint="on log-log axes the costs at depth six lie on a straight line; its slope is the exponent")
