"""Automatic checks for the exercises of chapter 03, "The stairs of the duality gap"."""

from __future__ import annotations

import numpy as np

from ...linear.closed_forms import stairs_from_singular_values
from . import register


def _answer_03_2() -> float:
    """P^3 (one shared layer) of a depth-5 network, optimised over t, for sigma = (2, 1, 0.5)."""
    return float(stairs_from_singular_values([2.0, 1.0, 0.5], 5)[1])


def _answer_03_3() -> float:
    """Ratio of consecutive per-t steps P^{l+1}(t) / P^l(t) for four equal singular values (L = 6, t = 1)."""
    values = stairs_from_singular_values(np.ones(4), 6, t=1.0)
    ratios = values[1:] / values[:-1]
    if not np.allclose(ratios, ratios[0], rtol=1e-12):
        raise AssertionError("the steps of a flat spectrum should grow geometrically")
    return float(ratios[0])


register("03.2", _answer_03_2, rtol=1e-6, kind="value",
         unit="an optimal value (a weight-decay cost), optimised over the scale t",
         hint="first work out which step l of the stairs has exactly one shared layer, then take that step's value "
              "optimised over the scale t, not at the unit scale")
register("03.3", _answer_03_3, rtol=1e-6, kind="value",
         unit="a growth factor: the ratio of two consecutive steps, a plain number",
         hint="with equal singular values a Schatten quasi-norm depends on the rank in a simple way; compare two "
              "consecutive steps at the unit scale, and see that their ratio does not depend on l")
