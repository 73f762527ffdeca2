"""Interactive Plotly figures that work on the static website, without a kernel.

They draw the closed forms of the book's appendix *Derivations and conventions*, sections 2 and 3 (the gap of
standard deep linear networks and the stairs of the duality gap).

Website readers have no Python, so ipywidgets callbacks cannot run for them. The figures here precompute
every value on a grid of slider positions (depth ``L``, rank ``r`` and decay ``a`` of the spectrum
``sigma_i = exp(-a (i-1))``) with the closed forms of :mod:`utils.linear.spectra`, store the grid in
``fig.layout.meta``, and a few lines of JavaScript redraw the figure when a slider moves.

Display them with :func:`show_interactive` (or just leave the figure as the last expression of a cell):
the output is a ``text/html`` snippet that draws with the plotly.js the website ships in
``_static/vendor/plotly`` (no CDN); in Jupyter or Colab, where that file is absent, the snippet loads the
same plotly.js version from cdn.plot.ly.

Public names:

* :func:`stairs_figure_interactive` -- the stairs ``[P^2, ..., P^L]`` with sliders for L, rank and decay;
* :func:`gap_versus_depth_interactive` -- ``P_lin`` and ``D_lin`` against L with rank and decay sliders;
* :func:`training_runs_interactive` -- relative gaps of trained networks to a certified optimum, width slider;
* :func:`show_interactive` -- display such a figure in a notebook; :func:`interactive_html` -- its HTML;
* :class:`InteractiveFigure` -- the returned figure type (a ``plotly.graph_objects.Figure``);
* :func:`interactive_grid` -- the slider grid and precomputed values of a figure (for checks and tests).
"""

from __future__ import annotations

import numbers

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio

from .._validation import as_vector, check_depth, check_positive
from ..linear.spectra import decaying_spectrum, stairs_from_singular_values
from .interactive_html import GAP_KIND, RUNS_KIND, STAIRS_KIND, interactive_html, show_interactive
from .style import DUAL_COLOR, GAP_FILL, PRIMAL_COLOR, STEP_COLOR

__all__ = ["InteractiveFigure", "stairs_figure_interactive", "gap_versus_depth_interactive"]
__all__ += ["training_runs_interactive"]

_DEFAULT_DEPTHS = tuple(range(2, 11))
_DEFAULT_RANKS = tuple(range(1, 9))
_DEFAULT_DECAYS = tuple(float(a) for a in np.arange(13) * 0.25)  # 0, 0.25, ..., 3 (exact in binary)
_MODEBAR_PX = 34  # height of the strip at the top kept free for Plotly's toolbar: the title starts below it


# --------------------------------------------------------------------------------------------- validation
def _int_grid(name: str, values, minimum: int) -> list[int]:
    if isinstance(values, (str, bytes)) or values is None:
        raise TypeError(f"{name} must be a sequence of integers, got {values!r}")
    out = []
    for v in values:
        if isinstance(v, bool) or not isinstance(v, numbers.Integral):
            raise TypeError(f"{name} must contain integers, got {v!r}")
        if int(v) < minimum:
            raise ValueError(f"{name} must contain integers >= {minimum}, got {v}")
        out.append(int(v))
    if not out:
        raise ValueError(f"{name} is empty")
    if len(set(out)) != len(out) or out != sorted(out):
        raise ValueError(f"{name} must be strictly increasing, got {out}")
    return out


def _decay_grid(values) -> list[float]:
    arr = as_vector("decays", values)
    if np.any(arr < 0):
        raise ValueError("decays must be >= 0")
    if np.any(np.diff(arr) <= 0):
        raise ValueError(f"decays must be strictly increasing, got {arr.tolist()}")
    return [float(a) for a in arr]


def _index_in(name: str, value, grid) -> int:
    """Index of ``value`` in ``grid`` (floats compared with a tolerance), or ValueError."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {value!r}")
    hits = np.flatnonzero(np.isclose(np.asarray(grid, dtype=float), float(value), rtol=0, atol=1e-9))
    if hits.size == 0:
        raise ValueError(f"{name} = {value} is not one of the slider positions {list(grid)}")
    return int(hits[0])


# --------------------------------------------------------------------------------------------- the states
# Each figure has sliders with method "skip": moving one changes no data by itself; the JavaScript in
# _SCRIPT reads the active index of every slider, looks the values up in layout.meta and calls
# Plotly.update with the dictionaries below. The Python functions build the same dictionaries for the
# initial state, so the two sides stay in step (the browser test compares them).
def _stairs_update(meta: dict, idx: list[int]) -> tuple[dict, dict]:
    L, rank, decay = meta["depths"][idx[0]], meta["ranks"][idx[1]], meta["decays"][idx[2]]
    v = meta["values"][idx[0]][idx[1]][idx[2]]
    edges = [1.5, L + 0.5]
    ticks = [f"{l}<br>(D)" if l == 2 else f"{l}<br>(P)" if l == L else str(l) for l in range(2, L + 1)]
    data = {"x": [list(range(2, L + 1)), edges, edges], "y": [v, [v[0], v[0]], [v[-1], v[-1]]]}
    title = (
        f"L = {L}, rank {rank}, decay {decay:.2f}:   D = {v[0]:.3f},   P = {v[-1]:.3f},   "
        f"gap = {v[-1] - v[0]:.3f}"
    )
    layout = {"title.text": title, "xaxis.range": edges, "xaxis.tickvals": list(range(2, L + 1)),
              "xaxis.ticktext": ticks}  # fmt: skip
    return data, layout


def _gap_update(meta: dict, idx: list[int]) -> tuple[dict, dict]:
    rank, decay = meta["ranks"][idx[0]], meta["decays"][idx[1]]
    D, P = meta["dual"][idx[0]][idx[1]], meta["primal"][idx[0]][idx[1]]
    depths = meta["depths"]
    rel = 100 * (P[-1] - D[-1]) / D[-1]
    data = {"x": [depths, depths], "y": [D, P]}
    title = (
        f"rank {rank}, decay {decay:.2f}:   at L = {depths[-1]}, P - D = {P[-1] - D[-1]:.3f} "
        f"({rel:.1f}% of D)"
    )
    return data, {"title.text": title}


def _runs_update(meta: dict, idx: list[int]) -> tuple[dict, dict]:
    thr, floor, ys, counts = meta["threshold"], meta["floor"], [], []
    for k, name in enumerate(meta["optimizers"]):
        g = meta["gaps"][k][idx[0]]
        ys.append([None if v is None else max(v, floor) for v in g])
        count = f"{name} {sum(v is not None and v <= thr for v in g)}/{len(g)}"
        count += f" within {meta['threshold_label']}" if k == 0 else ""
        diverged = sum(v is None for v in g)
        counts.append(count + (f" ({diverged} diverged)" if diverged else ""))
    prefix = meta["title"] + ", " if meta["title"] else ""
    return {"y": ys}, {"title.text": f"{prefix}width {meta['widths'][idx[0]]}: " + ", ".join(counts)}


def _apply(fig: go.Figure, data: dict, layout: dict) -> None:
    for key, per_trace in data.items():
        for i, value in enumerate(per_trace):
            fig.data[i][key] = value
    for key, value in layout.items():
        fig.layout[key] = value


def _slider(name: str, labels: list[str], active: int, offset_px: float, plot_px: float, prefix: str) -> dict:
    steps = [dict(method="skip", label=lab, value=lab, args=[]) for lab in labels]
    return dict(name=name, active=active, steps=steps, x=0.0, len=1.0, y=-offset_px / plot_px, yanchor="top",
                pad=dict(t=0, b=0), currentvalue=dict(prefix=prefix, font=dict(size=13)), font=dict(size=10),
                ticklen=3)  # fmt: skip


def _layout_with_sliders(sliders: list[tuple], plot_px: float = 340) -> dict:
    """Layout with the plot area ``plot_px`` high and the sliders (name, labels, active, prefix) below it.

    From the top: a strip of ``_MODEBAR_PX`` pixels kept free for Plotly's toolbar (the modebar, drawn at the
    top right of the figure), the title below it, the legend, the plot area, the x-axis and the sliders.
    """
    top, below_axis, per_slider = _MODEBAR_PX + 58, 95, 80  # pixels: toolbar+title+legend, x-axis, one slider
    bottom = below_axis + per_slider * len(sliders)
    return dict(
        template=go.layout.Template(layout=pio.templates["plotly_white"].layout),
        height=top + plot_px + bottom,
        margin=dict(l=60, r=20, t=top, b=bottom),
        legend=dict(orientation="h", x=0, y=1.0, yanchor="bottom"),
        title=dict(x=0.0, xref="paper", xanchor="left", y=1.0, yref="container", yanchor="top",
                   pad=dict(t=_MODEBAR_PX), font=dict(size=14)),
        sliders=[_slider(name, labels, active, below_axis + per_slider * k, plot_px, prefix)
                 for k, (name, labels, active, prefix) in enumerate(sliders)],
    )  # fmt: skip


class InteractiveFigure(go.Figure):
    """A Plotly figure whose notebook display is the offline-safe HTML of :func:`interactive_html`.

    Leaving it as the last expression of a cell (or calling :func:`show_interactive`) displays it; its
    data and ``layout.meta`` can be inspected like any ``plotly.graph_objects.Figure``.
    """

    def _ipython_display_(self):  # plotly's own would use its renderers (CDN or inlined plotly.js)
        show_interactive(self)

    def _repr_html_(self):
        return interactive_html(self)

    def _repr_mimebundle_(self, include=None, exclude=None, **kwargs):
        kind = (self.layout.meta or {}).get("kind", "figure")
        return {"text/html": interactive_html(self), "text/plain": f"<interactive Plotly figure: {kind}>"}


# --------------------------------------------------------------------------------------------- figures
def stairs_figure_interactive(
    L=4, rank=3, decay=0.5, *, depths=_DEFAULT_DEPTHS, ranks=_DEFAULT_RANKS, decays=_DEFAULT_DECAYS
) -> InteractiveFigure:
    """The stairs of the duality gap ``[P^2, ..., P^L]`` with sliders for L, rank and decay.

    The values are those of the book's appendix *Derivations and conventions*, section 3.

    For every slider position the values ``P^l = (L/2) ||A||_{S_{2/l}}^{2/L}`` (optimised over the scale t)
    are precomputed with :func:`utils.stairs_from_singular_values` for the singular values
    ``sigma = decaying_spectrum(rank, decay)``, i.e. ``sigma_i = exp(-decay (i - 1))``, i = 1..rank.
    ``P^2`` is the dual value D, ``P^L`` the primal value P of the standard network.

    Parameters
    ----------
    L, rank, decay : initial slider positions; each must be one of ``depths``, ``ranks``, ``decays``.
    depths : increasing integers >= 2 (default 2..10). ranks : increasing integers >= 1 (default 1..8).
    decays : increasing floats >= 0 (default 0, 0.25, ..., 3).

    Returns
    -------
    InteractiveFigure
        Traces: 0 the stairs (x = l = 2..L, y = P^l), 1 the level of D, 2 the level of P.
        ``layout.meta`` holds ``kind``, the grids ``depths``, ``ranks``, ``decays`` and ``values[iL][ir][ia]``
        (the list ``[P^2, ..., P^L]``); ``layout.sliders`` are, in order, L, rank and decay.
    """
    depths = _int_grid("depths", depths, 2)
    ranks = _int_grid("ranks", ranks, 1)
    decays = _decay_grid(decays)
    idx = [
        _index_in("L", check_depth(L), depths),
        _index_in("rank", rank, ranks),
        _index_in("decay", check_positive("decay", decay, allow_zero=True), decays),
    ]
    values = [
        [
            [stairs_from_singular_values(decaying_spectrum(r, a), depth).tolist() for a in decays]
            for r in ranks
        ]
        for depth in depths
    ]
    meta = {"kind": STAIRS_KIND, "depths": depths, "ranks": ranks, "decays": decays, "values": values}

    layout = _layout_with_sliders(
        [
            ("L", [str(d) for d in depths], idx[0], "depth L = "),
            ("rank", [str(r) for r in ranks], idx[1], "rank r = "),
            ("decay", [f"{a:g}" for a in decays], idx[2], "decay a = "),
        ]
    )
    layout.update(
        meta=meta,
        xaxis={"title": {"text": "step l  (first l - 2 layers shared, the others parallel)"}},
        yaxis={"title": {"text": "value P<sup>l</sup> (optimised over t)"}},
    )
    fig = InteractiveFigure(layout=layout)
    fig.add_scatter(
        name="P<sup>l</sup>",
        mode="lines+markers",
        line={"shape": "hv", "color": STEP_COLOR},
        marker={"size": 9},
        hovertemplate="P<sup>%{x}</sup> = %{y:.4f}<extra></extra>",
    )
    fig.add_scatter(
        name="D = P<sup>2</sup> (dual)",
        mode="lines",
        line={"dash": "dash", "color": DUAL_COLOR},
        hovertemplate="D = %{y:.4f}<extra></extra>",
    )
    fig.add_scatter(
        name="P = P<sup>L</sup> (primal)",
        mode="lines",
        line={"dash": "dash", "color": PRIMAL_COLOR},
        hovertemplate="P = %{y:.4f}<extra></extra>",
    )
    _apply(fig, *_stairs_update(meta, idx))
    return fig


def gap_versus_depth_interactive(
    rank=3, decay=0.5, *, depths=_DEFAULT_DEPTHS, ranks=_DEFAULT_RANKS, decays=_DEFAULT_DECAYS
) -> InteractiveFigure:
    """Primal ``P_lin`` and dual ``D_lin`` against the depth L, with rank and decay sliders.

    The values are those of the book's appendix *Derivations and conventions*, sections 2.3 and 2.4.

    For each slider position and each L in ``depths``: ``D = P^2`` and ``P = P^L``, the first and last
    entries of :func:`utils.stairs_from_singular_values` for ``sigma = decaying_spectrum(rank, decay)``.
    The shaded band between the curves is the gap ``P - D`` (zero iff L = 2 or rank 1).

    Parameters are as in :func:`stairs_figure_interactive` (``depths`` are the x values here).

    Returns
    -------
    InteractiveFigure
        Traces: 0 D against L, 1 P against L. ``layout.meta`` holds ``kind``, the grids and
        ``dual[ir][ia]``, ``primal[ir][ia]`` (lists over ``depths``); ``layout.sliders``: rank, decay.
    """
    depths = _int_grid("depths", depths, 2)
    ranks = _int_grid("ranks", ranks, 1)
    decays = _decay_grid(decays)
    idx = [
        _index_in("rank", rank, ranks),
        _index_in("decay", check_positive("decay", decay, allow_zero=True), decays),
    ]
    stairs = [
        [[stairs_from_singular_values(decaying_spectrum(r, a), depth) for depth in depths] for a in decays]
        for r in ranks
    ]
    dual = [[[float(s[0]) for s in by_depth] for by_depth in by_decay] for by_decay in stairs]
    primal = [[[float(s[-1]) for s in by_depth] for by_depth in by_decay] for by_decay in stairs]
    meta = {
        "kind": GAP_KIND,
        "depths": depths,
        "ranks": ranks,
        "decays": decays,
        "dual": dual,
        "primal": primal,
    }

    layout = _layout_with_sliders(
        [
            ("rank", [str(r) for r in ranks], idx[0], "rank r = "),
            ("decay", [f"{a:g}" for a in decays], idx[1], "decay a = "),
        ]
    )
    layout.update(
        meta=meta,
        xaxis={"title": {"text": "depth L"}, "tickvals": depths},
        yaxis={"title": {"text": "optimal value"}},
    )
    fig = InteractiveFigure(layout=layout)
    fig.add_scatter(
        name="D (dual = parallel network)",
        mode="lines+markers",
        line={"color": DUAL_COLOR},
        hovertemplate="L = %{x}: D = %{y:.4f}<extra></extra>",
    )
    fig.add_scatter(
        name="P (standard network)",
        mode="lines+markers",
        line={"color": PRIMAL_COLOR},
        fill="tonexty",
        fillcolor=GAP_FILL,
        hovertemplate="L = %{x}: P = %{y:.4f}<extra></extra>",
    )
    _apply(fig, *_gap_update(meta, idx))
    return fig


_RUN_COLORS = ("#ff7f0e", "#1f77b4", "#2ca02c", "#d62728", "#9467bd")  # matplotlib's cycle, GD orange first


def _exponent_label(value: float) -> str:
    """``1e-4`` for 0.0001 (the threshold as the title shows it); other values as ``%g``."""
    mantissa, _, exponent = f"{value:.0e}".partition("e")
    return f"{mantissa}e{int(exponent)}" if float(f"{mantissa}e{exponent}") == value else f"{value:g}"


def training_runs_interactive(
    gaps, widths, optimizers, *, threshold=1e-4, width=None, title=None
) -> InteractiveFigure:
    """Relative gaps of trained networks to a certified optimum, one marker per run, with a width slider.

    Parameters
    ----------
    gaps : array of shape (n_optimizers, n_widths, n_seeds)
        Relative gaps ``(F - p*) / p*`` of the final objectives F to the optimum p*: each >= 0, or NaN for a
        run that diverged (not drawn, counted in the title).
    widths : increasing integers >= 1, one per slider position (axis 1 of ``gaps``).
    optimizers : distinct non-empty names, one per trace (axis 0 of ``gaps``), e.g. ``["GD", "Adam"]``.
    threshold : float > 0
        A run *reaches* the optimum when its gap is at most this (dashed line; counts in the title).
    width : int, optional
        Initial slider position, one of ``widths``; default the first.
    title : str, optional
        Prepended to the title, which reads e.g. ``width 16: GD 0/20 within 1e-4, Adam 12/20``.

    Returns
    -------
    InteractiveFigure
        Trace k: optimizer k, x = seed 1..n_seeds (shifted a little per optimizer), y = ``max(gap, floor)`` on a
        log axis, ``floor = 1e-12`` (a zero gap cannot be drawn on it). ``layout.meta`` holds ``kind``,
        ``widths``, ``optimizers``, ``threshold``, ``threshold_label``, ``floor``, ``title`` and
        ``gaps[k][iw]`` (the list over seeds, ``None`` for NaN); ``layout.sliders``: one, ``width``.

    Raises
    ------
    ValueError
        If ``gaps`` does not have that shape, a gap is negative or infinite, names are repeated, ``width`` is
        not one of ``widths``. TypeError: ``optimizers`` not non-empty strings, ``title`` not a string.
    """
    widths = _int_grid("widths", widths, 1)
    if isinstance(optimizers, str) or not all(isinstance(o, str) and o for o in optimizers):
        raise TypeError(f"optimizers must be a sequence of non-empty strings, got {optimizers!r}")
    optimizers = list(optimizers)
    if not optimizers or len(set(optimizers)) != len(optimizers):
        raise ValueError(f"optimizers must be distinct and not empty, got {optimizers}")
    if title is not None and not isinstance(title, str):
        raise TypeError(f"title must be a string, got {title!r}")
    g = np.asarray(gaps, dtype=float)
    if g.ndim != 3 or g.shape[:2] != (len(optimizers), len(widths)) or g.shape[2] == 0:
        raise ValueError(f"gaps must have shape ({len(optimizers)}, {len(widths)}, n_seeds) for "
                         f"{len(optimizers)} optimizers and {len(widths)} widths, got {g.shape}")  # fmt: skip
    if np.any(np.isinf(g)):
        raise ValueError("gaps must be finite, or NaN for a diverged run")
    if np.any(g < 0):
        raise ValueError(f"relative gaps must be >= 0 (a run below the optimum?), got {np.nanmin(g):.2g}")
    threshold = check_positive("threshold", threshold)
    idx = [0 if width is None else _index_in("width", width, widths)]
    table = [[[None if np.isnan(v) else float(v) for v in row] for row in per_opt] for per_opt in g]
    meta = {"kind": RUNS_KIND, "widths": widths, "optimizers": optimizers, "threshold": threshold,
            "threshold_label": _exponent_label(threshold), "floor": 1e-12, "title": title or "", "gaps": table}  # fmt: skip
    drawn = np.maximum(g[np.isfinite(g)], meta["floor"])
    low, high = np.log10([drawn.min(initial=threshold), drawn.max(initial=threshold)])
    layout = _layout_with_sliders([("width", [str(w) for w in widths], idx[0], "width m = ")])
    layout.update(
        meta=meta,
        xaxis={"title": {"text": "seed"}, "tickvals": list(range(1, g.shape[2] + 1))},
        yaxis={"title": {"text": "relative gap (F - p*)/p*"}, "type": "log", "range": [low - 0.3, high + 0.3]},
        shapes=[dict(type="line", xref="paper", x0=0, x1=1, y0=threshold, y1=threshold,
                     line=dict(dash="dash", width=1, color="black"))],
    )  # fmt: skip
    fig = InteractiveFigure(layout=layout)
    seeds = np.arange(1, g.shape[2] + 1)
    for k, name in enumerate(optimizers):
        fig.add_scatter(
            name=name,
            x=(seeds + 0.2 * (k - (len(optimizers) - 1) / 2)).tolist(),
            mode="markers",
            marker={"size": 8, "color": _RUN_COLORS[k % len(_RUN_COLORS)], "opacity": 0.8},
            customdata=seeds.tolist(),
            hovertemplate=f"{name}, seed %{{customdata}}: gap %{{y:.2e}}<extra></extra>",
        )
    _apply(fig, *_runs_update(meta, idx))
    return fig
