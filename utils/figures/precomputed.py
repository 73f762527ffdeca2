"""In-browser figures for any slider: every slider position precomputed in Python, redrawn by JavaScript.

The kernel-free figures of :mod:`utils.figures.interactive` each have their own small JavaScript update rule.
:func:`precomputed_figure` is the general form: the caller gives a Plotly figure (its traces and layout), the
sliders, and for every combination of slider positions the Plotly ``restyle`` dictionary (new trace data) and
``relayout`` dictionary (new title, ranges...). The website redraws from these tables with no Python kernel, so
a reader who drags a slider there sees exactly what the ipywidgets version shows with a kernel.

Use it for figures whose state is cheap to tabulate (a few hundred positions, a few kB each).
"""

from __future__ import annotations

import itertools
import math
import numbers

import numpy as np
import plotly.graph_objects as go

from .interactive import InteractiveFigure, _apply, _layout_with_sliders
from .interactive_html import PRECOMPUTED_KIND

__all__ = ["precomputed_figure"]

_MAX_POSITIONS = 2000  # tables larger than this make the page heavy: tabulate fewer positions


def _plain(value):
    """JSON-ready copy of ``value`` (numpy arrays and scalars to lists and floats; NaN/inf to None)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        return _plain(value.tolist())
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value) if math.isfinite(float(value)) else None
    return value


def precomputed_figure(base, sliders, update, *, alt: str, plot_px: float = 340) -> InteractiveFigure:
    """A Plotly figure with sliders whose every position is precomputed (works without a kernel).

    Parameters
    ----------
    base : plotly.graph_objects.Figure
        The traces (in the order the updates refer to) and any layout settings (axes, legend). Its sliders and
        ``layout.meta`` are replaced.
    sliders : sequence of (name, labels, active, prefix)
        One tuple per slider: its name, the label of each position (strings), the initial position (an index)
        and the text shown before the current label.
    update : callable
        ``update(i_1, ..., i_k) -> (restyle, relayout)`` for slider position indices ``i_j``: ``restyle`` maps a
        trace attribute (``"x"``, ``"y"``, ``"z"``, ``"text"`` ...) to a list with one value per trace (all
        traces, in order); ``relayout`` maps layout paths (``"title.text"``, ``"xaxis.range"``) to values.
    alt : str
        The text alternative of the figure (what it shows and what the sliders change), read by screen readers.
    plot_px : float
        Height of the plot area in pixels (the sliders are added below it).

    Returns
    -------
    InteractiveFigure
        ``layout.meta = {"kind": "precomputed", "shape": [n_1, ..., n_k], "updates": [...], "alt": alt}`` with
        the updates in row-major (C) order of the slider indices; the figure shows the initial position.

    Raises
    ------
    TypeError
        If ``base`` is not a Plotly figure or ``update`` is not callable.
    ValueError
        For no sliders, an empty slider, an initial position out of range, more than 2000 positions in all, an
        empty ``alt``, or an update whose ``restyle`` lists do not have one value per trace.
    """
    if not isinstance(base, go.Figure):
        raise TypeError(f"base must be a plotly.graph_objects.Figure, got {type(base).__name__}")
    if not callable(update):
        raise TypeError("update must be a callable update(*indices) -> (restyle, relayout)")
    if not isinstance(alt, str) or not alt.strip():
        raise ValueError("alt must be a non-empty text alternative describing the figure")
    sliders = [tuple(s) for s in sliders]
    if not sliders:
        raise ValueError("a precomputed figure needs at least one slider")
    shape = []
    for name, labels, active, _prefix in sliders:
        if len(labels) == 0:
            raise ValueError(f"slider {name!r} has no positions")
        if isinstance(active, bool) or not isinstance(active, numbers.Integral) or not 0 <= active < len(labels):
            raise ValueError(f"slider {name!r}: initial position {active!r} is not an index of its {len(labels)} labels")
        shape.append(len(labels))
    if math.prod(shape) > _MAX_POSITIONS:
        raise ValueError(f"{math.prod(shape)} slider positions (at most {_MAX_POSITIONS}): tabulate fewer")
    n_traces = len(base.data)
    updates = []
    for idx in itertools.product(*(range(n) for n in shape)):
        restyle, relayout = update(*idx)
        for key, per_trace in restyle.items():
            if len(per_trace) != n_traces:
                raise ValueError(f"update{idx}: restyle[{key!r}] has {len(per_trace)} values for {n_traces} traces")
        updates.append([_plain(restyle), _plain(relayout)])

    layout = _layout_with_sliders([(str(n), [str(x) for x in lab], int(a), str(p)) for n, lab, a, p in sliders],
                                  plot_px=plot_px)  # fmt: skip
    fig = InteractiveFigure(base)
    fig.update_layout(**layout)
    fig.layout.meta = {"kind": PRECOMPUTED_KIND, "shape": shape, "updates": updates, "alt": alt.strip()}
    flat = int(np.ravel_multi_index([int(s[2]) for s in sliders], shape))
    _apply(fig, *updates[flat])
    return fig
