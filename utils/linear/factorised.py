"""The factorised deep linear network with squared loss and weight decay, trained by L-BFGS (chapter ``05_low_rank``).

``min_{W_1..W_L} 1/2 ||X W_1 ... W_L - Y||_F^2 + beta/2 sum_l ||W_l||_F^2`` has the value of the direct
Schatten-2/L problem solved by :func:`utils.linear.low_rank.solve_schatten_penalised`; this trainer never uses
that solver, so each checks the other.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import minimize

from .._validation import SolverError, check_count, check_positive, check_seed
from ._linalg import min_norm_solution
from .low_rank import LowRankFit, _check_problem, _normalise

__all__ = ["train_factorised_linear"]


def _factorised_fun_grad(theta, X, Y, shapes, beta):
    Ws, pos = [], 0
    for (a, b) in shapes:
        Ws.append(theta[pos:pos + a * b].reshape(a, b))
        pos += a * b
    # prefix products X W_1..W_l and suffix products W_l..W_L
    prefix = [X]
    for w in Ws:
        prefix.append(prefix[-1] @ w)
    R = prefix[-1] - Y
    f = 0.5 * float(np.sum(R * R)) + beta / 2 * sum(float(np.sum(w * w)) for w in Ws)
    grads = [None] * len(Ws)
    back = R  # d f / d (X W_1..W_l) propagated from the output
    for l in range(len(Ws) - 1, -1, -1):
        grads[l] = prefix[l].T @ back + beta * Ws[l]
        back = back @ Ws[l].T
    return f, np.concatenate([g.ravel() for g in grads])


def _semi_orthogonal(rng, a, b):
    """A random a x b matrix with orthonormal columns (a >= b) or rows (a < b)."""
    Q, R = np.linalg.qr(rng.standard_normal((max(a, b), min(a, b))))
    Q = Q * np.sign(np.diag(R))
    return Q if a >= b else Q.T


def _pad(M, rows, cols):
    """``M`` cut or zero-padded to shape (rows, cols)."""
    out = np.zeros((rows, cols))
    a, b = min(rows, M.shape[0]), min(cols, M.shape[1])
    out[:a, :b] = M[:a, :b]
    return out


def train_factorised_linear(X, Y, L, beta, *, width=None, n_starts=5, seed=0, gtol=1e-10,
                            max_iter=20000) -> LowRankFit:
    """Train ``min 1/2 ||X W_1...W_L - Y||_F^2 + beta/2 sum_l ||W_l||_F^2`` by L-BFGS from seeded starts.

    The gradient is analytic (backpropagation through the product). ``W_1`` is d x m, ``W_l`` m x m,
    ``W_L`` m x k. Even-numbered starts are balanced factorisations ``U S^{1/L} R_1^T, R_1 S^{1/L} R_2^T, ...``
    of the least-squares fit ``X^+ Y = U S V^T`` with random orthogonal ``R_l``; odd-numbered starts are
    random semi-orthogonal layers of spectral size ``||X^+ Y||_2^{1/L}``. For L >= 3 the landscape has
    spurious local minima of different ranks: a direction whose layers are all small is pulled to zero by the
    weight decay faster than the loss (order ``x^{L-1}``) can grow it, so W = 0 and low-rank points are local
    minima, and large starts can stay at too high a rank. So, for L >= 3, one more start per rank
    j = 0 .. r-1 is run: the balanced factorisation of the rank-j truncation of ``X^+ Y`` (modes that start
    at exactly zero stay zero). The best run is returned. The direct solver is not used.

    Homogeneity: with ``W_l = (c/a)^{1/L} V_l``, the objective for ``(aX, cY, beta c^{2-2/L} a^{2/L})`` is
    ``c^2`` times the objective of ``(X, Y, beta)`` at ``V_l``. L-BFGS runs on data normalised this way
    (a, c the largest entries of ``X`` and ``Y``), so ``gtol`` is relative and the result does not depend on
    the units of the data; the layers, ``W`` and the objective are returned in the data's units.

    Parameters
    ----------
    X, Y, L, beta : as in :func:`solve_schatten_penalised`.
    width : int >= 1 or None
        Hidden width m; default ``min(d, k)``, enough to represent every d x k matrix. With m below the
        rank of the optimal W the value is larger than the direct problem's.
    n_starts : int >= 1
        Starts before the rank-restricted ones (see above).
    seed : int, Generator or None
    gtol : float > 0
        L-BFGS-B gradient tolerance on the normalised problem.
    max_iter : int >= 1
        L-BFGS iteration cap per start.

    Returns
    -------
    LowRankFit with ``weights`` the L layer matrices of the best start.

    Raises
    ------
    TypeError
        Complex/boolean data, non-integer ``L``, ``width``, ``n_starts`` or ``max_iter``.
    ValueError
        Bad shapes, NaN/inf, zero ``X``, ``L`` not in 2..10**6, ``beta <= 0``, ``gtol <= 0``, ``n_starts < 1``.
    SolverError
        If L-BFGS returns a non-finite objective.
    """
    X, Y, L, beta = _check_problem(X, Y, L, beta)
    rng = check_seed(seed)
    n_starts = check_count("n_starts", n_starts, 1)
    max_iter = check_count("max_iter", max_iter, 1)
    gtol = check_positive("gtol", gtol)
    d, k = X.shape[1], Y.shape[1]
    m = min(d, k) if width is None else check_count("width", width, 1)
    a, c, beta_n = _normalise(X, Y, L, beta)
    Xn, Yn = X / a, Y / c
    dims = [d] + [int(m)] * (L - 1) + [k]
    shapes = [(dims[i], dims[i + 1]) for i in range(L)]
    W_ls = min_norm_solution(Xn, Yn, check_range=False).A
    size = max(np.linalg.norm(W_ls, 2), 1e-3) ** (1.0 / L)
    U, s_ls, Vt = np.linalg.svd(W_ls, full_matrices=False)
    r_ls = int(np.sum(s_ls > 1e-12 * max(s_ls[0], 1e-300)))

    def balanced(rank):  # balanced factorisation of the rank-`rank` truncation of X^+ Y, random rotations
        S = np.zeros((m, m))
        j = min(m, rank)
        S[:j, :j] = np.diag(s_ls[:j] ** (1.0 / L))
        Rs = [_semi_orthogonal(rng, m, m) for _ in range(L - 1)]
        layers = [_pad(U, d, m) @ S @ Rs[0].T]
        layers += [Rs[i - 1] @ S @ Rs[i].T for i in range(1, L - 1)]
        layers.append(Rs[-1] @ S @ _pad(Vt.T, k, m).T)
        return np.concatenate([w.ravel() for w in layers])

    starts = [balanced(r_ls) if i % 2 == 0 else
              np.concatenate([size * _semi_orthogonal(rng, p, q).ravel() for (p, q) in shapes])
              for i in range(n_starts)]
    if L > 2:
        starts += [balanced(j) for j in range(min(r_ls, m))]
    results = [minimize(_factorised_fun_grad, theta0, args=(Xn, Yn, shapes, beta_n), jac=True, method="L-BFGS-B",
                        options={"maxiter": max_iter, "gtol": gtol, "ftol": 1e-16, "maxcor": 30})
               for theta0 in starts]
    objectives = np.array([float(r.fun) for r in results])
    best = results[int(np.argmin(objectives))]
    if not np.isfinite(best.fun):
        raise SolverError("train_factorised_linear: L-BFGS returned a non-finite objective")
    gamma = math.exp(math.log(c / a) / L)  # back to the data's units
    Ws, pos = [], 0
    for (p, q) in shapes:
        Ws.append(gamma * best.x[pos:pos + p * q].reshape(p, q))
        pos += p * q
    W = Ws[0]
    for w in Ws[1:]:
        W = W @ w
    return LowRankFit(objective=c * c * float(best.fun), W=W, singular_values=np.linalg.svd(W, compute_uv=False),
                      objectives=c * c * objectives, converged=bool(best.success or best.nit < max_iter),
                      weights=Ws)
