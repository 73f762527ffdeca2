"""Reference trainers for the non-convex two-layer network ``X -> s(X W1) W2``.

The problems are those of the book's appendix *Derivations and conventions*, section 1.

Two problems, both with analytic gradients and seeded multi-start:

* weight decay with squared loss, ``1/2 ||s(X W1) W2 - Y||_F^2 + beta/2 (||W1||_F^2 + ||W2||_F^2)``, by L-BFGS;
* min-norm interpolation (the ``beta -> 0`` limit), ``min 1/2 (||W1||_F^2 + ||W2||_F^2) s.t. s(X W1) W2 = Y``,
  by the augmented Lagrangian driver of :mod:`utils._optim`.

``s`` is the ReLU ``(z)_+`` or the identity (``activation="linear"``). Labels may be a vector y (n,) (then the
output weights are a vector w2 (m,)) or a matrix Y (n, k) (output weights W2 (m, k)).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import minimize

from .._optim import augmented_lagrangian, best_of_starts, data_scale, single_thread_blas
from .._validation import SolverError, as_matrix, check_count, check_positive, check_same_rows, check_seed

__all__ = [
    "two_layer_forward",
    "two_layer_weight_decay_objective",
    "two_layer_weight_cost",
    "train_two_layer_weight_decay",
    "train_two_layer_min_norm",
    "TwoLayerTrainingResult",
]

_ACTIVATIONS = ("relu", "linear")


def _check_activation(activation) -> str:
    if activation not in _ACTIVATIONS:
        raise ValueError(f"activation must be 'relu' or 'linear', got {activation!r}")
    return activation


def _act(H: np.ndarray, activation: str) -> tuple[np.ndarray, np.ndarray | float]:
    """Activation values and derivative mask."""
    if activation == "relu":
        mask = H > 0
        return H * mask, mask
    return H, 1.0


def _as_labels(y) -> tuple[np.ndarray, bool]:
    """Labels as (n, k) plus whether they were a vector."""
    arr = np.asarray(y) if not isinstance(y, (str, bytes)) and y is not None else y
    vector = isinstance(arr, np.ndarray) and arr.ndim == 1
    return as_matrix("y", y, allow_vector=True), vector


def _check_weights(X: np.ndarray, W1, w2) -> tuple[np.ndarray, np.ndarray, bool]:
    W1 = as_matrix("W1", W1)
    w2_arr = np.asarray(w2) if not isinstance(w2, (str, bytes)) and w2 is not None else w2
    vector = isinstance(w2_arr, np.ndarray) and w2_arr.ndim == 1
    W2 = as_matrix("w2", w2, allow_vector=True)
    if W1.shape[0] != X.shape[1]:
        raise ValueError(f"W1 must have {X.shape[1]} rows (one per input feature), got shape {W1.shape}")
    if W2.shape[0] != W1.shape[1]:
        raise ValueError(f"w2 must have {W1.shape[1]} rows (one per hidden neuron), got shape {W2.shape}")
    return W1, W2, vector


def two_layer_forward(X, W1, w2, activation: str = "relu") -> np.ndarray:
    """Network output ``s(X W1) w2``.

    Parameters
    ----------
    X : array_like, shape (n, d)
    W1 : array_like, shape (d, m)
    w2 : array_like, shape (m,) or (m, k)
    activation : {"relu", "linear"}

    Returns
    -------
    ndarray, shape (n,) or (n, k) (following the shape of ``w2``)
    """
    X = as_matrix("X", X)
    activation = _check_activation(activation)
    W1, W2, vector = _check_weights(X, W1, w2)
    out = _act(X @ W1, activation)[0] @ W2
    return out[:, 0] if vector else out


def two_layer_weight_cost(W1, w2) -> float:
    """Weight-decay cost ``1/2 (||W1||_F^2 + ||w2||^2)`` (appendix section 1.1).

    Parameters
    ----------
    W1 : array_like, shape (d, m), first-layer weights.
    w2 : array_like, shape (m,) or (m, k), output weights.

    Returns
    -------
    float, the cost (shapes are not checked).
    """
    W1 = np.asarray(W1, dtype=float)
    w2 = np.asarray(w2, dtype=float)
    return 0.5 * float(np.sum(W1 * W1) + np.sum(w2 * w2))


def _wd_value_grad(X, Y, W1, W2, beta, activation):
    H = X @ W1
    A, mask = _act(H, activation)
    R = A @ W2 - Y
    value = 0.5 * float(np.sum(R * R)) + 0.5 * beta * float(np.sum(W1 * W1) + np.sum(W2 * W2))
    gW2 = A.T @ R + beta * W2
    gW1 = X.T @ ((R @ W2.T) * mask) + beta * W1
    return value, gW1, gW2


def two_layer_weight_decay_objective(X, y, W1, w2, beta: float, activation: str = "relu"):
    """Objective ``1/2 ||s(X W1) w2 - y||^2 + beta/2 (||W1||_F^2 + ||w2||^2)`` and its gradient.

    Parameters
    ----------
    X : array_like, shape (n, d)
    y : array_like, shape (n,) or (n, k)
    W1 : array_like, shape (d, m)
    w2 : array_like, shape (m,) or (m, k) (a vector iff y is a vector)
    beta : float >= 0
    activation : {"relu", "linear"}

    Returns
    -------
    value : float
    grad_W1 : ndarray, shape (d, m)
    grad_w2 : ndarray, shape of ``w2``
        The ReLU's derivative at 0 is taken as 0.
    """
    X = as_matrix("X", X)
    Y, y_vector = _as_labels(y)
    check_same_rows(X, Y, "X", "y")
    activation = _check_activation(activation)
    beta = check_positive("beta", beta, allow_zero=True)
    W1, W2, vector = _check_weights(X, W1, w2)
    if W2.shape[1] != Y.shape[1]:
        raise ValueError(f"w2 has {W2.shape[1]} output column(s) but y has {Y.shape[1]}")
    value, gW1, gW2 = _wd_value_grad(X, Y, W1, W2, beta, activation)
    return value, gW1, (gW2[:, 0] if vector else gW2)


@dataclass
class TwoLayerTrainingResult:
    """Outcome of a seeded multi-start training run.

    Attributes
    ----------
    best_objective : float
        Lowest objective over the starts (for min-norm training: over the starts that interpolate).
    objectives : ndarray, shape (n_starts,)
        Final objective of every start, in the order of the starts.
    W1 : ndarray, shape (d, m)
        First-layer weights of the best start.
    w2 : ndarray, shape (m,) or (m, k)
        Output weights of the best start (a vector when the labels are a vector).
    residual : float
        ``max |s(X W1) w2 - y|`` of the best start.
    residuals : ndarray, shape (n_starts,)
        The same for every start.
    converged : ndarray of bool, shape (n_starts,)
        Whether each start met its stopping tolerances (min-norm: interpolation to ``tol``).
    weights : list of (W1, w2)
        The final weights of every start, in the order of the starts.
    """

    best_objective: float
    objectives: np.ndarray
    W1: np.ndarray
    w2: np.ndarray
    residual: float
    residuals: np.ndarray
    converged: np.ndarray
    weights: list = field(default_factory=list, repr=False)




def _prepare(X, y, width, n_starts, activation, seed):
    X = as_matrix("X", X)
    Y, vector = _as_labels(y)
    check_same_rows(X, Y, "X", "y")
    return (X, Y, vector, check_count("width", width, 1), check_count("n_starts", n_starts, 1),
            _check_activation(activation), check_seed(seed))


def _init(rng, d, m, k, scale):
    return np.concatenate([rng.standard_normal(d * m) * scale / np.sqrt(d),
                           rng.standard_normal(m * k) * scale / np.sqrt(m)])


def _split(theta, d, m, k):
    return theta[: d * m].reshape(d, m), theta[d * m:].reshape(m, k)


def _finish(results, X, Y, vector, d, m, k, activation, best_index, converged, weight_scale=1.0,
            objective_scale=1.0):
    """Result on the given data from runs on normalised data: weights times ``weight_scale``, objectives times
    ``objective_scale`` (both 1 for data of order one, which are solved unscaled)."""
    objectives = np.array([r[0] for r in results]) * objective_scale
    thetas = [r[1] * weight_scale for r in results]
    residuals = np.array([float(np.max(np.abs(_act(X @ _split(t, d, m, k)[0], activation)[0]
                                              @ _split(t, d, m, k)[1] - Y))) for t in thetas])
    weights = []
    for t in thetas:
        W1, W2 = _split(t, d, m, k)
        weights.append((W1.copy(), W2[:, 0].copy() if vector else W2.copy()))
    W1, W2 = _split(thetas[best_index], d, m, k)
    return TwoLayerTrainingResult(best_objective=float(objectives[best_index]), objectives=objectives,
                                  W1=W1.copy(), w2=(W2[:, 0].copy() if vector else W2.copy()),
                                  residual=float(residuals[best_index]), residuals=residuals,
                                  converged=np.asarray(converged, dtype=bool), weights=weights)


def _zero_labels(X, Y, vector, d, m, k, n_starts):
    """Labels Y = 0: the zero network is optimal for both problems (objective 0, exact interpolation)."""
    results = [(0.0, np.zeros(d * m + m * k)) for _ in range(n_starts)]
    return _finish(results, X, Y, vector, d, m, k, "linear", 0, [True] * n_starts)


def train_two_layer_weight_decay(X, y, width: int, beta: float, n_starts: int = 10, seed=None,
                                 activation: str = "relu", init_scale: float = 1.0,
                                 max_iter: int = 5000) -> TwoLayerTrainingResult:
    """Minimise ``1/2 ||s(X W1) w2 - y||^2 + beta/2 (||W1||_F^2 + ||w2||^2)`` by L-BFGS from seeded starts.

    Parameters
    ----------
    X : array_like, shape (n, d)
    y : array_like, shape (n,) or (n, k)
    width : int
        Number of hidden neurons m.
    beta : float > 0
    n_starts : int
        Number of random starts (Gaussian, ``W1 ~ N(0, init_scale^2 / d)``, ``w2 ~ N(0, init_scale^2 / m)``).
    seed : int, Generator or None
    activation : {"relu", "linear"}
    init_scale : float > 0
    max_iter : int
        L-BFGS iterations per start.

    Returns
    -------
    TwoLayerTrainingResult
        ``best_objective`` is the lowest final objective over the starts.

    Homogeneity: with ``W1, w2 -> sqrt(c / a) (W1, w2)``, ``f(a X, c y, a c beta) = c^2 f(X, y, beta)`` for
    ``a, c > 0``. Training runs on ``X / a``, ``y / c``, ``beta / (a c)`` with ``a``, ``c`` the powers of two
    nearest to ``max |X_ij|``, ``max |y_i|`` (data of order one are trained as given; ``init_scale`` refers to
    the normalised data), and weights and objectives are rescaled by this rule.
    """
    X, Y, vector, m, n_starts, activation, rng = _prepare(X, y, width, n_starts, activation, seed)
    beta = check_positive("beta", beta)
    init_scale = check_positive("init_scale", init_scale)
    max_iter = check_count("max_iter", max_iter, 1)
    d, k = X.shape[1], Y.shape[1]
    if not np.any(Y):
        return _zero_labels(X, Y, vector, d, m, k, n_starts)
    sx, sy = data_scale(X), data_scale(Y)
    Xn, Yn, beta_n = X / sx, Y / sy, beta / (sx * sy)

    def fun(theta):
        W1, W2 = _split(theta, d, m, k)
        value, gW1, gW2 = _wd_value_grad(Xn, Yn, W1, W2, beta_n, activation)
        return value, np.concatenate([gW1.ravel(), gW2.ravel()])

    results, converged = [], []
    with single_thread_blas():
        for _ in range(n_starts):
            out = minimize(fun, _init(rng, d, m, k, init_scale), jac=True, method="L-BFGS-B",
                           options={"maxiter": max_iter, "gtol": 1e-10, "ftol": 1e-15, "maxcor": 30})
            results.append((float(out.fun), out.x))
            converged.append(out.nit < max_iter)
    best = int(np.argmin([r[0] for r in results]))
    return _finish(results, X, Y, vector, d, m, k, activation, best, converged, np.sqrt(sy / sx), sy * sy)


def train_two_layer_min_norm(X, y, width: int, n_starts: int = 10, seed=None, activation: str = "relu",
                             init_scale: float = 1.0, tol: float = 1e-9,
                             jitter: float = 1e-2) -> TwoLayerTrainingResult:
    """Min-norm interpolation ``min 1/2 (||W1||_F^2 + ||w2||^2) s.t. s(X W1) w2 = y`` from seeded starts.

    Each start runs the augmented Lagrangian method (:func:`utils._optim.augmented_lagrangian`) with analytic
    gradients. The limit ``beta -> 0`` of weight-decay training; its value is P2 of appendix section 1.1
    (``||X^+ Y||_*`` for the linear activation, the convex program's value for the ReLU with enough width).

    Parameters
    ----------
    X : array_like, shape (n, d)
    y : array_like, shape (n,) or (n, k)
    width : int
    n_starts : int
    seed : int, Generator or None
    activation : {"relu", "linear"}
    init_scale : float > 0
    tol : float > 0
        Interpolation tolerance of each run, ``max |s(X W1) w2 - y| <= tol * c``, relative to the labels' scale
        ``c`` (the power of two nearest to ``max |y_i|``; absolute for labels of order one).
    jitter : float >= 0
        Relative perturbation used by :func:`utils._optim.augmented_lagrangian` to restart an inner solve that
        stalls at a ReLU kink (0 switches it off). On 1-D data with a bias column it raised the share of
        interpolating starts from about half to 80-95% in our runs.

    Returns
    -------
    TwoLayerTrainingResult
        ``best_objective`` is the lowest cost among the starts that interpolate to ``max(tol, 1e-6) * c``.

    Homogeneity: with ``W1, w2 -> sqrt(c / a) (W1, w2)``, ``f(a X, c y) = (c / a) f(X, y)`` for ``a, c > 0``.
    Training runs on ``X / a``, ``y / c`` with ``a``, ``c`` the powers of two nearest to ``max |X_ij|``,
    ``max |y_i|`` (data of order one are trained as given; ``init_scale`` refers to the normalised data), and
    weights and objectives are rescaled by this rule.

    Raises
    ------
    ValueError
        Linear activation with labels outside range(X) (no interpolating network exists).
    SolverError
        When no start interpolates the labels (e.g. labels no network of this width can fit).
    """
    X, Y, vector, m, n_starts, activation, rng = _prepare(X, y, width, n_starts, activation, seed)
    init_scale = check_positive("init_scale", init_scale)
    tol = check_positive("tol", tol)
    jitter = check_positive("jitter", jitter, allow_zero=True)
    d, k = X.shape[1], Y.shape[1]
    if not np.any(Y):
        return _zero_labels(X, Y, vector, d, m, k, n_starts)
    sx, sy = data_scale(X), data_scale(Y)
    X_raw, Y_raw, X, Y = X, Y, X / sx, Y / sy           # train on the normalised data
    if activation == "linear":
        fit = X @ np.linalg.lstsq(X, Y, rcond=None)[0]
        if np.linalg.norm(fit - Y) > 1e-8 * np.linalg.norm(Y):
            raise ValueError("the labels are not in range(X): no interpolating linear network exists")

    def objective(theta):
        return 0.5 * float(theta @ theta), theta

    def constraint(theta):
        W1, W2 = _split(theta, d, m, k)
        A, mask = _act(X @ W1, activation)

        def vjp(V):
            return np.concatenate([(X.T @ ((V @ W2.T) * mask)).ravel(), (A.T @ V).ravel()])

        return A @ W2 - Y, vjp

    def run(gen):
        return augmented_lagrangian(objective, constraint, _init(gen, d, m, k, init_scale), tol=tol,
                                    max_outer=30, max_inner=1000, jitter=jitter, rng=gen)

    feasibility = max(tol, 1e-6)
    with single_thread_blas():
        best, runs = best_of_starts(run, n_starts, rng, feasibility_tol=feasibility)
    if best.residual > feasibility:
        raise SolverError(
            f"min-norm training: none of the {n_starts} starts interpolated the labels (smallest residual "
            f"{best.residual:.3g} relative to the labels' scale {sy:g}, tolerance {feasibility:g}): the labels may "
            f"not be reachable with width {m} and the {activation} activation, or more starts are needed")
    results = [(r.fun, r.x) for r in runs]
    index = next(i for i, r in enumerate(runs) if r is best)
    return _finish(results, X_raw, Y_raw, vector, d, m, k, activation, index, [r.converged for r in runs],
                   np.sqrt(sy / sx), sy / sx)
