"""Automatic checks for chapter 06, three-layer ReLU networks."""

import numpy as np

from ...relu.rank_one import rank_one_relu3_values
from . import register


def _answer_06_2():
    """Relative duality gap (P - D) / D on c = (3, 1, -2, -1, 0.5), a = (2, -1), y = (0.5, -2)."""
    primal, dual = rank_one_relu3_values([3.0, 1.0, -2.0, -1.0, 0.5], [2.0, -1.0], 0.5, -2.0)
    return (primal - dual) / dual


def _answer_06_3():
    """Largest P / D over y2 in linspace(-3, 3, 601) with y1 = 1 on the running example."""
    c, a = np.array([1.0, 2.0, -1.0, -3.0]), np.array([1.0, 0.5, -0.3])
    return max(np.divide(*rank_one_relu3_values(c, a, 1.0, y2)) for y2 in np.linspace(-3.0, 3.0, 601))


register(
    "06.2",
    _answer_06_2,
    rtol=1e-6,
    kind="fraction",
    unit="a relative gap (P - D) / D, as a fraction (not a percentage)",
    hint="use the values P and D of the full problem, optimised over the scale (not the scale form at the unit "
         "scale), and divide the gap by D",
)
register(
    "06.3",
    _answer_06_3,
    rtol=1e-6,
    kind="value",
    unit="a ratio P / D of two optimal values, a plain number",
    hint="the ratio is that of the full problem, optimised over the scale: convert the values at the unit scale "
         "first, as the chapter does, or the ratio comes out wrong",
)
