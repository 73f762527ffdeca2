"""Pricing for the column generation of :mod:`utils.relu.column_generation`.

The method is that of the book's appendix *Derivations and conventions*, section 6.1.

A branch of a parallel ReLU network of depth L is ``theta = [W1 (d, m1), ..., W_{L-2} (m_{L-3}, m_{L-2}),
w_{L-1} (m_{L-2},)]`` with every layer of Frobenius norm 1; its feature is
``phi(X; theta) = (...((X W1)_+ W2)_+ ... w_{L-1})_+`` in R^n. Pricing maximises ``||Lambda^T phi(X; theta)||``:

* :func:`_ascent`: projected gradient ascent over the unit spheres, with softplus smoothing (a heuristic; its
  best value is a lower estimate of the supremum);
* :class:`_ExactPricing`: the exact supremum for L = 3, scalar outputs and rank(X) <= 2 (one SOCP per outer
  pattern and sign, built on the gauge of appendix section 1.7, as in section 5.1).

Private module: the public entry point is :func:`utils.relu.column_generation.column_generation_parallel_relu`.
"""

from __future__ import annotations

import cvxpy as cp
import numpy as np

from .._cvx import certify, solve_problem
from .arrangements import hyperplane_patterns
from .deep_training import relu_network_forward
from .parallel_three_layer import _branch_from_blocks, _outer_patterns
from .two_layer import relu_gauge_constraints

__all__: list[str] = []


# --------------------------------------------------------------------------------------------------
# branches: theta = [W1 (d, m1), ..., W_{L-2} (m_{L-3}, m_{L-2}), w_{L-1} (m_{L-2},)], every layer of norm 1
# --------------------------------------------------------------------------------------------------
def _normalise(theta: list[np.ndarray]) -> list[np.ndarray]:
    return [W / max(np.linalg.norm(W), np.finfo(float).tiny) for W in theta]


def _random_branch(rng: np.random.Generator, d: int, widths: list[int]) -> list[np.ndarray]:
    dims = [d] + widths
    theta = [rng.standard_normal((dims[i], dims[i + 1])) for i in range(len(widths))]
    return _normalise(theta + [rng.standard_normal(dims[-1])])


def _features(X: np.ndarray, thetas: list[list[np.ndarray]]) -> np.ndarray:
    """``phi(X; theta_j)`` for same-shape branches, as the columns of an (n, J) array.

    One forward pass of a parallel network whose branch j has output weight ``e_j`` (so output column j is
    ``phi_j``).
    """
    J = len(thetas)
    eye = np.eye(J)
    return relu_network_forward(X, [th + [eye[j]] for j, th in enumerate(thetas)], "parallel")


def _pad3(theta: list[np.ndarray], m: int) -> list[np.ndarray]:
    """Pad a three-layer branch ``[W1 (d, m'), w2 (m',)]`` with zero neurons to width m."""
    W1, w2 = theta
    return [np.pad(W1, ((0, 0), (0, m - W1.shape[1]))), np.pad(w2, (0, m - w2.size))]


def _softplus(Z: np.ndarray, beta) -> tuple[np.ndarray, np.ndarray]:
    """``log(1 + exp(beta z)) / beta`` (a smoothed ReLU, exact ReLU as beta -> inf) and its derivative.

    ``beta`` is a scalar or an array broadcasting against Z (one sharpness per branch)."""
    t = np.clip(beta * Z, -60.0, 60.0)
    value = np.where(t >= 60.0, Z, np.log1p(np.exp(np.minimum(t, 30.0))) / beta)
    return value, 1.0 / (1.0 + np.exp(-t))


def _smoothed_value_and_grad(X: np.ndarray, Lam: np.ndarray, params: list[np.ndarray], beta: np.ndarray):
    """``f_j = 1/2 ||Lambda^T phi_beta(X; theta_j)||^2`` for stacked branches and its gradient (backpropagation).

    ``params = [W1 (J, d, m1), ..., W_{L-2} (J, m_{L-3}, m_{L-2}), w_{L-1} (J, m_{L-2})]``; ``phi_beta`` is the
    branch feature with every ReLU replaced by :func:`_softplus` of sharpness ``beta[j]`` (shape (J,)).
    """
    mats, w = params[:-1], params[-1]
    Hs, Ds = [X], []
    for W in mats:
        H, D = _softplus(Hs[-1] @ W, beta[:, None, None])
        Hs.append(H)
        Ds.append(D)
    phi, dphi = _softplus(np.einsum("jnm,jm->jn", Hs[-1], w), beta[:, None])
    proj = phi @ Lam                                       # (J, k): Lambda^T phi_j
    gz = (proj @ Lam.T) * dphi                             # (J, n)
    grads = [None] * len(params)
    grads[-1] = np.einsum("jnm,jn->jm", Hs[-1], gz)
    G = gz[:, :, None] * w[:, None, :]
    for l in range(len(mats) - 1, -1, -1):
        G = G * Ds[l]
        grads[l] = (X.T @ G) if l == 0 else np.swapaxes(Hs[l], 1, 2) @ G
        if l > 0:
            G = G @ np.swapaxes(mats[l], 1, 2)
    return 0.5 * np.sum(proj * proj, axis=1), grads


def _unit_rows(params: list[np.ndarray]) -> list[np.ndarray]:
    """Normalise every branch's layer (axis 0 indexes the branches) to Frobenius norm 1."""
    out = []
    for p in params:
        nrm = np.sqrt(np.sum(p * p, axis=tuple(range(1, p.ndim)), keepdims=True))
        out.append(p / np.maximum(nrm, np.finfo(float).tiny))
    return out


#: smoothing of the pricing ascent, for data scaled to spectral norm 1: start j begins at sharpness
#: ``_BETA_STARTS[j % 4]`` (too smooth a start pulls every start to one point, too sharp a start stalls at
#: kinks, and the best level depends on the instance), multiplied by ``_BETA_FACTOR`` at each level up to
#: ``_BETA_MAX``, then a last level at ``_BETA_MAX`` for all.
_BETA_STARTS = (10.0, 30.0, 100.0, 300.0)
_BETA_FACTOR = 3.0
_BETA_MAX = 1e5


def _ascent(X: np.ndarray, Lam: np.ndarray, thetas: list[list[np.ndarray]], steps: int):
    """Projected (Riemannian) gradient ascent of ``||Lambda^T phi(X; theta)||`` over unit-norm layers.

    The ReLU's kinks stall plain gradient ascent (maximisers typically have a hidden unit exactly at 0), so the
    ascent follows a continuation: every ReLU is replaced by a softplus whose sharpness ``beta`` grows level by
    level (see ``_BETA_STARTS``; the data are rescaled to spectral norm 1, which does not move the maximisers
    since ``phi`` is positively homogeneous in X), ``steps`` steps per level. All starts advance together; each step moves every layer along its tangent
    gradient, renormalises, and is kept only if the smoothed objective increases (the step then grows by 1.5,
    otherwise it halves). Returns the final branches and their exact (ReLU) values ``||Lambda^T phi||``.
    """
    Xs = X / np.linalg.norm(X, 2)
    params = _unit_rows([np.stack([th[i] for th in thetas]) for i in range(len(thetas[0]))])
    axes = [tuple(range(1, p.ndim)) for p in params]
    shapes = [(-1,) + (1,) * (p.ndim - 1) for p in params]
    J = len(thetas)
    beta0 = np.array([_BETA_STARTS[j % len(_BETA_STARTS)] for j in range(J)])
    n_levels = int(np.ceil(np.log(_BETA_MAX / beta0.min()) / np.log(_BETA_FACTOR))) + 1
    for level in range(n_levels):
        beta = np.minimum(beta0 * _BETA_FACTOR ** level, _BETA_MAX)
        eta = np.full(J, 0.3)
        f, grads = _smoothed_value_and_grad(Xs, Lam, params, beta)
        for _ in range(int(steps)):
            tang = [G - np.sum(G * W, axis=a, keepdims=True) * W for G, W, a in zip(grads, params, axes, strict=True)]
            gnorm = np.sqrt(sum(np.sum(T * T, axis=a) for T, a in zip(tang, axes, strict=True)))
            move = eta / np.maximum(gnorm, 1e-300)
            trial = _unit_rows([W + move.reshape(s) * T for W, T, s in zip(params, tang, shapes, strict=True)])
            f_new, g_new = _smoothed_value_and_grad(Xs, Lam, trial, beta)
            up = f_new > f
            params = [np.where(up.reshape(s), Wt, W) for W, Wt, s in zip(params, trial, shapes, strict=True)]
            grads = [np.where(up.reshape(s), Gt, G) for G, Gt, s in zip(grads, g_new, shapes, strict=True)]
            f = np.where(up, f_new, f)
            eta = np.where(up, np.minimum(1.5 * eta, 1.0), 0.5 * eta)
            if np.all(eta < 1e-9):
                break
    thetas = [[p[j] for p in params] for j in range(J)]
    return thetas, np.linalg.norm(Lam.T @ _features(X, thetas), axis=0)


class _ExactPricing:
    """Exact pricing for L = 3, k = 1, rank(X) <= 2 (see the module docstring); one compiled SOCP per
    (outer pattern, sign), with the multiplier as a cvxpy Parameter. Built on normalised data (largest entry of
    order one), every solve certified (status, constraint residual and objective)."""

    def __init__(self, X: np.ndarray):
        n = X.shape[0]
        inner = hyperplane_patterns(X, "exact")
        self.lam = cp.Parameter(n)
        self.problems = []
        for o in _outer_patterns(n):
            for sign in (1.0, -1.0):
                z = cp.Variable(n)
                gauge, cons, (V, W) = relu_gauge_constraints(X, inner, z)
                objective = cp.Maximize(sign * (cp.multiply(o, self.lam) @ z))
                problem = cp.Problem(objective, cons + [gauge <= 1, cp.multiply(2.0 * o - 1.0, z) >= 0])
                self.problems.append((problem, V, W))

    def __call__(self, lam: np.ndarray):
        """Return (values of every subproblem, unit branches ``[W1, w2]`` of each maximiser)."""
        self.lam.value = lam
        values, branches = [], []
        for problem, V, W in self.problems:
            solve_problem(problem, "exact pricing subproblem", "CLARABEL")
            values.append(max(certify(problem, "exact pricing subproblem"), 0.0))
            if values[-1] > 0:
                W1, w2, _ = _branch_from_blocks(np.asarray(V.value), np.asarray(W.value), rel_tol=1e-7)
                branches.append(_normalise([W1, w2]))
            else:
                branches.append(None)
        return np.array(values), branches
