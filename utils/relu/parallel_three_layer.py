"""The exact value of a parallel three-layer ReLU network, by one second-order cone program.

The derivation is in the book's appendix *Derivations and conventions*, section 5.1.

A parallel three-layer ReLU network with scalar output has branches ``j = 1..K``, each
``x -> ((x^T W1_j)_+ w2_j)_+ w3_j`` with ``W1_j`` (d, m), ``w2_j`` (m,), ``w3_j`` (1,), and is trained by

    V = min 1/3 sum_j (||W1_j||_F^3 + ||w2_j||_2^3 + |w3_j|^3)   s.t.   sum_j ((X W1_j)_+ w2_j)_+ w3_j = y

(appendix section 6 with L = 3). Balancing the three layers of a branch (AM-GM) turns its penalty into the product
``||W1_j|| ||w2_j|| |w3_j|``, so ``V`` is the gauge of ``y`` for the absolutely convex hull of
``A(1) = {(z)_+ : z in C}``, with ``C = {(X W1)_+ w2 : ||W1||_F <= 1, ||w2|| <= 1}`` the set of appendix
section 1.7. This is the dual value ``D(1)`` of the *standard* three-layer network at scale ``t = 1`` (appendix
section 5); the standard network's dual optimised over ``t`` is ``D = (3/2) D(1)^{2/3}``.

Grouping the branches by the sign pattern ``D_o = diag(1[z >= 0])`` of their hidden vector ``z`` gives one SOCP:

    V = min  sum_o gamma_C(p_o) + gamma_C(q_o)
        s.t. sum_o D_o (p_o - q_o) = y,   (2 D_o - I) p_o >= 0,   (2 D_o - I) q_o >= 0,

over all ``2^n - 1`` non-zero outer patterns ``o``, each gauge ``gamma_C`` written out as the two-layer program of
appendix section 1.5 (:func:`utils.relu.two_layer.relu_gauge_constraints`) over exactly enumerated inner
patterns (rank(X) <= 2).

From a block ``p_o = sum_i D_i X (v_i - w_i)`` with ``g = sum_i ||v_i|| + ||w_i||`` one branch is rebuilt:
first-layer columns ``sqrt(a_i) u_i`` with ``u_i = v_i / ||v_i||`` (or ``w_i / ||w_i||``) and ``a_i = ||v_i|| / g``,
second-layer weights ``+sqrt(a_i)`` (or ``-sqrt(a_i)``), so ``||W1||_F = ||w2|| = 1`` and
``(X W1)_+ w2 = p_o / g``; the cone constraint ``(2 D_o - I) p_o >= 0`` makes ``((X W1)_+ w2)_+ = D_o p_o / g``;
the output weight is ``+g`` for ``p_o`` and ``-g`` for ``q_o``. Scaling the three layers to ``g^{1/3}`` balances
the branch: its power penalty is ``g``, and the sum over branches is ``V``.

An interior-point solution spreads small weights over many blocks, so the output weights are finally re-chosen
by a linear program, ``min sum_j c_j s.t. sum_j c_j s_j phi_j = y, c >= 0``, over the unit branches of all
non-negligible blocks (``phi_j`` from a forward pass): its vertex solution keeps at most n branches, interpolates
to the LP's accuracy, and its value is the SOCP's up to solver tolerance (the block gauges are feasible for it).
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field

import cvxpy as cp
import numpy as np
from scipy.optimize import linprog

from .._cvx import certify, solve_problem
from .._optim import data_scale
from .._validation import SolverError, as_matrix, as_vector, check_constraint_residual, check_same_rows
from .arrangements import hyperplane_patterns
from .deep_training import relu_network_forward, relu_network_penalty
from .two_layer import relu_gauge_constraints

__all__ = ["MAX_SAMPLES_RELU3", "ParallelRelu3Result", "parallel_relu3_value"]

#: Largest number of samples n accepted by :func:`parallel_relu3_value`: the program has ``2 (2^n - 1)``
#: gauge blocks (510 at n = 8, solved in a few seconds; the count doubles with every extra sample).
MAX_SAMPLES_RELU3 = 8

# tighter than Clarabel's defaults (1e-8): the rebuilt network is compared with the value to 1e-6
_TIGHT = {"CLARABEL": {"tol_gap_abs": 1e-10, "tol_gap_rel": 1e-10, "tol_feas": 1e-10}}


@dataclass
class ParallelRelu3Result:
    """Solution of the SOCP of appendix section 5.1 (:func:`parallel_relu3_value`).

    Attributes
    ----------
    value : float
        ``V = min 1/3 sum_j sum_l ||W_{l,j}||^3`` over interpolating parallel three-layer ReLU networks
        (= ``min sum_j ||W1_j|| ||w2_j|| |w3_j|`` = the dual value ``D(1)`` of the standard network at t = 1).
    status : str
        cvxpy status of the SOCP ("optimal").
    weights : list
        The rebuilt network: one branch ``[W1 (d, m), w2 (m,), w3 (1,)]`` per block kept by the final linear
        program (at most n), balanced for the power penalty, all branches padded to the same width m (format of
        :func:`utils.relu.deep_training.relu_network_forward`, ``architecture="parallel"``).
    branch_values : ndarray, shape (K,)
        Each branch's share of the value (its power penalty; they sum to ``value`` up to solver accuracy).
    outer_patterns : ndarray of bool, shape (K, n)
        The outer pattern ``1[z >= 0]`` of each branch's hidden vector.
    output_signs : ndarray, shape (K,)
        +1 for a ``p_o`` block, -1 for a ``q_o`` block (the sign of ``w3``).
    inner_patterns : ndarray of bool, shape (P, n)
        The exactly enumerated activation patterns of the first layer.
    n_blocks : int
        Number of gauge blocks in the program, ``2 (2^n - 1)``.
    seconds : float
        Wall-clock time of building and solving the program (cvxpy compilation dominates).
    solver_seconds : float
        Time Clarabel itself reported.
    """

    value: float
    status: str
    weights: list = field(repr=False)
    branch_values: np.ndarray
    outer_patterns: np.ndarray = field(repr=False)
    output_signs: np.ndarray = field(repr=False)
    inner_patterns: np.ndarray = field(repr=False)
    n_blocks: int = 0
    seconds: float = 0.0
    solver_seconds: float = 0.0

    @property
    def standard_dual_value(self) -> float:
        """``D = (3/2) D(1)^{2/3}``: the dual of the standard three-layer network, optimised over t."""
        return 1.5 * self.value ** (2.0 / 3.0)

    @property
    def n_branches(self) -> int:
        """Number of branches of the rebuilt network."""
        return len(self.weights)

    def predict(self, X_new) -> np.ndarray:
        """Output of the rebuilt network, shape (n_new,)."""
        return relu_network_forward(X_new, self.weights, "parallel")[:, 0]

    def penalty(self) -> float:
        """``1/3 sum_j sum_l ||W_{l,j}||^3`` of the rebuilt network (equals ``value`` up to solver accuracy)."""
        return relu_network_penalty(self.weights, "parallel", "power")


def _outer_patterns(n: int) -> np.ndarray:
    """All ``2^n - 1`` non-zero 0/1 patterns of length n, shape (2^n - 1, n), as floats."""
    return np.array([o for o in itertools.product((0.0, 1.0), repeat=n) if any(o)])


def _branch_from_blocks(V: np.ndarray, W: np.ndarray, rel_tol: float = 1e-9):
    """A unit-norm two-layer map ``(W1, w2)`` with ``(X W1)_+ w2 = z / g`` from gauge blocks of ``z``.

    ``V``, ``W`` (d, P) hold the blocks ``v_i``, ``w_i`` of ``z = sum_i D_i X (v_i - w_i)`` (cone constraints
    assumed). Returns ``(W1 (d, m), w2 (m,), g)`` with ``g = sum ||v_i|| + ||w_i||`` over blocks above
    ``rel_tol * max`` norm, ``||W1||_F = ||w2|| = 1`` (appendix section 1.5, neurons from a solution).
    """
    blocks = np.concatenate([V.T, W.T])
    signs = np.concatenate([np.ones(V.shape[1]), -np.ones(W.shape[1])])
    norms = np.linalg.norm(blocks, axis=1)
    keep = norms > rel_tol * max(norms.max(initial=0.0), np.finfo(float).tiny)
    g = float(norms[keep].sum())
    units, signs, weights = blocks[keep] / norms[keep][:, None], signs[keep], norms[keep] / g
    # neurons of adjacent patterns often share a direction u (a cell boundary): merge those of equal sign,
    # a_1 (X u)_+ + a_2 (X u)_+ = (a_1 + a_2) (X u)_+ with the same norms, so the branch is narrower
    merged_u, merged_s, merged_a = [], [], []
    for u, s, a in zip(units, signs, weights, strict=True):
        for i in range(len(merged_u)):
            if merged_s[i] == s and merged_u[i] @ u > 1 - 1e-12:
                merged_a[i] += a
                break
        else:
            merged_u.append(u)
            merged_s.append(s)
            merged_a.append(a)
    root = np.sqrt(np.array(merged_a))
    W1 = (np.array(merged_u) * root[:, None]).T
    return W1, np.array(merged_s) * root, g


def _pad_branches(branches: list[list[np.ndarray]]) -> list[list[np.ndarray]]:
    """Pad three-layer branches ``[W1, w2, w3]`` with zero neurons to a common width."""
    m = max(br[0].shape[1] for br in branches)
    out = []
    for W1, w2, w3 in branches:
        extra = m - W1.shape[1]
        out.append([np.pad(W1, ((0, 0), (0, extra))), np.pad(w2, (0, extra)), w3])
    return out


def _sparse_coefficients(X: np.ndarray, y: np.ndarray, atoms, signs: np.ndarray) -> np.ndarray:
    """Output weights ``c >= 0`` of the unit-norm branches ``atoms`` with ``sum_j c_j s_j phi_j = y``, min sum c.

    A linear program over the branches found by the SOCP (``phi_j = ((X W1_j)_+ w2_j)_+`` computed by a forward
    pass, so the rebuilt network interpolates exactly what it outputs). Its vertex solution keeps at most n
    branches, and its value is at most the SOCP's (whose block gauges are a feasible point). Run on normalised
    data; a solution whose residual exceeds ``1e-6 ||y||`` is rejected like an uncertified SOCP.
    """
    if not atoms:
        raise SolverError("parallel three-layer ReLU SOCP: the solution has no block above the rounding level, "
                          "so no network can be rebuilt from it")
    Phi = np.stack([np.maximum(np.maximum(X @ W1, 0.0) @ w2, 0.0) for W1, w2 in atoms], axis=1) * signs
    out = linprog(np.ones(Phi.shape[1]), A_eq=Phi, b_eq=y, bounds=(0, None), method="highs")
    if out.status != 0:
        raise SolverError(f"parallel three-layer ReLU SOCP: rebuilding the network failed ({out.message})")
    coef = np.where(out.x > 0, out.x, 0.0)
    check_constraint_residual("parallel three-layer ReLU network rebuild (linear program)",
                              float(np.linalg.norm(Phi @ coef - y)), float(np.linalg.norm(y)))
    return coef


def _validate(X, y):
    X = as_matrix("X", X)
    y = as_vector("y", y)
    check_same_rows(X, y[:, None], "X", "y")
    n = X.shape[0]
    if n > MAX_SAMPLES_RELU3:
        raise ValueError(f"parallel_relu3_value handles at most n = {MAX_SAMPLES_RELU3} samples (the program has "
                         f"2 (2^n - 1) gauge blocks); got n = {n}")
    s = np.linalg.svd(X, compute_uv=False)
    r = int(np.sum(s > s[0] * max(X.shape) * np.finfo(float).eps)) if s[0] > 0 else 0
    if r > 2:
        raise ValueError(f"parallel_relu3_value enumerates the inner activation patterns exactly, which needs "
                         f"rank(X) <= 2 (e.g. 1-D inputs with a bias column); got rank(X) = {r}")
    return X, y


def parallel_relu3_value(X, y, *, solver: str = "CLARABEL") -> ParallelRelu3Result:
    """Exact optimal value of the parallel three-layer ReLU network with the ``1/3 ||.||^3`` penalty.

    Solves the single SOCP of appendix section 5.1 (see the module docstring): all ``2^n - 1`` non-zero outer
    patterns, inner patterns enumerated exactly. The returned ``value`` is

        V = min 1/3 sum_j (||W1_j||_F^3 + ||w2_j||^3 + |w3_j|^3)  s.t.  sum_j ((X W1_j)_+ w2_j)_+ w3_j = y,

    which is also the dual value ``D(1)`` of the standard three-layer network at scale t = 1; that network's
    dual optimised over t is ``(3/2) V^{2/3}`` (``result.standard_dual_value``). No width or branch count enters:
    the rebuilt network has at most n branches, each as wide as its solution block needs.

    Homogeneity: a branch's output is positively homogeneous of degree 1 in X, and ``p -> -p`` swaps the ``p``
    and ``q`` blocks, so ``V(a X, c y) = (|c| / a) V(X, y)`` for ``a > 0``. The SOCP is solved on ``X / a``,
    ``y / c`` (``a``, ``c`` the powers of two nearest to ``max |X_ij|``, ``max |y_i|``) and rescaled: the value
    times ``c / a``, every layer of the rebuilt network times ``(c / a)^{1/3}``. The solution is certified
    (status ``optimal``, constraint residual and objective within 1e-6 of the data's scale).

    Parameters
    ----------
    X : array_like, shape (n, d)
        Data with rank(X) <= 2 (e.g. 1-D inputs plus a bias column) and ``n <= MAX_SAMPLES_RELU3`` (8).
    y : array_like, shape (n,)
        Scalar labels.
    solver : str
        cvxpy solver (default Clarabel, with tolerances tightened to 1e-10 when it reaches them).

    Returns
    -------
    ParallelRelu3Result
        ``value``, ``status``, the rebuilt balanced network ``weights`` and its per-branch values.

    Raises
    ------
    ValueError
        Bad input, n > MAX_SAMPLES_RELU3, rank(X) > 2, or labels that no such network interpolates.
    SolverError
        The solver did not certify an optimal solution.
    """
    X, y = _validate(X, y)
    n = X.shape[0]
    start = time.perf_counter()
    if not np.any(y):
        return ParallelRelu3Result(0.0, "optimal", [], np.zeros(0), np.zeros((0, n), bool), np.zeros(0),
                                   hyperplane_patterns(X, "exact"), 0, time.perf_counter() - start)
    sx, sy = data_scale(X), data_scale(y)
    Xn, yn = X / sx, y / sy
    inner = hyperplane_patterns(Xn, "exact")
    outer = _outer_patterns(n)
    objective, constraints, blocks, fit = 0, [], [], 0
    for o in outer:
        for sign in (1.0, -1.0):
            z = cp.Variable(n)
            expr, cons, (V, W) = relu_gauge_constraints(Xn, inner, z)
            objective = objective + expr
            constraints += cons + [cp.multiply(2.0 * o - 1.0, z) >= 0]
            fit = fit + sign * cp.multiply(o, z)
            blocks.append((o, sign, V, W))
    problem = cp.Problem(cp.Minimize(objective), constraints + [fit == yn])
    what = "parallel three-layer ReLU SOCP"
    solve_problem(problem, what, solver, **_TIGHT.get(solver, {}))
    if problem.status == "optimal_inaccurate":  # the tight tolerances were out of reach: default ones
        solve_problem(problem, what, solver)
    if problem.status in ("infeasible", "infeasible_inaccurate"):
        raise ValueError("no parallel three-layer ReLU network (without biases) interpolates these labels: the "
                         "SOCP of the book's appendix, section 5.1, is infeasible on the normalised data (a zero "
                         "row of X needs a zero label, and rows pointing the same way need labels in the same "
                         "ratio)")
    value_n = certify(problem, what)
    atoms, pats, signs = [], [], []
    for o, sign, V, W in blocks:
        W1, w2, g = _branch_from_blocks(np.asarray(V.value), np.asarray(W.value))
        if g > 1e-12 * value_n:
            atoms.append((W1, w2))
            pats.append(o.astype(bool))
            signs.append(sign)
    coef = _sparse_coefficients(Xn, yn, atoms, np.array(signs))
    keep = np.flatnonzero(coef > 0)
    ratio = sy / sx
    branches = []
    for j in keep:
        s = (coef[j] * ratio) ** (1.0 / 3.0)
        branches.append([s * atoms[j][0], s * atoms[j][1], np.array([signs[j] * s])])
    values, pats, signs = coef[keep] * ratio, np.array(pats)[keep], np.array(signs)[keep]
    return ParallelRelu3Result(value=value_n * ratio, status=problem.status, weights=_pad_branches(branches),
                               branch_values=values, outer_patterns=pats, output_signs=signs,
                               inner_patterns=inner, n_blocks=len(blocks), seconds=time.perf_counter() - start,
                               solver_seconds=float(problem.solver_stats.solve_time or 0.0))
