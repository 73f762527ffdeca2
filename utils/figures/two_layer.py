"""Figures and a widget for the weight-decay fits of two-layer ReLU networks on one-dimensional data.

The data are samples ``x_j`` with a bias column, ``X = [x, 1]``, fitted by the convex program of a two-layer
ReLU network with weight decay ``beta``,

    min  1/2 ||sum_i D_i X (v_i - w_i) - y||^2 + beta sum_i (||v_i|| + ||w_i||)   over the cones of the patterns,

compiled once as a :class:`~utils.relu.two_layer.TwoLayerReluPath` and re-solved for each ``beta``. The figures
draw the fitted function ``f(x) = ((x, 1) W1)_+ w2`` of the rebuilt network on a grid of ``x``:
:func:`plot_weight_decay_fits` for several values of ``beta`` side by side, :func:`weight_decay_fit_widget`
with a logarithmic slider over ``beta`` (re-solving live, so it needs a running kernel), and
:func:`weight_decay_fit_figure`, its kernel-free twin: the same slider positions solved in advance and redrawn
in the browser (:func:`utils.precomputed_figure`).
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
import plotly.graph_objects as go
from matplotlib.figure import Figure

from .._validation import as_vector, check_positive
from ..relu.two_layer import TwoLayerReluPath
from .interactive import InteractiveFigure
from .precomputed import precomputed_figure
from .render import SliderFigure, slider_figure_widget
from .style import STEP_COLOR, WIDGET_DPI

__all__ = ["plot_weight_decay_fits", "weight_decay_fit_widget", "weight_decay_fit_figure"]

_GRID_POINTS = 300
_GRID_MARGIN = 0.1  # the default grid extends the data's range by this fraction on each side
_LOG_STEP = 0.05  # the beta slider moves in steps of 10^0.05 (about 12%)
_Y_MARGIN = 1.6  # the vertical axis shows +-1.6 max |y|


def _check_path(path) -> tuple[np.ndarray, np.ndarray]:
    """The inputs ``x`` and labels ``y`` of ``path``, which must hold 1-D inputs with a bias column."""
    if not isinstance(path, TwoLayerReluPath):
        raise TypeError(f"path must be a TwoLayerReluPath, got {type(path).__name__}")
    X = path.X
    if X.shape[1] != 2 or not np.all(X[:, 1] == 1.0):
        raise ValueError("the figures draw one-dimensional inputs with a bias column: path.X must be [x, 1] "
                         f"(shape (n, 2), second column all ones); got shape {X.shape}")
    return X[:, 0], path.y


def _check_grid(grid, x: np.ndarray) -> np.ndarray:
    if grid is None:
        lo, hi = float(x.min()), float(x.max())
        margin = _GRID_MARGIN * max(hi - lo, 1.0)
        return np.linspace(lo - margin, hi + margin, _GRID_POINTS)
    grid = as_vector("grid", grid)
    if grid.size < 2:
        raise ValueError(f"grid must hold at least two points, got {grid.size}")
    return grid


def _fit(path: TwoLayerReluPath, beta: float, grid: np.ndarray):
    """The solution at ``beta``, its output on ``grid`` and the number of neurons after pruning."""
    sol = path.solve(beta)
    return sol, sol.predict(np.c_[grid, np.ones_like(grid)]), int(sol.network(prune=True)[1].size)


def _check_beta_range(beta, beta_range) -> tuple[float, float, float]:
    """``beta`` and the slider's ends ``(low, high)``, with ``0 < low <= beta <= high`` and ``low < high``."""
    beta = check_positive("beta", beta)
    if np.ndim(beta_range) != 1 or len(beta_range) != 2:
        raise ValueError(f"beta_range must be a pair (low, high), got {beta_range!r}")
    low, high = (check_positive("beta_range", b) for b in beta_range)
    if not low < high or not low <= beta <= high:
        raise ValueError(f"need 0 < low <= beta <= high with low < high; got beta = {beta:g}, "
                         f"beta_range = ({low:g}, {high:g})")
    return beta, low, high


def _beta_positions(low: float, high: float) -> np.ndarray:
    """The slider's values ``10^(log10(low) + 0.05 k)`` up to ``high`` (those of the widget's log slider)."""
    start = np.log10(low)
    count = int(np.floor((np.log10(high) - start) / _LOG_STEP + 1e-9)) + 1
    return 10.0 ** (start + _LOG_STEP * np.arange(count))


def _fit_polyline(sol, low: float, high: float) -> tuple[np.ndarray, np.ndarray]:
    """The rebuilt network's output at ``low``, ``high`` and every kink between: its exact graph on the range.

    ``f(x) = sum_j ((x, 1) w1_j)_+ w2_j`` is linear between the kinks ``x = -w1_j[1] / w1_j[0]``, so the polyline
    through these points is the graph that :meth:`TwoLayerConvexResult.predict` evaluates.
    """
    W1, w2 = sol.network()
    with np.errstate(divide="ignore", invalid="ignore"):
        kinks = -W1[1] / W1[0]
    kinks = kinks[np.isfinite(kinks) & (kinks > low) & (kinks < high)]
    xs = np.unique(np.concatenate([[low, high], kinks]))
    return xs, np.maximum(np.c_[xs, np.ones_like(xs)] @ W1, 0.0) @ w2


def plot_weight_decay_fits(path, betas, grid=None, title=None):
    """One panel per ``beta``: the data and the fitted function of the convex program at that ``beta``.

    Parameters
    ----------
    path : TwoLayerReluPath
        The weight-decay program of one-dimensional data with a bias column (``path.X = [x, 1]``).
    betas : array_like, shape (B,)
        Weight-decay strengths, each ``> 0``.
    grid : array_like, shape (G,), optional
        Points ``x`` at which the fit is drawn (default: 300 points over the data's range widened by 10% of it
        on each side).
    title : str, optional
        The figure's title (default: "Weight-decay fits on n samples").

    Returns
    -------
    matplotlib.figure.Figure (made with pyplot: a notebook shows it). In panel ``b`` the line with gid ``"fit"``
    has x data ``grid`` and y data ``path.solve(betas[b]).predict([grid, 1])``; the points with gid ``"data"``
    are ``(x, y)``; the title gives the number of neurons of the pruned network.

    Raises
    ------
    TypeError
        If ``path`` is not a ``TwoLayerReluPath``.
    ValueError
        For inputs that are not ``[x, 1]``, a non-positive or non-finite ``beta`` or a bad ``grid``.
    SolverError
        When the convex program is not solved to optimality.
    """
    import matplotlib.pyplot as plt

    x, y = _check_path(path)
    betas = [check_positive("beta", b) for b in as_vector("betas", betas)]
    grid = _check_grid(grid, x)
    fig, axes = plt.subplots(1, len(betas), figsize=(2.75 * len(betas), 2.8), sharey=True, layout="constrained",
                             squeeze=False)
    axes = axes[0]
    for ax, beta in zip(axes, betas, strict=True):
        _, fitted, neurons = _fit(path, beta, grid)
        ax.plot(x, y, "o", color="k", ms=4, label="data", gid="data")
        ax.plot(grid, fitted, color=STEP_COLOR, label="convex-program fit", gid="fit")
        ax.set_title(f"$\\beta$ = {beta:g}: {neurons} neurons", fontsize=9)
        ax.set_xlabel("$x$")
    axes[0].set_ylabel("$f(x)$")
    fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncols=2, fontsize=8)
    fig.suptitle(f"Weight-decay fits on {x.size} samples" if title is None else str(title), fontsize=10)
    return fig


def weight_decay_fit_widget(path, beta=0.01, beta_range=(1e-4, 10.0), grid=None) -> SliderFigure:
    """A logarithmic slider over ``beta`` that re-solves the convex program and redraws the fit.

    Readers of the website (no kernel) see no widget: show :func:`weight_decay_fit_figure` (the same slider,
    precomputed) or :func:`plot_weight_decay_fits` next to it.

    Parameters
    ----------
    path : TwoLayerReluPath
        As in :func:`plot_weight_decay_fits`.
    beta : float
        Initial weight decay, ``> 0`` and inside ``beta_range``.
    beta_range : (float, float)
        Smallest and largest ``beta`` of the slider, ``0 < low < high``; the slider moves in steps of
        ``10^0.05`` (about 12%).
    grid : array_like, shape (G,), optional
        As in :func:`plot_weight_decay_fits`.

    Returns
    -------
    SliderFigure (an ``ipywidgets.VBox``: the slider ``.slider``, labelled "beta", above the picture ``.image``);
    ``.figure`` is the matplotlib Figure (the line with gid ``"fit"`` holds the fit at the slider's ``beta``),
    ``.png`` the PNG shown and ``.alt`` its text alternative, which states the objective and the neuron count.

    Raises
    ------
    TypeError, ValueError, SolverError
        As :func:`plot_weight_decay_fits`, or for a ``beta_range`` that is not ``0 < low < high`` containing
        ``beta``.
    """
    x, y = _check_path(path)
    beta, low, high = _check_beta_range(beta, beta_range)
    grid = _check_grid(grid, x)
    fig = Figure(figsize=(6, 3), dpi=WIDGET_DPI)
    ax = fig.add_subplot()
    ax.plot(x, y, "o", color="k", ms=4, gid="data")
    (line,) = ax.plot(grid, np.zeros_like(grid), color=STEP_COLOR, gid="fit")
    top = _Y_MARGIN * max(float(np.abs(y).max()), 1e-12)
    ax.set_ylim(-top, top)
    ax.set_xlabel("$x$")
    ax.set_ylabel("$f(x)$")
    title = ax.set_title("", fontsize=9)
    fig.subplots_adjust(left=0.12, right=0.97, bottom=0.17, top=0.88)
    state = {}

    def update(value):
        sol, fitted, neurons = _fit(path, value, grid)
        line.set_ydata(fitted)
        title.set_text(f"beta = {value:.2e}: objective {sol.value:.4f}, {neurons} neurons")
        state.update(beta=value, value=sol.value, neurons=neurons)

    def describe(_value):
        return (f"The {x.size} data points (black) and the fitted function of the two-layer ReLU network (blue) "
                f"at weight decay beta = {state['beta']:.2e}: objective {state['value']:.4f}, "
                f"{state['neurons']} neurons.")

    slider = widgets.FloatLogSlider(value=beta, base=10, min=float(np.log10(low)), max=float(np.log10(high)),
                                    step=_LOG_STEP, description="beta", readout_format=".1e")
    return slider_figure_widget(slider, fig, update, alt=describe,
                                slider_tooltip="weight decay beta of the training problem (logarithmic scale)")


def weight_decay_fit_figure(path, beta=0.01, beta_range=(1e-4, 10.0), grid=None) -> InteractiveFigure:
    """The kernel-free twin of :func:`weight_decay_fit_widget`: every slider position solved in advance.

    The slider has the widget's positions ``beta_k = 10^(log10(low) + 0.05 k)`` up to ``high``; for each the
    program is solved by ``path.solve(beta_k)`` (as the widget does when its slider moves) and the figure stores
    the fitted function, which the browser redraws with no Python kernel (:func:`utils.precomputed_figure`).

    Parameters
    ----------
    path : TwoLayerReluPath
        As in :func:`plot_weight_decay_fits`.
    beta : float
        Initial weight decay inside ``beta_range``; the nearest slider position (in ``log10 beta``) is shown.
    beta_range : (float, float)
        Smallest and largest ``beta``, ``0 < low < high``.
    grid : array_like, shape (G,), optional
        As in :func:`plot_weight_decay_fits`; only its ends are used: the fit is drawn exactly, as the polyline
        through the fitted function at ``min(grid)``, ``max(grid)`` and every kink between them.

    Returns
    -------
    InteractiveFigure (a Plotly figure, one slider "beta" with the labels ``f"{beta_k:.1e}"``). Traces: the data
    ``(x, y)`` (markers) and the fit (the polyline of the rebuilt network ``path.solve(beta_k).network()``); the
    title states ``beta_k``, the objective and the number of neurons after pruning, as in the widget.

    Raises
    ------
    TypeError, ValueError, SolverError
        As :func:`weight_decay_fit_widget`.
    """
    x, y = _check_path(path)
    beta, low, high = _check_beta_range(beta, beta_range)
    grid = _check_grid(grid, x)
    lo, hi = float(grid.min()), float(grid.max())
    betas = _beta_positions(low, high)
    states = []
    for value in betas:
        sol = path.solve(value)
        states.append((value, sol.value, int(sol.network(prune=True)[1].size), *_fit_polyline(sol, lo, hi)))

    def update(k):
        value, objective, neurons, xs, fitted = states[k]
        return ({"x": [x, xs], "y": [y, fitted]},
                {"title.text": f"β = {value:.2e}: objective {objective:.4f}, {neurons} neurons"})

    base = go.Figure([go.Scatter(name="data", mode="markers", marker=dict(color="black", size=7)),
                      go.Scatter(name="fit of the convex program", mode="lines", line=dict(color=STEP_COLOR))])
    top = _Y_MARGIN * max(float(np.abs(y).max()), 1e-12)
    base.update_layout(xaxis=dict(title="x", range=[lo, hi]), yaxis=dict(title="f(x)", range=[-top, top]))
    alt = (f"The {x.size} data points (black) and the fitted function of the two-layer ReLU network (blue) for "
           f"weight decay beta on a logarithmic slider from {betas[0]:.0e} to {betas[-1]:.0e}; large beta gives "
           "few, small neurons and a flat fit, small beta a near-interpolant. The title gives beta, the objective "
           "and the number of neurons.")
    start = int(np.argmin(np.abs(np.log10(betas) - np.log10(beta))))
    return precomputed_figure(base, [("beta", [f"{b:.1e}" for b in betas], start, "β = ")], update, alt=alt,
                              plot_px=280)
