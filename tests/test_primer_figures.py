"""The primer's kernel-free gap figure (utils.figures.primer.partition_gap_figure) and its norm-dual picture
(utils.figures.norm_dual.plot_norm_dual_step): the in-browser tables hold exactly what the ipywidgets version
draws at every slider position, the picture's geometry is that of the norms, and bad input raises."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from utils import (  # noqa: E402
    interactive_grid,
    partition_bounds,
    partition_frustrated_instance,
    partition_gap_figure,
    partition_gap_widget,
    partition_objective_values,
    plot_norm_dual_step,
)

DUAL = {1.0: np.inf, 2.0: 2.0, np.inf: 1.0}


@pytest.fixture(scope="module")
def gap_path():
    thetas = np.round(np.linspace(0.0, 1.0, 9), 3)
    instances = [partition_frustrated_instance(6, th, seed=1) for th in thetas]
    return thetas, [partition_bounds(W) for W in instances], [partition_objective_values(W) for W in instances]


def _by_gid(ax, gid):
    (artist,) = [a for a in [*ax.get_lines(), *ax.patches] if a.get_gid() == gid]
    return artist


# --------------------------------------------------------------------------------------------- in-browser twin
def test_in_browser_tables_equal_what_the_widget_draws_at_every_theta(gap_path):
    thetas, bounds, values = gap_path
    updates = interactive_grid(partition_gap_figure(thetas, bounds, values))["updates"]
    widget = partition_gap_widget(thetas, bounds, values)
    ax_gap, ax_values = widget.figure.axes
    assert len(updates) == thetas.size
    for k, theta in enumerate(thetas):
        widget.slider.value = float(theta)
        restyle, relayout = updates[k]
        gap_line = _by_gid(ax_gap, "gap-path")
        np.testing.assert_array_equal(restyle["x"][0], gap_line.get_xdata())
        np.testing.assert_array_equal(restyle["y"][0], gap_line.get_ydata())
        assert restyle["x"][1] == [_by_gid(ax_gap, "gap-mark").get_xdata()[0]] * 2
        counts, edges, _ = _by_gid(ax_values, "values-histogram").get_data()
        np.testing.assert_array_equal(restyle["y"][2], counts)
        np.testing.assert_array_equal(restyle["x"][2], (edges[:-1] + edges[1:]) / 2)
        for trace, gid in [(3, "optimum"), (4, "dual-value"), (5, "eigenvalue-bound")]:
            assert restyle["x"][trace] == [_by_gid(ax_values, gid).get_xdata()[0]] * 2
        gap = bounds[k].optimum - bounds[k].dual_value
        assert relayout["title.text"] == f"θ = {theta:.3f}: gap p* − d* = {gap:.4f}"
        assert f"{gap:.4f}" in ax_values.get_title()


def test_in_browser_figure_starts_at_the_requested_theta_with_one_position_per_grid_value(gap_path):
    thetas, bounds, values = gap_path
    fig = partition_gap_figure(thetas, bounds, values, theta=0.5)
    grid = interactive_grid(fig)
    assert grid["shape"] == [thetas.size] and grid["sliders"] == ["theta"]
    assert [s.label for s in fig.layout.sliders[0].steps] == [f"{t:.3f}" for t in thetas]
    assert fig.layout.sliders[0].active == 4
    assert list(fig.data[3].x) == [bounds[4].optimum] * 2
    assert fig.layout.title.text.startswith("θ = 0.500")
    assert "theta" in grid["alt"] and "p*" in grid["alt"]


def test_in_browser_figure_defaults_to_the_last_theta(gap_path):
    fig = partition_gap_figure(*gap_path)
    assert fig.layout.sliders[0].active == gap_path[0].size - 1


# --------------------------------------------------------------------------------------------- norm-dual step
# (bad input of the partition figure is tested with the widget's, in tests/test_figures_widgets.py)
G_IN, G_OUT = np.array([0.5, 0.45]), np.array([1.3, 0.6])


def _brute_force_dual_norm(g, p, n=200_001):
    """max g^T u over points of the unit sphere of ||.||_p, from a fine grid of directions."""
    angles = np.linspace(0.0, 2 * np.pi, n)
    d = np.c_[np.cos(angles), np.sin(angles)]
    return float(np.max((d / np.linalg.norm(d, ord=p, axis=1)[:, None]) @ g))


@pytest.fixture(scope="module")
def norm_figure():
    fig = plot_norm_dual_step(G_IN, G_OUT, norms=(2, 1, np.inf))
    yield fig
    plt.close(fig)


@pytest.mark.parametrize("panel, p", [(0, 2.0), (1, 1.0), (2, np.inf)])
def test_each_panel_draws_the_unit_ball_of_its_norm_and_the_dual_ball(norm_figure, panel, p):
    ax = norm_figure.axes[panel]
    ball = _by_gid(ax, "unit-ball").get_xy()
    np.testing.assert_allclose(np.linalg.norm(ball, ord=p, axis=1), 1.0, rtol=1e-12)
    dual = _by_gid(ax, "dual-ball").get_xydata()
    np.testing.assert_allclose(np.linalg.norm(dual, ord=DUAL[p], axis=1), 1.0, rtol=1e-12)
    np.testing.assert_array_equal(_by_gid(ax, "g-inside").get_xydata()[0], G_IN)
    np.testing.assert_array_equal(_by_gid(ax, "g-outside").get_xydata()[0], G_OUT)


@pytest.mark.parametrize("panel, p", [(0, 2.0), (1, 1.0), (2, np.inf)])
def test_ray_runs_along_a_unit_vector_that_attains_the_dual_norm(norm_figure, panel, p):
    start, end = _by_gid(norm_figure.axes[panel], "ray").get_xydata()[[0, -1]]
    np.testing.assert_array_equal(start, [0.0, 0.0])
    u = end / np.linalg.norm(end, ord=p)
    np.testing.assert_allclose(G_OUT @ u, _brute_force_dual_norm(G_OUT, p), rtol=1e-8)
    assert G_OUT @ u > 1                              # the objective t (1 - g^T u) falls without bound


def test_values_along_the_rays_are_t_times_one_minus_the_dual_norm(norm_figure):
    lines = [ln for ln in norm_figure.axes[-1].get_lines() if ln.get_gid() == "ray-value"]
    expected = [(p, g) for p in (2.0, 1.0, np.inf) for g in (G_IN, G_OUT)]
    assert len(lines) == len(expected)
    for line, (p, g) in zip(lines, expected, strict=True):
        t, value = line.get_xdata(), line.get_ydata()
        np.testing.assert_allclose(value, t * (1 - _brute_force_dual_norm(g, p)), rtol=1e-8, atol=1e-12)
        assert (np.all(value >= 0) if g is G_IN else value[-1] < 0)


@pytest.mark.parametrize("kwargs, match", [
    ({"g_inside": G_OUT}, "g_inside"),
    ({"g_outside": G_IN}, "g_outside"),
    ({"g_outside": [0.9, 0.0], "norms": (1,)}, "g_outside"),
    ({"g_inside": [0.5, 0.5, 0.0]}, "2-vectors"),
    ({"norms": (3,)}, "norms"),
    ({"norms": ()}, "norms"),
    ({"g_inside": [np.nan, 0.0]}, "NaN"),
])
def test_norm_dual_figure_rejects_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        plot_norm_dual_step(**kwargs)
