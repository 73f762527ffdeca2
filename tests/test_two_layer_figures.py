"""The kernel-free twin of the weight-decay slider (utils.figures.two_layer.weight_decay_fit_figure): the same slider
positions as the widget, each drawing exactly the fit that the widget draws at that position."""

from __future__ import annotations

import numpy as np
import pytest

from utils import TwoLayerReluPath, interactive_grid, weight_decay_fit_figure, weight_decay_fit_widget

RANGE = (1e-2, 1.0)


@pytest.fixture(scope="module")
def relu_path():
    x = np.linspace(-1.0, 1.0, 6)
    return TwoLayerReluPath(np.c_[x, np.ones_like(x)], np.sin(3.0 * x))


@pytest.fixture(scope="module")
def figure(relu_path):
    return weight_decay_fit_figure(relu_path, beta=0.1, beta_range=RANGE)


def _widget_positions(widget) -> np.ndarray:
    s = widget.slider
    count = int(round((s.max - s.min) / s.step)) + 1
    return 10.0 ** (s.min + s.step * np.arange(count))


def test_slider_has_the_positions_of_the_widget(relu_path, figure):
    betas = _widget_positions(weight_decay_fit_widget(relu_path, beta=0.1, beta_range=RANGE))
    assert betas.size == 41                                     # log10 from -2 to 0 in steps of 0.05
    assert [s.label for s in figure.layout.sliders[0].steps] == [f"{b:.1e}" for b in betas]
    assert interactive_grid(figure)["shape"] == [betas.size]


def test_every_position_draws_the_fit_the_widget_draws(relu_path, figure):
    widget = weight_decay_fit_widget(relu_path, beta=0.1, beta_range=RANGE)
    grid = widget.figure.axes[0].get_lines()[1].get_xdata()     # the widget's drawing grid
    x, y = relu_path.X[:, 0], relu_path.y
    for k, beta in enumerate(_widget_positions(widget)):
        restyle, relayout = interactive_grid(figure)["updates"][k]
        np.testing.assert_array_equal(restyle["x"][0], x)
        np.testing.assert_array_equal(restyle["y"][0], y)
        sol = relu_path.solve(beta)
        xs, fitted = np.asarray(restyle["x"][1]), np.asarray(restyle["y"][1])
        assert xs[0] == grid[0] and xs[-1] == grid[-1] and np.all(np.diff(xs) > 0)
        np.testing.assert_allclose(fitted, sol.predict(np.c_[xs, np.ones_like(xs)]), rtol=1e-10, atol=1e-12)
        # the polyline through the kinks is the exact graph: it matches the widget's 300-point drawing
        np.testing.assert_allclose(np.interp(grid, xs, fitted), sol.predict(np.c_[grid, np.ones_like(grid)]),
                                   rtol=1e-9, atol=1e-10)
        neurons = sol.network(prune=True)[1].size
        assert relayout["title.text"] == f"β = {beta:.2e}: objective {sol.value:.4f}, {neurons} neurons"


def test_figure_starts_at_the_position_nearest_beta_and_has_a_text_alternative(figure):
    start = figure.layout.sliders[0].active
    assert start == 20                                           # beta = 0.1 = 10^(-2 + 0.05 * 20)
    restyle = interactive_grid(figure)["updates"][start][0]
    np.testing.assert_array_equal(figure.data[1].y, restyle["y"][1])
    assert "data points" in figure.layout.meta["alt"] and "slider" in figure.layout.meta["alt"]


@pytest.mark.parametrize("kwargs", [{"beta": 0.0}, {"beta": 100.0}, {"beta_range": (1.0, 0.1)},
                                    {"beta_range": (1e-3,)}, {"grid": [0.5]}])
def test_figure_rejects_what_the_widget_rejects(relu_path, kwargs):
    with pytest.raises(ValueError):
        weight_decay_fit_widget(relu_path, **kwargs)
    with pytest.raises(ValueError):
        weight_decay_fit_figure(relu_path, **kwargs)


def test_figure_needs_a_path_of_one_dimensional_inputs_with_a_bias_column():
    X = np.c_[np.linspace(-1, 1, 5), np.linspace(0, 1, 5)]
    with pytest.raises(ValueError, match="bias column"):
        weight_decay_fit_figure(TwoLayerReluPath(X, np.arange(5.0)))
    with pytest.raises(TypeError, match="TwoLayerReluPath"):
        weight_decay_fit_figure((X, np.arange(5.0)))
