"""Two-layer ReLU networks trained the way practitioners do, and a dual certificate of the global optimum.

The problem is the regularised squared loss of a two-layer ReLU network of width m,

    F(W1, w2) = 1/2 ||(X W1)_+ w2 - y||^2 + beta/2 (||W1||_F^2 + ||w2||^2),

(a bias is a column of ones in X, so its weight is part of W1 and is regularised too). Its infimum over all
widths equals the convex program of :func:`utils.two_layer_relu_convex` (the global optimum ``p*``).

* :func:`train_two_layer_practical` runs full-batch gradient descent or Adam from many random initialisations at
  once (numpy, analytic gradients, vectorised over the seeds) and reports every run's final objective.
* :func:`relu_weight_decay_certificate` turns any vector into a *lower bound* on ``F`` for every network of any
  width, by weak duality: for ``lambda`` with ``max_{||u|| <= 1} |lambda^T (X u)_+| <= beta``,
  ``F(W1, w2) >= 1/2 ||y||^2 - 1/2 ||lambda - y||^2`` (proof in the function's doc). The constraint is evaluated
  exactly by :func:`utils.relu_max_correlation` (rank(X) <= 2), and at the convex program's residual
  ``lambda = y - fitted`` the bound equals ``p*`` (strong duality).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .._optim import single_thread_blas
from .._validation import as_matrix, as_vector, check_count, check_positive, check_same_rows, check_seed
from .arrangements import relu_max_correlation

__all__ = ["PracticalTrainingResult", "train_two_layer_practical", "ReluDualCertificate",
           "relu_weight_decay_certificate"]

_OPTIMIZERS = ("gd", "adam")
_DEFAULT_LR = 0.05


@dataclass
class PracticalTrainingResult:
    """Runs of one optimiser at one width from ``n_seeds`` random initialisations.

    Attributes
    ----------
    objectives : ndarray, shape (n_seeds,)
        Final objective ``F(W1, w2)`` of every run, computed from its final weights on the data.
    W1 : ndarray, shape (n_seeds, d, m)
    w2 : ndarray, shape (n_seeds, m)
        Final weights of every run.
    history : ndarray, shape (n_records, n_seeds)
        Objective of every run at the steps ``steps`` (the last row is ``objectives``).
    steps : ndarray of int, shape (n_records,)
    grad_norms : ndarray, shape (n_seeds,)
        ``||grad F||`` (both layers) at the final weights: small for a run that stopped at a stationary point.
    optimizer : str
        ``"gd"`` or ``"adam"``.
    width : int
    beta : float
    lr : float
        The learning rate used (see :func:`train_two_layer_practical`).
    """

    objectives: np.ndarray
    W1: np.ndarray = field(repr=False)
    w2: np.ndarray = field(repr=False)
    history: np.ndarray = field(repr=False)
    steps: np.ndarray = field(repr=False)
    grad_norms: np.ndarray = field(default=None, repr=False)
    optimizer: str = "gd"
    width: int = 1
    beta: float = 1.0
    lr: float = 0.0

    @property
    def best_objective(self) -> float:
        """Lowest final objective over the runs."""
        return float(self.objectives.min())

    def relative_gaps(self, optimum: float) -> np.ndarray:
        """``(objectives - optimum) / |optimum|``, shape (n_seeds,): how far each run stopped above ``optimum``."""
        return (self.objectives - optimum) / abs(optimum)


def _compress(X: np.ndarray, y: np.ndarray):
    """Distinct rows ``Xu`` (q, d), their counts ``c`` (q,), mean labels ``yb`` (q,) and the constant
    ``1/2 sum_j (y_j - yb_{g(j)})^2``: ``1/2 sum_j (f(x_j) - y_j)^2 = 1/2 sum_u c_u (f(x_u) - yb_u)^2 + const``."""
    Xu, inverse, counts = np.unique(X, axis=0, return_inverse=True, return_counts=True)
    inverse = inverse.ravel()
    yb = np.bincount(inverse, weights=y) / counts
    return Xu, counts.astype(float), yb, 0.5 * float(np.sum((y - yb[inverse]) ** 2))


def _value_grad(Xu, c, yb, W1, w2, beta):
    """Per-seed objective (without the constant) and gradients; W1 (S, d, m), w2 (S, m)."""
    H = np.matmul(Xu, W1)                                   # (S, q, m)
    mask = H > 0
    A = np.where(mask, H, 0.0)
    r = np.matmul(A, w2[:, :, None])[:, :, 0] - yb          # (S, q)
    cr = c * r
    value = 0.5 * np.sum(cr * r, axis=1) + 0.5 * beta * (np.sum(W1 * W1, axis=(1, 2)) + np.sum(w2 * w2, axis=1))
    g2 = np.matmul(cr[:, None, :], A)[:, 0, :] + beta * w2
    g1 = np.matmul(Xu.T, cr[:, :, None] * w2[:, None, :] * mask) + beta * W1
    return value, g1, g2


def _objectives(X, y, W1, w2, beta) -> np.ndarray:
    """``F`` of every run on the full data, shape (S,)."""
    out = np.matmul(np.maximum(np.matmul(X, W1), 0.0), w2[:, :, None])[:, :, 0]
    return (0.5 * np.sum((out - y) ** 2, axis=1)
            + 0.5 * beta * (np.sum(W1 * W1, axis=(1, 2)) + np.sum(w2 * w2, axis=1)))


def _keep_heap_for_large_arrays() -> None:
    """Allocate and free one 8 MB array. glibc's allocator then raises its mmap threshold, so the trainer's
    temporary arrays (a few MB each, created at every step) are served from memory it keeps instead of freshly
    mapped pages: measured, the first wide run in a fresh process was about 6x slower without it."""
    np.ones(2**20).sum()


def train_two_layer_practical(X, y, width: int, beta: float, *, optimizer: str = "gd", n_seeds: int = 20, seed=0,
                              n_steps: int = 2000, lr: float | None = None,
                              record_every: int = 50) -> PracticalTrainingResult:
    """Train ``F(W1, w2)`` (module doc) by full-batch gradient descent or Adam from ``n_seeds`` initialisations.

    All runs advance together (arrays of shape (n_seeds, ...)); duplicate rows of X are merged first (their
    squared errors add up to a weighted one plus a constant), which changes no iterate. Initialisation is the
    usual He/LeCun scheme: ``W1 ~ N(0, 2 / d)``, ``w2 ~ N(0, 1 / m)`` entrywise, from ``seed``.

    * ``"gd"``: ``theta <- theta - (lr / n) grad F``, i.e. gradient descent with step ``lr`` on the per-sample
      mean ``F / n`` (the usual mean-squared-error scaling), for ``n_steps`` steps with a constant step.
    * ``"adam"``: Adam (``beta1 = 0.9``, ``beta2 = 0.999``, ``eps = 1e-8``) on ``grad F`` with the weight decay
      inside the gradient (the L2-regularised objective itself, as ``torch.optim.Adam(weight_decay=...)``, not
      the decoupled AdamW, whose fixed points are not stationary points of ``F``), with the step
      ``lr (1 + cos(pi t / n_steps)) / 2`` decaying to 0 (cosine schedule) so that the runs settle.

    Parameters
    ----------
    X : array_like, shape (n, d)
        Inputs (a bias is a column of ones).
    y : array_like, shape (n,)
    width : int >= 1
        Hidden neurons m.
    beta : float > 0
        Weight decay.
    optimizer : {"gd", "adam"}
    n_seeds : int >= 1
        Number of runs (random initialisations).
    seed : int, Generator or None
        Seed of the initialisations (run s uses the s-th draw).
    n_steps : int >= 1
    lr : float > 0 or None
        Learning rate; None means 0.05 (both optimisers; gradient descent with 0.2 diverged at width 64 on the
        diabetes data).
    record_every : int >= 1
        Record every run's objective every ``record_every`` steps (for convergence plots).

    Returns
    -------
    PracticalTrainingResult
        ``objectives`` are computed from the final weights on the given data (not tracked sums); a run that
        diverged (a learning rate too large for its width) has objective ``nan`` or ``inf``.
    """
    X = as_matrix("X", X)
    y = as_vector("y", y)
    check_same_rows(X, y[:, None], "X", "y")
    m = check_count("width", width, 1)
    beta = check_positive("beta", beta)
    if optimizer not in _OPTIMIZERS:
        raise ValueError(f"optimizer must be 'gd' or 'adam', got {optimizer!r}")
    S = check_count("n_seeds", n_seeds, 1)
    n_steps = check_count("n_steps", n_steps, 1)
    every = check_count("record_every", record_every, 1)
    lr = _DEFAULT_LR if lr is None else check_positive("lr", lr)
    rng = check_seed(seed)
    n, d = X.shape
    W1 = rng.standard_normal((S, d, m)) * np.sqrt(2.0 / d)
    w2 = rng.standard_normal((S, m)) / np.sqrt(m)
    Xu, c, yb, const = _compress(X, y)
    history, steps = [], []
    moments = [np.zeros_like(W1), np.zeros_like(w2), np.zeros_like(W1), np.zeros_like(w2)]
    _keep_heap_for_large_arrays()
    with single_thread_blas(), np.errstate(over="ignore", invalid="ignore"):
        for t in range(n_steps):
            value, g1, g2 = _value_grad(Xu, c, yb, W1, w2, beta)
            if t % every == 0:
                history.append(value + const)
                steps.append(t)
            if optimizer == "gd":
                W1 -= (lr / n) * g1
                w2 -= (lr / n) * g2
            else:
                W1, w2 = _adam_step(W1, w2, g1, g2, moments, t, lr * 0.5 * (1.0 + np.cos(np.pi * t / n_steps)))
        final = _objectives(X, y, W1, w2, beta)
        _, g1, g2 = _value_grad(Xu, c, yb, W1, w2, beta)
    history.append(final)
    steps.append(n_steps)
    return PracticalTrainingResult(objectives=final, W1=W1, w2=w2, history=np.array(history), steps=np.array(steps),
                                   grad_norms=np.sqrt(np.sum(g1 * g1, axis=(1, 2)) + np.sum(g2 * g2, axis=1)),
                                   optimizer=optimizer, width=m, beta=beta, lr=float(lr))


def _adam_step(W1, w2, g1, g2, moments, t, step, b1=0.9, b2=0.999, eps=1e-8):
    m1, m2, v1, v2 = moments
    for mom, vel, g in ((m1, v1, g1), (m2, v2, g2)):
        mom *= b1
        mom += (1 - b1) * g
        vel *= b2
        vel += (1 - b2) * g * g
    k1, k2 = 1 - b1 ** (t + 1), 1 - b2 ** (t + 1)
    W1 = W1 - step * (m1 / k1) / (np.sqrt(v1 / k2) + eps)
    w2 = w2 - step * (m2 / k1) / (np.sqrt(v2 / k2) + eps)
    return W1, w2


@dataclass
class ReluDualCertificate:
    """A feasible point of the dual of weight-decay training and the lower bound it proves.

    Attributes
    ----------
    lower_bound : float
        ``1/2 ||y||^2 - 1/2 ||lambda - y||^2``: no two-layer ReLU network of any width has a smaller ``F``.
    multiplier : ndarray, shape (n,)
        The feasible ``lambda`` (a scaled copy of the given vector).
    max_correlation : float
        ``max_{||u|| <= 1} |lambda^T (X u)_+|`` (exact), at most ``beta``.
    scale : float
        ``lambda = scale * direction``.
    beta : float
    """

    lower_bound: float
    multiplier: np.ndarray = field(repr=False)
    max_correlation: float = 0.0
    scale: float = 1.0
    beta: float = 1.0


def relu_weight_decay_certificate(X, y, beta: float, direction) -> ReluDualCertificate:
    """Lower bound on ``F(W1, w2)`` for every width, from a dual-feasible multiple of ``direction``.

    Dual of weight-decay training: ``max_lambda 1/2 ||y||^2 - 1/2 ||lambda - y||^2`` subject to
    ``max_{||u|| <= 1} |lambda^T (X u)_+| <= beta``. Weak duality, for any network and feasible ``lambda``:
    write neuron j as ``|w2_j| ||w1_j|| sign(w2_j) (X u_j)_+`` with ``u_j = w1_j / ||w1_j||``; then
    ``beta/2 (||w1_j||^2 + w2_j^2) >= beta ||w1_j|| |w2_j| >= lambda^T (neuron j's output)`` (AM-GM and the
    constraint), so with ``z = (X W1)_+ w2``, ``F >= 1/2 ||z - y||^2 + lambda^T z >= min_z (...) =
    lambda^T y - 1/2 ||lambda||^2`` (at ``z = y - lambda``), which is the dual objective. Strong duality: at the
    convex program's residual ``lambda = y - fitted`` the constraint holds with equality and the bound is the
    optimum (Fenchel duality of ``min_z 1/2 ||z - y||^2 + beta gamma_C(z)``, ``gamma_C`` the gauge of the
    outputs of unit-norm networks).

    Here ``lambda = t * direction`` with the best ``t`` in ``[0, beta / s]``, ``s`` the exact
    ``max_{||u|| <= 1} |direction^T (X u)_+|`` (:func:`utils.relu_max_correlation`): the maximiser of the
    concave ``t direction^T y - t^2/2 ||direction||^2`` clipped to the feasible interval (shrunk by a factor
    ``1 - 1e-12`` against rounding). Any direction gives a
    valid bound (the residual of a trained network too); the convex program's residual gives the optimum.

    Parameters
    ----------
    X : array_like, shape (n, d), rank <= 2
    y : array_like, shape (n,)
    beta : float > 0
    direction : array_like, shape (n,)
        E.g. ``two_layer_relu_convex(X, y, beta=beta).dual``.

    Returns
    -------
    ReluDualCertificate

    Raises
    ------
    ValueError
        Bad shapes, rank(X) > 2 (the constraint could not be evaluated exactly).
    """
    X = as_matrix("X", X)
    y = as_vector("y", y)
    direction = as_vector("direction", direction)
    check_same_rows(X, y[:, None], "X", "y")
    check_same_rows(X, direction[:, None], "X", "direction")
    beta = check_positive("beta", beta)
    s = relu_max_correlation(X, direction)
    norm2 = float(direction @ direction)
    if norm2 == 0.0:
        t = 0.0
    else:
        # 1 - 1e-12: the rounding of relu_max_correlation(X, t * direction) must not push it above beta
        t = float(np.clip(float(direction @ y) / norm2, 0.0, beta / s * (1 - 1e-12) if s > 0 else np.inf))
    lam = t * direction
    return ReluDualCertificate(lower_bound=float(lam @ y - 0.5 * lam @ lam), multiplier=lam,
                               max_correlation=relu_max_correlation(X, lam), scale=t, beta=beta)
