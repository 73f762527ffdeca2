"""Static figures and a widget for the low-rank bias of depth: singular values of the penalised solutions
over (L, beta), and their numerical and effective ranks (computed by :mod:`utils.linear.ranks`)."""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .._validation import check_depth, check_positive
from ..linear.ranks import _grid, ranks_from_singular_values
from .render import canvas_png

__all__ = ["plot_low_rank_spectra", "plot_rank_versus_depth", "low_rank_explorer", "LowRankExplorer"]


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
        self.spectrum_line.set_ydata(self._sv[i, j])
        self._titles[0].set_text(f"L = {self._depths[i]}, beta = {self._betas[j]:g}: rank {self._num[i, j]}, "
                                 f"effective rank {self._eff[i, j]:.2f}")
        self._rank_line.set_ydata(self._num[:, j])
        self._eff_line.set_ydata(self._eff[:, j])
        self._marker.set_data([self._depths[i]], [self._num[i, j]])
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
