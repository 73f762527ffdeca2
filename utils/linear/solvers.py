"""Reference solvers for deep linear networks, independent of the closed forms (MATH.md 2-4, 7).

* :func:`train_deep_linear`: multi-start augmented Lagrangian (L-BFGS, analytic gradients) for the min-norm
  interpolation problems of the standard, parallel and partially-parallel ("stairs") deep linear networks.
* :func:`deep_linear_dual_cvxpy`: the dual ``max tr(Lambda^T Y) s.t. ||X^T Lambda||_2 <= bound`` (SCS).
* :func:`nuclear_norm_min_cvxpy`: the parallel network's convex problem ``min ||W||_* s.t. X W = Y`` (SCS).

These solvers never call the closed forms; the tests and the book compare the two.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cvxpy as cp
import numpy as np

from .._optim import augmented_lagrangian, best_of_starts
from .._validation import (
    SolverError,
    as_matrix,
    check_depth,
    check_positive,
    check_same_rows,
    check_seed,
    require_optimal,
)
from .closed_forms import min_norm_target

__all__ = ["DeepLinearFit", "train_deep_linear", "deep_linear_dual_cvxpy", "nuclear_norm_min_cvxpy"]


@dataclass
class DeepLinearFit:
    """Result of :func:`train_deep_linear`.

    Attributes
    ----------
    objective : float
        Penalty of the best start that interpolates (residual within the feasibility tolerance).
    objectives : list of float
        Penalty reached by every start (feasible or not), in order.
    weights : list or dict
        ``"standard"``: list of L arrays ``W_1 (d, m), ..., W_L (m, k)``. ``"parallel"`` / ``"partial"``: dict
        with ``"shared"`` (list of the s shared arrays; empty for "parallel") and ``"branches"`` (list of K
        lists ``[W_{s+1,j}, ..., W_{L-2,j}, w_{L-1,j} (m, 1), w_{L,j} (1, k)]``).
    residual : float
        ``max |X net - Y|`` of the best start.
    converged : bool
        Whether the best start met the augmented-Lagrangian tolerance with a converged inner solve.
    residuals : list of float
        Residual of every start.
    architecture : str
    """

    objective: float
    objectives: list
    weights: object
    residual: float
    converged: bool
    residuals: list = field(default_factory=list)
    architecture: str = "standard"

    def predict(self, X) -> np.ndarray:
        """Network output on data ``X`` (n, d): ``X W_1...W_L`` or the sum of the branches, shape (n, k)."""
        X = as_matrix("X", X)
        if isinstance(self.weights, list):
            return _chain(X, self.weights)
        H = _chain(X, self.weights["shared"])
        return sum(_chain(H, branch) for branch in self.weights["branches"])


def _chain(H, mats):
    for M in mats:
        H = H @ M
    return H


# ------------------------------------------------------------------------------------ network layout
def _layout(arch, d, k, L, m, K, s, penalty):
    """Return (shared, branch) lists of (shape, kind); kind in {"sq", "pow", "sphere"}."""
    free = "sq" if penalty == "weight_decay" else "pow"
    if arch == "standard":
        dims = [d] + [m] * (L - 1) + [k]
        return [((dims[i], dims[i + 1]), free) for i in range(L)], []
    if arch == "parallel":
        dims = [d] + [m] * (L - 2) + [1, k]
        return [], [((K, dims[i], dims[i + 1]), free) for i in range(L)]
    # partial: s shared scaled layers, then per branch scaled layers s+1..L-2, a vector and an output row
    dims = [d] + [m] * (L - 2) + [1, k]
    shared = [((dims[i], dims[i + 1]), "sphere") for i in range(s)]
    branch = [((K, dims[i], dims[i + 1]), "sphere") for i in range(s, L - 2)]
    branch += [((K, dims[L - 2], 1), "sq"), ((K, 1, k), "sq")]
    return shared, branch


def _fro(W):
    """Frobenius norm per branch (keepdims) for 3-D arrays, a scalar for 2-D."""
    return np.sqrt(np.sum(W * W, axis=(-2, -1), keepdims=True))


class _Net:
    def __init__(self, X, Y, L, shared, branch, t):
        self.X, self.Y, self.L, self.t = X, Y, L, t
        self.specs = shared + branch
        self.n_shared = len(shared)
        self.shapes = [sh for sh, _ in self.specs]
        self.kinds = [kd for _, kd in self.specs]
        self.sizes = [int(np.prod(sh)) for sh in self.shapes]

    def unpack(self, x):
        out, i = [], 0
        for sh, size in zip(self.shapes, self.sizes, strict=True):
            out.append(x[i:i + size].reshape(sh))
            i += size
        return out

    def weights(self, x):
        """Actual layer weights (sphere layers mapped to norm exactly t)."""
        return [self.t * V / _fro(V) if kd == "sphere" else V
                for V, kd in zip(self.unpack(x), self.kinds, strict=True)]

    def objective(self, x):
        f, grads = 0.0, []
        for V, kd in zip(self.unpack(x), self.kinds, strict=True):
            if kd == "sq":
                f += 0.5 * float(np.sum(V * V))
                grads.append(V)
            elif kd == "pow":
                nrm = _fro(V)
                f += float(np.sum(nrm ** self.L)) / self.L
                grads.append(nrm ** (self.L - 2) * V)
            else:
                grads.append(np.zeros_like(V))
        return f, np.concatenate([g.ravel() for g in grads])

    def constraint(self, x):
        Vs = self.unpack(x)
        Ws = self.weights(x)
        S, B = Ws[:self.n_shared], Ws[self.n_shared:]
        pre = [self.X]
        for M in S:
            pre.append(pre[-1] @ M)
        H = pre[-1]
        if B:
            q = len(B)
            P = [None] * (q + 1)  # P[i] = B[0] @ ... @ B[i-1] (batched over branches); P[0] = identity
            Q = [None] * (q + 1)  # Q[i] = B[i] @ ... @ B[q-1]; Q[q] = identity
            P[1] = B[0]
            for i in range(2, q + 1):
                P[i] = P[i - 1] @ B[i - 1]
            Q[q - 1] = B[q - 1]
            for i in range(q - 2, -1, -1):
                Q[i] = B[i] @ Q[i + 1]
            Mb = P[q].sum(axis=0)
            out = H @ Mb
        else:
            out = H
        c = out - self.Y

        def vjp(V):
            grads = [None] * len(Ws)
            if B:
                G = H.T @ V
                for i in range(q):  # layer B[i]: prefix P[i] = B[0..i-1], suffix Q[i+1] = B[i+1..q-1]
                    left = G[None] if P[i] is None else np.swapaxes(P[i], 1, 2) @ G
                    g = left if Q[i + 1] is None else left @ np.swapaxes(Q[i + 1], 1, 2)
                    grads[self.n_shared + i] = np.broadcast_to(g, B[i].shape)
                dH = V @ Mb.T
            else:
                dH = V
            suffix = None  # S_{i+1}...S_s
            for i in range(self.n_shared - 1, -1, -1):
                right = dH if suffix is None else dH @ suffix.T
                grads[i] = pre[i].T @ right
                suffix = S[i] if suffix is None else S[i] @ suffix
            flat = []
            for g, Vr, kd in zip(grads, Vs, self.kinds, strict=True):
                if kd == "sphere":
                    nrm = _fro(Vr)
                    u = Vr / nrm
                    g = (self.t / nrm) * (g - np.sum(g * u, axis=(-2, -1), keepdims=True) * u)
                flat.append(np.asarray(g).ravel())
            return np.concatenate(flat)

        return c, vjp


# ------------------------------------------------------------------------------------ public trainers
def train_deep_linear(X, Y, L, *, architecture="standard", penalty="weight_decay", n_shared=None, scale=None,
                      width=None, n_branches=None, n_starts=5, seed=0, tol=1e-9) -> DeepLinearFit:
    """Min-norm interpolation of a deep linear network by multi-start augmented Lagrangian (MATH.md 2-4, 7).

    Architectures (X (n, d), Y (n, k) or (n,), depth L >= 2, hidden width m = ``width``):

    * ``"standard"``: ``min 1/2 sum_l ||W_l||_F^2 s.t. X W_1...W_L = Y`` (``penalty="power"``: the
      penalty ``1/L sum_l ||W_l||_F^L`` instead). Default width ``max(d, k)``.
    * ``"parallel"``: K = ``n_branches`` branches (default ``n k + 1``), branch j outputs
      ``X W_{1,j}...W_{L-2,j} w_{L-1,j} w_{L,j}^T`` (single last hidden neuron); the output is their sum.
      ``penalty="weight_decay"``: ``1/2 sum_j sum_l ||W_{l,j}||_F^2`` (value = standard P_lin);
      ``penalty="power"``: ``1/L sum_j sum_l ||W_{l,j}||_F^L`` (value ``||A||_*``).
    * ``"partial"`` (MATH.md 3): ``n_shared = s`` in 0..L-2 shared layers, then K branches with layers
      ``W_{s+1,j}..W_{L-2,j}``, a vector ``w_{L-1,j}`` and an output row ``w_{L,j}``. Every shared layer and
      every branch layer up to L-2 has Frobenius norm exactly ``scale = t`` (parametrised as
      ``t V / ||V||_F``); the objective is ``1/2 sum_j (||w_{L-1,j}||^2 + ||w_{L,j}||^2)``, with optimal value
      ``t^{-(L-2)} ||A||_{S_{2/(s+2)}}``. s = L-2 is the standard network at scale t, s = 0 the fully
      parallel one (value ``D_lin(t)``). Only ``penalty="weight_decay"``.

    ``n_starts`` random starts (seeded by ``seed``) each run :func:`utils._optim.augmented_lagrangian` to
    residual ``tol``; the best start with ``max |X net - Y| <= 1e-6 max(1, max|Y|)`` is returned.

    Raises
    ------
    ValueError
        Bad shapes/values, labels outside range(X) (no interpolating network exists), inconsistent options.
    SolverError
        When no start reaches the feasibility tolerance.
    """
    X = as_matrix("X", X)
    Y = as_matrix("Y", Y, allow_vector=True)
    check_same_rows(X, Y)
    L = check_depth(L)
    min_norm_target(X, Y)  # raises when no interpolating network exists
    rng = check_seed(seed)
    n, d = X.shape
    k = Y.shape[1]
    if architecture not in ("standard", "parallel", "partial"):
        raise ValueError(f"architecture must be 'standard', 'parallel' or 'partial', got {architecture!r}")
    if penalty not in ("weight_decay", "power"):
        raise ValueError(f"penalty must be 'weight_decay' or 'power', got {penalty!r}")
    t = None
    s = 0
    if architecture == "partial":
        if penalty != "weight_decay":
            raise ValueError("the 'partial' network uses the weight-decay objective only")
        if scale is None or n_shared is None:
            raise ValueError("architecture='partial' needs n_shared (0..L-2) and scale (t > 0)")
        t = check_positive("scale", scale)
        s = check_depth(n_shared, minimum=0, name="n_shared")
        if s > L - 2:
            raise ValueError(f"n_shared must be in 0..L-2 = 0..{L - 2}, got {s}")
    elif scale is not None or n_shared is not None:
        raise ValueError("scale and n_shared apply to architecture='partial' only")
    if architecture == "standard" and n_branches is not None:
        raise ValueError("n_branches applies to 'parallel' and 'partial' only")
    m = max(d, k) if width is None else check_depth(width, minimum=1, name="width")
    K = n * k + 1 if n_branches is None else check_depth(n_branches, minimum=1, name="n_branches")
    n_starts = check_depth(n_starts, minimum=1, name="n_starts")
    tol = check_positive("tol", tol)

    shared, branch = _layout(architecture, d, k, L, m, K, s, penalty)
    net = _Net(X, Y, L, shared, branch, t)
    # Initial singular values ~ sc per layer, sc^L ~ ||Y|| / ||X||_2 (a data scale, not the closed form).
    sc = max(np.linalg.norm(Y) / np.linalg.norm(X, 2), 1e-3) ** (1.0 / L)
    y2 = float(np.sum(Y * Y))

    def run(gen):
        parts = []
        for (sh, kd) in net.specs:
            V = gen.standard_normal(sh)
            if kd != "sphere":
                V *= sc / np.sqrt(sh[-2])
            parts.append(V.ravel())
        x0 = np.concatenate(parts)
        # rho0 makes the first inner solve fit-dominated: with a small rho0 it drops weak singular directions
        # of A, and for L >= 3 a dropped direction is a local minimum the method never leaves.
        rho0 = 1e4 * max(net.objective(x0)[0], 1e-12) / y2 if y2 > 0 else 10.0
        return augmented_lagrangian(net.objective, net.constraint, x0, tol=tol, rho0=rho0,
                                    max_outer=40, max_inner=2000)

    feas = 1e-6 * max(1.0, float(np.max(np.abs(Y))))
    best, results = best_of_starts(run, n_starts, rng, feasibility_tol=feas)
    if best.residual > feas:
        raise SolverError(
            f"train_deep_linear ({architecture}): no start reached the feasibility tolerance {feas:.1e} "
            f"(best residual {best.residual:.2e}); try more starts or a larger width"
        )
    Ws = net.weights(best.x)
    if architecture == "standard":
        weights = [np.array(W) for W in Ws]
    else:
        S, B = Ws[:len(shared)], Ws[len(shared):]
        weights = {"shared": [np.array(W) for W in S],
                   "branches": [[np.array(W[j]) for W in B] for j in range(K)]}
    return DeepLinearFit(objective=best.fun, objectives=[r.fun for r in results], weights=weights,
                         residual=best.residual, converged=best.converged,
                         residuals=[r.residual for r in results], architecture=architecture)


# ------------------------------------------------------------------------------------ cvxpy programs
def _scs_solve(problem, what, eps, max_iters):
    eps = check_positive("eps", eps)
    max_iters = check_depth(max_iters, minimum=1, name="max_iters")
    try:
        problem.solve(solver=cp.SCS, eps_abs=eps, eps_rel=eps, max_iters=max_iters)
    except cp.error.SolverError as exc:
        raise SolverError(f"{what}: SCS failed ({exc})") from None
    require_optimal(problem, what)


def deep_linear_dual_cvxpy(X, Y, bound=1.0, *, eps=1e-8, max_iters=100_000):
    """Solve the deep linear dual ``max tr(Lambda^T Y) s.t. ||X^T Lambda||_2 <= bound`` with SCS (MATH.md 2.3).

    With ``bound = t^{-(L-2)}`` its value is ``D_lin(t)``; with ``bound = 1`` it is the parallel network's
    dual (MATH.md 4). X (n, d), Y (n, k) or (n,). SCS runs on ``Y / ||Y||_F`` (the value is linear in Y,
    Lambda unchanged) with ``eps_abs = eps_rel = eps``; tighter eps than 1e-8 often ends "optimal_inaccurate".
    Zero labels: value 0 with ``Lambda = 0`` (returned without calling the solver).

    Returns
    -------
    value : float
    Lambda : ndarray, shape (n, k)

    Raises
    ------
    ValueError for bad input or labels outside range(X) (then the dual is unbounded: no interpolating
    network exists); SolverError unless SCS reports "optimal" (e.g. too few ``max_iters``).
    """
    X = as_matrix("X", X)
    Y = as_matrix("Y", Y, allow_vector=True)
    check_same_rows(X, Y)
    bound = check_positive("bound", bound)
    min_norm_target(X, Y)
    c = float(np.linalg.norm(Y))
    if c == 0.0:
        return 0.0, np.zeros(Y.shape)
    Lam = cp.Variable(Y.shape)
    problem = cp.Problem(cp.Maximize(cp.trace(Lam.T @ (Y / c))), [cp.sigma_max(X.T @ Lam) <= bound])
    _scs_solve(problem, "deep linear dual (cvxpy)", eps, max_iters)
    return c * float(problem.value), np.asarray(Lam.value)


def nuclear_norm_min_cvxpy(X, Y, *, eps=1e-8, max_iters=100_000):
    """Solve ``min ||W||_* s.t. X W = Y`` with SCS: the convex problem of the parallel deep linear network
    with the ``1/L ||.||^L`` penalty (MATH.md 4). Its value is ``||A||_*``.

    Returns
    -------
    value : float
    W : ndarray, shape (d, k)

    SCS runs on ``Y / ||Y||_F`` (W and the value are linear in Y). Zero labels: ``(0.0, W = 0)`` without
    calling the solver.

    Raises ValueError for bad input or labels outside range(X); SolverError unless SCS reports "optimal".
    """
    X = as_matrix("X", X)
    Y = as_matrix("Y", Y, allow_vector=True)
    check_same_rows(X, Y)
    min_norm_target(X, Y)
    c = float(np.linalg.norm(Y))
    if c == 0.0:
        return 0.0, np.zeros((X.shape[1], Y.shape[1]))
    W = cp.Variable((X.shape[1], Y.shape[1]))
    problem = cp.Problem(cp.Minimize(cp.normNuc(W)), [X @ W == Y / c])
    _scs_solve(problem, "nuclear-norm minimisation (cvxpy)", eps, max_iters)
    return c * float(problem.value), c * np.asarray(W.value)
