"""Static figures, a widget and an in-browser figure for the low-rank bias of depth: singular values of the
penalised solutions over (L, beta), and their numerical and effective ranks (computed by :mod:`utils.linear.ranks`).

The widget (:func:`low_rank_explorer`, needs a kernel) and the in-browser figure (:func:`low_rank_figure_interactive`,
works without one) show the same state for the same slider positions: both draw :func:`_low_rank_state`."""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
import plotly.graph_objects as go
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from plotly.subplots import make_subplots

from .._validation import as_vector, check_depth, check_positive
from ..linear.ranks import _grid, ranks_from_singular_values
from .interactive import InteractiveFigure, _index_in
from .precomputed import precomputed_figure
from .render import canvas_png

__all__ = ["plot_low_rank_spectra", "plot_rank_versus_depth", "low_rank_explorer", "LowRankExplorer"]
__all__ += ["low_rank_figure_interactive"]


def _check_path(singular_values, depths, betas):
    sv = np.asarray(singular_values, dtype=float)
    depths = _grid("depths", depths, check_depth)
    betas = _grid("betas", betas, lambda b: check_positive("beta", b))
    if sv.ndim != 3 or sv.shape[:2] != (len(depths), len(betas)):
        raise ValueError(f"singular_values must have shape (len(depths), len(betas), r) = "
                         f"({len(depths)}, {len(betas)}, r), got {sv.shape}")
    if not np.all(np.isfinite(sv)) or np.any(sv < 0):
        raise ValueError("singular values must be finite and >= 0")
    return sv, depths, betas


def _check_reference(reference, r):
    """``reference`` as a float vector of length ``r`` (or None)."""
    if reference is None:
        return None
    ref = as_vector("reference", reference)
    if ref.size != r:
        raise ValueError(f"reference must have one singular value per index ({r}), got {ref.size}")
    return ref


def _low_rank_state(sv, numerical, eff, depths, betas, i, j) -> dict:
    """What the explorers show at depth ``depths[i]`` and weight decay ``betas[j]`` (arrays from the path).

    Returns ``{"spectrum": sv[i, j], "rank": numerical[:, j], "effective": eff[:, j], "marker": (L, rank),
    "title": "L = ..., beta = ...: rank ..., effective rank ..."}``.
    """
    return {
        "spectrum": sv[i, j],
        "rank": numerical[:, j],
        "effective": eff[:, j],
        "marker": (depths[i], int(numerical[i, j])),
        "title": f"L = {depths[i]}, beta = {betas[j]:g}: rank {numerical[i, j]}, effective rank {eff[i, j]:.2f}",
    }


# --------------------------------------------------------------------------------------------- static figures
def _colors(n):
    from matplotlib import colormaps

    cmap = colormaps["viridis"]
    return [cmap(x) for x in np.linspace(0.0, 0.85, n)]


def plot_low_rank_spectra(singular_values, depths, betas, reference=None, axes=None):
    """One panel per beta: the singular values of the solution against their index, one line per depth L.

    Parameters
    ----------
    singular_values : ndarray, shape (len(depths), len(betas), r) (from :func:`low_rank_path`)
    depths, betas : the grids used.
    reference : array_like of length r, optional
        Singular values to draw in grey for comparison (e.g. of the least-squares fit ``X^+ Y``).
    axes : sequence of len(betas) matplotlib Axes, optional

    Returns
    -------
    matplotlib.figure.Figure. The line of depth ``depths[i]`` in panel j has gid ``"sv-L{L}"`` and y data
    ``singular_values[i, j]``.
    """
    sv, depths, betas = _check_path(singular_values, depths, betas)
    if axes is None:
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(1, len(betas), figsize=(3.2 * len(betas), 3.0), sharey=True,
                                 layout="constrained", squeeze=False)
        axes = axes[0]
    fig = axes[0].figure
    idx = np.arange(1, sv.shape[2] + 1)
    for j, (ax, b) in enumerate(zip(axes, betas, strict=True)):
        if reference is not None:
            ax.plot(idx, np.asarray(reference, dtype=float), "o", mfc="none", color="0.6",
                    label="least squares")
        for i, (L, c) in enumerate(zip(depths, _colors(len(depths)), strict=True)):
            ax.plot(idx, sv[i, j], "o-", color=c, ms=4, lw=1.2, label=f"L = {L}", gid=f"sv-L{L}")
        ax.set_title(f"beta = {b:g}", fontsize=10)
        ax.set_xlabel("index i")
        ax.set_xticks(idx)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel(r"singular value $\sigma_i(W^\star)$")
    axes[-1].legend(fontsize=8)
    return fig


def plot_rank_versus_depth(singular_values, depths, betas, rtol=1e-6, ax=None):
    """Numerical rank (markers and solid lines) and effective rank (dashed) of the solutions against L.

    One colour per beta.

    Parameters
    ----------
    singular_values : ndarray, shape (len(depths), len(betas), r) (from :func:`low_rank_path`)
    depths, betas : the grids used (ints >= 2, floats > 0).
    rtol : float in (0, 1), relative tolerance of the numerical rank.
    ax : matplotlib Axes, optional (default: a new figure).

    Returns
    -------
    matplotlib.figure.Figure. The effective-rank line of ``betas[j]`` has gid ``"erank-beta{j}"`` and the
    numerical-rank line ``"rank-beta{j}"``.

    Raises
    ------
    ValueError
        For a shape mismatch, negative or non-finite singular values, bad grids or ``rtol``.
    """
    sv, depths, betas = _check_path(singular_values, depths, betas)
    numerical, eff = ranks_from_singular_values(sv, rtol)
    if ax is None:
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(7.0, 3.2), layout="constrained")
    for j, (b, c) in enumerate(zip(betas, _colors(len(betas)), strict=True)):
        ax.plot(depths, numerical[:, j], "o-", color=c, label=f"rank, beta = {b:g}", gid=f"rank-beta{j}")
        ax.plot(depths, eff[:, j], "s--", color=c, mfc="none", label=f"effective rank, beta = {b:g}",
                gid=f"erank-beta{j}")
    ax.set_xlabel("depth L")
    ax.set_ylabel("rank of the solution")
    ax.set_xticks(depths)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0))
    return ax.figure


# --------------------------------------------------------------------------------------------- widget
class LowRankExplorer(widgets.VBox):
    """Widget: sliders for the depth L and the weight decay beta over a precomputed grid of solutions.

    Left panel: the singular values of the solution for the chosen (L, beta) (grey: ``reference``). Right
    panel: numerical and effective rank against L for the chosen beta, the chosen L marked. The figure is a
    plain :class:`matplotlib.figure.Figure` on an Agg canvas (works without ipympl): the static parts (axes,
    ticks, legends) are drawn once and cached, and a redraw only restores that background, draws the few
    changing artists (blitting) and encodes the PNG; nothing is solved in a callback.

    Attributes
    ----------
    depth, beta : ipywidgets.SelectionSlider
    figure, axes : the Figure and its two Axes; ``spectrum_line`` holds the plotted singular values.
    image : ipywidgets.Image
    """

    def __init__(self, singular_values, depths, betas, reference=None, *, rtol=1e-6, dpi=80):
        sv, depths, betas = _check_path(singular_values, depths, betas)
        reference = _check_reference(reference, sv.shape[2])
        self._sv, self._depths, self._betas = sv, depths, betas
        self._num, self._eff = ranks_from_singular_values(sv, rtol)
        style = {"description_width": "initial"}
        self.depth = widgets.SelectionSlider(options=[(str(L), L) for L in depths], value=depths[0],
                                             description="depth L", style=style)
        self.beta = widgets.SelectionSlider(options=[(f"{b:g}", b) for b in betas], value=betas[0],
                                            description="weight decay beta", style=style)
        self.figure = Figure(figsize=(8.0, 3.2), dpi=dpi)
        self.figure.subplots_adjust(left=0.08, right=0.98, top=0.9, bottom=0.15, wspace=0.25)
        ax1, ax2 = self.axes = self.figure.subplots(1, 2)
        idx = np.arange(1, sv.shape[2] + 1)
        top = max(float(sv.max()), float(np.max(reference)) if reference is not None else 0.0)
        if reference is not None:
            ax1.plot(idx, np.asarray(reference, dtype=float), "o", mfc="none", color="0.6", label="least squares")
        (self.spectrum_line,) = ax1.plot(idx, sv[0, 0], "o-", color="C0", label="solution", gid="spectrum")
        ax1.set(xlabel="index i", ylabel="singular value", xticks=idx, ylim=(0, 1.08 * top if top > 0 else 1))
        ax1.legend(fontsize=8)
        ax1.grid(alpha=0.3)
        (self._rank_line,) = ax2.plot(depths, self._num[:, 0], "o-", color="C1", label="numerical rank")
        (self._eff_line,) = ax2.plot(depths, self._eff[:, 0], "s--", mfc="none", color="C2",
                                     label="effective rank")
        (self._marker,) = ax2.plot([depths[0]], [self._num[0, 0]], "o", ms=14, mfc="none", color="k")
        ax2.set(xlabel="depth L", ylabel="rank", xticks=depths, ylim=(-0.2, sv.shape[2] + 0.5))
        ax2.legend(fontsize=8, loc="lower left")
        ax2.grid(alpha=0.3)
        self._titles = [ax.set_title(" ", fontsize=9) for ax in (ax1, ax2)]
        self._dynamic = [self.spectrum_line, self._rank_line, self._eff_line, self._marker, *self._titles]
        for artist in self._dynamic:
            artist.set_animated(True)  # left out of the cached background
        self._canvas = FigureCanvasAgg(self.figure)
        self._canvas.draw()
        self._background = self._canvas.copy_from_bbox(self.figure.bbox)
        self.image = widgets.Image(format="png")
        self.depth.observe(self._on_change, names="value")
        self.beta.observe(self._on_change, names="value")
        super().__init__([widgets.HBox([self.depth, self.beta]), self.image])
        self.redraw()

    def _on_change(self, _change):
        self.redraw()

    def redraw(self) -> None:
        """Show the precomputed solution for the current sliders and re-render the PNG."""
        i = self._depths.index(self.depth.value)
        j = self._betas.index(self.beta.value)
        state = _low_rank_state(self._sv, self._num, self._eff, self._depths, self._betas, i, j)
        self.spectrum_line.set_ydata(state["spectrum"])
        self._titles[0].set_text(state["title"])
        self._rank_line.set_ydata(state["rank"])
        self._eff_line.set_ydata(state["effective"])
        self._marker.set_data([state["marker"][0]], [state["marker"][1]])
        self._titles[1].set_text(f"beta = {self._betas[j]:g}")
        self._canvas.restore_region(self._background)
        for artist in self._dynamic:
            self.figure.draw_artist(artist)
        self.image.value = canvas_png(self._canvas)


def low_rank_explorer(singular_values, depths, betas, reference=None, rtol=1e-6):
    """Sliders for L and beta over solutions precomputed by :func:`low_rank_path`.

    Website readers have no kernel: show a static figure (:func:`plot_low_rank_spectra`) next to it.

    Parameters
    ----------
    singular_values, depths, betas : as in :func:`plot_rank_versus_depth`.
    reference : array_like of length r, optional, singular values drawn in grey (e.g. of ``X^+ Y``).
    rtol : float in (0, 1), relative tolerance of the numerical rank.

    Returns
    -------
    LowRankExplorer, the widget.

    Raises
    ------
    ValueError
        As :func:`plot_rank_versus_depth`.
    """
    return LowRankExplorer(singular_values, depths, betas, reference, rtol=rtol)


# --------------------------------------------------------------------------------------------- in-browser figure
def low_rank_figure_interactive(singular_values, depths, betas, reference=None, *, rtol=1e-6, depth=None,
                                beta=None) -> InteractiveFigure:
    """The explorer of :func:`low_rank_explorer` as an in-browser figure: sliders for L and beta, no kernel needed.

    Every slider position is tabulated with :func:`utils.precomputed_figure` from the same precomputed path and
    the same rank measures (:func:`utils.ranks_from_singular_values`) as the widget.

    Parameters
    ----------
    singular_values : ndarray, shape (len(depths), len(betas), r)
        Singular values of the solutions (from :func:`low_rank_path`), finite and >= 0.
    depths, betas : sequences
        The grids used: increasing integers >= 2 and floats > 0.
    reference : array_like of length r, optional
        Singular values drawn as grey circles in the left panel (e.g. of the least-squares fit ``X^+ Y``).
    rtol : float in (0, 1)
        Relative tolerance of the numerical rank.
    depth, beta : optional
        Initial slider positions, entries of ``depths`` and ``betas`` (default: the first of each).

    Returns
    -------
    InteractiveFigure
        Left panel (x axis ``x``): traces 0 ``reference`` (empty if None) and 1 the singular values
        ``singular_values[i, j]`` against their index 1..r. Right panel (x axis ``x2``): traces 2 the numerical
        rank and 3 the effective rank of the solutions against L for ``betas[j]``, and 4 the point
        ``(depths[i], rank)``. The title gives L, beta, the rank and the effective rank. Sliders: depth, beta.

    Raises
    ------
    ValueError
        For a shape mismatch, negative or non-finite singular values, bad grids or ``rtol``, a reference of the
        wrong length, or an initial ``depth``/``beta`` that is not on the grid.
    """
    sv, depths, betas = _check_path(singular_values, depths, betas)
    ref = _check_reference(reference, sv.shape[2])
    numerical, eff = ranks_from_singular_values(sv, rtol)
    i0 = 0 if depth is None else _index_in("depth", check_depth(depth), depths)
    j0 = 0 if beta is None else _index_in("beta", check_positive("beta", beta), betas)
    idx = np.arange(1, sv.shape[2] + 1)

    def update(i, j):
        state = _low_rank_state(sv, numerical, eff, depths, betas, i, j)
        x = [idx if ref is not None else [], idx, depths, depths, [state["marker"][0]]]
        y = [ref if ref is not None else [], state["spectrum"], state["rank"], state["effective"],
             [state["marker"][1]]]
        return {"x": x, "y": y}, {"title.text": state["title"]}

    base = make_subplots(rows=1, cols=2, horizontal_spacing=0.14)
    grey = dict(color="#999999", size=9, symbol="circle-open")
    base.add_trace(go.Scatter(name="least squares", mode="markers", marker=grey, showlegend=ref is not None,
                              hovertemplate="least squares: sigma_%{x} = %{y:.4f}<extra></extra>"), row=1, col=1)
    base.add_trace(go.Scatter(name="solution", mode="lines+markers", line=dict(color="#1f77b4"),
                              hovertemplate="sigma_%{x} = %{y:.4f}<extra></extra>"), row=1, col=1)
    base.add_trace(go.Scatter(name="numerical rank", mode="lines+markers", line=dict(color="#ff7f0e"),
                              hovertemplate="L = %{x}: rank %{y}<extra></extra>"), row=1, col=2)
    base.add_trace(go.Scatter(name="effective rank", mode="lines+markers", line=dict(color="#2ca02c", dash="dash"),
                              marker=dict(symbol="square-open"),
                              hovertemplate="L = %{x}: effective rank %{y:.3f}<extra></extra>"), row=1, col=2)
    base.add_trace(go.Scatter(name="chosen L", mode="markers", showlegend=False,
                              marker=dict(color="black", size=16, symbol="circle-open"), hoverinfo="skip"),
                   row=1, col=2)
    top = max(float(sv.max()), float(ref.max()) if ref is not None else 0.0)
    base.update_xaxes(title_text="index i", tickvals=idx.tolist(), row=1, col=1)
    base.update_yaxes(title_text="singular value", range=[0, 1.08 * top if top > 0 else 1], row=1, col=1)
    base.update_xaxes(title_text="depth L", tickvals=depths, row=1, col=2)
    base.update_yaxes(title_text="rank", range=[-0.2, sv.shape[2] + 0.5], row=1, col=2)
    sliders = [("depth", [str(L) for L in depths], i0, "depth L = "),
               ("beta", [f"{b:g}" for b in betas], j0, "weight decay beta = ")]
    alt = ("Two panels with sliders for the depth L and the weight decay beta. Left: the singular values of the "
           "penalised solution at the chosen L and beta against their index" +
           (", with those of the least-squares fit as grey circles" if ref is not None else "") +
           ". Right: the numerical rank and the effective rank of the solutions against L for the chosen beta, "
           "the chosen L circled. The title gives the rank and the effective rank of the chosen solution.")
    return precomputed_figure(base, sliders, update, alt=alt, plot_px=300)
