"""Column generation for parallel deep ReLU networks: an upper bound and a lower bound per iteration.

The method and what it certifies are in the book's appendix *Derivations and conventions*, section 6.1.

A parallel ReLU network of depth L sums branches ``phi(X; theta_j) w_{L,j}^T``, where
``phi(X; theta) = (...((X W1)_+ W2)_+ ... w_{L-1})_+`` in R^n is the branch's single last hidden neuron
(appendix section 6). With the power penalty ``1/L sum_j sum_l ||W_{l,j}||_F^L`` its optimal value is (rescaled)

    P = min sum_j ||w_{L,j}||_2   s.t.   ||W_{l,j}||_F <= 1 (l < L),   sum_j phi(X; theta_j) w_{L,j}^T = Y,

and the dual is ``max tr(Lambda^T Y) s.t. ||Lambda^T phi(X; theta)||_2 <= 1 for all theta``; P = D (the
paper's Theorem 6). Column generation works on a finite dictionary of normalised branches ``theta_s``
(features ``phi_s``):

* restricted master: the group lasso ``min sum_s ||z_s||_2 s.t. sum_s phi_s z_s^T = Y`` (an SOCP, Clarabel); its
  value is an **upper bound** on P (it is the penalty of a network) and its dual ``Lambda_S`` is feasible for the
  constraints of the dictionary's branches;
* pricing: ``s_max = sup_theta ||Lambda_S^T phi(X; theta)||``; branches with value > 1 violate the dual constraint
  and are added (the paper's Theorem 7: the branches of an optimal network are maximisers of this constraint);
* **lower bound** ``tr(Lambda_S^T Y) / max(1, s_max)``: ``Lambda_S / max(1, s_max)`` is dual feasible, so this is
  <= D = P. It is *certified* only when ``s_max`` is computed exactly.

Pricing is exact for L = 3, scalar outputs and rank(X) <= 2: for every non-zero outer pattern ``o`` and sign,
``max +-lambda^T D_o z`` over ``z in C`` with ``(2 D_o - I) z >= 0`` is an SOCP (C and its gauge from appendix
section 1.7, the machinery of :mod:`utils.relu.parallel_three_layer`), and ``s_max`` is the largest of these
values. Otherwise pricing is projected gradient ascent over unit-norm layers from several seeded starts, which
may miss the global maximum: its lower bound is an **estimate** (it can exceed P).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cvxpy as cp
import numpy as np

from .._cvx import certify, solve_problem
from .._optim import data_scale, single_thread_blas
from .._validation import (
    SolverError,
    as_matrix,
    check_count,
    check_depth,
    check_positive,
    check_same_rows,
    check_seed,
)
from ._cg_pricing import _ascent, _ExactPricing, _features, _normalise, _pad3, _random_branch
from .deep_training import relu_network_forward, relu_network_penalty
from .parallel_three_layer import MAX_SAMPLES_RELU3

__all__ = ["ColumnGenerationResult", "column_generation_parallel_relu", "group_lasso_master"]


# --------------------------------------------------------------------------------------------------
# restricted master
# --------------------------------------------------------------------------------------------------
def group_lasso_master(Phi, Y) -> tuple[float, np.ndarray, np.ndarray]:
    """The restricted master of appendix section 6.1: ``min sum_s ||z_s||_2  s.t.  Phi Z = Y`` and its dual.

    Homogeneity (``a > 0``, ``c`` real): ``Z -> (c / a) Z`` maps solutions to solutions, so
    ``value(a Phi, c Y) = (|c| / a) value(Phi, Y)`` and the dual scales as ``Lambda -> sign(c) Lambda / a``. The
    program is solved on ``Phi / a``, ``Y / c`` (``a``, ``c`` the powers of two nearest to the largest entries)
    and rescaled, so the value is exact to solver accuracy at any scale; the solution is certified (status
    ``optimal``, constraint residual and objective within 1e-6 of the data's scale).

    Parameters
    ----------
    Phi : array_like, shape (n, S)
        Column s is the feature ``phi_s = phi(X; theta_s)`` of a normalised branch.
    Y : array_like, shape (n, k) or (n,)
        Labels.

    Returns
    -------
    value : float
        The optimal value (an upper bound on the parallel network's value P).
    Z : ndarray, shape (S, k)
        Output weights; row s is ``z_s``.
    Lambda : ndarray, shape (n, k)
        Dual solution: ``max tr(Lambda^T Y) s.t. ||Lambda^T phi_s|| <= 1``; ``tr(Lambda^T Y) = value``.

    Raises
    ------
    ValueError
        When Y is not in the span of the dictionary (the master is infeasible).
    SolverError
        When Clarabel does not certify optimality.
    """
    Phi = as_matrix("Phi", Phi)
    Y = as_matrix("Y", Y, allow_vector=True)
    check_same_rows(Phi, Y, "Phi", "Y")
    if not np.any(Y):
        return 0.0, np.zeros((Phi.shape[1], Y.shape[1])), np.zeros(Y.shape)
    sp, sy = data_scale(Phi), data_scale(Y)
    value, Z, Lam = _master(Phi / sp, Y / sy)
    return value * sy / sp, Z * (sy / sp), Lam / sp


def _master(Phi: np.ndarray, Y: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """:func:`group_lasso_master` on data of order one (no validation, no rescaling): the column generation
    calls it directly, its features being bounded by construction (unit-norm layers on normalised data)."""
    coef, *_ = np.linalg.lstsq(Phi, Y, rcond=None)
    if np.linalg.norm(Phi @ coef - Y) > 1e-9 * max(1.0, np.linalg.norm(Y)):
        raise ValueError("the labels are not in the span of the dictionary's features: the restricted master "
                         "is infeasible (add branches, or check that an interpolating network exists)")
    Z = cp.Variable((Phi.shape[1], Y.shape[1]))
    fit = Phi @ Z == Y
    problem = cp.Problem(cp.Minimize(cp.sum(cp.norm(Z, 2, axis=1))), [fit])
    what = "restricted master (group lasso)"
    solve_problem(problem, what, "CLARABEL")
    value = certify(problem, what)
    return value, np.asarray(Z.value), -np.asarray(fit.dual_value).reshape(Y.shape)


# --------------------------------------------------------------------------------------------------
# the driver
# --------------------------------------------------------------------------------------------------
@dataclass
class ColumnGenerationResult:
    """History and outcome of :func:`column_generation_parallel_relu`.

    Attributes
    ----------
    upper_bounds : ndarray, shape (T,)
        Restricted-master value at each iteration (non-increasing: the dictionary only grows).
    lower_bounds : ndarray, shape (T,)
        ``tr(Lambda_S^T Y) / max(1, s_max)`` at each iteration (``nan`` for a final master solve after
        ``max_iterations``, which is not priced).
    pricing_values : ndarray, shape (T,)
        ``s_max`` found by the pricing step at each iteration (exact or the best of the ascent starts;
        ``nan`` where no pricing was done).
    n_columns : ndarray of int, shape (T,)
        Dictionary size at each iteration.
    lower_bound_certified : bool
        True when pricing was exact (L = 3, k = 1, rank(X) <= 2), so every lower bound is a certified bound
        on P. False: the lower bounds are estimates (the ascent may miss the true ``s_max``).
    pricing : str
        ``"exact"`` or ``"gradient"``.
    converged : bool
        Whether the last pricing step found no branch with value above ``1 + tol``.
    weights : list
        Final network (parallel format of :func:`utils.relu.deep_training.relu_network_forward`): one branch
        ``[W1, ..., w_{L-1}, w_L]`` per non-zero row of the last master solution, balanced for the power penalty
        (every layer of branch s has norm ``||z_s||^{1/L}``).
    dual : ndarray, shape (n, k)
        The last ``Lambda_S``.
    L : int
    residual : float
        ``max |f(X) - Y|`` of the final network.
    penalty : float
        ``1/L sum_j sum_l ||W_{l,j}||^L`` of the final network (the last upper bound, to solver accuracy).
    """

    upper_bounds: np.ndarray
    lower_bounds: np.ndarray
    pricing_values: np.ndarray
    n_columns: np.ndarray
    lower_bound_certified: bool
    pricing: str
    converged: bool
    weights: list = field(repr=False)
    dual: np.ndarray = field(repr=False)
    L: int = 3
    residual: float = 0.0
    penalty: float = 0.0

    @property
    def upper_bound(self) -> float:
        """The final (smallest) upper bound: the power penalty of :attr:`weights`."""
        return float(self.upper_bounds.min())

    @property
    def lower_bound(self) -> float:
        """The final lower bound.

        Certified pricing: the largest lower bound over the iterations (each one is valid). Gradient pricing:
        the last estimate (earlier estimates, made with a worse multiplier and a possibly missed maximum, can
        even exceed the final upper bound, so their maximum means nothing).
        """
        finite = self.lower_bounds[np.isfinite(self.lower_bounds)]
        return float(finite.max() if self.lower_bound_certified else finite[-1])

    @property
    def n_iterations(self) -> int:
        return int(self.upper_bounds.size)




def _exact_available(X: np.ndarray, L: int, k: int) -> bool:
    if L != 3 or k != 1 or X.shape[0] > MAX_SAMPLES_RELU3:
        return False
    s = np.linalg.svd(X, compute_uv=False)
    return int(np.sum(s > s[0] * max(X.shape) * np.finfo(float).eps)) <= 2


def _initial_dictionary(X, Y, rng, widths, n_initial):
    """Random unit branches until the labels lie in the span of their features."""
    n = X.shape[0]
    thetas = [_random_branch(rng, X.shape[1], widths) for _ in range(n_initial)]
    for _ in range(20):
        Phi = _features(X, thetas)
        coef, *_ = np.linalg.lstsq(Phi, Y, rcond=None)
        if np.linalg.norm(Phi @ coef - Y) <= 1e-9 * max(1.0, np.linalg.norm(Y)):
            return thetas, Phi
        thetas += [_random_branch(rng, X.shape[1], widths) for _ in range(n)]
    raise ValueError("the labels are not in the span of the features of many random branches: no parallel ReLU "
                     "network (without biases) of this depth and width seems to interpolate them (check for "
                     "zero rows of X with non-zero labels, or rows pointing in the same direction)")


def _final_network(thetas, Phi, Y, Z, L):
    """Balanced network from a master solution, after re-solving the master on its support.

    Interior-point solutions spread a tiny weight over many columns; the master restricted to the columns with
    ``||z_s|| > 1e-6 max ||z||`` has (to solver accuracy) the same value and a sparser solution.
    """
    norms = np.linalg.norm(Z, axis=1)
    support = np.flatnonzero(norms > 1e-6 * norms.max())
    try:
        _, Zs, _ = _master(Phi[:, support], Y)
        Z = np.zeros_like(Z)
        Z[support] = Zs
        norms = np.linalg.norm(Z, axis=1)
    except (ValueError, SolverError):
        pass
    keep = np.flatnonzero(norms > 1e-9 * norms.max())
    m = max(thetas[s][0].shape[1] for s in keep) if L == 3 else None
    branches = []
    for s in keep:
        theta = _pad3(thetas[s], m) if L == 3 else thetas[s]
        scale = norms[s] ** (1.0 / L)
        branches.append([scale * W for W in theta] + [scale * Z[s] / norms[s]])
    return branches


def column_generation_parallel_relu(X, Y, L, *, width=None, pricing: str = "auto", max_iterations: int = 25,
                                    n_pricing_starts: int = 24, pricing_steps: int = 60,
                                    max_new_branches: int = 4, n_initial_branches: int | None = None,
                                    tol: float = 1e-6, seed=None) -> ColumnGenerationResult:
    """Column generation for a parallel ReLU network of depth L >= 3 with the power penalty (appendix section 6.1).

    Iterates: solve the restricted master (:func:`group_lasso_master`) for an upper bound and ``Lambda_S``;
    price (exact SOCPs for L = 3, k = 1, rank(X) <= 2; otherwise projected gradient ascent from
    ``n_pricing_starts`` random starts plus warm starts at the most active branches); record the lower bound
    ``tr(Lambda_S^T Y) / max(1, s_max)``; add up to ``max_new_branches`` branches whose value exceeds ``1 + tol``;
    stop when none does or after ``max_iterations``.

    Parameters
    ----------
    X : array_like, shape (n, d)
    Y : array_like, shape (n, k) or (n,)
    L : int
        Depth, >= 3 (L = 2 is the two-layer program of :mod:`utils.relu.two_layer`).
    width : int or list of int, optional
        Hidden widths ``m_1..m_{L-2}`` of the branches used by random starts and gradient pricing (default
        n + 1 each). Exact pricing (L = 3) builds branches of whatever width its solution needs.
    pricing : {"auto", "exact", "gradient"}
        ``"auto"``: exact when available, else gradient ascent.
    max_iterations, n_pricing_starts, pricing_steps, max_new_branches : int
    n_initial_branches : int, optional
        Size of the random initial dictionary (default 2 n; grown until the master is feasible).
    tol : float
        A branch is added when its pricing value exceeds ``1 + tol``.
    seed : int, numpy Generator or None

    Homogeneity: the features are positively homogeneous of degree 1 in X, so ``P(a X, c Y) = (c / a) P(X, Y)``
    for ``a, c > 0``. The iterations run on ``X / a``, ``Y / c`` (``a``, ``c`` the powers of two nearest to the
    largest entries); bounds are rescaled by ``c / a``, the multiplier by ``1 / a``, every layer of the network
    by ``(c / a)^{1/L}``; the pricing values ``s_max`` do not change.

    Returns
    -------
    ColumnGenerationResult
        Per-iteration upper and lower bounds (with the flag saying whether the latter are certified) and the
        final network.

    Raises
    ------
    ValueError
        Bad input, exact pricing requested where it is not available, or labels that no network interpolates.
    SolverError
        A convex subproblem was not solved to optimality.
    """
    X = as_matrix("X", X)
    Y = as_matrix("Y", Y, allow_vector=True)
    check_same_rows(X, Y)
    L = check_depth(L, minimum=3)
    n = X.shape[0]
    k = Y.shape[1]
    if pricing not in ("auto", "exact", "gradient"):
        raise ValueError(f"pricing must be 'auto', 'exact' or 'gradient', got {pricing!r}")
    exact_ok = _exact_available(X, L, k)
    if pricing == "exact" and not exact_ok:
        raise ValueError("exact pricing needs L = 3, scalar labels (k = 1), rank(X) <= 2 and "
                         f"n <= {MAX_SAMPLES_RELU3}; use pricing='gradient' (its lower bound is an estimate)")
    exact = exact_ok if pricing == "auto" else pricing == "exact"
    if width is None:
        widths = [n + 1] * (L - 2)
    else:
        widths = [width] * (L - 2) if np.isscalar(width) else list(width)
        if len(widths) != L - 2:
            raise ValueError(f"width must be an int or a list of L - 2 = {L - 2} hidden widths, got {width!r}")
        widths = [check_count("width", w, 1) for w in widths]
    max_iterations = check_count("max_iterations", max_iterations, 1)
    n_pricing_starts = check_count("n_pricing_starts", n_pricing_starts, 1)
    pricing_steps = check_count("pricing_steps", pricing_steps, 1)
    max_new_branches = check_count("max_new_branches", max_new_branches, 1)
    n_initial = check_count("n_initial_branches", 2 * n if n_initial_branches is None else n_initial_branches, 1)
    tol = check_positive("tol", tol)
    rng = check_seed(seed)
    if not np.any(Y):
        raise ValueError("Y is zero: the zero network interpolates it with value 0; nothing to generate")
    with single_thread_blas():
        return _column_generation(X, Y, L, exact, widths, rng, n_initial, max_iterations, n_pricing_starts,
                                  pricing_steps, max_new_branches, tol)


def _column_generation(X_raw, Y_raw, L, exact, widths, rng, n_initial, max_iterations, n_pricing_starts,
                       pricing_steps, max_new_branches, tol):
    """The iterations of :func:`column_generation_parallel_relu` on normalised data, and the rescaling."""
    sx, sy = data_scale(X_raw), data_scale(Y_raw)
    X, Y = X_raw / sx, Y_raw / sy
    d = X.shape[1]
    thetas, Phi = _initial_dictionary(X, Y, rng, widths, n_initial)
    oracle = _ExactPricing(X) if exact else None
    uppers, lowers, svals, sizes = [], [], [], []
    converged = False
    for _ in range(max_iterations):
        value, Z, Lam = _master(Phi, Y)
        if exact:
            vals, cands = oracle(Lam[:, 0])
        else:
            active = np.argsort(-np.linalg.norm(Lam.T @ Phi, axis=0))[: min(3, len(thetas))]
            starts = [_random_branch(rng, d, widths) for _ in range(n_pricing_starts)]
            starts += [_normalise([W + 0.2 * rng.standard_normal(W.shape) * np.linalg.norm(W) / np.sqrt(W.size)
                                   for W in thetas[s]]) for s in active]
            cands, vals = _ascent(X, Lam, starts, pricing_steps)
        s_max = max(float(vals.max()), float(np.linalg.norm(Lam.T @ Phi, axis=0).max()))
        uppers.append(value)
        lowers.append(float(np.sum(Lam * Y)) / max(1.0, s_max))
        svals.append(s_max)
        sizes.append(len(thetas))
        new = []
        for j in np.argsort(-vals):
            if vals[j] <= 1 + tol or len(new) >= max_new_branches:
                break
            phi = _features(X, [cands[j]])[:, 0]
            if all(abs(phi @ q) < (1 - 1e-8) * np.linalg.norm(phi) * np.linalg.norm(q) for q in new):
                new.append(phi)
                thetas.append(cands[j])
                Phi = np.column_stack([Phi, phi])
        if not new:
            converged = True
            break
    if not converged:  # the last dictionary has not been through the master yet (no pricing: no lower bound)
        value, Z, Lam = _master(Phi, Y)
        uppers.append(value)
        lowers.append(np.nan)
        svals.append(np.nan)
        sizes.append(len(thetas))
    ratio = sy / sx                     # P(a X, c Y) = (c / a) P(X, Y); every layer scales by ratio^(1/L)
    layer = ratio ** (1.0 / L)
    weights = [[W * layer for W in branch] for branch in _final_network(thetas, Phi, Y, Z, L)]
    residual = float(np.abs(relu_network_forward(X_raw, weights, "parallel") - Y_raw).max())
    penalty = relu_network_penalty(weights, "parallel", "power")
    return ColumnGenerationResult(upper_bounds=np.array(uppers) * ratio, lower_bounds=np.array(lowers) * ratio,
                                  pricing_values=np.array(svals), n_columns=np.array(sizes),
                                  lower_bound_certified=bool(exact), pricing="exact" if exact else "gradient",
                                  converged=converged, weights=weights, dual=Lam / sx, L=L, residual=residual,
                                  penalty=penalty)
