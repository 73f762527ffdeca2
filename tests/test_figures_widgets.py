"""The renderer's slider widget (utils.figures.render) and the figures and widgets of chapters 00 and 01
(utils.figures.primer, utils.figures.two_layer): the picture follows the slider, the drawn values are the
inputs, the picture has a text alternative and the slider a name, and bad input raises."""

from __future__ import annotations

import base64
from html.parser import HTMLParser

import ipywidgets as widgets
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from utils import (  # noqa: E402
    TwoLayerReluPath,
    draw_partition_gap_curve,
    draw_partition_values,
    figure_png,
    partition_bounds,
    partition_frustrated_instance,
    partition_gap_figure,
    partition_gap_widget,
    partition_objective_values,
    plot_partition_gap_path,
    plot_weight_decay_fits,
    slider_figure_widget,
    weight_decay_fit_widget,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


class _ImgParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.images = []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.images.append(dict(attrs))


def _shown_image(widget) -> tuple[bytes, str]:
    """The PNG bytes and the alt text of the single <img> in the widget's HTML picture."""
    parser = _ImgParser()
    parser.feed(widget.image.value)
    (img,) = parser.images
    prefix = "data:image/png;base64,"
    assert img["src"].startswith(prefix)
    return base64.b64decode(img["src"][len(prefix):]), img["alt"]


def _line(ax, gid):
    (line,) = [ln for ln in ax.get_lines() if ln.get_gid() == gid]
    return line


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


# --------------------------------------------------------------------------------------------- the renderer
def _moving_point_widget(**kwargs):
    fig = Figure(figsize=(2, 2), dpi=40)
    ax = fig.add_subplot()
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    (point,) = ax.plot([0.5], [0.5], "o")
    slider = widgets.FloatSlider(value=0.2, min=0.0, max=1.0, description="x")
    kwargs.setdefault("alt", lambda v: f"a point at x = {v:.2f}")
    return slider_figure_widget(slider, fig, lambda v: point.set_xdata([v]), **kwargs), point


def test_figure_png_returns_png_bytes_of_the_figure():
    fig = Figure(figsize=(2, 1), dpi=50)
    png = figure_png(fig)
    assert png.startswith(PNG_MAGIC)
    assert png != figure_png(Figure(figsize=(3, 1), dpi=50))


def test_slider_figure_redraws_the_picture_and_its_alt_text_when_the_slider_moves():
    widget, point = _moving_point_widget()
    assert widget.children == (widget.slider, widget.image)
    before_png, before_alt = _shown_image(widget)
    assert before_png == widget.png and before_png.startswith(PNG_MAGIC)
    assert before_alt == widget.alt == "a point at x = 0.20"
    widget.slider.value = 0.8
    after_png, after_alt = _shown_image(widget)
    assert point.get_xdata()[0] == 0.8
    assert after_png != before_png and after_png == widget.png
    assert after_alt == "a point at x = 0.80"


def test_slider_figure_gives_the_slider_its_name_and_description():
    widget, _ = _moving_point_widget(alt="a point", slider_tooltip="position of the point")
    assert widget.slider.description == "x"
    assert widget.slider.tooltip == "position of the point"
    assert _shown_image(widget)[1] == "a point"


def test_picture_names_the_slider_handles_of_its_box_after_their_labels_when_it_loads():
    # ipywidgets 8 leaves the slider handle (role="slider") unnamed; the picture's onload names it. Run in a
    # browser by tests/test_browser_figures.py; here: the handler is there and survives the HTML escaping.
    widget, _ = _moving_point_widget()
    parser = _ImgParser()
    parser.feed(widget.image.value)
    (img,) = parser.images
    assert "closest('.widget-box')" in img["onload"] and "setAttribute('aria-label', name)" in img["onload"]
    assert "'.widget-slider [role=slider]'" in img["onload"]


def test_alt_text_is_escaped_in_the_html():
    widget, _ = _moving_point_widget(alt='a "quoted" <b>point</b> & more')
    assert _shown_image(widget)[1] == 'a "quoted" <b>point</b> & more'
    assert "<b>" not in widget.image.value


@pytest.mark.parametrize("change, error", [
    ({"alt": ""}, ValueError),
    ({"alt": "   "}, ValueError),
    ({"alt": 3}, TypeError),
    ({"slider_tooltip": ""}, ValueError),
    ({"description": ""}, ValueError),
    ({"fig": "not a figure"}, TypeError),
    ({"update": None}, TypeError),
    ({"slider": widgets.Button(description="no value")}, TypeError),
])
def test_slider_figure_widget_rejects_bad_input(change, error):
    fig = Figure()
    slider = change.get("slider", widgets.FloatSlider(description=change.get("description", "x")))
    kwargs = {"alt": change.get("alt", "text")}
    if "slider_tooltip" in change:
        kwargs["slider_tooltip"] = change["slider_tooltip"]
    with pytest.raises(error):
        slider_figure_widget(slider, change.get("fig", fig), change.get("update", lambda v: None), **kwargs)


def test_figure_png_rejects_what_is_not_a_figure():
    with pytest.raises(TypeError, match="matplotlib Figure"):
        figure_png(plt.subplots()[1])


# --------------------------------------------------------------------------------------------- chapter 00
@pytest.fixture(scope="module")
def gap_path():
    thetas = np.round(np.linspace(0.0, 1.0, 9), 3)
    instances = [partition_frustrated_instance(6, th, seed=1) for th in thetas]
    bounds = [partition_bounds(W) for W in instances]
    values = [partition_objective_values(W) for W in instances]
    return thetas, bounds, values


def test_gap_curve_draws_optimum_minus_dual_value_at_every_theta(gap_path):
    thetas, bounds, _ = gap_path
    fig, ax = plt.subplots()
    marks = draw_partition_gap_curve(ax, thetas, bounds, marks=[0.25, 1.0])
    line = _line(ax, "gap-path")
    np.testing.assert_array_equal(line.get_xdata(), thetas)
    np.testing.assert_array_equal(line.get_ydata(), [b.optimum - b.dual_value for b in bounds])
    assert [m.get_xdata()[0] for m in marks] == [0.25, 1.0]


@pytest.mark.parametrize("theta, k", [(0.0, 0), (0.6, 5), (0.74, 6), (1.0, 8)])
def test_values_panel_shows_the_bounds_and_histogram_of_the_nearest_theta(gap_path, theta, k):
    thetas, bounds, values = gap_path
    fig, ax = plt.subplots()
    draw_partition_values(ax, thetas, bounds, values, theta)
    assert _line(ax, "optimum").get_xdata()[0] == bounds[k].optimum
    assert _line(ax, "dual-value").get_xdata()[0] == bounds[k].dual_value
    assert _line(ax, "eigenvalue-bound").get_xdata()[0] == bounds[k].eigenvalue_bound
    (hist,) = [p for p in ax.patches if p.get_gid() == "values-histogram"]
    counts, edges, _ = hist.get_data()
    all_values = np.concatenate(values)
    np.testing.assert_allclose(edges[[0, -1]], [all_values.min(), all_values.max()], rtol=1e-15)
    np.testing.assert_array_equal(counts, np.histogram(values[k], bins=edges)[0])
    assert counts.sum() == len(values[k]) == 2 ** 5


def test_static_gap_figure_has_the_gap_curve_and_one_histogram_per_mark(gap_path):
    thetas, bounds, values = gap_path
    fig = plot_partition_gap_path(thetas, bounds, values, marks=[0.25, 0.75, 1.0])
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(visible) == 4
    assert [m.get_xdata()[0] for m in visible[0].get_lines() if m.get_gid() == "gap-mark"] == [0.25, 0.75, 1.0]
    for ax, k in zip(visible[1:], [2, 6, 8], strict=True):
        assert _line(ax, "optimum").get_xdata()[0] == bounds[k].optimum
    assert "three panels" in visible[0].get_title()


def test_gap_widget_redraws_when_theta_moves_and_draws_the_bounds_of_that_theta(gap_path):
    thetas, bounds, values = gap_path
    widget = partition_gap_widget(thetas, bounds, values)
    assert widget.slider.value == 1.0 and widget.slider.description == "theta" and widget.slider.tooltip
    ax_gap, ax_values = widget.figure.axes
    before = widget.png
    widget.slider.value = 0.25
    assert widget.png != before
    assert _line(ax_gap, "gap-mark").get_xdata()[0] == 0.25
    assert _line(ax_values, "optimum").get_xdata()[0] == bounds[2].optimum
    assert _line(ax_values, "dual-value").get_xdata()[0] == bounds[2].dual_value
    png, alt = _shown_image(widget)
    assert png == widget.png
    assert "theta = 0.250" in alt
    assert f"p* = {bounds[2].optimum:.4f}" in alt and f"d* = {bounds[2].dual_value:.4f}" in alt


def test_gap_widget_starts_at_the_requested_theta(gap_path):
    widget = partition_gap_widget(*gap_path, theta=0.5)
    assert widget.slider.value == 0.5 and "theta = 0.500" in widget.alt


@pytest.mark.parametrize("case, error", [
    ("decreasing thetas", ValueError),
    ("bounds of the wrong shape", ValueError),
    ("one row too few of values", ValueError),
    ("NaN in the bounds", ValueError),
    ("ragged values", ValueError),
    ("mark outside the grid", ValueError),
    ("not an Axes", TypeError),
])
def test_gap_figures_reject_bad_input(gap_path, case, error):
    thetas, bounds, values = gap_path
    table = np.array(bounds, dtype=float)
    ax = plt.subplots()[1]
    args = {"thetas": thetas, "bounds": table, "values": values, "theta": 0.5, "ax": ax}
    if case == "decreasing thetas":
        args["thetas"] = thetas[::-1]
    elif case == "bounds of the wrong shape":
        args["bounds"] = table[:, :3]
    elif case == "one row too few of values":
        args["values"] = values[:-1]
    elif case == "NaN in the bounds":
        args["bounds"] = np.where(np.arange(4) == 1, np.nan, table)
    elif case == "ragged values":
        args["values"] = [values[0][:-1], *values[1:]]
    elif case == "mark outside the grid":
        args["theta"] = 1.5
    elif case == "not an Axes":
        args["ax"] = "axes"
    with pytest.raises(error):
        draw_partition_values(args["ax"], args["thetas"], args["bounds"], args["values"], args["theta"])
    if case != "not an Axes":
        with pytest.raises(error):
            partition_gap_widget(args["thetas"], args["bounds"], args["values"], theta=args["theta"])
        with pytest.raises(error):  # the in-browser twin validates the same way
            partition_gap_figure(args["thetas"], args["bounds"], args["values"], theta=args["theta"])


def test_static_gap_figure_needs_a_mark(gap_path):
    with pytest.raises(ValueError, match="at least one theta"):
        plot_partition_gap_path(*gap_path, marks=[])


# --------------------------------------------------------------------------------------------- chapter 01
@pytest.fixture(scope="module")
def relu_path():
    x = np.linspace(-1.0, 1.0, 6)
    return TwoLayerReluPath(np.c_[x, np.ones_like(x)], np.sin(3.0 * x))


def _grid_features(grid):
    return np.c_[grid, np.ones_like(grid)]


def test_static_fits_draw_the_data_and_the_convex_program_fit_for_each_beta(relu_path):
    betas = [1e-2, 1.0]
    grid = np.linspace(-1.1, 1.1, 50)
    fig = plot_weight_decay_fits(relu_path, betas, grid=grid, title="fits")
    assert fig._suptitle.get_text() == "fits"
    for ax, beta in zip(fig.axes, betas, strict=True):
        data = _line(ax, "data")
        np.testing.assert_array_equal(data.get_xdata(), relu_path.X[:, 0])
        np.testing.assert_array_equal(data.get_ydata(), relu_path.y)
        sol = relu_path.solve(beta)
        fit = _line(ax, "fit")
        np.testing.assert_array_equal(fit.get_xdata(), grid)
        np.testing.assert_allclose(fit.get_ydata(), sol.predict(_grid_features(grid)), rtol=1e-10, atol=1e-12)
        assert f"{sol.network(prune=True)[1].size} neurons" in ax.get_title()


def test_static_fits_default_grid_widens_the_data_range_by_a_tenth(relu_path):
    fig = plot_weight_decay_fits(relu_path, [0.1])
    grid = _line(fig.axes[0], "fit").get_xdata()
    np.testing.assert_allclose(grid[[0, -1]], [-1.2, 1.2], rtol=1e-15)
    assert fig._suptitle.get_text() == "Weight-decay fits on 6 samples"


def test_weight_decay_widget_resolves_and_redraws_when_beta_moves(relu_path):
    widget = weight_decay_fit_widget(relu_path, beta=0.01)
    assert widget.slider.description == "beta" and widget.slider.tooltip
    (ax,) = widget.figure.axes
    fit = _line(ax, "fit")
    before = widget.png
    widget.slider.value = 0.5
    assert widget.png != before
    sol = relu_path.solve(0.5)
    np.testing.assert_allclose(fit.get_ydata(), sol.predict(_grid_features(fit.get_xdata())), rtol=1e-10,
                               atol=1e-12)
    png, alt = _shown_image(widget)
    assert png == widget.png
    assert "beta = 5.00e-01" in alt and f"objective {sol.value:.4f}" in alt
    assert f"{sol.network(prune=True)[1].size} neurons" in alt


@pytest.mark.parametrize("kwargs, error", [
    ({"beta": 0.0}, ValueError),
    ({"beta": 100.0}, ValueError),
    ({"beta_range": (1.0, 0.1)}, ValueError),
    ({"beta_range": (1e-3,)}, ValueError),
    ({"grid": [0.5]}, ValueError),
    ({"grid": [0.0, np.nan]}, ValueError),
])
def test_weight_decay_widget_rejects_bad_input(relu_path, kwargs, error):
    with pytest.raises(error):
        weight_decay_fit_widget(relu_path, **kwargs)


def test_weight_decay_figures_need_one_dimensional_inputs_with_a_bias_column():
    X = np.c_[np.linspace(-1, 1, 5), np.linspace(0, 1, 5)]
    with pytest.raises(ValueError, match="bias column"):
        plot_weight_decay_fits(TwoLayerReluPath(X, np.arange(5.0)), [0.1])
    with pytest.raises(TypeError, match="TwoLayerReluPath"):
        weight_decay_fit_widget((X, np.arange(5.0)))


@pytest.mark.parametrize("betas", [[], [0.1, -1.0], [np.inf]])
def test_static_fits_reject_bad_betas(relu_path, betas):
    with pytest.raises((ValueError, TypeError)):
        plot_weight_decay_fits(relu_path, betas)
