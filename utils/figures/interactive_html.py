"""Self-contained HTML for the book's in-browser (Plotly) figures: a ``div`` and a script that draws the figure and
re-draws it from precomputed tables when a slider moves, with no Python kernel (the website, Jupyter, Colab).

The figures themselves are made by :mod:`utils.figures.interactive`; each stores its slider grid and tables in
``layout.meta`` under a ``kind`` this module knows how to update.
"""

from __future__ import annotations

import html
import json
import re
import uuid

import plotly.io as pio
from plotly.offline import get_plotlyjs_version

__all__ = ["interactive_grid", "interactive_html", "show_interactive"]

STAIRS_KIND = "duality-stairs"
GAP_KIND = "duality-gap-versus-depth"
RUNS_KIND = "training-runs"
PRECOMPUTED_KIND = "precomputed"  # any figure: one stored (restyle, relayout) pair per slider position
KINDS = (STAIRS_KIND, GAP_KIND, RUNS_KIND, PRECOMPUTED_KIND)
_DIV_ID = re.compile(r"[A-Za-z0-9_-]+")  # what interactive_html accepts as an HTML id
_HEIGHT = 600  # fallback height (px) of a figure without layout.height


def interactive_grid(fig) -> dict:
    """The slider grid and precomputed tables of a figure made by this module.

    Parameters
    ----------
    fig : plotly.graph_objects.Figure
        A figure returned by :func:`stairs_figure_interactive`, :func:`gap_versus_depth_interactive` or
        :func:`training_runs_interactive`.

    Returns
    -------
    dict
        ``{"kind", "sliders": [names], <name>: [values], ...}`` plus the precomputed tables (``values``,
        ``dual``/``primal`` or ``gaps``) exactly as stored in ``fig.layout.meta``.

    Raises
    ------
    TypeError
        For a figure not made by this module.
    """
    meta = getattr(getattr(fig, "layout", None), "meta", None)
    if not isinstance(meta, dict) or meta.get("kind") not in KINDS:
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
    },
    __RUNS_KIND__: function (m, i) {
      var ys = [], counts = [];
      m.optimizers.forEach(function (name, k) {
        var g = m.gaps[k][i[0]], y = [], hit = 0, diverged = 0;
        g.forEach(function (v) {
          if (v === null) { diverged++; y.push(null); } else { if (v <= m.threshold) { hit++; } y.push(Math.max(v, m.floor)); }
        });
        ys.push(y);
        counts.push(name + " " + hit + "/" + g.length + (k === 0 ? " within " + m.threshold_label : "") +
          (diverged ? " (" + diverged + " diverged)" : ""));
      });
      var prefix = m.title ? m.title + ", " : "";
      return [{y: ys}, {"title.text": prefix + "width " + m.widths[i[0]] + ": " + counts.join(", ")}];
    },
    __PRECOMPUTED_KIND__: function (m, i) {
      var flat = 0;
      for (var k = 0; k < m.shape.length; k++) { flat = flat * m.shape[k] + i[k]; }
      return m.updates[flat];
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
        "__RUNS_KIND__": json.dumps(RUNS_KIND),
        "__PRECOMPUTED_KIND__": json.dumps(PRECOMPUTED_KIND),
        "__SPEC__": spec_json,  # last: the figure's own text cannot inject a placeholder
    }
    script = _SCRIPT
    for placeholder, value in fields.items():
        script = script.replace(placeholder, value)
    height = int(fig.layout.height or _HEIGHT)
    alt = html.escape(str((fig.layout.meta or {}).get("alt") or _default_alt(fig)), quote=True)
    return (
        f'<div id="{div_id}" class="plotly-graph-div duality-interactive" data-kind="{kind}" role="figure" '
        f'aria-label="{alt}" style="height:{height}px; width:100%;"></div>\n'
        f'<script type="text/javascript">{script}</script>'
    )


def _default_alt(fig) -> str:
    """A text alternative from the figure itself: its title and the names of its sliders."""
    title = re.sub(r"<[^>]+>", " ", str(fig.layout.title.text or "")).strip()
    names = ", ".join(str(s.name) for s in fig.layout.sliders)
    return f"Interactive figure: {title}" + (f" (sliders: {names})" if names else "")


def show_interactive(fig) -> None:
    """Display an interactive figure of this module in a notebook (offline-safe HTML, see module doc).

    Parameters
    ----------
    fig : plotly.graph_objects.Figure
        A figure made by this module; shown with :func:`interactive_html`.
    """
    from IPython.display import HTML, display

    display(HTML(interactive_html(fig)))
