"""Automatic checks for the exercises of chapter 02, "Standard deep linear networks have a duality gap"."""

from __future__ import annotations

import numpy as np

from ...linear.closed_forms import (
    dual_value_from_singular_values,
    gap_from_singular_values,
    primal_value_from_singular_values,
)
from . import register

_SIGMA_02_2 = np.array([3.0, 2.0, 1.0])
_SIGMA_02_4 = np.array([4.0, 2.0, 1.0, 0.5])


def _answer_02_2() -> float:
    """Gap P_lin - D_lin (optimised over t) at L = 4 for sigma = (3, 2, 1)."""
    return gap_from_singular_values(_SIGMA_02_2, 4)


def _answer_02_4() -> float:
    """Limit of P_lin / D_lin as L grows, for sigma = (4, 2, 1, 0.5): evaluated at a huge depth and rounded."""
    L = 400  # (the closed forms overflow for depths in the thousands: r^(L/2))
    ratio = primal_value_from_singular_values(_SIGMA_02_4, L) / dual_value_from_singular_values(_SIGMA_02_4, L)
    return float(np.round(ratio))


register("02.2", _answer_02_2, rtol=1e-6, kind="value",
         unit="a difference of two optimal values, P_lin - D_lin, each optimised over the scale t",
         hint="the gap compares the standard network's value with its dual value, both optimised over the scale t "
              "rather than taken at the unit scale; the closed forms of this chapter take the singular values")
register("02.4", _answer_02_4, kind="count", unit="a whole number, the limit of the ratio P_lin / D_lin as L grows",
         hint="the ratio creeps up slowly: as L grows, every singular value raised to the exponent of the penalty "
              "tends to the same number; what does each of the two values then count?")
