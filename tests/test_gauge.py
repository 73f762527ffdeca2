"""The gauge picture of two-layer ReLU networks (utils.relu.gauge, utils.figures.gauge): the linear program over
sampled neurons brackets the exact convex program, its dual is feasible and optimal, the active neurons lie on the
supporting line, the polygons are a ball and its polar, and the in-browser figure draws exactly these numbers."""

from __future__ import annotations

import re

import numpy as np
import pytest

from utils import (
    arrangement_cells_2d,
    gauge_relu_features,
    interactive_grid,
    relu_feature_samples,
    relu_gauge_figure,
    relu_gauge_polygons,
    relu_max_correlation,
    sampled_relu_gauge,
    two_layer_relu_convex,
)
from utils.figures.gauge import _neuron_count, _neuron_text

SOLVER_RTOL = 1e-7  # Clarabel stops at 1e-8 (relative to data of order one): ten times that
LP_TOL = 1e-9  # HiGHS' simplex returns a vertex: its constraints hold to rounding


def _instances(count, n, seed):
    """Random data (n, 2) and labels (n,), of order one."""
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal((n, 2)), rng.standard_normal(n)) for _ in range(count)]


def _bias_data(x):
    return np.c_[x, np.ones(len(x))]


@pytest.mark.parametrize("n", [2, 3])
def test_sampled_gauge_brackets_the_exact_convex_program_within_the_sampling_bound(n):
    for X, y in _instances(6, n, seed=n):
        g = sampled_relu_gauge(X, y, n_angles=360)
        exact = gauge_relu_features(X, y)
        assert exact * (1 - SOLVER_RTOL) <= g.value <= exact * (1 + g.relative_error_bound) * (1 + SOLVER_RTOL)


def test_sampled_gauge_equals_the_convex_program_when_the_sampling_is_fine():
    for X, y in _instances(4, 2, seed=10):
        g = sampled_relu_gauge(X, y, n_angles=3000)
        assert g.relative_error_bound < 6e-7            # (pi / 3000)^2 / 2
        np.testing.assert_allclose(g.value, gauge_relu_features(X, y), rtol=6e-7 + SOLVER_RTOL)


def test_dual_is_feasible_and_attains_the_gauge():
    for X, y in _instances(6, 2, seed=20):
        g = sampled_relu_gauge(X, y, n_angles=360)
        assert np.abs(g.features @ g.dual).max() <= 1 + LP_TOL                  # the sampled constraints
        np.testing.assert_allclose(g.dual @ y, g.value, rtol=LP_TOL)            # optimal: lambda*^T y = gamma_S
        exact_constraint = relu_max_correlation(X, g.dual)                      # all neurons, exactly
        assert exact_constraint <= (1 + g.relative_error_bound) * (1 + LP_TOL)
        # rescaled to be exactly feasible, lambda* certifies a lower bound on the exact gauge (weak duality)
        exact = two_layer_relu_convex(X, y)
        assert g.dual @ y / exact_constraint <= exact.value * (1 + SOLVER_RTOL)


def test_primal_coefficients_output_the_labels_at_the_cost_of_the_gauge():
    for X, y in _instances(6, 3, seed=30):
        g = sampled_relu_gauge(X, y, n_angles=360)
        np.testing.assert_allclose(g.features.T @ g.coefficients, y, rtol=0, atol=LP_TOL * np.abs(y).max())
        np.testing.assert_allclose(np.abs(g.coefficients).sum(), g.value, rtol=LP_TOL)
        assert g.active.size <= len(y)                                          # a vertex of the LP


def test_active_neurons_lie_on_the_supporting_line():
    for X, y in _instances(6, 2, seed=40):
        g = sampled_relu_gauge(X, y, n_angles=360)
        assert g.active.size >= 1
        np.testing.assert_allclose(g.atoms @ g.dual, 1.0, rtol=0, atol=LP_TOL)
        np.testing.assert_array_equal(g.atoms, np.sign(g.coefficients[g.active])[:, None] * g.features[g.active])


def test_features_are_the_relu_of_unit_directions_including_every_critical_angle():
    X = _bias_data([-1.0, 0.5])
    angles, features = relu_feature_samples(X, n_angles=100)
    U = np.stack([np.cos(angles), np.sin(angles)])
    np.testing.assert_array_equal(features, np.maximum(X @ U, 0.0).T)
    assert np.all(np.diff(angles) > 0) and 0 <= angles[0] and angles[-1] < 2 * np.pi
    for crit in arrangement_cells_2d(X)[0]:
        assert np.min(np.abs(angles - crit)) <= 1e-12
    assert 100 <= angles.size <= 100 + 2 * len(X)


def test_error_bound_is_one_over_the_cosine_of_half_the_largest_gap():
    X = _bias_data([-1.0, 0.5])
    g = sampled_relu_gauge(X, [1.0, 0.3], n_angles=100)
    gaps = np.diff(np.concatenate([g.angles, [g.angles[0] + 2 * np.pi]]))
    np.testing.assert_allclose(g.max_gap, gaps.max(), rtol=1e-15)
    assert g.max_gap <= 2 * np.pi / 100 * (1 + 1e-12)
    np.testing.assert_allclose(g.relative_error_bound, 1 / np.cos(g.max_gap / 2) - 1, rtol=1e-12)


def test_ball_contains_every_signed_feature_and_its_polar_touches_every_edge():
    X = _bias_data([-1.0, 0.5])
    ball, polar = relu_gauge_polygons(X, n_angles=180)
    _, F = relu_feature_samples(X, n_angles=180)
    points = np.concatenate([F, -F])
    assert all(np.any(np.all(np.isclose(points, v, rtol=0, atol=1e-15), axis=1)) for v in ball)
    assert np.abs(F @ polar.T).max() <= 1 + 1e-12                              # each polar vertex is in the polar
    np.testing.assert_allclose(np.sum(polar * ball, axis=1), 1.0, rtol=1e-12)  # edge i: from ball[i] ...
    np.testing.assert_allclose(np.sum(polar * np.roll(ball, -1, axis=0), axis=1), 1.0, rtol=1e-12)  # ... to i+1
    edge, following = np.roll(ball, -1, axis=0) - ball, np.roll(ball, -2, axis=0) - np.roll(ball, -1, axis=0)
    cross = edge[:, 0] * following[:, 1] - edge[:, 1] * following[:, 0]
    assert np.all(cross > 0)                                                    # counter-clockwise and convex


def test_the_gauge_is_the_minkowski_functional_of_the_ball():
    X = _bias_data([-1.0, 0.5])
    ball, polar = relu_gauge_polygons(X, n_angles=180)
    for angle in np.linspace(0, 2 * np.pi, 13)[:-1]:
        y = np.array([np.cos(angle), np.sin(angle)])
        g = sampled_relu_gauge(X, y, n_angles=180)
        # y / gamma lies on the boundary of the ball: the largest polar-vertex product is 1
        np.testing.assert_allclose(np.max(polar @ (y / g.value)), 1.0, rtol=1e-9)
        np.testing.assert_allclose(g.value, np.max(polar @ y), rtol=1e-9)     # gamma_C = support function of C°


def test_zero_labels_have_gauge_zero():
    g = sampled_relu_gauge(_bias_data([-1.0, 0.5]), [0.0, 0.0], n_angles=40)
    assert g.value == 0.0 and not np.any(g.dual) and g.active.size == 0


@pytest.mark.parametrize("X, y, kwargs, match", [
    (np.ones((2, 3)), [1.0, 1.0], {}, "2 columns"),
    (_bias_data([-1.0, 0.5]), [1.0, 1.0, 1.0], {}, "one entry per row"),
    (_bias_data([-1.0, 0.5]), [1.0, 1.0], {"n_angles": 4}, "n_angles"),
    (np.zeros((2, 2)), [1.0, 0.0], {}, "every sampled feature"),
    (np.array([[1.0, 0.0], [2.0, 0.0]]), [1.0, 0.0], {}, "outside the span"),
    (_bias_data([-1.0, np.nan]), [1.0, 0.0], {}, "NaN"),
])
def test_sampled_gauge_rejects_bad_input(X, y, kwargs, match):
    with pytest.raises(ValueError, match=match):
        sampled_relu_gauge(X, y, **kwargs)


def test_polygons_need_two_samples_whose_features_span_the_plane():
    with pytest.raises(ValueError, match="n = 2"):
        relu_gauge_polygons(_bias_data([-1.0, 0.0, 0.5]))
    with pytest.raises(ValueError, match="span the plane"):
        relu_gauge_polygons(np.array([[1.0, 0.0], [2.0, 0.0]]))


# --------------------------------------------------------------------------------------------- the figure
@pytest.fixture(scope="module")
def picture():
    X = _bias_data([-1.0, 0.5])
    return X, relu_gauge_figure(X, n_positions=8, n_angles=180, angle=100.0)


def _path_points(path: str) -> np.ndarray:
    return np.array([[float(a), float(b)] for a, b in re.findall(r"(-?[\d.]+),(-?[\d.]+)", path)])


def test_figure_tables_are_the_sampled_gauge_at_every_slider_position(picture):
    X, fig = picture
    meta = interactive_grid(fig)
    assert meta["kind"] == "precomputed" and meta["shape"] == [8]
    labels = [s.label for s in fig.layout.sliders[0].steps]
    assert labels == [f"{a:g}°" for a in 45.0 * np.arange(8)]
    for k, (restyle, relayout) in enumerate(meta["updates"]):
        theta = np.radians(45.0 * k)
        y = np.array([np.cos(theta), np.sin(theta)])
        g = sampled_relu_gauge(X, y, n_angles=180)
        xs, ys = restyle["x"], restyle["y"]
        np.testing.assert_allclose([xs[0][1], ys[0][1]], y, rtol=1e-12)                    # the label y
        np.testing.assert_allclose([xs[1][0], ys[1][0]], y / g.value, rtol=1e-12)        # y / gamma
        np.testing.assert_allclose(np.c_[xs[3], ys[3]], g.atoms, rtol=1e-12, atol=1e-15)  # active neurons
        np.testing.assert_allclose([xs[4][0], ys[4][0]], g.dual, rtol=1e-12)             # lambda*
        support = np.c_[xs[2], ys[2]] @ g.dual                                            # on lambda*^T v = 1
        level = np.c_[xs[5], ys[5]] @ y                                                   # on lambda^T y = gamma
        np.testing.assert_allclose(support, 1.0, rtol=1e-9)
        np.testing.assert_allclose(level, g.value, rtol=1e-9)
        title = relayout["title.text"]
        assert title.startswith(f"γ(y) ≈ {g.value:.4f} (LP over {g.angles.size} sampled neurons)<br>"
                                f"λ* = ({g.dual[0]:.3f}, {g.dual[1]:.3f}), ")
        neurons = two_layer_relu_convex(X, y).network(prune=True)[1].size        # the exact program's count
        assert re.search(rf", {neurons} neurons? \(", title)


def test_neuron_count_merges_neighbouring_samples_of_one_sign_and_wraps_around_the_circle():
    merge = np.array([1.0, 1.0])
    assert _neuron_count(np.array([4, 5]), merge, 10) == 1                      # neighbours, same sign
    assert _neuron_count(np.array([4, 5]), np.array([1.0, -1.0]), 10) == 2     # neighbours, opposite signs
    assert _neuron_count(np.array([4, 6]), merge, 10) == 2                      # not neighbours
    assert _neuron_count(np.array([0, 9]), merge, 10) == 1                      # 9 and 0 are neighbours
    assert _neuron_count(np.array([0, 1, 2, 7]), np.ones(4), 10) == 2
    assert _neuron_count(np.array([3]), np.ones(1), 10) == 1
    assert _neuron_count(np.array([], dtype=int), np.ones(0), 10) == 0


@pytest.mark.parametrize("angle", [10.0, 40.0, 120.0, 250.0, 300.0])
def test_title_counts_the_neurons_of_the_pruned_exact_program_at_the_chapter_sampling(angle):
    X = _bias_data([-1.0, 0.5])
    y = np.array([np.cos(np.radians(angle)), np.sin(np.radians(angle))])
    g = sampled_relu_gauge(X, y, n_angles=720)
    neurons = two_layer_relu_convex(X, y).network(prune=True)[1].size
    assert _neuron_count(g.active, np.sign(g.coefficients[g.active]), g.angles.size) == neurons
    assert _neuron_text(g).startswith(f"{neurons} neuron{'s' if neurons != 1 else ''} (")


def test_figure_draws_the_ball_the_polar_and_the_feature_set(picture):
    X, fig = picture
    ball, polar = relu_gauge_polygons(X, n_angles=180)
    _, F = relu_feature_samples(X, n_angles=180)
    shapes = {s.name: s for s in fig.layout.shapes}
    for name, points, xref in [("ball C = conv(±(Xu)₊)", ball, "x"), ("(Xu)₊, ‖u‖ ≤ 1", F, "x"),
                               ("−(Xu)₊", -F, "x"), ("polar C° (dual constraints)", polar, "x2")]:
        assert shapes[name].xref == xref and shapes[name].showlegend
        np.testing.assert_allclose(_path_points(shapes[name].path), points, rtol=0, atol=5e-6)


def test_figure_starts_at_the_nearest_angle_and_has_a_text_alternative(picture):
    _, fig = picture
    assert fig.layout.sliders[0].active == 2                   # 100 degrees -> 90
    assert fig.layout.meta["alt"].startswith("Two panels.")
    restyle = interactive_grid(fig)["updates"][2][0]
    np.testing.assert_array_equal([fig.data[4].x, fig.data[4].y], [restyle["x"][4], restyle["y"][4]])  # lambda*


@pytest.mark.parametrize("X, kwargs", [(np.ones((3, 2)), {}), (np.ones((2, 3)), {}),
                                       (_bias_data([-1.0, 0.5]), {"n_positions": 2})])
def test_figure_rejects_bad_input(X, kwargs):
    with pytest.raises(ValueError):
        relu_gauge_figure(X, **kwargs)
