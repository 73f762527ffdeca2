"""Diagrams of deep linear network architectures: shared layers followed by parallel branches.

One function, :func:`draw_network_architecture`, draws every network of the book's deep linear chapters
(the book's appendix *Derivations and conventions*, sections 3 and 4): the standard network, the fully
parallel network, and the partially parallel networks of the stairs of the duality gap in between.
"""

from __future__ import annotations

import numpy as np
from matplotlib.patches import Circle, FancyArrowPatch

from .._validation import check_count, check_depth
from .style import BRANCH_NODE_COLOR, BRANCH_OUTPUT_COLOR, SHARED_NODE_COLOR

__all__ = ["draw_network_architecture"]




def draw_network_architecture(L, n_shared, n_branches=3, ax=None, *, ellipsis=False, title=None):
    """Draw an ``L``-layer linear network whose first ``n_shared`` layers are shared and the rest parallel.

    Stairs step ``s = n_shared`` (the book's appendix *Derivations and conventions*, section 3; the paper's
    index ``l = s + 2``): the input ``X`` passes through the shared layers ``W_1..W_s`` (one node per shared
    hidden representation), then through ``n_branches`` parallel branches, branch j having the layers
    ``W_{s+1,j}..W_{L,j}``; each branch's last hidden layer is a single neuron, and the branch outputs are
    summed into ``Y``.

    - ``n_shared = L - 2``: the standard network (the branches are the neurons of the last hidden layer);
    - ``n_shared = 0``: the fully parallel network of the appendix's section 4 (each branch its own ``W_1``).

    Parameters
    ----------
    L : int
        Number of weight layers (>= 2).
    n_shared : int
        Shared layers ``s``, 0 <= s <= L - 2.
    n_branches : int
        Branches drawn (>= 1).
    ax : matplotlib Axes or None
        Axes to draw on; a new figure is made when None.
    ellipsis : bool
        Draw vertical dots before the last branch, to suggest "K branches" (as for a parallel network).
    title : str or None
        Axes title; None gives a default naming L, s and the number of branches.

    Returns
    -------
    matplotlib.figure.Figure
        Nodes are ``matplotlib.patches.Circle`` patches with gids ``"input-node"`` (1), ``"shared-node"``
        (s: the shared hidden layers), ``"branch-node"`` (``n_branches * (L - 1 - s)``: the hidden layers
        of the branches, the last of each a single neuron) and ``"output-node"`` (1).

    Examples
    --------
    The three steps of a depth-4 network side by side, and a parallel network with K branches::

        fig, axes = plt.subplots(1, 3, figsize=(15, 3.6))
        for s, ax in enumerate(axes):
            draw_network_architecture(4, n_shared=s, ax=ax)
        draw_network_architecture(3, n_shared=0, n_branches=4, ellipsis=True, title="parallel, K branches")
    """
    L = check_depth(L, minimum=2)
    s = check_count("n_shared", n_shared, 0)
    if s > L - 2:
        raise ValueError(f"n_shared must be between 0 and L - 2 = {L - 2} (the last two layers are always "
                         f"in the branches), got {s}")
    K = check_count("n_branches", n_branches, 1)

    if ax is None:
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(1.0 + 1.1 * L, 0.9 + 0.75 * K), layout="constrained")
    else:
        fig = ax.figure
    ys = -np.arange(K, dtype=float)  # branch heights, top to bottom
    if ellipsis and K >= 2:
        ys[-1] -= 0.6  # room for the dots before the last branch
    ys -= (ys.max() + ys.min()) / 2
    r_big, r_small = 0.22, 0.12

    def node(x, y, gid, color, r=r_big, label=None):
        ax.add_patch(Circle((x, y), r, facecolor=color, edgecolor="0.2", lw=1.0, gid=gid, zorder=3))
        if label:
            ax.text(x, y, label, ha="center", va="center", fontsize=8, zorder=4)

    def edge(p, q, r0, r1, label=None, above=True):
        v = np.subtract(q, p)
        u = v / np.hypot(*v)
        a = np.add(p, u * r0)
        b = np.subtract(q, u * r1)
        ax.add_patch(FancyArrowPatch(a, b, arrowstyle="-|>", mutation_scale=9, lw=0.9, color="0.35",
                                     zorder=2))
        if label:
            mid = (a + b) / 2
            ax.text(mid[0], mid[1] + (0.1 if above else -0.1), label, ha="center",
                    va="bottom" if above else "top", fontsize=7, color="0.15")

    node(0, 0, "input-node", "white", label="$X$")
    prev, prev_r = (0.0, 0.0), r_big
    for i in range(1, s + 1):
        node(i, 0, "shared-node", SHARED_NODE_COLOR, label=f"$h_{{{i}}}$")
        edge(prev, (i, 0.0), prev_r, r_big, label=f"$W_{{{i}}}$")
        prev, prev_r = (float(i), 0.0), r_big
    out = (float(L), 0.0)
    for j, y in enumerate(ys):
        p, pr = prev, prev_r
        for i in range(s + 1, L):
            last = i == L - 1  # the branch's last hidden layer: a single neuron, reached by a vector
            r = r_small if last else r_big
            node(i, y, "branch-node", BRANCH_OUTPUT_COLOR if last else BRANCH_NODE_COLOR, r=r)
            label = (f"$w_{{{i},j}}$" if last else f"$W_{{{i},j}}$") if j == 0 else None
            edge(p, (i, y), pr, r, label=label)
            p, pr = (float(i), y), r
        edge(p, out, pr, r_big, label=f"$w_{{{L},j}}^T$" if j == 0 else None)
    node(L, 0, "output-node", "white", label="$Y$")
    ax.text(L, -r_big - 0.12, r"$\Sigma_j$", ha="center", va="top", fontsize=8)
    if ellipsis and K >= 2:
        y_dots = (ys[-2] + ys[-1]) / 2
        for xd in range(s + 1, L):
            ax.text(xd, y_dots, r"$\vdots$", ha="center", va="center", fontsize=10)
    if title is None:
        kind = ("standard network" if s == L - 2 else "fully parallel network" if s == 0
                else f"{s} shared layer{'s' if s != 1 else ''}, {L - s} parallel")
        title = f"L = {L}, s = {s}: {kind}"
    ax.set_title(title, fontsize=9)
    ax.set_xlim(-0.5, L + 0.5)
    ax.set_ylim(ys.min() - 0.6, ys.max() + 0.6)
    ax.set_aspect("equal")
    ax.axis("off")
    return fig
