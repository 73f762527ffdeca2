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
* :func:`show_interactive` -- display such a figure in a notebook; :func:`interactive_html` -- its HTML;
* :class:`InteractiveFigure` -- the returned figure type (a ``plotly.graph_objects.Figure``);
* :func:`interactive_grid` -- the slider grid and precomputed values of a figure (for checks and tests).
"""

from __future__ import annotations

import json
import numbers
import re
import uuid

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
from plotly.offline import get_plotlyjs_version

from .._validation import as_vector, check_depth, check_positive
from ..linear.spectra import decaying_spectrum, stairs_from_singular_values
from .style import DUAL_COLOR, GAP_FILL, PRIMAL_COLOR, STEP_COLOR

__all__ = [
    "InteractiveFigure",
    "stairs_figure_interactive",
    "gap_versus_depth_interactive",
    "show_interactive",
    "interactive_html",
    "interactive_grid",
]

STAIRS_KIND = "duality-stairs"
GAP_KIND = "duality-gap-versus-depth"
_DEFAULT_DEPTHS = tuple(range(2, 11))
_DEFAULT_RANKS = tuple(range(1, 9))
_DEFAULT_DECAYS = tuple(float(a) for a in np.arange(13) * 0.25)  # 0, 0.25, ..., 3 (exact in binary)
_DIV_ID = re.compile(r"[A-Za-z0-9_-]+")  # what interactive_html accepts as an HTML id
_HEIGHT = 600  # fallback height (px) of a figure without layout.height


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


_UPDATES = {STAIRS_KIND: _stairs_update, GAP_KIND: _gap_update}


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
    """Layout with the plot area ``plot_px`` high and the sliders (name, labels, active, prefix) below it."""
    top, below_axis, per_slider = 70, 95, 80  # pixels: title+legend, x-axis ticks+title, one slider
    bottom = below_axis + per_slider * len(sliders)
    return dict(
        template=go.layout.Template(layout=pio.templates["plotly_white"].layout),
        height=top + plot_px + bottom,
        margin=dict(l=60, r=20, t=top, b=bottom),
        legend=dict(orientation="h", x=0, y=1.0, yanchor="bottom"),
        title=dict(x=0.0, xref="paper", xanchor="left", y=0.985, yanchor="top", font=dict(size=14)),
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


def interactive_grid(fig) -> dict:
    """The slider grid and precomputed tables of a figure made by this module.

    Parameters
    ----------
    fig : plotly.graph_objects.Figure
        A figure returned by :func:`stairs_figure_interactive` or :func:`gap_versus_depth_interactive`.

    Returns
    -------
    dict
        ``{"kind", "sliders": [names], <name>: [values], ...}`` plus the precomputed tables (``values`` or
        ``dual``/``primal``) exactly as stored in ``fig.layout.meta``.

    Raises
    ------
    TypeError
        For a figure not made by this module.
    """
    meta = getattr(getattr(fig, "layout", None), "meta", None)
    if not isinstance(meta, dict) or meta.get("kind") not in _UPDATES:
        raise TypeError("fig is not an interactive figure made by utils.figures.interactive")
    out = dict(meta)
    out["sliders"] = [s.name for s in fig.layout.sliders]
    return out


# --------------------------------------------------------------------------------------------- display
_SCRIPT = """
(function () {
  var divId = __DIV_ID__, spec = __SPEC__, cdn = __CDN__;
  var kinds = {
    __STAIRS_KIND__: function (m, i) {
      var L = m.depths[i[0]], v = m.values[i[0]][i[1]][i[2]], n = v.length, a = m.decays[i[2]];
      var ls = [], ticks = [], e = [1.5, L + 0.5];
      for (var l = 2; l <= L; l++) { ls.push(l); ticks.push(l === 2 ? l + "<br>(D)" : l === L ? l + "<br>(P)" : String(l)); }
      var title = "L = " + L + ", rank " + m.ranks[i[1]] + ", decay " + a.toFixed(2) + ":   D = " + v[0].toFixed(3) +
        ",   P = " + v[n - 1].toFixed(3) + ",   gap = " + (v[n - 1] - v[0]).toFixed(3);
      return [{x: [ls, e, e], y: [v, [v[0], v[0]], [v[n - 1], v[n - 1]]]},
              {"title.text": title, "xaxis.range": e, "xaxis.tickvals": ls, "xaxis.ticktext": ticks}];
    },
    __GAP_KIND__: function (m, i) {
      var D = m.dual[i[0]][i[1]], P = m.primal[i[0]][i[1]], n = D.length, d = m.depths;
      var title = "rank " + m.ranks[i[0]] + ", decay " + m.decays[i[1]].toFixed(2) + ":   at L = " + d[n - 1] +
        ", P - D = " + (P[n - 1] - D[n - 1]).toFixed(3) + " (" + (100 * (P[n - 1] - D[n - 1]) / D[n - 1]).toFixed(1) + "% of D)";
      return [{x: [d, d], y: [D, P]}, {"title.text": title}];
    }
  };
  function draw() {
    var gd = document.getElementById(divId);
    if (!gd || gd.getAttribute("data-drawn")) { return; }
    gd.setAttribute("data-drawn", "1");
    window.Plotly.newPlot(gd, spec.data, spec.layout, spec.config).then(function () {
      gd.on("plotly_sliderchange", function () {
        var m = gd.layout.meta, idx = gd.layout.sliders.map(function (s) { return s.active || 0; });
        var u = kinds[m.kind](m, idx);
        window.Plotly.update(gd, u[0], u[1]);
      });
    });
  }
  if (window.Plotly) { draw(); }
  else {  /* Jupyter or Colab: the website's local plotly.js is not there */
    var s = document.createElement("script");
    s.src = cdn; s.onload = draw; document.head.appendChild(s);
  }
})();
"""


def interactive_html(fig, div_id: str | None = None) -> str:
    """Self-contained HTML (a ``div`` and a ``script``) that draws ``fig`` and wires its sliders.

    Uses ``window.Plotly`` when the page has it (the website loads ``_static/vendor/plotly``), otherwise loads the
    matching plotly.js from cdn.plot.ly (Jupyter, Colab).

    Parameters
    ----------
    fig : plotly.graph_objects.Figure
        A figure made by this module.
    div_id : str, optional
        The HTML id of the figure's ``div``: letters, digits, ``-`` and ``_`` only; default a random id.

    Returns
    -------
    str
        The HTML snippet.

    Raises
    ------
    ValueError
        If ``div_id`` is not a non-empty string of letters, digits, ``-`` and ``_``.
    """
    if div_id is None:
        div_id = f"duality-{uuid.uuid4().hex[:12]}"
    elif not isinstance(div_id, str) or not _DIV_ID.fullmatch(div_id):
        raise ValueError(f"div_id must be letters, digits, '-' and '_' only (an HTML id), got {div_id!r}")
    kind = interactive_grid(fig)["kind"]
    spec = json.loads(pio.to_json(fig, validate=False))
    spec["config"] = {
        "responsive": True,
        "displaylogo": False,
        "typesetMath": False,
        "modeBarButtonsToRemove": ["select2d", "lasso2d"],
    }
    spec_json = json.dumps(spec, separators=(",", ":")).replace("</", "<\\/")
    fields = {
        "__DIV_ID__": json.dumps(div_id),
        "__CDN__": json.dumps(f"https://cdn.plot.ly/plotly-{get_plotlyjs_version()}.min.js"),
        "__STAIRS_KIND__": json.dumps(STAIRS_KIND),
        "__GAP_KIND__": json.dumps(GAP_KIND),
        "__SPEC__": spec_json,  # last: the figure's own text cannot inject a placeholder
    }
    script = _SCRIPT
    for placeholder, value in fields.items():
        script = script.replace(placeholder, value)
    height = int(fig.layout.height or _HEIGHT)
    return (
        f'<div id="{div_id}" class="plotly-graph-div duality-interactive" data-kind="{kind}" '
        f'style="height:{height}px; width:100%;"></div>\n<script type="text/javascript">{script}</script>'
    )


def show_interactive(fig) -> None:
    """Display an interactive figure of this module in a notebook (offline-safe HTML, see module doc).

    Parameters
    ----------
    fig : plotly.graph_objects.Figure
        A figure made by this module; shown with :func:`interactive_html`.
    """
    from IPython.display import HTML, display

    display(HTML(interactive_html(fig)))
