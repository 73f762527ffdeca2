"""The picture of the duality toolkit appendix: a polygon, the level sets of its gauge, and its polar.

:func:`plot_gauge_polar` draws, for a polygon ``C`` with the origin inside and a point ``y``, the two sides of
``gamma_C(y) = max{v^T y : v in C°}``: on the left ``C`` and the scaled copies ``t C`` (the level sets
``{gamma_C = t}``) with the copy through ``y``; on the right the polar ``C°`` and the line ``{v : v^T y = gamma_C(y)}``
touching it at the maximising vertex. The numbers come from :mod:`utils.primer.gauges` (one LP, the polar's
vertices); this module only draws them.
"""

from __future__ import annotations

import numpy as np

from .._validation import as_matrix, as_vector, check_positive
from ..primer.gauges import gauge_lp, polar_vertices
from .style import DUAL_COLOR, PRIMAL_COLOR, STEP_COLOR

__all__ = ["plot_gauge_polar"]


def _closed(P: np.ndarray) -> np.ndarray:
    """The vertices of a convex polygon in counter-clockwise order, first vertex repeated at the end."""
    centre = P.mean(axis=0)
    P = P[np.argsort(np.arctan2(P[:, 1] - centre[1], P[:, 0] - centre[0]))]
    return np.r_[P, P[:1]]


def _frame(ax, points: np.ndarray, title: str) -> None:
    lim = 1.15 * np.abs(points).max()
    ax.plot([0], [0], "k+", ms=10)
    ax.set(xlim=(-lim, lim), ylim=(-lim, lim), aspect="equal", title=title)
    ax.title.set_fontsize(10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=2)


def plot_gauge_polar(vertices, y, levels=(0.5, 2.0), axes=None):
    """Two panels: ``C`` with the level sets of its gauge through ``y``, and the polar ``C°`` supporting ``y``.

    Parameters
    ----------
    vertices : array_like, shape (m, 2)
        The vertices of a convex polygon ``C`` (any order) with the origin in its interior.
    y : array_like, shape (2,)
        A point, not the origin.
    levels : sequence of float
        Extra levels ``t > 0`` whose level sets ``t C`` are drawn (dashed) next to ``C`` itself (``t = 1``).
    axes : sequence of two matplotlib Axes, optional
        Where to draw; a new figure of two panels is made when None.

    Returns
    -------
    matplotlib.figure.Figure
        Left: the boundary of ``C`` (gid ``"set-C"``), the level sets (gid ``"level-{t:g}"``), the level set
        through ``y`` (gid ``"level-y"``, the polygon ``gamma_C(y) C``) and the point ``y/gamma_C(y)`` on the
        boundary of ``C`` (gid ``"boundary-point"``). Right: the boundary of ``C°`` (gid ``"set-polar"``), the
        line ``{v : v^T y = gamma_C(y)}`` (gid ``"support-line"``) and the maximising vertex (gid
        ``"polar-argmax"``).

    Raises
    ------
    TypeError, ValueError
        For vertices that are not 2-D points around the origin, ``y = 0``, non-positive levels, or ``axes``
        that are not two matplotlib Axes.
    """
    V = as_matrix("vertices", vertices)
    y = as_vector("y", y)
    if V.shape[1] != 2 or y.size != 2:
        raise ValueError(f"the picture is two-dimensional: vertices must have shape (m, 2) and y shape (2,), got "
                         f"{V.shape} and {y.shape}")
    if not np.any(y):
        raise ValueError("y must not be the origin (its gauge is 0 and there is no supporting line)")
    levels = [check_positive("level", t) for t in levels]
    polar = polar_vertices(V)                      # raises unless the origin is interior to C
    gauge = gauge_lp(V, y)
    scores = polar @ y
    v_star = polar[int(np.argmax(scores))]
    if axes is None:
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(1, 2, figsize=(7.6, 4.3), layout="constrained")
    if len(axes) != 2 or not all(hasattr(ax, "fill") for ax in axes):
        raise TypeError("axes must be two matplotlib Axes")
    left, right = axes
    C = _closed(V)
    left.fill(C[:, 0], C[:, 1], color=STEP_COLOR, alpha=0.2)
    left.plot(C[:, 0], C[:, 1], color=STEP_COLOR, lw=2, label="$C$: gauge $\\leq 1$", gid="set-C")
    for t in levels:
        left.plot(t * C[:, 0], t * C[:, 1], color=STEP_COLOR, lw=1, ls="--", gid=f"level-{t:g}")
        left.annotate(f"{t:g}", t * C[0], fontsize=8, color=STEP_COLOR, xytext=(3, 3), textcoords="offset points")
    left.plot(gauge * C[:, 0], gauge * C[:, 1], color=PRIMAL_COLOR, lw=1, ls=":", gid="level-y",
              label=f"level set through $y$: {gauge:.3f}")
    left.plot([0, y[0]], [0, y[1]], color="0.3", lw=1)
    left.plot(*y, "o", color=PRIMAL_COLOR, ms=7, label="$y$")
    left.plot(*(y / gauge), "o", mfc="white", color=PRIMAL_COLOR, ms=7, gid="boundary-point",
              label="$y / \\gamma_C(y)$ on the boundary")
    _frame(left, np.r_[V * max(levels + [1.0, gauge]), y[None, :]], f"gauge by LP: $\\gamma_C(y)$ = {gauge:.4f}")
    Q = _closed(polar)
    right.fill(Q[:, 0], Q[:, 1], color=DUAL_COLOR, alpha=0.2)
    right.plot(Q[:, 0], Q[:, 1], color=DUAL_COLOR, lw=2, label="polar $C^\\circ$", gid="set-polar")
    direction = np.array([-y[1], y[0]]) / np.linalg.norm(y)
    foot = gauge * y / (y @ y)                     # the point of the line v^T y = gauge closest to 0
    span = 2.0 * np.abs(np.r_[polar.ravel(), foot]).max()
    line = foot + np.outer(np.linspace(-span, span, 2), direction)
    right.plot(line[:, 0], line[:, 1], color=PRIMAL_COLOR, ls="--", lw=1.2, gid="support-line",
               label=f"$v^\\top y$ = {gauge:.3f}")
    right.annotate("", xy=0.5 * y / np.linalg.norm(y) * np.abs(polar).max(), xytext=(0, 0),
                   arrowprops={"arrowstyle": "->", "color": PRIMAL_COLOR})
    right.plot(*v_star, "o", color=DUAL_COLOR, ms=8, gid="polar-argmax",
               label="maximising vertex $v^\\star$")
    _frame(right, polar, f"support function of $C^\\circ$ at $y$ = {scores.max():.4f}")
    return left.figure
