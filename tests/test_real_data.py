"""The real data sets bundled with scikit-learn: loading, standardisation, whitening, determinism (utils/data/real.py)."""

import numpy as np
import pytest
from sklearn import datasets

from utils.data.real import REAL_DATASETS, load_real_dataset, standardise


def _all_loads():
    return [load_real_dataset("diabetes"), load_real_dataset("diabetes", ["bmi", "s5"], n_samples=50, seed=3),
            load_real_dataset("linnerud"), load_real_dataset("linnerud", "Situps", ["Pulse", "Waist"])]


def test_every_loaded_feature_and_label_column_has_mean_zero_and_unit_standard_deviation():
    for data in _all_loads():
        for A in (data.X, data.y):
            A = A.reshape(len(A), -1)
            np.testing.assert_allclose(A.mean(axis=0), 0.0, atol=1e-12)
            np.testing.assert_allclose(np.sqrt(np.mean(A * A, axis=0)), 1.0, rtol=1e-12)


def test_standardised_values_map_back_to_the_raw_values_of_the_bundled_files():
    raw = datasets.load_diabetes(scaled=False)
    data = load_real_dataset("diabetes", ["bp", "age"], n_samples=40, seed=7)
    cols = [raw.feature_names.index("bp"), raw.feature_names.index("age")]
    np.testing.assert_allclose(data.x_mean + data.x_std * data.X, raw.data[np.ix_(data.rows, cols)], rtol=1e-13)
    np.testing.assert_allclose(data.y_mean + data.y_std * data.y, raw.target[data.rows], rtol=1e-13)
    lin = datasets.load_linnerud()
    data = load_real_dataset("linnerud", targets=["Pulse"])
    np.testing.assert_allclose(data.y_mean + data.y_std * data.y, lin.target[:, 2], rtol=1e-13)


def test_full_diabetes_features_agree_with_scikit_learns_own_scaling():
    # scikit-learn's default diabetes features are centred and scaled so that each column has unit sum of squares
    ours = load_real_dataset("diabetes")
    theirs = datasets.load_diabetes(scaled=True).data
    np.testing.assert_allclose(ours.X / np.sqrt(ours.n_samples), theirs, atol=1e-8)


def test_loading_is_deterministic_and_the_subset_depends_only_on_the_seed():
    a = load_real_dataset("diabetes", "bmi", n_samples=30, seed=5, bias=True)
    b = load_real_dataset("diabetes", "bmi", n_samples=30, seed=5, bias=True)
    c = load_real_dataset("diabetes", "bmi", n_samples=30, seed=6, bias=True)
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.y, b.y)
    np.testing.assert_array_equal(a.rows, b.rows)
    assert not np.array_equal(a.rows, c.rows)
    assert np.all(np.diff(a.rows) > 0) and a.rows.size == 30


def test_bias_column_is_ones_and_one_feature_plus_bias_has_rank_two():
    data = load_real_dataset("diabetes", "bmi", bias=True)
    assert data.X.shape == (442, 2) and data.feature_names == ("bmi", "bias")
    np.testing.assert_array_equal(data.X[:, 1], 1.0)
    assert np.linalg.matrix_rank(data.X) == 2 and data.y.shape == (442,)


def test_whitened_features_are_orthogonal_with_unit_variance():
    data = load_real_dataset("linnerud", whiten=True)
    n = data.n_samples
    np.testing.assert_allclose(data.X.T @ data.X, n * np.eye(3), atol=1e-10 * n)
    plain = load_real_dataset("linnerud")
    np.testing.assert_allclose(plain.X @ data.whitening, data.X, atol=1e-12)
    assert data.y.shape == (20, 3) and data.target_names == ("Weight", "Waist", "Pulse")


def test_standardise_is_invariant_to_positive_affine_changes_of_units():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((30, 4)) * [1.0, 10.0, 0.1, 3.0]
    Z, mean, std = standardise(A)
    Z2, mean2, std2 = standardise(7.5 * A - 40.0)
    np.testing.assert_allclose(Z2, Z, atol=1e-12)
    np.testing.assert_allclose(std2, 7.5 * std, rtol=1e-12)
    np.testing.assert_allclose(mean2, 7.5 * mean - 40.0, rtol=1e-12)
    z, _, _ = standardise(A[:, 0])
    np.testing.assert_allclose(z, Z[:, 0], atol=1e-15)


def test_standardise_rejects_a_constant_column_and_a_single_row():
    with pytest.raises(ValueError, match="constant"):
        standardise(np.c_[np.arange(5.0), np.full(5, 3.0)])
    with pytest.raises(ValueError, match="two rows"):
        standardise(np.ones((1, 3)))


@pytest.mark.parametrize("kwargs, message", [
    ({"name": "iris"}, "unknown data set"),
    ({"name": "diabetes", "features": ["bmi", "height"]}, "unknown or no features"),
    ({"name": "diabetes", "features": ["bmi", "bmi"]}, "distinct"),
    ({"name": "linnerud", "targets": "Weight2"}, "unknown or no targets"),
    ({"name": "linnerud", "n_samples": 21}, "at most 20"),
    ({"name": "linnerud", "n_samples": 1}, "at least 2"),
    ({"name": "diabetes", "features": "sex", "n_samples": 2, "seed": 0}, "constant"),
])
def test_loader_rejects_bad_requests_with_a_message_naming_the_problem(kwargs, message):
    # the last case: two rows of a binary feature that happen to be equal for this seed
    if kwargs.get("features") == "sex":
        raw = datasets.load_diabetes(scaled=False).data[:, 1]
        seed = next(s for s in range(100)
                    if np.ptp(raw[np.random.default_rng(s).choice(442, 2, replace=False)]) == 0)
        kwargs = {**kwargs, "seed": seed}
    with pytest.raises(ValueError, match=message):
        load_real_dataset(**kwargs)


def test_every_listed_data_set_loads_with_default_arguments():
    for name in REAL_DATASETS:
        data = load_real_dataset(name)
        assert data.name == name and len(data.feature_names) == data.X.shape[1] and data.X.shape[0] >= 20
