"""Figures and a widget for the duality primer: the partitioning gap along the frustration path.

Along ``W(theta) = theta R - (1 - theta)|R|`` (``partition_frustrated_instance``) the primer computes, for every
``theta`` of a grid, the bounds ``n lambda_min(W) <= d* <= p*`` (``partition_bounds``) and the objective
``x^T W(theta) x`` of every partition (``partition_objective_values``). This module only draws those numbers:
the gap ``p* - d*`` against ``theta`` (:func:`draw_partition_gap_curve`), the histogram of the objective values
with the three bounds at one ``theta`` (:func:`draw_partition_values`), a static figure with one histogram per
marked ``theta`` (:func:`plot_partition_gap_path`), a slider over ``theta`` (:func:`partition_gap_widget`, needs a
kernel) and its kernel-free twin (:func:`partition_gap_figure`, every slider position precomputed).
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
import plotly.graph_objects as go
from matplotlib.figure import Figure
from plotly.subplots import make_subplots

from .._validation import as_matrix, as_vector
from .interactive import InteractiveFigure
from .precomputed import precomputed_figure
from .render import SliderFigure, slider_figure_widget
from .style import DUAL_COLOR, PRIMAL_COLOR, STEP_COLOR, WIDGET_DPI

__all__ = ["draw_partition_gap_curve", "draw_partition_values", "plot_partition_gap_path", "partition_gap_widget"]
__all__ += ["partition_gap_figure"]

_N_BINS = 40
#: Colour of the eigenvalue bound (a weaker lower bound than d*): grey, to leave green to d*.
_EIGENVALUE_COLOR = "0.4"


class _GapPath:
    """The validated path: ``thetas`` (T,), ``eig``, ``dual``, ``opt``, ``gap`` (T,), ``values`` (T, N),
    and the common histogram ``edges`` (_N_BINS + 1,) and ``counts`` (T, _N_BINS)."""

    def __init__(self, thetas, bounds, objective_values=None):
        self.thetas = as_vector("thetas", thetas)
        if np.any(np.diff(self.thetas) <= 0):
            raise ValueError("thetas must be strictly increasing")
        T = self.thetas.size
        fields = ("eigenvalue_bound", "dual_value", "optimum", "gap")
        if isinstance(bounds, (list, tuple)) and all(all(hasattr(b, f) for f in fields) for b in bounds):
            bounds = [[getattr(b, f) for f in fields] for b in bounds]   # PartitionBounds, read by name
        table = as_matrix("bounds", bounds)
        if table.shape != (T, 4):
            raise ValueError(f"bounds must hold one PartitionBounds (eigenvalue_bound, dual_value, optimum, gap) "
                             f"per theta, i.e. shape ({T}, 4); got shape {table.shape}")
        self.eig, self.dual, self.opt = table[:, 0], table[:, 1], table[:, 2]
        self.gap = self.opt - self.dual
        if objective_values is None:
            return
        if isinstance(objective_values, (list, tuple)) and len({np.size(v) for v in objective_values}) > 1:
            raise ValueError("objective_values must hold the same number of partitions (one value each) for "
                             "every theta")
        values = as_matrix("objective_values", objective_values)
        if values.shape[0] != T:
            raise ValueError(f"objective_values must hold one array of x^T W x per theta, i.e. shape "
                             f"({T}, number of partitions); got shape {values.shape}")
        self.values = values
        lo, hi = float(values.min()), float(values.max())
        if hi == lo:
            lo, hi = lo - 0.5, hi + 0.5
        self.edges = np.linspace(lo, hi, _N_BINS + 1)
        self.counts = np.array([np.histogram(v, bins=self.edges)[0] for v in values])

    def index(self, theta) -> int:
        """The index of the grid value nearest to ``theta``."""
        return int(np.argmin(np.abs(self.thetas - float(theta))))


def _check_marks(marks, path: _GapPath, name: str = "marks") -> np.ndarray:
    try:
        marks = np.asarray(marks, dtype=float).ravel()
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be real numbers, got {marks!r}") from None
    if marks.size and (not np.all(np.isfinite(marks)) or marks.min() < path.thetas[0] - 1e-12
                       or marks.max() > path.thetas[-1] + 1e-12):
        raise ValueError(f"{name} must lie in [{path.thetas[0]:g}, {path.thetas[-1]:g}], got {marks.tolist()}")
    return marks


def _gap_curve(ax, path: _GapPath, marks) -> list:
    ax.plot(path.thetas, path.gap, "o-", color=PRIMAL_COLOR, ms=3, gid="gap-path")
    ax.axvspan(0, 0.5, color=DUAL_COLOR, alpha=0.1, label="all $W_{ij} \\leq 0$: zero gap")
    lines = [ax.axvline(th, color=STEP_COLOR, gid="gap-mark") for th in marks]
    ax.set_xlabel("frustration $\\theta$")
    ax.set_ylabel("gap $p^\\star - d^\\star$")
    ax.legend(fontsize=8, loc="upper left")
    return lines


class _ValuesArtists:
    """The artists of one histogram panel, created once and moved to another theta by :meth:`update`."""

    def __init__(self, ax, path: _GapPath, k: int):
        self.path = path
        self.bars = ax.stairs(path.counts[k], path.edges, fill=True, color="0.75", gid="values-histogram")
        self.line_p = ax.axvline(path.opt[k], color=PRIMAL_COLOR, label="$p^\\star$", gid="optimum")
        self.line_d = ax.axvline(path.dual[k], color=DUAL_COLOR, linestyle="--", label="$d^\\star$",
                                 gid="dual-value")
        self.line_e = ax.axvline(path.eig[k], color=_EIGENVALUE_COLOR, linestyle=":", label="$n\\lambda_{\\min}$",
                                 gid="eigenvalue-bound")
        ax.set_ylim(0, 1.05 * path.counts.max())
        ax.set_xlabel("$x^\\top W(\\theta) x$ over all partitions")
        ax.set_ylabel("number of partitions")
        ax.legend(fontsize=8, loc="upper right")
        self.title = ax.set_title("", fontsize=9)
        self.update(k)

    def update(self, k: int) -> None:
        path = self.path
        self.bars.set_data(path.counts[k])
        for line, x in [(self.line_p, path.opt[k]), (self.line_d, path.dual[k]), (self.line_e, path.eig[k])]:
            line.set_xdata([x, x])
        self.title.set_text(f"$\\theta$ = {path.thetas[k]:.3f}: gap $p^\\star - d^\\star$ = {path.gap[k]:.4f}")


def _check_axes(ax) -> None:
    if not hasattr(ax, "axvline") or not hasattr(ax, "figure"):
        raise TypeError(f"ax must be a matplotlib Axes, got {type(ax).__name__}")


def draw_partition_gap_curve(ax, thetas, bounds, marks=()) -> list:
    """Draw the duality gap ``p* - d*`` of the partitioning problem against the frustration ``theta``.

    Parameters
    ----------
    ax : matplotlib Axes
    thetas : array_like, shape (T,)
        The grid of ``theta`` (strictly increasing).
    bounds : sequence of T ``PartitionBounds``
        ``(eigenvalue_bound, dual_value, optimum, gap)`` of ``W(thetas[t])`` (from ``partition_bounds``), or an
        array of shape (T, 4) in that order. The gap is drawn as ``optimum - dual_value``.
    marks : sequence of float
        Values of ``theta`` (in the grid's range) marked by vertical lines.

    Returns
    -------
    list of the marker lines (matplotlib ``Line2D``, gid ``"gap-mark"``), one per mark. The gap itself is the
    line with gid ``"gap-path"`` (x data ``thetas``, y data ``optimum - dual_value``).

    Raises
    ------
    TypeError, ValueError
        For a non-Axes ``ax``, non-increasing ``thetas``, ``bounds`` of the wrong shape, non-finite values or
        marks outside the grid's range.
    """
    _check_axes(ax)
    path = _GapPath(thetas, bounds)
    return _gap_curve(ax, path, _check_marks(marks, path))


def draw_partition_values(ax, thetas, bounds, objective_values, theta):
    """Draw the histogram of ``x^T W(theta) x`` over all partitions, with ``p*``, ``d*`` and ``n lambda_min(W)``.

    The bins are common to the whole path (40 bins from the smallest to the largest objective value over all
    ``theta``), so that panels for different ``theta`` compare.

    Parameters
    ----------
    ax : matplotlib Axes
    thetas, bounds : as in :func:`draw_partition_gap_curve`.
    objective_values : array_like, shape (T, N)
        Row ``t``: ``x^T W(thetas[t]) x`` for the ``N`` partitions (from ``partition_objective_values``).
    theta : float
        The panel shows the grid value nearest to ``theta``.

    Returns
    -------
    matplotlib Figure of ``ax``. The vertical lines with gids ``"optimum"``, ``"dual-value"`` and
    ``"eigenvalue-bound"`` sit at ``p*``, ``d*`` and ``n lambda_min`` of that ``theta``; the histogram has gid
    ``"values-histogram"``.

    Raises
    ------
    TypeError, ValueError
        As :func:`draw_partition_gap_curve`, for ``objective_values`` of the wrong shape, or a ``theta`` outside
        the grid's range.
    """
    _check_axes(ax)
    path = _GapPath(thetas, bounds, objective_values)
    (theta,) = _check_marks([theta], path, "theta")
    _ValuesArtists(ax, path, path.index(theta))
    return ax.figure


def plot_partition_gap_path(thetas, bounds, objective_values, marks=(0.4, 0.75, 1.0)):
    """The static figure of the gap path: the gap against ``theta`` and one histogram per marked ``theta``.

    Parameters
    ----------
    thetas, bounds, objective_values : as in :func:`draw_partition_values`.
    marks : sequence of float
        The values of ``theta`` (at least one) that get a histogram panel and a marker on the gap curve.

    Returns
    -------
    matplotlib.figure.Figure (made with pyplot: a notebook shows it), panels in a grid of two columns: the gap
    curve first, then the histograms in the order of ``marks``.

    Raises
    ------
    TypeError, ValueError
        As :func:`draw_partition_values`, or for an empty ``marks``.
    """
    import matplotlib.pyplot as plt

    path = _GapPath(thetas, bounds, objective_values)
    marks = _check_marks(marks, path)
    if marks.size == 0:
        raise ValueError("marks must contain at least one theta")
    rows = (marks.size + 2) // 2
    fig, axes = plt.subplots(rows, 2, figsize=(10, 3 * rows), squeeze=False)
    axes = axes.ravel()
    _gap_curve(axes[0], path, marks)
    words = {1: "panel", 2: "two panels", 3: "three panels", 4: "four panels", 5: "five panels"}
    noun = words.get(marks.size, f"{marks.size} panels")
    axes[0].set_title(f"duality gap along the path (blue: the {noun})", fontsize=9)
    for ax, th in zip(axes[1:], marks, strict=False):
        _ValuesArtists(ax, path, path.index(th))
    for ax in axes[marks.size + 1:]:
        ax.set_visible(False)
    fig.tight_layout()
    return fig


def _describe(path: _GapPath, k: int) -> str:
    return (f"Left: the duality gap p* - d* against the frustration theta from {path.thetas[0]:g} to "
            f"{path.thetas[-1]:g}, zero up to theta = 0.5, with theta = {path.thetas[k]:.3f} marked. Right: "
            f"histogram of x^T W x over all partitions at theta = {path.thetas[k]:.3f}, with the optimum "
            f"p* = {path.opt[k]:.4f}, the dual value d* = {path.dual[k]:.4f} and the eigenvalue bound "
            f"{path.eig[k]:.4f}; gap {path.gap[k]:.4f}.")


def partition_gap_widget(thetas, bounds, objective_values, theta=None) -> SliderFigure:
    """A slider over ``theta``: the gap curve with the current ``theta`` marked, and its histogram panel.

    Nothing is solved when the slider moves: every value is one of the inputs. Readers of the website (no
    kernel) see no widget: show :func:`plot_partition_gap_path` next to it.

    Parameters
    ----------
    thetas, bounds, objective_values : as in :func:`draw_partition_values`.
    theta : float or None
        Initial position of the slider (default: the last grid value).

    Returns
    -------
    SliderFigure (an ``ipywidgets.VBox``: the slider ``.slider``, labelled "theta", above the picture
    ``.image``); ``.figure`` is the matplotlib Figure, ``.png`` the PNG shown and ``.alt`` its text alternative,
    which states the values drawn.

    Raises
    ------
    TypeError, ValueError
        As :func:`draw_partition_values`.
    """
    path = _GapPath(thetas, bounds, objective_values)
    (theta,) = _check_marks([path.thetas[-1] if theta is None else theta], path, "theta")
    fig = Figure(figsize=(9, 3.2), dpi=WIDGET_DPI)
    ax_gap, ax_values = fig.subplots(1, 2)
    k0 = path.index(theta)
    (marker,) = _gap_curve(ax_gap, path, [path.thetas[k0]])
    artists = _ValuesArtists(ax_values, path, k0)
    fig.subplots_adjust(left=0.08, right=0.98, bottom=0.17, top=0.9, wspace=0.2)

    def update(value):
        k = path.index(value)
        marker.set_xdata([path.thetas[k]] * 2)
        artists.update(k)

    T = path.thetas.size
    step = (path.thetas[-1] - path.thetas[0]) / (T - 1) if T > 1 else 1.0
    slider = widgets.FloatSlider(value=float(path.thetas[k0]), min=float(path.thetas[0]),
                                 max=float(path.thetas[-1]), step=float(step), description="theta",
                                 readout_format=".3f")
    return slider_figure_widget(
        slider, fig, update, alt=lambda value: _describe(path, path.index(value)),
        slider_tooltip="frustration theta of W(theta) = theta R - (1 - theta)|R|: the gap is zero up to 0.5")


def _gap_figure_update(path: _GapPath, k: int) -> tuple[dict, dict]:
    """Trace data (gap curve, theta marker, histogram, p*, d*, n lambda_min) and title at ``thetas[k]``."""
    top_gap, top_count = 1.05 * max(float(path.gap.max()), 1e-12), 1.05 * float(path.counts.max())
    centres = (path.edges[:-1] + path.edges[1:]) / 2
    vertical = [[x, x] for x in (path.thetas[k], path.opt[k], path.dual[k], path.eig[k])]
    restyle = {"x": [path.thetas, vertical[0], centres, *vertical[1:]],
               "y": [path.gap, [0.0, top_gap], path.counts[k], *([[0.0, top_count]] * 3)]}
    return restyle, {"title.text": f"θ = {path.thetas[k]:.3f}: gap p* − d* = {path.gap[k]:.4f}"}


def partition_gap_figure(thetas, bounds, objective_values, theta=None) -> InteractiveFigure:
    """The kernel-free twin of :func:`partition_gap_widget`: the same two panels, redrawn in the browser.

    Every slider position is precomputed (with :func:`utils.precomputed_figure`) from the same numbers the widget
    draws, so the figure works on the website, where no Python kernel runs.

    Parameters
    ----------
    thetas, bounds, objective_values : as in :func:`draw_partition_values`.
    theta : float or None
        Initial position of the slider (default: the last grid value); the nearest grid value is shown.

    Returns
    -------
    InteractiveFigure (a Plotly figure, one slider with the labels ``f"{theta:.3f}"``). Traces, in order: the gap
    ``p* - d*`` against ``thetas``, the vertical marker at the current ``theta``, the histogram of
    ``x^T W(theta) x`` (bin centres, counts over the widget's common 40 bins) and the vertical lines at ``p*``,
    ``d*`` and ``n lambda_min``; the title states ``theta`` and the gap.

    Raises
    ------
    TypeError, ValueError
        As :func:`draw_partition_values`.
    """
    path = _GapPath(thetas, bounds, objective_values)
    (theta,) = _check_marks([path.thetas[-1] if theta is None else theta], path, "theta")
    base = make_subplots(rows=1, cols=2, horizontal_spacing=0.12)
    width = float(path.edges[1] - path.edges[0])
    for trace, col in [
        (go.Scatter(name="gap p* − d*", mode="lines+markers", line=dict(color=PRIMAL_COLOR), marker=dict(size=4)), 1),
        (go.Scatter(name="current θ", mode="lines", line=dict(color=STEP_COLOR)), 1),
        (go.Bar(name="partitions", marker=dict(color="#bfbfbf"), width=width, showlegend=False), 2),
        (go.Scatter(name="p*", mode="lines", line=dict(color=PRIMAL_COLOR)), 2),
        (go.Scatter(name="d*", mode="lines", line=dict(color=DUAL_COLOR, dash="dash")), 2),
        (go.Scatter(name="n λ_min", mode="lines", line=dict(color="#666666", dash="dot")), 2),
    ]:
        base.add_trace(trace, row=1, col=col)
    base.add_vrect(x0=path.thetas[0], x1=min(0.5, path.thetas[-1]), fillcolor=DUAL_COLOR, opacity=0.1,
                   line_width=0, row=1, col=1, annotation_text="all W<sub>ij</sub> ≤ 0: zero gap",
                   annotation_position="top left", annotation_font_size=11)
    base.update_xaxes(title_text="frustration θ", row=1, col=1)
    base.update_yaxes(title_text="gap p* − d*", row=1, col=1)
    base.update_xaxes(title_text="x<sup>T</sup>W(θ)x over all partitions",
                      range=[path.edges[0], path.edges[-1]], row=1, col=2)
    base.update_yaxes(title_text="number of partitions", range=[0, 1.05 * path.counts.max()], row=1, col=2)
    alt = (f"Left: the duality gap p* - d* of the partitioning problem against the frustration theta from "
           f"{path.thetas[0]:g} to {path.thetas[-1]:g}, zero up to theta = 0.5, with the slider's theta marked. "
           f"Right: histogram of x^T W(theta) x over all partitions at that theta, with vertical lines at the "
           f"optimum p*, the dual value d* and the eigenvalue bound n lambda_min. The slider moves theta over "
           f"{path.thetas.size} grid values; the title states theta and the gap.")
    labels = [f"{t:.3f}" for t in path.thetas]
    return precomputed_figure(base, [("theta", labels, path.index(theta), "θ = ")],
                              lambda k: _gap_figure_update(path, k), alt=alt, plot_px=300)

