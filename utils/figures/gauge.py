"""The gauge picture of a two-layer ReLU network on two samples, as an in-browser figure with a label slider.

For data ``X`` (2, 2) the label vector ``y`` lives in the plane, and so does the dual variable ``lambda``. The
figure (made with :func:`utils.precomputed_figure`, so it redraws without a kernel) has two panels:

* labels: the feature set ``{(X u)_+ : ||u|| <= 1}``, its mirror image, the ball ``C`` (their convex hull, the unit
  ball of the gauge ``gamma_C``), the unit label vector ``y``, the boundary point ``y / gamma_C(y)``, the supporting
  line ``{v : lambda*^T v = 1}`` and the active neurons ``sign(c_k) (X u_k)_+`` on it;
* multipliers: the polar ``C°`` (the dual constraint set of the two-layer network), ``lambda*`` and the level line
  ``{lambda : lambda^T y = gamma_C(y)}`` of the dual objective, which touches ``C°`` at ``lambda*``.

The slider turns ``y = (cos theta, sin theta)``. Every position is computed by :func:`utils.sampled_relu_gauge`
(a linear program over sampled neurons: an upper bound on the exact gauge, within the relative error bound that
it reports; the chapter compares it with the exact convex program :func:`utils.gauge_relu_features`).
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .._validation import as_matrix, check_count
from ..relu.gauge import SampledReluGauge, relu_feature_samples, relu_gauge_polygons, sampled_relu_gauge
from .interactive import InteractiveFigure
from .precomputed import precomputed_figure
from .style import DUAL_COLOR, PRIMAL_COLOR, STEP_COLOR

__all__ = ["relu_gauge_figure"]

_LINE_REACH = 10.0  # the drawn lines extend this many times the panel's half-width each way (clipped by the axes)


def _path(points: np.ndarray) -> str:
    """An SVG path through ``points`` (rows), closed."""
    return "M " + " L ".join(f"{x:.5f},{y:.5f}" for x, y in points) + " Z"


def _line(normal: np.ndarray, level: float, reach: float) -> tuple[list, list]:
    """Two far points of the line ``{v : normal^T v = level}`` (the axes clip it)."""
    foot = level * normal / float(normal @ normal)
    direction = np.array([-normal[1], normal[0]]) / np.linalg.norm(normal)
    ends = np.stack([foot - reach * direction, foot + reach * direction])
    return ends[:, 0].tolist(), ends[:, 1].tolist()


def _label(angle_deg: float) -> np.ndarray:
    theta = np.radians(angle_deg)
    return np.array([np.cos(theta), np.sin(theta)])


def _neuron_count(active: np.ndarray, signs: np.ndarray, n_samples: int) -> int:
    """The number of neurons of a sampled solution: runs of neighbouring active samples of one sign count once.

    Where the boundary of ``C`` is curved, the supporting line touches it at one feature ``(X u)_+``, and the linear
    program shares that neuron between the two sampled directions around ``u``. Active samples whose indices are
    consecutive on the circle (index ``n_samples - 1`` neighbours index 0) and whose coefficients have the same sign
    are therefore merged into one neuron.

    Parameters
    ----------
    active : ndarray of int, shape (a,)
        Increasing indices of the active samples, in ``range(n_samples)``.
    signs : ndarray, shape (a,)
        Signs of their coefficients ``c_k``.
    n_samples : int
        Number of sampled directions on the circle.

    Returns
    -------
    int
        ``a`` minus the number of neighbouring pairs ``(active[i], active[i + 1])`` (cyclically) with equal signs;
        at least 1 when ``a >= 1``, and 0 when ``a = 0``.
    """
    if active.size <= 1:
        return int(active.size)
    following = np.roll(active, -1)
    neighbours = ((following - active) % n_samples == 1) & (np.roll(signs, -1) == signs)
    return max(int(active.size - np.count_nonzero(neighbours)), 1)


def _neuron_text(g: SampledReluGauge) -> str:
    """``"1 neuron (2 neighbouring active samples)"`` and the like, from :func:`_neuron_count`."""
    samples = int(g.active.size)
    neurons = _neuron_count(g.active, np.sign(g.coefficients[g.active]), g.angles.size)
    text = f"{neurons} neuron{'s' if neurons != 1 else ''}"
    if neurons == samples:
        return f"{text} ({'one active sample each' if neurons != 1 else 'one active sample'})"
    return f"{text} ({samples} neighbouring active samples merged)"


def _update(y: np.ndarray, g: SampledReluGauge, reach: tuple[float, float]) -> tuple[dict, dict]:
    """Restyle (7 traces) and title for the label ``y`` and its sampled gauge ``g``."""
    lam, value, atoms = g.dual, g.value, g.atoms
    support = _line(lam, 1.0, _LINE_REACH * reach[0])
    level = _line(y, value, _LINE_REACH * reach[1])
    foot = value * y / float(y @ y)
    restyle = {
        "x": [[0.0, y[0]], [y[0] / value], support[0], atoms[:, 0], [lam[0]], level[0], [0.0, foot[0]]],
        "y": [[0.0, y[1]], [y[1] / value], support[1], atoms[:, 1], [lam[1]], level[1], [0.0, foot[1]]],
    }
    title = (f"γ(y) ≈ {value:.4f} (LP over {len(g.angles)} sampled neurons)<br>"
             f"λ* = ({lam[0]:.3f}, {lam[1]:.3f}), {_neuron_text(g)}")
    return restyle, {"title.text": title}


def relu_gauge_figure(X, n_positions: int = 36, n_angles: int = 720, angle: float = 40.0) -> InteractiveFigure:
    """The gauge ball ``C`` of two-layer ReLU features, its polar ``C°``, and ``lambda*`` as the label turns.

    Parameters
    ----------
    X : array_like, shape (2, 2)
        Two samples with two features (for example one-dimensional inputs with a bias column).
    n_positions : int >= 4
        Slider positions: the label ``y = (cos theta, sin theta)`` at ``theta = 360 k / n_positions`` degrees.
    n_angles : int >= 8
        Uniform grid of neurons ``u = (cos, sin)`` of :func:`utils.relu_feature_samples` (critical angles added).
    angle : float
        Initial angle of ``y`` in degrees; the nearest slider position is shown.

    Returns
    -------
    InteractiveFigure
        Static geometry in ``layout.shapes`` (paths, with legend entries): the feature set
        ``{(X u)_+ : ||u|| <= 1}``, its mirror image, the ball ``C`` and the polar ``C°`` from
        :func:`utils.relu_gauge_polygons`. Traces, in order (their data change with the slider): the segment from
        0 to ``y``, the point ``y / gamma``, the line ``lambda*^T v = 1``, the active neurons (``atoms``), the
        point ``lambda*``, the line ``lambda^T y = gamma``, the segment from 0 to ``gamma y`` (dual panel); all
        from :func:`utils.sampled_relu_gauge`. The title states the sampled gauge, the number of sampled
        neurons, ``lambda*`` and the number of neurons of the solution, neighbouring active samples of one sign
        merged into one neuron (they share the neuron of a curved part of the boundary of ``C``). Slider labels
        are ``f"{theta:g}°"``.

    Raises
    ------
    TypeError, ValueError
        For data that are not (2, 2), features that do not span the plane, or bad counts.
    SolverError
        When a linear program is not solved to optimality.
    """
    X = as_matrix("X", X)
    if X.shape != (2, 2):
        raise ValueError(f"the gauge picture needs two samples with two features: X of shape (2, 2), got {X.shape}")
    n_positions = check_count("n_positions", n_positions, 4)
    ball, polar = relu_gauge_polygons(X, n_angles=n_angles)
    curve = relu_feature_samples(X, n_angles=n_angles)[1]
    reach = (1.15 * float(np.abs(ball).max()), 1.15 * float(np.abs(polar).max()))
    angles = 360.0 * np.arange(n_positions) / n_positions
    labels = [_label(a) for a in angles]
    gauges = [sampled_relu_gauge(X, y, n_angles=n_angles) for y in labels]
    start = int(np.argmin(np.abs((angles - float(angle) + 180.0) % 360.0 - 180.0)))

    base = make_subplots(rows=1, cols=2, horizontal_spacing=0.14)
    shapes = [
        (ball, 1, dict(fillcolor="rgba(31, 119, 180, 0.12)", line=dict(color=STEP_COLOR, width=1)),
         "ball C = conv(±(Xu)₊)"),
        (curve, 1, dict(fillcolor="rgba(31, 119, 180, 0.35)", line=dict(color=STEP_COLOR, width=2)),
         "(Xu)₊, ‖u‖ ≤ 1"),
        (-curve, 1, dict(fillcolor="rgba(0, 0, 0, 0)", line=dict(color=STEP_COLOR, width=1.5, dash="dash")),
         "−(Xu)₊"),
        (polar, 2, dict(fillcolor="rgba(44, 160, 44, 0.15)", line=dict(color=DUAL_COLOR, width=1.5)),
         "polar C° (dual constraints)"),
    ]
    for points, col, style, name in shapes:
        base.add_shape(type="path", path=_path(points), row=1, col=col, layer="below", name=name,
                       showlegend=True, **style)
    for trace, col in [
        (go.Scatter(name="label y", mode="lines+markers", line=dict(color="black", width=2),
                    marker=dict(symbol="arrow", angleref="previous", size=[0, 11], color="black")), 1),
        (go.Scatter(name="y / γ(y)", mode="markers", marker=dict(color="black", size=14, symbol="circle-open",
                                                                 line=dict(width=2))), 1),
        (go.Scatter(name="λ*ᵀv = 1", mode="lines", line=dict(color=DUAL_COLOR, width=1.5)), 1),
        (go.Scatter(name="active neurons", mode="markers", marker=dict(color=PRIMAL_COLOR, size=7)), 1),
        (go.Scatter(name="λ*", mode="markers", marker=dict(color=DUAL_COLOR, size=10, symbol="diamond")), 2),
        (go.Scatter(name="λᵀy = γ(y)", mode="lines", line=dict(color="#666666", width=1.5, dash="dot")), 2),
        (go.Scatter(name="direction of y", mode="lines", showlegend=False,
                    line=dict(color="#666666", width=1, dash="dot")), 2),
    ]:
        base.add_trace(trace, row=1, col=col)
    for col, r, names in [(1, reach[0], ("v₁ (sample 1)", "v₂ (sample 2)")), (2, reach[1], ("λ₁", "λ₂"))]:
        base.update_xaxes(range=[-r, r], title_text=names[0], zeroline=True, row=1, col=col)
        base.update_yaxes(range=[-r, r], title_text=names[1], zeroline=True, row=1, col=col,
                          scaleanchor="x" if col == 1 else "x2", scaleratio=1)
    alt = ("Two panels. Left, the plane of label vectors: the feature set of two-layer ReLU neurons (the curve "
           "(Xu)+ for unit u and the region inside it), its mirror image, and their convex hull C, the unit ball "
           "of the gauge; the unit label y, the point y / gamma(y) where the ray through y leaves C, the "
           "supporting line lambda*^T v = 1 and the active neurons on it. Right, the plane of multipliers: the "
           "polar set C° (the dual constraints), the optimal multiplier lambda* on its boundary and the line "
           f"lambda^T y = gamma(y) touching C° there. The slider turns y through {n_positions} angles; the title "
           "gives gamma(y) from the sampled linear program, lambda* and the number of neurons of the solution.")
    steps = [f"{a:g}°" for a in angles]
    fig = precomputed_figure(base, [("angle of y", steps, start, "angle of y: ")],
                             lambda k: _update(labels[k], gauges[k], reach), alt=alt, plot_px=320)
    top = 150  # the two-line title and a legend of two rows above the panels
    fig.update_layout(height=fig.layout.height + top - fig.layout.margin.t, margin=dict(t=top),
                      legend=dict(y=1.04, font=dict(size=11)), title=dict(font=dict(size=13)))
    return fig
