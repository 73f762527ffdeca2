"""Automatic checks for the exercises of chapter 01, "Two-layer networks: where duality is exact"."""

from __future__ import annotations

import numpy as np

from ...relu.arrangements import hyperplane_patterns, relu_max_correlation
from ...relu.two_layer import two_layer_relu_convex
from . import register

# the data of the exercises, exactly as printed in the chapter
X_01_2 = np.c_[np.array([-1.0, -0.4, 0.1, 0.6, 1.0]), np.ones(5)]
Y_01_2 = np.array([0.2, -0.6, 0.3, 0.9, -0.1])
X_01_3 = np.c_[np.array([-2.0, -1.3, -0.7, 0.0, 0.4, 0.9, 1.5, 2.2, 3.0]), np.ones(9)]
X_01_4 = np.c_[np.linspace(-1.0, 1.0, 12), np.ones(12)]
Y_01_4 = np.sin(3.0 * np.linspace(-1.0, 1.0, 12))


def _answer_01_2() -> float:
    """Min-norm value P2 of a two-layer ReLU network on the 1-D data of exercise 01.2."""
    return two_layer_relu_convex(X_01_2, Y_01_2).value


def _answer_01_3() -> int:
    """Number of cells of the arrangement (all-inactive cell included) for 9 distinct 1-D points with bias."""
    return int(hyperplane_patterns(X_01_3, include_zero=True).shape[0])


def _answer_01_4() -> float:
    """Smallest weight decay beta at which the zero network is optimal: max_u |y^T (X u)_+|."""
    return relu_max_correlation(X_01_4, Y_01_4)


register("01.2", _answer_01_2, rtol=1e-5, kind="value",
         unit="a weight-decay cost: half the sum of the squared weight norms of the best interpolating network",
         hint="the minimum-norm value is the optimal value of the exact convex program of this chapter; that program "
              "must see every activation pattern of the data, so keep the bias column")
register("01.3", _answer_01_3, kind="count", unit="the number of cells, a whole number",
         hint="each input gives one line through the origin of the (u1, u2)-plane; picture how these lines cut a "
              "circle around the origin, and remember that the all-inactive cell counts too")
register("01.4", _answer_01_4, rtol=1e-3, kind="value",
         unit="a weight decay beta, on the scale of the beta in the training objective",
         hint="bisect on beta with a tolerance on max_j |f(x_j)| a little above the solver's accuracy (1e-6 is too "
              "tight), then compare with the optimality condition of the zero network")
