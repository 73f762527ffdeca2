"""Reference solvers for deep linear networks, independent of the closed forms (chapters ``02``-``04``).

* :func:`train_deep_linear`: multi-start augmented Lagrangian (L-BFGS, analytic gradients) for the min-norm
  interpolation problems of the standard, parallel and partially-parallel ("stairs") deep linear networks.
* :func:`deep_linear_dual_cvxpy`: the dual ``max tr(Lambda^T Y) s.t. ||X^T Lambda||_2 <= bound``;
* :func:`nuclear_norm_min_cvxpy`: the parallel network's convex problem ``min ||W||_* s.t. X W = Y``.

Both are SDPs, solved by Clarabel (:data:`utils._cvx.CONIC_SOLVER`, also in the in-browser edition).

These solvers never call the closed forms (only the range check ``Y in range(X)``); the tests and the book
compare the two.

Scale invariance by construction: every problem here is homogeneous in ``X`` and ``Y``, so each solver runs on
``X / a`` and ``Y / c`` and rescales the solution. The cvxpy programs use for ``a``, ``c`` the powers of two
nearest to the largest entries (exact divisions: data of order one are solved as given); the trainer uses the
largest entries themselves, so that ``Y`` and ``c Y`` give the same normalised problem up to rounding and the
seeded multi-start run follows the same path. Tolerances are therefore relative, and ``f(X, c Y)`` is the
exactly scaled ``f(X, Y)`` (to the solver's accuracy) for any ``c``. After each solve the constraint residual
of the returned solution is checked: a solver that reports success with a violated constraint raises
:class:`SolverError` naming its status and the residual.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import cvxpy as cp
import numpy as np

from .._cvx import certify, solve_with_clarabel
from .._optim import augmented_lagrangian, best_of_starts, data_scale, max_abs_scale
from .._validation import (
    SolverError,
    as_matrix,
    check_constraint_residual,
    check_count,
    check_depth,
    check_positive,
    check_same_rows,
    check_seed,
)
from ._linalg import min_norm_solution
from ._networks import Net, chain, layout

__all__ = ["DeepLinearFit", "train_deep_linear", "deep_linear_dual_cvxpy", "nuclear_norm_min_cvxpy"]

_FEAS_RTOL = 1e-6  # a start interpolates when max |X net - Y| <= _FEAS_RTOL * max |Y|


@dataclass
class DeepLinearFit:
    """Result of :func:`train_deep_linear` (in the units of the data it was given).

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
        ``max |X net - Y|`` of the best start, recomputed from the returned weights.
    converged : bool
        Whether the best start met the augmented-Lagrangian tolerance with a converged inner solve.
    residuals : list of float
        Residual ``max |X net - Y|`` of every start.
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
        """Network output on data ``X`` (n, d): ``X W_1...W_L`` or the sum of the branches, shape (n, k).

        Parameters
        ----------
        X : array_like, shape (n, d)

        Returns
        -------
        ndarray, shape (n, k)
        """
        X = as_matrix("X", X)
        if isinstance(self.weights, list):
            return chain(X, self.weights)
        H = chain(X, self.weights["shared"])
        return sum(chain(H, branch) for branch in self.weights["branches"])


def _package(Ws, architecture, n_shared, K):
    if architecture == "standard":
        return [np.array(W) for W in Ws]
    S, B = Ws[:n_shared], Ws[n_shared:]
    return {"shared": [np.array(W) for W in S], "branches": [[np.array(W[j]) for W in B] for j in range(K)]}


def _options(L, architecture, penalty, n_shared, scale, width, n_branches, d, k, n):
    """Validate the architecture options; return (t, s, m, K)."""
    if architecture not in ("standard", "parallel", "partial"):
        raise ValueError(f"architecture must be 'standard', 'parallel' or 'partial', got {architecture!r}")
    if penalty not in ("weight_decay", "power"):
        raise ValueError(f"penalty must be 'weight_decay' or 'power', got {penalty!r}")
    t, s = None, 0
    if architecture == "partial":
        if penalty != "weight_decay":
            raise ValueError("the 'partial' network uses the weight-decay objective only")
        if scale is None or n_shared is None:
            raise ValueError("architecture='partial' needs n_shared (0..L-2) and scale (t > 0)")
        t = check_positive("scale", scale)
        s = check_count("n_shared", n_shared, 0)
        if s > L - 2:
            raise ValueError(f"n_shared must be in 0..L-2 = 0..{L - 2}, got {s}")
    elif scale is not None or n_shared is not None:
        raise ValueError("scale and n_shared apply to architecture='partial' only")
    if architecture == "standard" and n_branches is not None:
        raise ValueError("n_branches applies to 'parallel' and 'partial' only")
    m = max(d, k) if width is None else check_count("width", width, 1)
    K = n * k + 1 if n_branches is None else check_count("n_branches", n_branches, 1)
    return t, s, m, K


# ------------------------------------------------------------------------------------ public trainers
def train_deep_linear(X, Y, L, *, architecture="standard", penalty="weight_decay", n_shared=None, scale=None,
                      width=None, n_branches=None, n_starts=5, seed=0, tol=1e-9) -> DeepLinearFit:
    """Min-norm interpolation of a deep linear network by multi-start augmented Lagrangian (chapters 02-04).

    Architectures (X (n, d), Y (n, k) or (n,), depth L >= 2, hidden width m = ``width``):

    * ``"standard"``: ``min 1/2 sum_l ||W_l||_F^2 s.t. X W_1...W_L = Y`` (``penalty="power"``: the
      penalty ``1/L sum_l ||W_l||_F^L`` instead). Default width ``max(d, k)``.
    * ``"parallel"``: K = ``n_branches`` branches (default ``n k + 1``), branch j outputs
      ``X W_{1,j}...W_{L-2,j} w_{L-1,j} w_{L,j}^T`` (single last hidden neuron); the output is their sum.
      ``penalty="weight_decay"``: ``1/2 sum_j sum_l ||W_{l,j}||_F^2`` (value = standard P_lin);
      ``penalty="power"``: ``1/L sum_j sum_l ||W_{l,j}||_F^L`` (value ``||A||_*``).
    * ``"partial"`` (chapter ``03_stairs``): ``n_shared = s`` in 0..L-2 shared layers, then K branches with
      layers ``W_{s+1,j}..W_{L-2,j}``, a vector ``w_{L-1,j}`` and an output row ``w_{L,j}``. Every shared layer
      and every branch layer up to L-2 has Frobenius norm exactly ``scale = t`` (parametrised as
      ``t V / ||V||_F``); the objective is ``1/2 sum_j (||w_{L-1,j}||^2 + ||w_{L,j}||^2)``, with optimal value
      ``t^{-(L-2)} ||A||_{S_{2/(s+2)}}``. s = L-2 is the standard network at scale t, s = 0 the fully
      parallel one (value ``D_lin(t)``). Only ``penalty="weight_decay"``.

    Homogeneity, used to solve on normalised data (module doc): under ``X -> aX, Y -> cY`` (a, c > 0) the value
    scales as ``(c/a)^{2/L}`` (weight decay, standard or parallel) or ``c/a`` (power penalty; partial network),
    and each free layer as ``(c/a)^{1/L}`` (``(c/a)^{1/2}`` for the two free layers of the partial network).

    ``n_starts`` random starts (seeded by ``seed``) each run :func:`utils._optim.augmented_lagrangian` on the
    normalised data to residual ``tol``; the best start with ``max |X net - Y| <= 1e-6 max |Y|`` is returned.

    Parameters
    ----------
    X : array_like, shape (n, d); Y : array_like, shape (n, k) or (n,); L : int, 2 <= L <= 10**6.
    architecture : {"standard", "parallel", "partial"}; penalty : {"weight_decay", "power"}.
    n_shared : int in 0..L-2 and scale : float > 0, for ``"partial"`` only.
    width : int >= 1, hidden width m; n_branches : int >= 1, K (``"parallel"``/``"partial"``).
    n_starts : int >= 1; seed : int, Generator or None.
    tol : float > 0, target of ``max |X net - Y| / max |Y|`` (the solver runs on normalised data).

    Returns
    -------
    DeepLinearFit, in the units of ``X`` and ``Y``. Zero labels give the zero network without training.

    Raises
    ------
    TypeError
        Complex/boolean data, non-integer ``L``, ``width``, ``n_branches``, ``n_starts`` or ``n_shared``.
    ValueError
        Bad shapes/values, labels outside range(X) (no interpolating network exists), inconsistent options,
        ``n_starts < 1``, ``tol <= 0``.
    SolverError
        When no start reaches the feasibility tolerance, or the returned weights violate it although the
        solver reported success.
    """
    X = as_matrix("X", X)
    Y = as_matrix("Y", Y, allow_vector=True)
    check_same_rows(X, Y)
    L = check_depth(L)
    min_norm_solution(X, Y)  # raises when no interpolating network exists
    rng = check_seed(seed)
    n, d = X.shape
    k = Y.shape[1]
    t, s, m, K = _options(L, architecture, penalty, n_shared, scale, width, n_branches, d, k, n)
    n_starts = check_count("n_starts", n_starts, 1)
    tol = check_positive("tol", tol)
    shared, branch = layout(architecture, d, k, L, m, K, s, penalty)
    what = f"train_deep_linear ({architecture})"

    a, c = max_abs_scale(X), max_abs_scale(Y)
    net = Net(X / a, Y / c, L, shared, branch, t)
    if not np.any(Y):  # the zero network (sphere layers of norm t in random directions) is optimal
        x = np.concatenate([rng.standard_normal(sh).ravel() if kd == "sphere" else np.zeros(int(np.prod(sh)))
                            for sh, kd in net.specs])
        return DeepLinearFit(objective=0.0, objectives=[0.0] * n_starts,
                             weights=_package(net.weights(x), architecture, len(shared), K), residual=0.0,
                             converged=True, residuals=[0.0] * n_starts, architecture=architecture)

    # Initial singular values ~ sc per layer, sc^L ~ ||Y|| / ||X||_2 (a data scale, not the closed form).
    sc = max(np.linalg.norm(net.Y) / np.linalg.norm(net.X, 2), 1e-3) ** (1.0 / L)
    y2 = float(np.sum(net.Y * net.Y))

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
        rho0 = 1e4 * max(net.objective(x0)[0], 1e-12) / y2
        return augmented_lagrangian(net.objective, net.constraint, x0, tol=tol, rho0=rho0,
                                    max_outer=40, max_inner=2000)

    y_max = float(np.max(np.abs(net.Y)))
    best, results = best_of_starts(run, n_starts, rng, feasibility_tol=_FEAS_RTOL * y_max)
    if best.residual > _FEAS_RTOL * y_max:
        raise SolverError(
            f"{what}: no start reached the feasibility tolerance max|X net - Y| <= {_FEAS_RTOL:g} max|Y| "
            f"(best relative residual {best.residual / y_max:.2e}); try more starts or a larger width"
        )
    # back to the data's units: free layers times gamma, the penalty times gamma^2 (or gamma^L for "power")
    n_free = 2 if architecture == "partial" else L
    gamma = math.exp(math.log(c / a) / n_free)
    factor = gamma ** 2 if penalty == "weight_decay" else c / a
    Ws = [W if kd == "sphere" else gamma * W for W, kd in zip(net.weights(best.x), net.kinds, strict=True)]
    weights = _package(Ws, architecture, len(shared), K)
    fit = DeepLinearFit(objective=factor * best.fun, objectives=[factor * r.fun for r in results],
                        weights=weights, residual=0.0, converged=best.converged,
                        residuals=[c * r.residual for r in results], architecture=architecture)
    fit.residual = float(np.max(np.abs(fit.predict(X) - Y)))
    # twice the selection tolerance: room for the rounding of the rescaling, not for a wrong answer
    check_constraint_residual(what, fit.residual, float(np.max(np.abs(Y))), rtol=2 * _FEAS_RTOL,
                              status="converged" if best.converged else "feasible, not converged")
    return fit


# ------------------------------------------------------------------------------------ cvxpy programs
def _residual_rtol(eps: float) -> float:
    """Relative constraint residual accepted from a solve at tolerance ``eps``."""
    return max(1e-6, 100.0 * eps)


def _conic_solve(problem, what, eps, max_iters) -> float:
    """Solve with Clarabel, certify: status "optimal", constraint residual within ``_residual_rtol(eps)``."""
    solve_with_clarabel(problem, what, (eps,), max_iter=max_iters)
    return certify(problem, what, scale=1.0, rtol=_residual_rtol(eps))


def _conic_inputs(X, Y, eps, max_iters):
    X = as_matrix("X", X)
    Y = as_matrix("Y", Y, allow_vector=True)
    check_same_rows(X, Y)
    eps = check_positive("eps", eps)
    max_iters = check_count("max_iters", max_iters, 1)
    min_norm_solution(X, Y)  # raises when Y is not in range(X)
    return X, Y, eps, max_iters, data_scale(X), data_scale(Y)


def _spectral_ball(M) -> list:
    """The constraints ``||M||_2 <= 1`` on a (d, k) cvxpy expression, as an SDP with its own matrix variable.

    ``||M||_2 <= 1`` iff ``S = [[I_d, M], [M^T, I_k]]`` is PSD (Schur complement: ``I - M^T M`` PSD). With
    ``S`` a variable tied to ``M`` by equalities, Clarabel returns the maximiser of the deep linear dual to
    about its tolerance (~3e-8 at Clarabel's default 1e-8); with ``cp.sigma_max(M) <= 1`` (the same SDP built
    on an expression) only to ~1e-5 at that tolerance, at the same optimal value.
    """
    d, k = M.shape
    S = cp.Variable((d + k, d + k), symmetric=True)
    return [S >> 0, S[:d, :d] == np.eye(d), S[d:, d:] == np.eye(k), S[:d, d:] == M]


def deep_linear_dual_cvxpy(X, Y, bound=1.0, *, eps=1e-10, max_iters=200):
    """Solve the deep linear dual ``max tr(Lambda^T Y) s.t. ||X^T Lambda||_2 <= bound`` with Clarabel.

    With ``bound = t^{-(L-2)}`` its value is ``D_lin(t)`` (chapter ``02_deep_linear``); with ``bound = 1`` it is
    the parallel network's dual (chapter ``04_parallel_linear``). Homogeneity: under ``X -> aX, Y -> cY`` and
    ``bound -> b bound`` the value scales as ``b c / a`` and ``Lambda`` as ``b / a``. So Clarabel runs
    on ``X / a, Y / c`` with bound 1 (a, c the powers of two nearest to ``max |X|``, ``max |Y|``) and the
    solution is rescaled: the result does not depend on the units of the data. Zero labels: value 0 with
    ``Lambda = 0`` (returned without calling the solver).

    Parameters
    ----------
    X : array_like, shape (n, d); Y : array_like, shape (n, k) or (n,).
    bound : float > 0.
    eps : float > 0
        Clarabel's tolerances (duality gap and feasibility, :func:`utils._cvx.clarabel_options`). The default
        1e-10 gives the value to ~1e-10 relative and ``Lambda`` to ~1e-10 (Clarabel's default 1e-8: ~3e-8).
    max_iters : int >= 1
        Clarabel's iteration limit.

    Returns
    -------
    value : float
    Lambda : ndarray, shape (n, k)

    Raises
    ------
    TypeError, ValueError
        For bad input, or labels outside range(X) (then the dual is unbounded: no interpolating network).
    SolverError
        Unless Clarabel reports "optimal" (e.g. too few ``max_iters``), or when its solution violates
        ``||X^T Lambda||_2 <= bound`` by more than ``max(1e-6, 100 eps)`` relative, or its objective differs
        from the reported value by more than that.
    """
    bound = check_positive("bound", bound)
    X, Y, eps, max_iters, a, c = _conic_inputs(X, Y, eps, max_iters)
    if not np.any(Y):
        return 0.0, np.zeros(Y.shape)
    Xn, Yn = X / a, Y / c
    Lam = cp.Variable(Y.shape)
    what = "deep linear dual (cvxpy)"
    # tr(Lambda^T Y) as sum(Lambda * Y): cvxpy 1.8 (Pyodide's) cannot canonicalise trace(Lambda^T Y) if k = 1
    problem = cp.Problem(cp.Maximize(cp.sum(cp.multiply(Lam, Yn))), _spectral_ball(Xn.T @ Lam))
    value = _conic_solve(problem, what, eps, max_iters)
    Lam_n = np.asarray(Lam.value)
    excess = max(0.0, float(np.linalg.norm(Xn.T @ Lam_n, 2)) - 1.0)
    check_constraint_residual(what + ": ||X^T Lambda||_2 <= 1", excess, 1.0, rtol=_residual_rtol(eps))
    return bound * (c / a) * value, (bound / a) * Lam_n


def nuclear_norm_min_cvxpy(X, Y, *, eps=1e-8, max_iters=200):
    """Solve ``min ||W||_* s.t. X W = Y`` with Clarabel: the convex problem of the parallel deep linear
    network with the ``1/L ||.||^L`` penalty (chapter ``04_parallel_linear``). Its value is ``||A||_*``.

    Homogeneity: under ``X -> aX, Y -> cY`` the value and ``W`` scale as ``c / a``; Clarabel runs on
    normalised data (see :func:`deep_linear_dual_cvxpy`) and the solution is rescaled. Zero labels:
    ``(0.0, W = 0)`` without calling the solver.

    Parameters
    ----------
    X : array_like, shape (n, d); Y : array_like, shape (n, k) or (n,).
    eps : float > 0
        Clarabel's tolerances (as in :func:`deep_linear_dual_cvxpy`). The default 1e-8 already gives the value
        to ~1e-10 relative; tighter ones can end "optimal_inaccurate" when ``A`` is rank-deficient.
    max_iters : int >= 1
        Clarabel's iteration limit.

    Returns
    -------
    value : float
    W : ndarray, shape (d, k)

    Raises
    ------
    TypeError, ValueError
        For bad input or labels outside range(X).
    SolverError
        Unless Clarabel reports "optimal", or when its ``W`` violates ``X W = Y`` by more than
        ``max(1e-6, 100 eps)`` relative to ``max |Y|`` (or its objective differs from the reported value).
    """
    X, Y, eps, max_iters, a, c = _conic_inputs(X, Y, eps, max_iters)
    if not np.any(Y):
        return 0.0, np.zeros((X.shape[1], Y.shape[1]))
    Xn, Yn = X / a, Y / c
    W = cp.Variable((X.shape[1], Y.shape[1]))
    problem = cp.Problem(cp.Minimize(cp.normNuc(W)), [Xn @ W == Yn])
    value = _conic_solve(problem, "nuclear-norm minimisation (cvxpy)", eps, max_iters)
    return (c / a) * value, (c / a) * np.asarray(W.value)
