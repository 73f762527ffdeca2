"""Automatic checks for chapter 08, Table 1 recomputed."""

import numpy as np

from ...linear.closed_forms import deep_linear_dual_value, deep_linear_primal_value, gap_from_singular_values
from . import register


def _answer_08_2():
    """P / D of the standard deep linear network with X = Y = I_4 and L = 5 (full problem)."""
    eye = np.eye(4)
    return deep_linear_primal_value(eye, eye, 5) / deep_linear_dual_value(eye, eye, 5)


def _answer_08_3():
    """Gap P - D at L = 3 for singular values (1, s), s in linspace(0, 1, 11)."""
    return np.array([gap_from_singular_values([1.0, s], 3) for s in np.linspace(0.0, 1.0, 11)])


register("08.2", _answer_08_2, rtol=1e-6, kind="value", unit="a ratio P / D of two optimal values, a plain number",
         hint="use the values of the full problem (optimised over the scale t), not the scale form at the unit scale")
register("08.3", _answer_08_3, rtol=1e-6, atol=1e-9, kind="vector",
         unit="eleven gaps P - D (differences of optimal values), one per s, in the order of s",
         hint="eleven gaps P - D at depth 3, one per s in np.linspace(0, 1, 11), singular values (1, s)")
