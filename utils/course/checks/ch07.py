"""Automatic checks for chapter 07, parallel deep ReLU networks."""

import numpy as np

from ...relu.parallel_three_layer import parallel_relu3_value
from . import register


def _line_data(n):
    x = np.linspace(-1.0, 1.0, n)
    return np.column_stack([x, np.ones(n)])


def _answer_07_2():
    """Dual value (3/2) D(1)^{2/3} of the standard three-layer network on the chapter's four-point data set."""
    value = parallel_relu3_value(_line_data(4), np.array([1.0, -0.5, 0.8, -1.0])).value
    return 1.5 * value ** (2.0 / 3.0)


def _answer_07_3():
    """Exact parallel value on the five-point data set with the middle label swept over linspace(-1, 1, 9)."""
    X = _line_data(5)
    y = np.array([1.0, 0.2, -0.6, 0.3, 1.2])
    return np.array([parallel_relu3_value(X, np.r_[y[:2], s, y[3:]]).value for s in np.linspace(-1.0, 1.0, 9)])


register("07.2", _answer_07_2, rtol=1e-6, kind="value",
         unit="the optimal value D of the full problem, optimised over the scale t",
         hint="the convex program gives a value at the unit scale; use how the dual value changes with the scale t, "
              "then optimise over t as in chapter 6")
register("07.3", _answer_07_3, rtol=1e-6, kind="vector", unit="nine optimal values P(s), one per s, in the order of s",
         hint="nine values, one per s in np.linspace(-1, 1, 9), with only the third label (index 2) replaced")
