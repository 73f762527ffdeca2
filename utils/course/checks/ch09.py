"""Automatic checks for the exercises of chapter 09, "Real data: does training find the global optimum?"."""

from __future__ import annotations

import numpy as np

from ...data.real import load_real_dataset
from ...linear.practical import deep_linear_weight_decay_optimum, parallel_linear_power_optimum
from ...relu.arrangements import relu_max_correlation
from . import register

_DEPTHS_09_3 = (2, 3, 4, 5)
_BETA_09_3 = 1.0


def _answer_09_2() -> float:
    """Smallest beta at which the zero network is optimal on diabetes (standardised bmi + bias, progression)."""
    data = load_real_dataset("diabetes", features="bmi", bias=True)
    return relu_max_correlation(data.X, data.y)


def _answer_09_3() -> np.ndarray:
    """P_standard(L) - P_parallel on whitened Linnerud data, beta = 1, for L = 2, 3, 4, 5."""
    data = load_real_dataset("linnerud", whiten=True)
    parallel = parallel_linear_power_optimum(data.X, data.y, _BETA_09_3).value
    return np.array([deep_linear_weight_decay_optimum(data.X, data.y, L, _BETA_09_3).value - parallel
                     for L in _DEPTHS_09_3])


register("09.2", _answer_09_2, rtol=1e-6, kind="value",
         unit="a weight decay beta, on the scale of the training objective with the standardised data",
         hint="the zero network is optimal exactly when its residual is dual feasible; the chapter's certificate "
              "turns that into a maximisation over unit directions, with the standardised bmi and its bias column")
register("09.3", _answer_09_3, rtol=1e-6, atol=1e-7, kind="vector",
         unit="four differences of optimal values, one per depth, in the order of L",
         hint="four differences, one per depth from 2 to 5: the closed-form optimum of the standard network "
              "(weight decay) minus that of the parallel network (power penalty), on the whitened data with beta 1")
