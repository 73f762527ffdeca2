"""The primer's picture of the norm-dual step: ``inf_w ||w|| - g^T w = 0 if ||g||_* <= 1, else -inf``.

:func:`plot_norm_dual_step` draws, in the plane and for the l1, l2 and l-infinity norms, the unit ball of the norm,
the unit ball of its dual norm ``||g||_* = max_{||u|| <= 1} g^T u``, a vector ``g`` inside and one outside the dual
ball, and the ray along which ``||w|| - g^T w`` decreases without bound when ``||g||_* > 1``.
"""

from __future__ import annotations

import numpy as np

from .._validation import as_vector
from .style import DUAL_COLOR, PRIMAL_COLOR, STEP_COLOR

__all__ = ["plot_norm_dual_step"]

_DUAL_EXPONENT = {1.0: np.inf, 2.0: 2.0, np.inf: 1.0}
_NORM_NAMES = {1.0: "\\ell_1", 2.0: "\\ell_2", np.inf: "\\ell_\\infty"}


def _support_point(g: np.ndarray, p: float) -> np.ndarray:
    """A maximiser ``u`` of ``g^T u`` over the unit ball of the l_p norm (``g^T u = ||g||_q``, ``||u||_p = 1``)."""
    if p == 2.0:
        return g / np.linalg.norm(g)
    if p == 1.0:
        i = int(np.argmax(np.abs(g)))
        return np.where(np.arange(g.size) == i, 1.0 if g[i] >= 0 else -1.0, 0.0)
    return np.where(g >= 0, 1.0, -1.0)


def _unit_sphere(p: float, n: int = 401) -> np.ndarray:
    """Points of ``{w in R^2 : ||w||_p = 1}`` (the corners of the l1 and l-infinity balls included)."""
    angles = np.linspace(0.0, 2 * np.pi, n)
    d = np.c_[np.cos(angles), np.sin(angles)]
    return d / np.linalg.norm(d, ord=p, axis=1)[:, None]


def plot_norm_dual_step(g_inside=(0.5, 0.45), g_outside=(1.3, 0.6), norms=(2, 1)):
    """The norm-dual step ``inf_w ||w|| - g^T w = 0 if ||g||_* <= 1, else -inf`` in the plane.

    One panel per norm: its unit ball ``{||w|| <= 1}`` (filled), the dual unit ball ``{||g||_* <= 1}`` (dashed),
    the two vectors ``g`` and, for ``g_outside``, the ray ``w = t u`` along a unit vector with ``g^T u = ||g||_*``.
    A last panel draws ``||t u|| - g^T (t u) = t (1 - ||g||_*)`` along that ray for both vectors and every norm:
    non-negative when ``||g||_* <= 1`` (infimum 0, at ``w = 0``), unbounded below otherwise.

    Parameters
    ----------
    g_inside, g_outside : array_like, shape (2,)
        Vectors with ``||g_inside||_* <= 1 < ||g_outside||_*`` for every norm of ``norms``.
    norms : sequence of 1, 2 or ``np.inf``
        The norms ``||.||_p`` (the dual norm is ``||.||_q``, ``1/p + 1/q = 1``), one panel each.

    Returns
    -------
    matplotlib.figure.Figure (made with pyplot). In each ball panel the artists with gids ``"unit-ball"``,
    ``"dual-ball"``, ``"g-inside"``, ``"g-outside"`` and ``"ray"``; in the last panel one line per norm and vector,
    with gid ``"ray-value"``.

    Raises
    ------
    TypeError, ValueError
        For vectors that are not finite 2-vectors, an unknown or empty ``norms``, or vectors on the wrong side of a
        dual ball.
    """
    import matplotlib.pyplot as plt

    g_in, g_out = as_vector("g_inside", g_inside), as_vector("g_outside", g_outside)
    if g_in.size != 2 or g_out.size != 2:
        raise ValueError(f"g_inside and g_outside must be 2-vectors, got sizes {g_in.size} and {g_out.size}")
    ps = [float(p) for p in np.atleast_1d(np.asarray(norms, dtype=float))]
    if not ps or any(p not in _DUAL_EXPONENT for p in ps):
        raise ValueError(f"norms must be a non-empty sequence of 1, 2 or np.inf, got {norms!r}")
    for p in ps:
        d_in, d_out = np.linalg.norm(g_in, _DUAL_EXPONENT[p]), np.linalg.norm(g_out, _DUAL_EXPONENT[p])
        if d_in > 1:
            raise ValueError(f"g_inside must lie in the dual unit ball of l_{p:g}: its dual norm is {d_in:.3g} > 1")
        if d_out <= 1:
            raise ValueError(f"g_outside must lie outside the dual unit ball of l_{p:g}: its dual norm is "
                             f"{d_out:.3g} <= 1")
    fig, axes = plt.subplots(1, len(ps) + 1, figsize=(3.3 * (len(ps) + 1), 3.9), layout="constrained")
    t = np.linspace(0.0, 3.0, 2)
    for ax, p, style in zip(axes, ps, ["-", "--", ":"], strict=False):
        q, name = _DUAL_EXPONENT[p], _NORM_NAMES[p]
        ax.fill(*_unit_sphere(p).T, color=STEP_COLOR, alpha=0.25, gid="unit-ball", label="unit ball $\\|w\\| \\leq 1$")
        ax.plot(*_unit_sphere(q).T, "--", color=DUAL_COLOR, gid="dual-ball", label="dual ball $\\|g\\|_* \\leq 1$")
        u = _support_point(g_out, p)
        ax.plot(*np.outer(t, u).T, ":", color=PRIMAL_COLOR, lw=2, gid="ray",
                label="ray $w = tu$ along which $\\|w\\| - g^\\top w \\to -\\infty$")
        ax.plot(*u, "s", color=PRIMAL_COLOR, ms=4, label="$u$: $\\|u\\| = 1$, $g^\\top u = \\|g\\|_*$")
        for g, colour, gid, where in [(g_in, DUAL_COLOR, "g-inside", "inside"),
                                      (g_out, PRIMAL_COLOR, "g-outside", "outside")]:
            ax.annotate("", g, (0, 0), arrowprops=dict(arrowstyle="->", color=colour))
            ax.plot(*g, "o", color=colour, gid=gid, ms=5, label=f"$g$ {where} the dual ball")
            axes[-1].plot(t, t * (1 - np.linalg.norm(g, q)), style, color=colour, gid="ray-value",
                          label=f"${name}$: $\\|g\\|_* = {np.linalg.norm(g, q):.2f}$")
        ax.set(xlim=(-1.6, 1.6), ylim=(-1.6, 1.6), aspect="equal",
               title=f"${name}$ ball, dual ${_NORM_NAMES[q]}$ ball", xlabel="$w_1$, $g_1$", ylabel="$w_2$, $g_2$")
    fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncol=3, fontsize=8)
    axes[-1].axhline(0.0, color="0.5", lw=0.8)
    axes[-1].set(xlabel="$t$", ylabel="$\\|w\\| - g^\\top w$ at $w = tu$", title="$t\\,(1 - \\|g\\|_*)$ along the ray")
    axes[-1].legend(fontsize=7, loc="lower left")
    return fig
