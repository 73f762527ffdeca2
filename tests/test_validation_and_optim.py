"""The shared input validation and the augmented-Lagrangian driver."""

from __future__ import annotations

import numpy as np
import pytest

from utils._optim import augmented_lagrangian, best_of_starts
from utils._validation import (
    as_matrix,
    as_vector,
    check_depth,
    check_positive,
    check_same_rows,
    check_seed,
)


@pytest.mark.parametrize("bad", [np.array([[1.0, np.nan]]), np.array([[np.inf]])])
def test_as_matrix_rejects_nan_and_inf(bad):
    with pytest.raises(ValueError, match="NaN or infinite"):
        as_matrix("X", bad)


def test_as_matrix_rejects_wrong_dimensions_and_types():
    with pytest.raises(ValueError, match="2-D"):
        as_matrix("X", np.ones(3))
    with pytest.raises(ValueError, match="2-D"):
        as_matrix("X", np.ones((2, 2, 2)))
    with pytest.raises(TypeError, match="numeric"):
        as_matrix("X", "abc")
    with pytest.raises(ValueError, match="empty"):
        as_matrix("X", np.ones((0, 3)))
    assert as_matrix("Y", [1.0, 2.0], allow_vector=True).shape == (2, 1)


def test_as_vector_accepts_columns_and_rejects_matrices():
    assert as_vector("y", np.ones((3, 1))).shape == (3,)
    with pytest.raises(ValueError, match="1-D"):
        as_vector("y", np.ones((2, 2)))


def test_check_same_rows_names_both_arrays():
    with pytest.raises(ValueError, match="X has 3 rows but Y has 2"):
        check_same_rows(np.ones((3, 1)), np.ones((2, 1)))


@pytest.mark.parametrize("L,exc", [(1, ValueError), (0, ValueError), (2.5, TypeError), ("3", TypeError), (True, TypeError)])
def test_check_depth_rejects_small_or_non_integer_depths(L, exc):
    with pytest.raises(exc, match="depth"):
        check_depth(L)


def test_check_depth_accepts_integral_floats():
    assert check_depth(3.0) == 3 and check_depth(np.int64(4)) == 4


def test_check_positive_rejects_zero_negative_and_nan():
    for bad in (0.0, -1.0, float("nan"), float("inf")):
        with pytest.raises(ValueError):
            check_positive("p", bad)
    assert check_positive("beta", 0.0, allow_zero=True) == 0.0
    with pytest.raises(TypeError):
        check_positive("p", "1")


def test_check_seed_is_deterministic():
    assert check_seed(3).standard_normal() == np.random.default_rng(3).standard_normal()
    assert check_seed(None).standard_normal() == np.random.default_rng(0).standard_normal()
    with pytest.raises(TypeError):
        check_seed(1.5)


def test_augmented_lagrangian_reaches_the_nuclear_norm_of_a_two_layer_linear_net():
    # min 1/2(||W1||^2 + ||W2||^2) s.t. X W1 W2 = Y has value ||X^+ Y||_* (MATH.md section 1).
    rng = np.random.default_rng(0)
    n, d, k, m = 4, 5, 3, 4
    X, Y = rng.standard_normal((n, d)), rng.standard_normal((n, k))
    target = np.linalg.svd(np.linalg.pinv(X) @ Y, compute_uv=False).sum()

    def split(x):
        return x[: d * m].reshape(d, m), x[d * m:].reshape(m, k)

    def objective(x):
        return 0.5 * x @ x, x.copy()

    def constraint(x):
        W1, W2 = split(x)
        return X @ W1 @ W2 - Y, lambda V: np.concatenate([(X.T @ V @ W2.T).ravel(), ((X @ W1).T @ V).ravel()])

    best, runs = best_of_starts(lambda g: augmented_lagrangian(objective, constraint, g.standard_normal(d * m + m * k)),
                                3, rng)
    assert best.converged and best.residual <= 1e-9
    assert best.fun == pytest.approx(target, rel=1e-7)
    assert len(runs) == 3


def test_augmented_lagrangian_solves_an_equality_constrained_quadratic_exactly():
    # min 1/2||x||^2 s.t. a^T x = 1: x* = a / ||a||^2, value 1 / (2 ||a||^2).
    a = np.array([1.0, 2.0, -2.0])
    res = augmented_lagrangian(lambda x: (0.5 * x @ x, x.copy()),
                               lambda x: (np.array([a @ x - 1.0]), lambda v: a * v[0]), np.zeros(3))
    np.testing.assert_allclose(res.x, a / (a @ a), atol=1e-9)
    assert res.fun == pytest.approx(1 / (2 * a @ a), rel=1e-9)
