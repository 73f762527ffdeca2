"""Reference trainers for standard and parallel deep ReLU networks (min-norm interpolation).

Two architectures (the book's appendix *Derivations and conventions*, sections 5 and 6), without biases,
ReLU ``(z)_+ = max(z, 0)``:

* ``"standard"``: weights ``[W1 (d, m1), W2 (m1, m2), ..., W_L (m_{L-1}, k)]``,
  ``f(X) = (...((X W1)_+ W2)_+ ...)_+ W_L`` (a ReLU after every hidden layer).
* ``"parallel"``: ``K`` branches, branch ``j`` a list ``[W1 (d, m1), ..., W_{L-2} (m_{L-3}, m_{L-2}),
  w_{L-1} (m_{L-2},), w_L (k,)]`` with output ``phi(X; theta_j) w_L^T``, where
  ``phi(X; theta) = (...((X W1)_+ W2)_+ ... w_{L-1})_+`` in R^n is the branch's single last hidden neuron
  (appendix section 6). For L = 3: ``phi = ((X W1)_+ w2)_+``; for L = 2: ``phi = (X w1)_+``.

The trainer solves ``min penalty(weights) s.t. f(X) = Y`` by the augmented Lagrangian method of
:mod:`utils._optim` (L-BFGS inner solves; forward and backward passes in :mod:`utils.relu._backprop`) with analytic
gradients (backpropagation written out in numpy; at the ReLU kink the subgradient ``1[z > 0]`` is used),
from several seeded random starts.
Penalties: ``"weight_decay"`` ``1/2 sum_l ||W_l||_F^2`` (summed over branches too), or ``"power"``
``1/L sum_j sum_l ||W_{l,j}||_F^L`` (per branch j; for the standard architecture the whole network is one
branch).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .._optim import augmented_lagrangian, data_scale, max_abs_scale, single_thread_blas
from .._validation import (
    SolverError,
    as_matrix,
    check_count,
    check_depth,
    check_positive,
    check_same_rows,
    check_seed,
)
from ._backprop import _backward, _forward, _from_params, _penalty, _random_params, _shapes, _to_params

__all__ = [
    "ReluFit",
    "relu_network_forward",
    "relu_network_penalty",
    "relu_network_penalty_and_grad",
    "relu_network_residual_and_vjp",
    "random_relu_network",
    "train_relu_network",
]

_ARCHITECTURES = ("standard", "parallel")
_PENALTIES = ("weight_decay", "power")


def _check_architecture(architecture: str) -> str:
    if architecture not in _ARCHITECTURES:
        raise ValueError(f"architecture must be one of {_ARCHITECTURES}, got {architecture!r}")
    return architecture


def _check_penalty(penalty: str) -> str:
    if penalty not in _PENALTIES:
        raise ValueError(f"penalty must be one of {_PENALTIES}, got {penalty!r}")
    return penalty


# --------------------------------------------------------------------------------------------------
# public functions on networks
# --------------------------------------------------------------------------------------------------

def relu_network_forward(X, weights, architecture: str = "standard") -> np.ndarray:
    """Output of a standard or parallel ReLU network on the data (appendix sections 5 and 6).

    Parameters
    ----------
    X : array_like, shape (n, d)
    weights : list
        ``"standard"``: ``[W1 (d, m1), ..., W_L (m_{L-1}, k)]``. ``"parallel"``: a list of K branches, each
        ``[W1 (d, m1), ..., W_{L-2}, w_{L-1} (m_{L-2},), w_L (k,)]`` (see the module docstring).
    architecture : {"standard", "parallel"}

    Returns
    -------
    ndarray, shape (n, k)
        ``(...((X W1)_+ W2)_+ ...)_+ W_L`` or ``sum_j phi(X; theta_j) w_{L,j}^T``.
    """
    architecture = _check_architecture(architecture)
    X = as_matrix("X", X)
    params = _to_params(weights, architecture)
    if params[0].shape[-2] != X.shape[1]:
        raise ValueError(f"X has {X.shape[1]} columns but the first layer expects {params[0].shape[-2]} inputs")
    return _forward(X, params, architecture)[0]


def relu_network_penalty_and_grad(weights, architecture: str = "standard", penalty: str = "weight_decay"):
    """Penalty of a network and its gradient with respect to every weight.

    ``"weight_decay"``: ``1/2 sum_l ||W_l||_F^2`` (over all branches); ``"power"``:
    ``1/L sum_j sum_l ||W_{l,j}||_F^L`` (appendix section 6; the standard network counts as one branch).
    Gradients: ``W`` and ``||W||_F^{L-2} W``.

    Returns
    -------
    (float, list)
        The value and the gradients, in the same nested-list structure as ``weights``.
    """
    architecture, penalty = _check_architecture(architecture), _check_penalty(penalty)
    params = _to_params(weights, architecture)
    value, grads = _penalty(params, architecture, penalty, len(params))
    return value, _from_params(grads, architecture)


def relu_network_penalty(weights, architecture: str = "standard", penalty: str = "weight_decay") -> float:
    """Penalty of a network: ``1/2 sum ||W||_F^2`` or ``1/L sum_j sum_l ||W_{l,j}||_F^L`` (appendix section 6).

    Parameters
    ----------
    weights : list, as in :func:`relu_network_forward`.
    architecture : {"standard", "parallel"}
    penalty : {"weight_decay", "power"}

    Returns
    -------
    float, the penalty (see :func:`relu_network_penalty_and_grad`).

    Raises
    ------
    TypeError
        If ``weights`` is not a (nested, for "parallel") list of arrays.
    ValueError
        For an unknown ``architecture`` or ``penalty``, or layer shapes that do not chain.
    """
    return relu_network_penalty_and_grad(weights, architecture, penalty)[0]


def relu_network_residual_and_vjp(X, Y, weights, architecture: str = "standard"):
    """Interpolation residual ``R = f(X) - Y`` and the map ``V -> J^T V`` (backpropagation).

    Parameters
    ----------
    X : array_like, shape (n, d)
    Y : array_like, shape (n, k) or (n,)
    weights : list
        As in :func:`relu_network_forward`.
    architecture : {"standard", "parallel"}

    Returns
    -------
    R : ndarray, shape (n, k)
    vjp : callable
        ``vjp(V)`` with V of shape (n, k) returns the gradient of ``sum(V * R)`` with respect to the weights,
        in the nested-list structure of ``weights`` (ReLU subgradient ``1[z > 0]`` at kinks).
    """
    architecture = _check_architecture(architecture)
    X = as_matrix("X", X)
    Y = as_matrix("Y", Y, allow_vector=True)
    check_same_rows(X, Y)
    params = _to_params(weights, architecture)
    out, cache = _forward(X, params, architecture)
    if out.shape != Y.shape:
        raise ValueError(f"the network outputs shape {out.shape} but Y has shape {Y.shape}")

    def vjp(V):
        V = np.asarray(V, dtype=float).reshape(out.shape)
        return _from_params(_backward(V, params, cache, architecture), architecture)

    return out - Y, vjp


def _widths(width, L: int, architecture: str, default: int) -> list[int]:
    n_hidden = L - 1 if architecture == "standard" else L - 2
    if width is None:
        return [default] * n_hidden
    if np.isscalar(width):
        width = [width] * n_hidden
    width = list(width)
    if len(width) != n_hidden:
        raise ValueError(f"width must be an int or a list of {n_hidden} hidden widths for a {architecture} "
                         f"network of depth {L}, got {len(width)}")
    return [check_count("width", w, 1) for w in width]


def random_relu_network(X, Y, L: int, *, architecture: str = "standard", width=None, n_branches=None, seed=0):
    """A random network of the trainer's initialisation, with outputs of the same norm as Y.

    Parameters
    ----------
    X : array_like, shape (n, d); Y : array_like, shape (n, k) or (n,).
    L : int >= 2, the depth.
    architecture : {"standard", "parallel"}
    width : int or list of ints, optional
        Hidden widths (L - 1 for "standard", L - 2 for "parallel"); default ``2 (n k + 1)`` or ``n + 1``.
    n_branches : int, optional, the number K of branches ("parallel" only; default ``n k + 1``).
    seed : int, Generator or None, seeds the random weights.

    Returns
    -------
    list, the weights, structured and shaped as in :func:`relu_network_forward`.

    Raises
    ------
    ValueError
        For an unknown ``architecture``, bad shapes, ``L < 2``, bad widths or ``n_branches`` (or any
        ``n_branches`` for "standard").
    """
    architecture = _check_architecture(architecture)
    X, Y, L, widths, K = _check_training_input(X, Y, L, architecture, width, n_branches)
    return _from_params(_random_params(check_seed(seed), X, Y, L, architecture, widths, K), architecture)


def _check_training_input(X, Y, L, architecture, width, n_branches):
    X = as_matrix("X", X)
    Y = as_matrix("Y", Y, allow_vector=True)
    check_same_rows(X, Y)
    L = check_depth(L, minimum=2)
    n, k = Y.shape
    default = 2 * (n * k + 1) if architecture == "standard" else n + 1
    widths = _widths(width, L, architecture, default=default)
    if architecture == "parallel":
        K = check_count("n_branches", n * k + 1 if n_branches is None else n_branches, 1)
    else:
        if n_branches is not None:
            raise ValueError("n_branches applies to architecture='parallel' only")
        K = 1
    return X, Y, L, widths, int(K)


def _check_interpolable(X: np.ndarray, Y: np.ndarray) -> None:
    """Necessary condition: networks without biases are positively homogeneous in the input, so a zero row
    of X needs a zero label, and rows with x_i = s x_j (s > 0) need y_i = s y_j (tests relative to max |Y|)."""
    nx = np.linalg.norm(X, axis=1)
    scale = float(np.abs(Y).max())
    for i in range(X.shape[0]):
        if nx[i] == 0:
            if np.abs(Y[i]).max() > 1e-12 * scale:
                raise ValueError(f"X row {i} is zero but its label is not: no interpolating ReLU network "
                                 "(without biases) exists")
            continue
        for j in range(i):
            if nx[j] == 0:
                continue
            s = nx[i] / nx[j]
            if np.allclose(X[i], s * X[j], rtol=0, atol=1e-12 * nx[i]) and not np.allclose(
                    Y[i], s * Y[j], rtol=0, atol=1e-9 * scale):
                raise ValueError(f"X rows {j} and {i} point in the same direction (x_{i} = {s:.6g} x_{j}) but "
                                 f"y_{i} != {s:.6g} y_{j}: no interpolating ReLU network (without biases) exists")


@dataclass
class ReluFit:
    """Outcome of :func:`train_relu_network`.

    Attributes
    ----------
    objective : float
        Best penalty among the starts that interpolate (residual <= feasibility tolerance).
    objectives : ndarray, shape (n_starts,)
        Penalty reached by every start; ``nan`` for starts that did not interpolate.
    weights : list
        Weights of the best start (structure as in :func:`relu_network_forward`).
    residual : float
        ``max |f(X) - Y|`` of the best start.
    converged : bool
        Whether the best start met the target ``tol`` and its last inner solve stopped on its own.
    residuals : ndarray, shape (n_starts,)
        ``max |f(X) - Y|`` of every start.
    architecture, penalty : str
    L : int
    """

    objective: float
    objectives: np.ndarray
    weights: list
    residual: float
    converged: bool
    residuals: np.ndarray = field(default_factory=lambda: np.zeros(0))
    architecture: str = "standard"
    penalty: str = "weight_decay"
    L: int = 3


def train_relu_network(X, Y, L, *, architecture: str = "standard", width=None, n_branches=None,
                       penalty: str = "weight_decay", n_starts: int = 5, seed=0, tol: float = 1e-8,
                       feasibility_tol: float = 1e-6, max_outer: int = 60, max_inner: int = 3000) -> ReluFit:
    """Min-norm interpolation with a standard or parallel ReLU network, from several random starts.

    Solves ``min penalty(weights) s.t. f(X) = Y`` (appendix section 5 for L = 3 standard with weight
    decay, section 6 for parallel with the power penalty) by the augmented Lagrangian method with L-BFGS inner
    solves (the loop of :func:`utils._optim.augmented_lagrangian`, initial penalty 1e3 on data scaled to
    max |entry| = 1, with a retry from a slightly perturbed point when a line search fails at a ReLU kink)
    and analytic gradients. Random starts are Gaussian with no dead sample. Non-convex: the result is an
    upper bound on the optimal value (the best of ``n_starts`` local solutions).

    Homogeneity: the network is positively homogeneous of degree 1 in X and in each layer, so scaling every
    layer by ``(c / a)^{1/L}`` maps solutions for ``(X, Y)`` to solutions for ``(a X, c Y)`` (``a, c > 0``):
    ``P(a X, c Y) = (c / a)^{2/L} P(X, Y)`` for weight decay and ``(c / a) P(X, Y)`` for the power penalty.
    Training runs on ``X / max |X|``, ``Y / max |Y|`` (the same normalised problem at every scale, up to
    rounding) and the weights are rescaled by this rule; the tolerances are relative to the labels' scale ``c``,
    the power of two nearest to ``max |Y_ij|`` (absolute for labels of order one).

    Parameters
    ----------
    X : array_like, shape (n, d)
    Y : array_like, shape (n, k) or (n,)
    L : int
        Depth (number of weight layers), >= 2.
    architecture : {"standard", "parallel"}
    width : int or list of int, optional
        Hidden widths: L - 1 of them (standard; default 2 (n k + 1) each: narrower networks lose samples to
        dead ReLUs more often) or L - 2 (parallel, per branch; default n + 1 each).
    n_branches : int, optional
        Number of branches K (parallel only; default n k + 1, the Caratheodory bound of appendix section 6).
    penalty : {"weight_decay", "power"}
    n_starts : int >= 1
        Random starts (seeded, reproducible).
    seed : int, numpy Generator or None
    tol : float > 0
        Target for ``max |f(X) - Y| / c`` in the augmented Lagrangian.
    feasibility_tol : float > 0
        A start counts as interpolating when ``max |f(X) - Y| <= feasibility_tol * c``.
    max_outer, max_inner : int >= 1
        Augmented-Lagrangian outer iterations and L-BFGS iterations per inner solve.

    Returns
    -------
    ReluFit

    Raises
    ------
    ValueError
        Bad input, or labels that no ReLU network without biases can interpolate (zero rows of X with
        non-zero labels; rows of X pointing in the same direction with labels not scaled alike).
    SolverError
        When no start interpolates within ``max_outer`` outer iterations.
    """
    architecture, penalty = _check_architecture(architecture), _check_penalty(penalty)
    X, Y, L, widths, K = _check_training_input(X, Y, L, architecture, width, n_branches)
    n_starts = check_count("n_starts", n_starts, 1)
    max_outer = check_count("max_outer", max_outer, 1)
    max_inner = check_count("max_inner", max_inner, 1)
    tol = check_positive("tol", tol)
    feasibility_tol = check_positive("feasibility_tol", feasibility_tol)
    rng = check_seed(seed)
    shapes = _shapes(X.shape[1], Y.shape[1], L, architecture, widths, K)
    if not np.any(Y):
        zero = [np.zeros(s) for s in shapes]
        return ReluFit(0.0, np.zeros(n_starts), _from_params(zero, architecture), 0.0, True,
                       np.zeros(n_starts), architecture, penalty, L)
    _check_interpolable(X, Y)

    # max |entry| = 1, so the initial penalty 1e3 means the same on every instance; f(sx Xs; c W') = sx c^L f(Xs; W')
    sx, sy = max_abs_scale(X), max_abs_scale(Y)
    unit = data_scale(Y)                   # the labels' scale of the tolerances (a power of two)
    Xs, Ys, back = X / sx, Y / sy, (sy / sx) ** (1.0 / L)
    splits = np.cumsum([int(np.prod(s)) for s in shapes])[:-1]

    def unflat(x):
        return [a.reshape(s) for a, s in zip(np.split(x, splits), shapes, strict=True)]

    def flat(arrs):
        return np.concatenate([a.ravel() for a in arrs])

    def objective(x):
        f, g = _penalty(unflat(x), architecture, penalty, L)
        return f, flat(g)

    def constraint(x):
        params = unflat(x)
        out, cache = _forward(Xs, params, architecture)
        return out - Ys, lambda V: flat(_backward(V, params, cache, architecture))

    values, residuals, nets, converged = [], [], [], []
    with single_thread_blas():
        for _ in range(n_starts):
            x0 = flat(_random_params(rng, Xs, Ys, L, architecture, widths, K))
            out = augmented_lagrangian(objective, constraint, x0, tol=tol * unit / sy, rho0=1e3,
                                       max_outer=max_outer, max_inner=max_inner, jitter=1e-3, rng=rng)
            params = [a * back for a in unflat(out.x)]
            values.append(_penalty(params, architecture, penalty, L)[0])
            residuals.append(float(np.abs(_forward(X, params, architecture)[0] - Y).max()))
            nets.append(params)
            converged.append(out.converged)
    residuals = np.array(residuals)
    feasible = residuals <= feasibility_tol * unit
    objectives = np.where(feasible, values, np.nan)
    if not np.any(feasible):
        raise SolverError(f"train_relu_network: none of the {n_starts} starts interpolates the data within "
                          f"max_outer={max_outer} outer iterations of at most max_inner={max_inner} L-BFGS steps "
                          f"(smallest max |f(X) - Y| = {residuals.min():.3g} > feasibility_tol * {unit:g} = "
                          f"{feasibility_tol * unit:.3g}); try more starts or outer iterations, a larger width or "
                          "more branches")
    best = int(np.nanargmin(objectives))
    return ReluFit(objective=float(objectives[best]), objectives=objectives,
                   weights=_from_params(nets[best], architecture), residual=float(residuals[best]),
                   converged=bool(converged[best]), residuals=residuals, architecture=architecture,
                   penalty=penalty, L=L)
