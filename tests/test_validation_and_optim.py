"""The shared input validation, the augmented-Lagrangian driver, the data normalisation and the BLAS limiter."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from threadpoolctl import threadpool_info

import utils
from utils._optim import (
    augmented_lagrangian,
    best_of_starts,
    data_scale,
    max_abs_scale,
    pow2_scale,
    single_thread_blas,
)
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
    # min 1/2(||W1||^2 + ||W2||^2) s.t. X W1 W2 = Y has value ||X^+ Y||_* (book appendix, section 1.4).
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


@pytest.mark.parametrize("size, expected", [(1.0, 1.0), (0.8, 1.0), (1.5, 2.0), (3e-9, 2.0 ** -28),
                                            (1e300, 2.0 ** 997), (0.0, 1.0), (np.inf, 1.0)])
def test_pow2_scale_is_the_nearest_power_of_two(size, expected):
    assert pow2_scale(size) == expected


def test_normalising_by_a_power_of_two_is_exact_and_leaves_unit_data_unchanged():
    A = np.random.default_rng(0).standard_normal((4, 3)) * 1e-7
    s = data_scale(A)
    assert 2 ** -0.5 <= np.abs(A / s).max() <= 2 ** 0.5
    np.testing.assert_array_equal((A / s) * s, A)                   # no rounding either way
    unit = np.array([[0.8, -0.3], [0.1, 0.5]])
    assert data_scale(unit) == 1.0 and data_scale(np.zeros(3)) == 1.0
    assert max_abs_scale(-3 * unit) == pytest.approx(2.4) and max_abs_scale(np.zeros(2)) == 1.0


def test_single_thread_blas_limits_every_blas_library_to_one_thread():
    with single_thread_blas():
        blas = [lib for lib in threadpool_info() if lib["user_api"] == "blas"]
        assert blas and all(lib["num_threads"] == 1 for lib in blas)


def test_blas_threads_are_limited_in_one_place_only():
    root = Path(utils.__file__).parent
    users = sorted(str(p.relative_to(root)) for p in root.rglob("*.py") if "threadpool_limits" in p.read_text())
    assert users == ["_optim.py"]
