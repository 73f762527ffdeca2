"""Deep linear networks with weight decay on real data: trained by gradient descent against certified optima.

Two architectures of depth L >= 2 for data ``X`` (n, d) and labels ``Y`` (n, k):

* **standard**: ``X W_1 W_2 ... W_L`` (hidden widths m) with weight decay ``beta/2 sum_l ||W_l||_F^2``. By the
  product lemma (chapter on the low-rank bias) its optimum over all widths >= rank is that of
  ``min_W 1/2 ||X W - Y||_F^2 + beta (L/2) sum_i sigma_i(W)^{2/L}``; when ``X^T X = c I`` (whitened features)
  this is solved exactly singular value by singular value (:func:`deep_linear_weight_decay_optimum`).
* **parallel**: K branches, branch j a standard network whose last hidden layer has one neuron (so it outputs a
  rank-one ``X W_{1,j} ... w_{L-1,j} w_{L,j}^T``), with the power penalty ``beta/L sum_j sum_l ||W_{l,j}||_F^L``.
  Its optimum over all K >= min(d, k) is the convex ``min_W 1/2 ||X W - Y||_F^2 + beta ||W||_*``
  (:func:`parallel_linear_power_optimum`): for a rank-one product ``M`` of L factors, AM-GM and
  submultiplicativity give ``1/L sum_l ||W_l||_F^L >= prod_l ||W_l||_F >= ||M||_F = ||M||_*``, with equality for
  balanced factors of norm ``||M||^{1/L}``; summing over branches, ``sum_j ||M_j||_* >= ||sum_j M_j||_*`` with
  equality for the split of the SVD into rank-one terms.

:func:`train_linear_network` trains either architecture from many seeds at once by full-batch gradient descent
(or Adam), with analytic gradients.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .._validation import (
    as_matrix,
    check_count,
    check_depth,
    check_positive,
    check_same_rows,
    check_seed,
)
from .low_rank import schatten_power_prox, solve_schatten_penalised

__all__ = ["LinearOptimum", "deep_linear_weight_decay_optimum", "parallel_linear_power_optimum",
           "LinearTrainingResult", "train_linear_network"]

_ARCHITECTURES = ("standard", "parallel")


@dataclass
class LinearOptimum:
    """The optimum of a regularised linear problem on the end-to-end matrix ``W``.

    Attributes
    ----------
    value : float
        The optimal value (best found when ``certified`` is False).
    W : ndarray, shape (d, k)
        A minimiser.
    singular_values : ndarray, shape (min(d, k),)
        Singular values of ``W``, descending.
    lower_bound : float
        A proven lower bound on the value (equal to ``value`` for a closed form; a dual certificate for the
        convex problem; ``-inf`` when none is known).
    certified : bool
        Whether ``value`` is proven globally optimal (to rounding, or to ``value - lower_bound``).
    method : str
        How it was computed.
    """

    value: float
    W: np.ndarray = field(repr=False)
    singular_values: np.ndarray
    lower_bound: float
    certified: bool
    method: str


def _check(X, Y, beta):
    X = as_matrix("X", X)
    Y = as_matrix("Y", Y, allow_vector=True)
    check_same_rows(X, Y)
    return X, Y, check_positive("beta", beta)


def _isotropic_scale(X: np.ndarray) -> float | None:
    """``c`` when ``X^T X = c I`` (relative tolerance 1e-10), else None."""
    G = X.T @ X
    c = float(np.trace(G)) / G.shape[0]
    return c if c > 0 and np.linalg.norm(G - c * np.eye(G.shape[0])) <= 1e-10 * c * G.shape[0] else None


def deep_linear_weight_decay_optimum(X, Y, L, beta) -> LinearOptimum:
    """Optimum of the standard depth-L network with weight decay: ``min_W 1/2 ||XW - Y||^2 + beta (L/2) ||W||_{S_{2/L}}^{2/L}``.

    Equal to ``min 1/2 ||X W_1 ... W_L - Y||_F^2 + beta/2 sum_l ||W_l||_F^2`` over all hidden widths >= rank.
    When ``X^T X = c I`` (whitened features, e.g. ``load_real_dataset(..., whiten=True)`` with ``c = n``),
    ``1/2 ||XW - Y||^2 = c/2 ||W - A||^2 + const`` with ``A = X^T Y / c``, and by von Neumann's trace inequality
    the minimiser shares the singular vectors of ``A``, with singular values the exact scalar prox of
    ``x -> (beta L / (2c)) x^{2/L}`` at those of ``A`` (:func:`utils.schatten_power_prox`, global also for
    L >= 3): a closed form, ``certified``. Otherwise the value is :func:`utils.solve_schatten_penalised`'s
    (certified only for L = 2, where the problem is convex).

    Parameters
    ----------
    X : array_like, shape (n, d)
    Y : array_like, shape (n, k) or (n,)
    L : int >= 2
    beta : float > 0

    Returns
    -------
    LinearOptimum
    """
    X, Y, beta = _check(X, Y, beta)
    L = check_depth(L)
    c = _isotropic_scale(X)
    if c is None:
        fit = solve_schatten_penalised(X, Y, L, beta)
        value = fit.objective
        return LinearOptimum(value=value, W=fit.W, singular_values=fit.singular_values,
                             lower_bound=value if L == 2 else -np.inf, certified=L == 2,
                             method="proximal gradient" + (" (convex)" if L == 2 else " (best of several starts)"))
    U, s, Vt = np.linalg.svd(X.T @ Y / c, full_matrices=False)
    s_opt = schatten_power_prox(s, beta * L / (2 * c), L)
    W = (U * s_opt) @ Vt
    value = 0.5 * float(np.sum((X @ W - Y) ** 2)) + beta * L / 2 * float(np.sum(s_opt ** (2.0 / L)))
    return LinearOptimum(value=value, W=W, singular_values=s_opt, lower_bound=value, certified=True,
                         method="closed form (X^T X = c I)")


def parallel_linear_power_optimum(X, Y, beta) -> LinearOptimum:
    """Optimum of the parallel network with the power penalty: ``min_W 1/2 ||X W - Y||_F^2 + beta ||W||_*``.

    Convex; solved by proximal gradient with singular-value soft thresholding
    (:func:`utils.solve_schatten_penalised` with L = 2) and certified by its dual,
    ``max_Lambda <Lambda, Y> - 1/2 ||Lambda||_F^2  s.t.  ||X^T Lambda||_2 <= beta``: for any W and feasible
    Lambda, ``beta ||W||_* >= <X^T Lambda, W>``, so the objective is at least
    ``1/2 ||XW - Y||^2 + <Lambda, XW> >= <Lambda, Y> - 1/2 ||Lambda||^2``. The certificate scales the residual
    ``Y - X W`` into feasibility (best scale in closed form); at the optimum it is feasible and tight.

    Parameters
    ----------
    X : array_like, shape (n, d)
    Y : array_like, shape (n, k) or (n,)
    beta : float > 0

    Returns
    -------
    LinearOptimum
        ``lower_bound`` is the dual value; ``certified`` when ``value - lower_bound <= 1e-9 max(1, value)``.
    """
    X, Y, beta = _check(X, Y, beta)
    fit = solve_schatten_penalised(X, Y, 2, beta)
    R = Y - X @ fit.W
    spectral = float(np.linalg.norm(X.T @ R, 2))
    norm2 = float(np.sum(R * R))
    t = 0.0 if norm2 == 0 else float(np.clip(np.sum(R * Y) / norm2, 0.0,
                                             beta / spectral * (1 - 1e-12) if spectral > 0 else np.inf))
    bound = t * float(np.sum(R * Y)) - 0.5 * t * t * norm2
    return LinearOptimum(value=fit.objective, W=fit.W, singular_values=fit.singular_values, lower_bound=bound,
                         certified=fit.objective - bound <= 1e-9 * max(1.0, fit.objective),
                         method="proximal gradient (convex) with a dual certificate")


@dataclass
class LinearTrainingResult:
    """Runs of one optimiser on one linear architecture from ``n_seeds`` initialisations.

    Attributes
    ----------
    objectives : ndarray, shape (n_seeds,)
        Final objective of every run (computed from its weights on the data).
    products : ndarray, shape (n_seeds, d, k)
        End-to-end matrix of every run (sum over branches of the layer products).
    history : ndarray, shape (n_records, n_seeds)
        Objectives at the steps ``steps`` (last row: ``objectives``).
    steps : ndarray of int, shape (n_records,)
    grad_norms : ndarray, shape (n_seeds,)
        Norm of the gradient (all layers) at the final weights.
    weights : list of ndarray
        Layer ``l`` of every run and branch, shape (n_seeds, K, rows, cols) (K = 1 for ``"standard"``).
    architecture, optimizer : str
    depth, width, branches : int
    beta, lr : float
    """

    objectives: np.ndarray
    products: np.ndarray = field(repr=False)
    history: np.ndarray = field(repr=False)
    steps: np.ndarray = field(repr=False)
    grad_norms: np.ndarray = field(repr=False)
    weights: list = field(repr=False)
    architecture: str = "standard"
    optimizer: str = "gd"
    depth: int = 2
    width: int = 1
    branches: int = 1
    beta: float = 1.0
    lr: float = 0.0

    def relative_gaps(self, optimum: float) -> np.ndarray:
        """``(objectives - optimum) / |optimum|``, shape (n_seeds,)."""
        return (self.objectives - optimum) / abs(optimum)


def _shapes(architecture, L, d, k, m):
    if architecture == "standard":
        return [(d, m)] + [(m, m)] * (L - 2) + [(m, k)]
    return ([(d, 1)] if L == 2 else [(d, m)] + [(m, m)] * (L - 3) + [(m, 1)]) + [(1, k)]


def _forward_backward(Ws, G, XtY, yy, beta, power):
    """Objectives (S,), gradients and end-to-end matrices for layers ``Ws`` (each (S, K, a, b)); ``G = X^T X``.

    ``power`` False: penalty ``beta/2 sum ||W||^2``; True: ``beta/L sum ||W||^L`` (L = len(Ws))."""
    L = len(Ws)
    prefix = [Ws[0]]
    for W in Ws[1:]:
        prefix.append(prefix[-1] @ W)
    suffix = [Ws[-1]]
    for W in reversed(Ws[:-1]):
        suffix.insert(0, W @ suffix[0])
    M = prefix[-1].sum(axis=1)                                     # (S, d, k)
    GM = G @ M
    value = 0.5 * np.sum(M * GM, axis=(1, 2)) - np.sum(M * XtY, axis=(1, 2)) + 0.5 * yy
    dM = (GM - XtY)[:, None]                                       # (S, 1, d, k)
    grads = []
    for i, W in enumerate(Ws):
        left = dM if i == 0 else np.swapaxes(prefix[i - 1], -1, -2) @ dM
        g = left if i == L - 1 else left @ np.swapaxes(suffix[i + 1], -1, -2)
        norms = np.sqrt(np.sum(W * W, axis=(2, 3)))                # (S, K)
        if power:
            value = value + beta / L * np.sum(norms ** L, axis=1)
            g = g + beta * (norms ** (L - 2))[:, :, None, None] * W
        else:
            value = value + 0.5 * beta * np.sum(norms ** 2, axis=1)
            g = g + beta * W
        grads.append(g)
    return value, grads, M


def train_linear_network(X, Y, L, beta, *, architecture: str = "standard", width: int | None = None,
                         branches: int | None = None, optimizer: str = "gd", n_seeds: int = 20, seed=0,
                         n_steps: int = 5000, lr: float | None = None, record_every: int = 50) -> LinearTrainingResult:
    """Train a deep linear network with its penalty (module doc) from ``n_seeds`` initialisations at once.

    ``"standard"``: layers (d, m), (m, m) x (L - 2), (m, k) and ``F = 1/2 ||X W_1...W_L - Y||^2 +
    beta/2 sum_l ||W_l||_F^2``. ``"parallel"``: K branches with layers (d, m), (m, m) x (L - 3), (m, 1), (1, k)
    ((d, 1), (1, k) for L = 2) and ``F = 1/2 ||X sum_j W_{1,j}...W_{L,j} - Y||^2 + beta/L sum_{j,l} ||W_{l,j}||_F^L``.
    Every entry starts ``N(0, 1 / fan_in)`` (LeCun). ``"gd"`` steps ``theta <- theta - (lr / n) grad F`` (step
    ``lr`` on the mean ``F / n``); ``"adam"`` is Adam on ``grad F`` with a cosine decay of ``lr`` to 0
    (as :func:`utils.train_two_layer_practical`).

    Parameters
    ----------
    X : array_like, shape (n, d)
    Y : array_like, shape (n, k) or (n,)
    L : int >= 2
    beta : float > 0
    architecture : {"standard", "parallel"}
    width : int >= 1 or None
        Hidden width m (None: ``max(d, k)``).
    branches : int >= 1 or None
        K for ``"parallel"`` (None: ``max(d, k)``); must be None or 1 for ``"standard"``.
    optimizer : {"gd", "adam"}
    n_seeds : int >= 1
    seed : int, Generator or None
    n_steps : int >= 1
    lr : float > 0 or None
        None: 0.05 for ``"gd"``, 0.01 for ``"adam"``.
    record_every : int >= 1

    Returns
    -------
    LinearTrainingResult
        A run that diverged (learning rate too large) has objective ``nan`` or ``inf``.
    """
    X, Y, beta = _check(X, Y, beta)
    L = check_depth(L)
    if architecture not in _ARCHITECTURES:
        raise ValueError(f"architecture must be 'standard' or 'parallel', got {architecture!r}")
    if optimizer not in ("gd", "adam"):
        raise ValueError(f"optimizer must be 'gd' or 'adam', got {optimizer!r}")
    (n, d), k = X.shape, Y.shape[1]
    m = max(d, k) if width is None else check_count("width", width, 1)
    if architecture == "standard":
        K = 1 if branches is None else check_count("branches", branches, 1, 1)
    else:
        K = max(d, k) if branches is None else check_count("branches", branches, 1)
    S = check_count("n_seeds", n_seeds, 1)
    n_steps = check_count("n_steps", n_steps, 1)
    every = check_count("record_every", record_every, 1)
    lr = (0.05 if optimizer == "gd" else 0.01) if lr is None else check_positive("lr", lr)
    rng = check_seed(seed)
    Ws = [rng.standard_normal((S, K, a, b)) / np.sqrt(a) for a, b in _shapes(architecture, L, d, k, m)]
    G, XtY, yy = X.T @ X, X.T @ Y, float(np.sum(Y * Y))
    power = architecture == "parallel"
    state = [[np.zeros_like(W) for W in Ws], [np.zeros_like(W) for W in Ws]]
    history, steps = [], []
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(n_steps):
            value, grads, _ = _forward_backward(Ws, G, XtY, yy, beta, power)
            if t % every == 0:
                history.append(value)
                steps.append(t)
            if optimizer == "gd":
                Ws = [W - (lr / n) * g for W, g in zip(Ws, grads, strict=True)]
            else:
                Ws = _adam(Ws, grads, state, t, lr * 0.5 * (1.0 + np.cos(np.pi * t / n_steps)))
        _, grads, M = _forward_backward(Ws, G, XtY, yy, beta, power)
        norms = [np.sqrt(np.sum(W * W, axis=(2, 3))) for W in Ws]
        penalty = (sum(np.sum(q ** L, axis=1) for q in norms) * beta / L if power
                   else sum(np.sum(q ** 2, axis=1) for q in norms) * beta / 2)
        final = 0.5 * np.sum((np.matmul(X, M) - Y) ** 2, axis=(1, 2)) + penalty
    history.append(final)
    steps.append(n_steps)
    return LinearTrainingResult(objectives=final, products=M, history=np.array(history), steps=np.array(steps),
                                grad_norms=np.sqrt(sum(np.sum(g * g, axis=(1, 2, 3)) for g in grads)), weights=Ws,
                                architecture=architecture, optimizer=optimizer, depth=L, width=m, branches=K,
                                beta=beta, lr=float(lr))


def _adam(Ws, grads, state, t, step, b1=0.9, b2=0.999, eps=1e-8):
    k1, k2 = 1 - b1 ** (t + 1), 1 - b2 ** (t + 1)
    out = []
    for W, g, mom, vel in zip(Ws, grads, state[0], state[1], strict=True):
        mom *= b1
        mom += (1 - b1) * g
        vel *= b2
        vel += (1 - b2) * g * g
        out.append(W - step * (mom / k1) / (np.sqrt(vel / k2) + eps))
    return out
