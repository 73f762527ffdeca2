"""Figures and a widget for the stairs of the duality gap of deep linear networks.

(The book's appendix *Derivations and conventions*, section 3; chapter "The stairs of the duality gap".)

Making the first ``s`` layers of an ``L``-layer linear network shared and the remaining ``L - s`` layers
parallel branches gives, with the paper's index ``l = s + 2`` in ``2..L``, the values

    P^l(t) = t^{-(L-2)} ||A||_{S_{2/l}}          (at scale t)
    P^l    = (L/2) ||A||_{S_{2/l}}^{2/L}         (optimised over t),

a staircase ``D = P^2 <= P^3 <= ... <= P^L = P`` (strictly increasing iff rank(A) >= 2), where ``A = X^+ Y``.
The values come from :func:`utils.linear.spectra.stairs_from_singular_values`; this module only draws.

Public names: :func:`plot_stairs`, :func:`plot_stairs_comparison` (several spectra and depths, sized for the
text column), :func:`stairs_values_from_axes` and :func:`stairs_explorer` (returns a :class:`StairsExplorer`
widget). The spectra of the explorer come from
:func:`utils.linear.spectra.decaying_spectrum`; the architecture diagrams of the stairs chapter are drawn by
:func:`utils.figures.network.draw_network_architecture`.
"""

from __future__ import annotations

from collections import OrderedDict

import ipywidgets as widgets
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch
from matplotlib.ticker import MaxNLocator

from .._validation import as_vector, check_depth, check_positive
from ..linear.spectra import decaying_spectrum, stairs_from_singular_values
from .render import canvas_png
from .style import DUAL_COLOR, PRIMAL_COLOR, STEP_COLOR

__all__ = ["plot_stairs", "plot_stairs_comparison", "stairs_values_from_axes", "stairs_explorer", "StairsExplorer"]

_MAX_EXPLORER_DEPTH = 10
_MAX_EXPLORER_RANK = 8
_MAX_CACHED_BACKGROUNDS = 24  # ~0.65 MB each at the default size
# colour, marker, line style: distinguishable also where two staircases nearly coincide
_COMPARISON_STYLES = (("#9467bd", "o", "-"), ("#ff7f0e", "s", "--"), ("#8c564b", "^", "-"), ("#17becf", "D", ":"))


# --------------------------------------------------------------------------------------------- validation
def _check_singular_values(sigma) -> np.ndarray:
    sigma = as_vector("sigma", sigma)
    if np.any(sigma < 0):
        raise ValueError("sigma (the singular values of A) must be >= 0")
    if not np.any(sigma > 0):
        raise ValueError("sigma (the singular values of A) must contain at least one positive value")
    return np.sort(sigma)[::-1]


# --------------------------------------------------------------------------------------------- stairs plot
def _rounded_limits(lo: float, hi: float) -> tuple[float, float]:
    """``[lo, hi]`` widened to multiples of a round step (1, 2 or 5 times a power of ten) near (hi - lo) / 4."""
    raw = (hi - lo) / 4.0
    power = 10.0 ** np.floor(np.log10(raw))
    step = power * min((m for m in (1.0, 2.0, 5.0, 10.0) if m * power >= raw), default=10.0)
    return float(np.floor(lo / step) * step), float(np.ceil(hi / step) * step)


def _superscript(n: int) -> str:
    return str(n).translate(str.maketrans("0123456789", "\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079"))


def _step_tick_label(l: int) -> str:
    return f"l={l}\n{l - 2} shared"


class _StairsArtists:
    """The artists of one stairs plot, created once and updated in place (fast widget redraws).

    ``dynamic`` lists the artists that change with the values; the rest (axes, ticks, labels) changes only
    with L, the y-limits or the scale mode, which lets the explorer blit.
    """

    def __init__(self, ax, n_value_labels: int, compact_ticks: bool = False, xlabel: bool = True):
        self.ax = ax
        self._compact = compact_ticks  # one-line tick labels "l" (fewer glyphs: faster widget redraws)
        self.steps, = ax.plot([], [], color=STEP_COLOR, lw=2.5, solid_capstyle="butt", gid="stairs-steps")
        self.points, = ax.plot([], [], "o", color=STEP_COLOR, ms=5, gid="stairs-values")
        self.d_line = ax.axhline(0.0, color=DUAL_COLOR, ls="--", lw=1.2, gid="stairs-D")
        self.p_line = ax.axhline(0.0, color=PRIMAL_COLOR, ls="--", lw=1.2, gid="stairs-P")
        # direct labels instead of a legend, and plain text (no mathtext): both keep redraws fast
        self.d_text = ax.text(0, 0, "", color=DUAL_COLOR, ha="right", va="top", fontsize=9)
        self.p_text = ax.text(0, 0, "", color=PRIMAL_COLOR, ha="left", va="bottom", fontsize=9)
        self.gap_text = ax.text(0, 0, "", ha="right", va="center", rotation=90, fontsize=9, color="0.2")
        self.gap_arrow = FancyArrowPatch((0, 0), (0, 1), arrowstyle="<|-|>", mutation_scale=8, lw=1.0,
                                         color="0.3", shrinkA=0, shrinkB=0)
        ax.add_patch(self.gap_arrow)
        self.value_texts = [ax.text(0, 0, "", ha="center", va="bottom", fontsize=7, color="0.25")
                            for _ in range(n_value_labels)]
        if xlabel:
            ax.set_xlabel("step l: layers 1..l-2 shared (l-2 shared layers), layers l-1..L parallel", fontsize=9)
        ax.yaxis.set_major_locator(MaxNLocator(5))
        ax.grid(axis="y", alpha=0.3)
        self.dynamic = [self.d_line, self.p_line, self.steps, self.points, self.d_text, self.p_text,
                        self.gap_arrow, self.gap_text, *self.value_texts]
        self._L = None
        self._scale = None

    def update(self, values: np.ndarray, L: int, optimised: bool, t: float | None, sticky: bool = False):
        ax = self.ax
        ls = np.arange(2, L + 1)
        xs = np.repeat(ls, 2) + np.tile([-0.5, 0.5], ls.size)  # treads meet: vertical risers
        self.steps.set_data(xs, np.repeat(values, 2))
        self.points.set_data(ls, values)
        D, P = float(values[0]), float(values[-1])
        self.d_line.set_ydata([D, D])
        self.p_line.set_ydata([P, P])
        span = max(P - D, 1e-3 * max(abs(P), 1.0))
        lo, hi = D - 0.35 * span, P + 0.45 * span
        cur_lo, cur_hi = ax.get_ylim()
        keep = sticky and cur_lo <= lo and cur_hi >= hi and hi - lo >= 0.6 * (cur_hi - cur_lo)
        if not keep:
            # sticky limits are rounded outwards to a grid: small changes keep them (and the cached
            # background), and a state seen before gets the same limits again
            ax.set_ylim(*(_rounded_limits(lo, hi) if sticky else (lo, hi)))
        self.d_text.set_position((L + 0.55, D - 0.03 * span))
        self.d_text.set_text(f"D = P\u00b2 = {D:.4g} (fully parallel)")
        self.p_text.set_position((1.45, P + 0.03 * span))
        self.p_text.set_text(f"P = P{_superscript(L)} = {P:.4g} (standard)")
        self.gap_arrow.set_positions((L + 0.45, D), (L + 0.45, P))
        self.gap_arrow.set_visible(P - D > 0.02 * (hi - lo))
        self.gap_text.set_position((L + 0.4, 0.5 * (D + P)))
        self.gap_text.set_text(f"gap {P - D:.4g}" if P - D > 0.02 * (hi - lo) else "")
        for i, txt in enumerate(self.value_texts):
            if i < ls.size:
                txt.set_position((ls[i], values[i] + 0.03 * span))
                txt.set_text(f"{values[i]:.3g}")
                txt.set_visible(True)
            else:
                txt.set_visible(False)
        if L != self._L:
            ax.set_xlim(1.4, L + 0.6)
            ax.set_xticks(ls)
            ax.set_xticklabels([str(l) if self._compact else _step_tick_label(int(l)) for l in ls], fontsize=8)
        # plain text only in the strings that change (a new mathtext string is parsed on every draw)
        scale = "optimised over t" if optimised else f"at scale t = {t:g}"
        if (L, scale) != (self._L, self._scale):
            ax.set_ylabel("optimal value, " + scale)
            ax.set_title(f"Stairs of the duality gap, L = {L} (values {scale})", fontsize=10)
        self._L, self._scale = L, scale

    def background_key(self):
        return (self._L, self._scale, tuple(self.ax.get_ylim()))


def plot_stairs(sigma, L, t=None, ax=None, *, xlabel=True):
    """Draw the staircase ``D = P^2 <= ... <= P^L = P`` for singular values ``sigma``.

    The values are those of the book's appendix *Derivations and conventions*, section 3.

    Parameters
    ----------
    sigma : array_like, shape (r,)
        Singular values of ``A = X^+ Y`` (>= 0, at least one positive; any order).
    L : int
        Depth (>= 2).
    t : float or None
        Scale ``t > 0``: plot ``P^l(t) = t^{-(L-2)} ||A||_{S_{2/l}}``. ``None`` (default): values optimised
        over t, ``P^l = (L/2) ||A||_{S_{2/l}}^{2/L}``.
    ax : matplotlib Axes or None
        Axes to draw on; a new figure is made when None.
    xlabel : bool
        Label the x-axis with the meaning of the step index (default). ``False`` leaves the label out, e.g. for
        the upper of two stacked panels, whose tick labels ("l=3, 1 shared") already say it.

    Returns
    -------
    matplotlib.figure.Figure
        The figure. The step values ``[P^2, ..., P^L]`` (equal to ``stairs_from_singular_values(sigma, L, t)``)
        are the y-data of the line with gid ``"stairs-values"``, at x = 2..L; the dashed lines with gids
        ``"stairs-D"`` and ``"stairs-P"`` mark ``D = P^2`` and ``P = P^L``.
    """
    sigma = _check_singular_values(sigma)
    L = check_depth(L, minimum=2)
    if t is not None:
        t = check_positive("t", t)
    values = np.asarray(stairs_from_singular_values(sigma, L, t=t), dtype=float)
    if ax is None:
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(6.4, 4.0), layout="constrained")
    else:
        fig = ax.figure
    artists = _StairsArtists(ax, n_value_labels=L - 1, xlabel=bool(xlabel))
    artists.update(values, L, optimised=t is None, t=t)
    return fig


def plot_stairs_comparison(spectra, depths):
    """Stairs of several spectra side by side, one panel per depth, each relative to its dual value ``D``.

    In the panel of depth ``L``, spectrum ``sigma`` is drawn as the step line of the ratios
    ``P^l / D = (||A||_{S_{2/l}} / ||A||_*)^{2/L}``, l = 2..L (values optimised over t, so ``D = P^2``): it starts
    at 1, and its last value minus 1 is the gap ``(P - D) / D``. The panels share the y-axis. The figure is 6.8 in
    wide with 10 pt text, so it is readable at the width of the book's text column.

    Parameters
    ----------
    spectra : mapping of str to array_like, shape (r,)
        Legend label -> singular values of ``A`` (>= 0, at least one positive); 1 to 4 spectra.
    depths : sequence of int
        Depths ``L >= 2``, one panel each, 1 to 4.

    Returns
    -------
    matplotlib.figure.Figure
        In panel ``j`` (``fig.axes[j]``, depth ``depths[j]``) the line with gid ``f"stairs-ratios-{i}"`` has
        x = 2..L and y = ``stairs_from_singular_values(sigma_i, L) / P^2`` for the i-th spectrum.

    Raises
    ------
    TypeError, ValueError
        For bad singular values or depths (as :func:`plot_stairs`), or too few or too many spectra or depths.
    """
    import matplotlib.pyplot as plt

    spectra = {str(name): _check_singular_values(sig) for name, sig in dict(spectra).items()}
    depths = [check_depth(L, minimum=2) for L in depths]
    if not 1 <= len(spectra) <= len(_COMPARISON_STYLES) or not 1 <= len(depths) <= 4:
        raise ValueError(f"give 1 to {len(_COMPARISON_STYLES)} spectra and 1 to 4 depths, "
                         f"got {len(spectra)} and {len(depths)}")  # fmt: skip
    fig, axes = plt.subplots(1, len(depths), figsize=(6.8, 3.3), sharey=True, layout="constrained", squeeze=False)
    for ax, L in zip(axes[0], depths, strict=True):
        ls = np.arange(2, L + 1)
        styles = _COMPARISON_STYLES[: len(spectra)]
        for i, ((name, sig), (color, marker, style)) in enumerate(zip(spectra.items(), styles, strict=True)):
            values = np.asarray(stairs_from_singular_values(sig, L), dtype=float)
            ax.plot(ls, values / values[0], drawstyle="steps-mid", marker=marker, ms=5, lw=1.8, ls=style,
                    color=color, label=name, gid=f"stairs-ratios-{i}")  # fmt: skip
        ax.set_title(f"L = {L}", fontsize=10)
        ax.set_xticks(ls)
        ax.set_xlim(1.5, L + 0.5)
        ax.tick_params(labelsize=10)
        ax.grid(axis="y", alpha=0.3)
    axes[0, 0].set_ylabel("P$^l$ / D  (1 = dual value)", fontsize=10)
    fig.supxlabel("step l (layers 1..l-2 shared, the others parallel)", fontsize=10)
    fig.legend(*axes[0, 0].get_legend_handles_labels(), loc="outside upper center", ncols=len(spectra),
               fontsize=10, frameon=False, handlelength=2.5, columnspacing=1.2)  # fmt: skip
    return fig


def stairs_values_from_axes(ax) -> np.ndarray:
    """Read the plotted step values ``[P^2..P^L]`` back from an Axes drawn by :func:`plot_stairs`.

    Parameters
    ----------
    ax : matplotlib Axes, drawn by :func:`plot_stairs` (the line with gid ``"stairs-values"``).

    Returns
    -------
    ndarray, shape (L - 1,), the step values.

    Raises
    ------
    ValueError
        If the axes hold no stairs plot.
    """
    for line in ax.get_lines():
        if line.get_gid() == "stairs-values":
            return np.asarray(line.get_ydata(), dtype=float)
    raise ValueError("these axes hold no stairs plot (no line with gid 'stairs-values')")


# --------------------------------------------------------------------------------------------- widget
class StairsExplorer(widgets.VBox):
    """Widget: controls for L, the spectrum and the scale mode, and the stairs plot as a PNG image.

    Build it with :func:`stairs_explorer`. The figure is a plain :class:`matplotlib.figure.Figure` (not
    managed by pyplot, so it is never displayed twice); its artists are created once and updated in place,
    then rendered to PNG into ``image``. This works in Jupyter, Colab and VS Code without ipympl.

    Attributes
    ----------
    depth, rank, decay : ipywidgets sliders
        Depth ``L`` (2..10), rank ``r`` (1..8) and decay rate ``a`` of ``sigma_i = exp(-a (i-1))``.
    singular_values : ipywidgets.Text
        The singular values in use (comma separated). Typing values here overrides the sliders' spectrum;
        moving the rank or decay slider overwrites the text.
    scale_mode : ipywidgets.ToggleButtons
        ``"per_t"`` (values at t = 1) or ``"optimised"`` (values optimised over t).
    values : ndarray
        The plotted ``[P^2..P^L]``.
    figure, ax : the matplotlib Figure and Axes.
    image : ipywidgets.Image holding the rendered PNG.
    status : ipywidgets.HTML, reports unreadable singular values.
    """

    def __init__(self, sigma=None, L=4, *, dpi=80):
        sigma0 = decaying_spectrum(3, 0.5) if sigma is None else _check_singular_values(sigma)
        L = check_depth(L, minimum=2)
        if L > _MAX_EXPLORER_DEPTH:
            raise ValueError(f"the explorer shows depths 2..{_MAX_EXPLORER_DEPTH}, got L = {L}")
        self._sigma = sigma0
        self._dpi = dpi
        self._syncing = False
        style = {"description_width": "initial"}
        wide = widgets.Layout(width="440px")
        self.depth = widgets.IntSlider(value=L, min=2, max=_MAX_EXPLORER_DEPTH, description="depth L",
                                       style=style, layout=wide)
        self.rank = widgets.IntSlider(value=min(sigma0.size, _MAX_EXPLORER_RANK), min=1,
                                      max=_MAX_EXPLORER_RANK, description="rank r", style=style, layout=wide)
        self.decay = widgets.FloatSlider(value=0.5, min=0.0, max=3.0, step=0.05,
                                         description="decay a in sigma_i = exp(-a (i-1))", style=style,
                                         layout=wide)
        self.singular_values = widgets.Text(value=_format_sigma(sigma0), description="singular values",
                                            continuous_update=False, style=style, layout=wide)
        self.scale_mode = widgets.ToggleButtons(
            options=[("per t (t = 1)", "per_t"), ("optimised over t", "optimised")],
            value="optimised", description="values", style=style)
        self.status = widgets.HTML("")
        self.figure = Figure(figsize=(6.4, 4.0), dpi=dpi)
        self.figure.subplots_adjust(left=0.11, right=0.97, top=0.92, bottom=0.2)
        self._canvas = FigureCanvasAgg(self.figure)
        self.ax = self.figure.add_subplot()
        self._artists = _StairsArtists(self.ax, n_value_labels=0, compact_ticks=True)  # the y-axis and D, P labels suffice
        for artist in self._artists.dynamic:
            artist.set_animated(True)  # left out of the cached background
        self._backgrounds = OrderedDict()  # background key -> rendered background (LRU)
        self.full_redraws = 0
        self.image = widgets.Image(format="png")
        self.values = np.array([])
        self.depth.observe(self._on_change, names="value")
        self.scale_mode.observe(self._on_change, names="value")
        self.rank.observe(self._on_spectrum_slider, names="value")
        self.decay.observe(self._on_spectrum_slider, names="value")
        self.singular_values.observe(self._on_text, names="value")
        controls = widgets.VBox([self.depth, self.rank, self.decay, self.singular_values,
                                 self.scale_mode, self.status])
        super().__init__([controls, self.image])
        self.redraw()

    @property
    def sigma(self) -> np.ndarray:
        """The singular values currently plotted (non-increasing)."""
        return self._sigma.copy()

    def _on_spectrum_slider(self, _change):
        self._sigma = decaying_spectrum(self.rank.value, self.decay.value)
        self._syncing = True
        try:
            self.singular_values.value = _format_sigma(self._sigma)
        finally:
            self._syncing = False
        self.status.value = ""
        self.redraw()

    def _on_text(self, change):
        if self._syncing:
            return
        try:
            parts = [p for p in str(change["new"]).replace(";", ",").split(",") if p.strip()]
            sigma = _check_singular_values([float(p) for p in parts])
        except (TypeError, ValueError) as exc:
            self.status.value = f"<span style='color:#b00'>could not use these singular values: {exc}</span>"
            return
        self.status.value = ""
        self._sigma = sigma
        self.redraw()

    def _on_change(self, _change):
        self.redraw()

    def redraw(self) -> None:
        """Recompute ``[P^2..P^L]`` for the current controls, update the artists and re-render the PNG.

        The axes, ticks and labels are rendered once per (L, scale mode, y-limits) and kept in a small LRU
        cache (the y-limits are rounded and sticky, so they rarely change); a redraw restores that background,
        draws the few artists that changed and encodes the PNG (fast compression).
        """
        L = int(self.depth.value)
        t = None if self.scale_mode.value == "optimised" else 1.0
        self.values = np.asarray(stairs_from_singular_values(self._sigma, L, t=t), dtype=float)
        self._artists.update(self.values, L, optimised=t is None, t=t, sticky=True)
        key = self._artists.background_key()
        if key in self._backgrounds:
            self._backgrounds.move_to_end(key)
            self._canvas.restore_region(self._backgrounds[key])
        else:
            self._canvas.draw()  # everything but the animated (dynamic) artists
            self._backgrounds[key] = self._canvas.copy_from_bbox(self.figure.bbox)
            if len(self._backgrounds) > _MAX_CACHED_BACKGROUNDS:
                self._backgrounds.popitem(last=False)
            self.full_redraws += 1
        for artist in self._artists.dynamic:
            self.figure.draw_artist(artist)
        self.image.value = canvas_png(self._canvas)


def _format_sigma(sigma) -> str:
    return ", ".join(f"{s:.4g}" for s in sigma)


def stairs_explorer(sigma=None, L=4):
    """Interactive stairs plot: sliders for the depth and the spectrum, a toggle for the scale mode.

    Parameters
    ----------
    sigma : array_like or None
        Initial singular values of ``A`` (>= 0, at least one positive). None: ``decaying_spectrum(3, 0.5)``.
    L : int
        Initial depth, 2..10.

    Returns
    -------
    StairsExplorer (an ``ipywidgets.VBox``)
        Display it in a notebook. Its controls are the attributes ``depth``, ``rank``, ``decay``,
        ``singular_values`` and ``scale_mode``; after any change ``explorer.values`` holds the plotted
        ``[P^2..P^L]`` and ``explorer.ax`` the redrawn axes (artists are reused, the PNG re-rendered).
        Readers of the static website see no live widget: draw a static figure next to it.
    """
    return StairsExplorer(sigma=sigma, L=L)
