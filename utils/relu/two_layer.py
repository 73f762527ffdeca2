"""Two-layer ReLU networks as convex programs (MATH.md section 1; Pilanci & Ergen 2020).

For data ``X`` (n, d) and scalar labels ``y`` (n,), min-norm training of a two-layer ReLU network,
``min 1/2 (||W1||_F^2 + ||w2||^2) s.t. (X W1)_+ w2 = y``, equals the second-order cone program

    min  sum_i ||v_i||_2 + ||w_i||_2
    s.t. sum_i D_i X (v_i - w_i) = y,   (2 D_i - I) X v_i >= 0,   (2 D_i - I) X w_i >= 0,

over the activation patterns ``D_i = diag(1[X u >= 0])`` of the hyperplane arrangement of the rows of X.
With squared loss and weight decay ``beta`` the constraint moves into the objective as
``1/2 ||sum_i D_i X (v_i - w_i) - y||^2`` and the norms are multiplied by ``beta``.

Patterns are stored as boolean arrays of shape (P, n): row i is the diagonal of ``D_i``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import cvxpy as cp
import numpy as np

from .._validation import SolverError, as_matrix, as_vector, check_positive, check_same_rows
from .arrangements import (
    _check_patterns,
    _row_space,
    hyperplane_patterns,
)

__all__ = [
    "relu_gauge_constraints",
    "two_layer_relu_convex",
    "TwoLayerConvexResult",
    "TwoLayerReluPath",
    "gauge_relu_features",
]


def _resolve_patterns(X: np.ndarray, patterns) -> np.ndarray:
    if patterns is None or (isinstance(patterns, str) and patterns == "exact"):
        r = _row_space(X)[0].shape[1]
        if r > 2:
            raise ValueError(
                f"rank(X) = {r} > 2: the patterns cannot be enumerated exactly; pass patterns explicitly, "
                "e.g. patterns=hyperplane_patterns(X, 'sample', n_samples=..., seed=...) (an upper bound)")
        return hyperplane_patterns(X, "exact")
    return _check_patterns(patterns, X.shape[0])


# ----------------------------------------------------------------------------------------------------------
# The convex program
# ----------------------------------------------------------------------------------------------------------
def _relu_parts(X: np.ndarray, patterns: np.ndarray):
    """Variables V, W (d, P), fitted values (n,), group penalty and cone constraints (no validation)."""
    n, d = X.shape
    P = patterns.shape[0]
    Dm = patterns.T.astype(float)          # (n, P): column i is the diagonal of D_i
    S = 2.0 * Dm - 1.0                     # (n, P): diagonal of 2 D_i - I
    V = cp.Variable((d, P), name="v")
    W = cp.Variable((d, P), name="w")
    fit = cp.sum(cp.multiply(Dm, X @ (V - W)), axis=1)
    penalty = cp.sum(cp.norm(V, 2, axis=0)) + cp.sum(cp.norm(W, 2, axis=0))
    cones = [cp.multiply(S, X @ V) >= 0, cp.multiply(S, X @ W) >= 0]
    return V, W, fit, penalty, cones


def relu_gauge_constraints(X, patterns, target_expr):
    """The gauge ``gamma_C(target)`` of MATH.md section 1 as cvxpy pieces, to embed in a larger program.

    ``gamma_C(z) = min sum_i ||v_i|| + ||w_i||  s.t.  sum_i D_i X (v_i - w_i) = z,  (2 D_i - I) X v_i >= 0,
    (2 D_i - I) X w_i >= 0``, where C is the absolutely convex hull of ``{(X u)_+ : ||u|| <= 1}``. Minimising
    ``objective_expr`` subject to ``constraints`` (plus your own) gives the gauge of ``target_expr``; several
    gauges (each with its own call, hence its own variables) can be summed in one SOCP.

    Parameters
    ----------
    X : array_like, shape (n, d)
        Data.
    patterns : array_like of bool, shape (P, n)
        Activation patterns, e.g. from :func:`hyperplane_patterns` (row i is the diagonal of ``D_i``).
    target_expr : cvxpy expression or array_like, shape (n,)
        The vector z whose gauge is wanted (may contain cvxpy variables).

    Returns
    -------
    objective_expr : cvxpy expression
        ``sum_i ||v_i||_2 + ||w_i||_2`` (convex, scalar).
    constraints : list of cvxpy constraints
        The interpolation equality and the 2 cone constraints.
    variables : tuple (V, W)
        cvxpy variables of shape (d, P); column i holds ``v_i`` (resp. ``w_i``).
    """
    X = as_matrix("X", X)
    patterns = _check_patterns(patterns, X.shape[0])
    if not isinstance(target_expr, cp.Expression):
        target_expr = as_vector("target_expr", target_expr)
    if tuple(target_expr.shape) not in ((X.shape[0],), (X.shape[0], 1)):
        raise ValueError(f"target_expr must have shape ({X.shape[0]},), got {target_expr.shape}")
    V, W, fit, penalty, cones = _relu_parts(X, patterns)
    target = cp.reshape(target_expr, (X.shape[0],), order="F") if len(target_expr.shape) == 2 else target_expr
    return penalty, [fit == target] + cones, (V, W)


@dataclass
class TwoLayerConvexResult:
    """Solution of the convex program of a two-layer ReLU network (MATH.md section 1).

    Attributes
    ----------
    value : float
        Optimal value: ``sum ||v_i|| + ||w_i||`` (min-norm) or ``1/2 ||fit - y||^2 + beta sum(...)``.
    v, w : ndarray, shape (P, d)
        The blocks ``v_i`` and ``w_i``, one row per pattern.
    patterns : ndarray of bool, shape (P, n)
        The patterns used (row i is the diagonal of ``D_i``).
    status : str
        The cvxpy status ("optimal").
    beta : float or None
        Weight-decay strength (None for min-norm interpolation).
    fitted : ndarray, shape (n,)
        ``sum_i D_i X (v_i - w_i)``, the network's output on the data.
    dual : ndarray, shape (n,)
        A dual solution ``lambda``. Min-norm: the multiplier of the interpolation constraint, with
        ``lambda^T y = value`` and ``max_{||u|| <= 1} |lambda^T (X u)_+| <= 1`` (dual feasibility, MATH.md
        section 1). Weight decay: the residual ``y - fitted``, with ``max |lambda^T (X u)_+| <= beta``.
    """

    value: float
    v: np.ndarray
    w: np.ndarray
    patterns: np.ndarray
    status: str
    beta: float | None = None
    fitted: np.ndarray = field(default=None, repr=False)
    dual: np.ndarray = field(default=None, repr=False)
    _X: np.ndarray = field(default=None, repr=False)

    def network(self, tol: float = 1e-6, prune: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Rebuild the two-layer ReLU network ``x -> (x^T W1)_+ w2`` from the blocks (MATH.md section 1).

        Each block with norm above ``tol * (largest block norm)`` gives one neuron: ``v_i / sqrt(||v_i||)`` with
        output weight ``+sqrt(||v_i||)``, and ``w_i / sqrt(||w_i||)`` with ``-sqrt(||w_i||)``; its weight-decay
        cost ``1/2 (||W1||_F^2 + ||w2||^2)`` is ``sum ||v_i|| + ||w_i||``. The neuron magnitudes are then
        corrected by a least-squares step (of the size of the solver tolerance) so that the network reproduces
        ``fitted`` to rounding error despite the dropped blocks and the solver's small cone violations.

        With ``prune=True`` neurons of one sign and (to 1e-6) one direction are merged first, then neurons are
        removed without changing the output or the cost (Caratheodory): while
        the columns ``(sign_j (X u_j)_+, 1)`` of the unit-norm neurons are linearly dependent, move along a null
        vector until a magnitude hits zero. At most n + 1 neurons remain.

        Returns
        -------
        W1 : ndarray, shape (d, m)
        w2 : ndarray, shape (m,)
        """
        tol = check_positive("tol", tol, allow_zero=True)
        if not isinstance(prune, (bool, np.bool_)):
            raise TypeError(f"prune must be True or False, got {prune!r}")
        blocks = np.concatenate([self.v, self.w])
        signs = np.concatenate([np.ones(len(self.v)), -np.ones(len(self.w))])
        norms = np.linalg.norm(blocks, axis=1)
        keep = norms > tol * max(norms.max(initial=0.0), np.finfo(float).tiny)
        U, s, c = blocks[keep] / norms[keep, None], signs[keep], norms[keep]
        X = self._X
        F = np.maximum(X @ U.T, 0.0) * s            # (n, m): signed features of the unit neurons
        if prune:
            # neurons of one sign pointing the same way (up to solver accuracy) are one neuron: merge them,
            # which keeps the cost sum c and changes the output by at most the solver's tolerance
            order = np.lexsort((*U.T, s))
            U, s, c, F = U[order], s[order], c[order], F[:, order]
            merged = [0]
            for j in range(1, c.size):
                i = merged[-1]
                if s[i] == s[j] and np.linalg.norm(U[i] - U[j]) < 1e-6:
                    c[i] += c[j]
                else:
                    merged.append(j)
            U, s, c, F = U[merged], s[merged], c[merged], F[:, merged]
            while c.size > 1:
                A = np.vstack([F, np.ones(c.size)])
                _, sv, vt = np.linalg.svd(A)
                rank = int(np.sum(sv > 1e-10 * sv[0]))
                if rank >= c.size:
                    break
                lam = vt[-1]
                if lam.max() <= 0:
                    lam = -lam
                pos = lam > 0
                step = np.min(c[pos] / lam[pos])
                c = c - step * lam
                alive = c > 1e-14 * c.max()
                U, s, c, F = U[alive], s[alive], c[alive], F[:, alive]
        live = np.ones(c.size, dtype=bool)
        best_err = np.abs(self.fitted - F @ c).max(initial=0.0)
        for _ in range(3):              # correct the magnitudes; drop neurons the correction would flip
            if not live.any():
                break
            trial = np.where(live, c, 0.0)
            trial[live] += np.linalg.lstsq(F[:, live], self.fitted - F @ trial, rcond=1e-10)[0]
            err = np.abs(self.fitted - F @ trial).max()
            if np.all(trial[live] > 0):
                if err < best_err:
                    c, live = trial, trial > 0
                break
            live &= trial > 0
        U, s, c = U[c > 0], s[c > 0], c[c > 0]
        root = np.sqrt(c)
        return (U * root[:, None]).T, s * root

    @property
    def n_neurons(self) -> int:
        """Number of neurons of :meth:`network` with the default tolerance (non-zero blocks)."""
        return int(self.network()[1].size)

    def predict(self, X_new, tol: float = 1e-6) -> np.ndarray:
        """Output ``(X_new W1)_+ w2`` of the rebuilt network, shape (n_new,)."""
        W1, w2 = self.network(tol)
        X_new = as_matrix("X_new", X_new)
        if X_new.shape[1] != W1.shape[0]:
            raise ValueError(f"X_new must have {W1.shape[0]} columns, got shape {X_new.shape}")
        return np.maximum(X_new @ W1, 0.0) @ w2


def _validate_data(X, y):
    X = as_matrix("X", X)
    y = as_vector("y", y)
    check_same_rows(X, y[:, None], "X", "y")
    return X, y


def _check_interpolable(X: np.ndarray, y: np.ndarray, patterns: np.ndarray) -> None:
    """Raise ValueError when y is outside the span of the columns of [D_1 X, ..., D_P X]."""
    M = np.concatenate([p[:, None] * X for p in patterns], axis=1)
    coef, *_ = np.linalg.lstsq(M, y, rcond=None)
    if np.linalg.norm(M @ coef - y) > 1e-8 * max(1.0, np.linalg.norm(y)):
        raise ValueError(_infeasible_message(patterns))


def _infeasible_message(patterns: np.ndarray) -> str:
    return (f"the labels cannot be interpolated by a two-layer ReLU network using these {len(patterns)} "
            "activation patterns (no interpolating network exists with them): use beta > 0 for a fit, or more "
            "patterns")


def _solve(problem: cp.Problem, solver: str, **kwargs) -> None:
    try:
        with warnings.catch_warnings():   # a non-optimal status is turned into an exception by the caller
            warnings.filterwarnings("ignore", message="Solution may be inaccurate", category=UserWarning)
            problem.solve(solver=solver, **kwargs)
    except cp.error.SolverError as exc:
        raise SolverError(f"two-layer ReLU convex program: solver {solver} failed ({exc})") from None


def _result(problem, X, y, V, W, fit, patterns, beta, what) -> TwoLayerConvexResult:
    if problem.status != "optimal":
        if beta is None and problem.status in ("infeasible", "infeasible_inaccurate"):
            raise ValueError(_infeasible_message(patterns))
        if beta is None:                 # a clearer message when the labels are outside the span
            _check_interpolable(X, y, patterns)
        raise SolverError(f"{what}: the solver returned status '{problem.status}', not 'optimal'")
    fitted = np.asarray(fit.value, dtype=float).ravel()
    # cvxpy's multiplier nu of "fit == y" enters the Lagrangian as + nu^T (fit - y), so lambda = -nu
    dual = y - fitted if beta is not None else -np.asarray(problem.constraints[0].dual_value, float).ravel()
    return TwoLayerConvexResult(value=float(problem.value), v=np.array(V.value.T), w=np.array(W.value.T),
                                patterns=patterns, status=problem.status, beta=beta,
                                fitted=fitted, dual=dual, _X=X)


def two_layer_relu_convex(X, y, patterns=None, beta=None, solver: str = "CLARABEL") -> TwoLayerConvexResult:
    """Solve the convex program equivalent to training a two-layer ReLU network (MATH.md section 1).

    ``beta is None``: min-norm interpolation, ``min sum_i ||v_i|| + ||w_i||  s.t.  sum_i D_i X (v_i - w_i) = y``
    with the cone constraints ``(2 D_i - I) X v_i >= 0``, ``(2 D_i - I) X w_i >= 0``; its value equals
    ``min 1/2 (||W1||_F^2 + ||w2||^2) s.t. (X W1)_+ w2 = y`` when the patterns are all of them.
    ``beta > 0``: ``min 1/2 ||sum_i D_i X (v_i - w_i) - y||^2 + beta sum_i (||v_i|| + ||w_i||)``, equal to
    ``min 1/2 ||(X W1)_+ w2 - y||^2 + beta/2 (||W1||_F^2 + ||w2||^2)``.
    With a subset of the patterns (e.g. sampled) the value is an upper bound.

    Parameters
    ----------
    X : array_like, shape (n, d)
    y : array_like, shape (n,)
        Scalar labels (k = 1).
    patterns : None, "exact" or array_like of bool, shape (P, n)
        None/"exact": all patterns, enumerated exactly (needs rank(X) <= 2, else a ValueError asks for them).
    beta : float > 0 or None
    solver : str
        cvxpy solver name (default Clarabel).

    Returns
    -------
    TwoLayerConvexResult

    Raises
    ------
    ValueError
        Bad input, or (min-norm) labels that no network with these patterns interpolates.
    SolverError
        The solver did not certify an optimal solution.
    """
    X, y = _validate_data(X, y)
    patterns = _resolve_patterns(X, patterns)
    if beta is not None:
        beta = check_positive("beta", beta)
    V, W, fit, penalty, cones = _relu_parts(X, patterns)
    if beta is None:
        problem = cp.Problem(cp.Minimize(penalty), [fit == y] + cones)
    else:
        problem = cp.Problem(cp.Minimize(0.5 * cp.sum_squares(fit - y) + beta * penalty), cones)
    try:
        _solve(problem, solver)
    except SolverError:
        if beta is None:
            _check_interpolable(X, y, patterns)
        raise
    return _result(problem, X, y, V, W, fit, patterns, beta, "two-layer ReLU convex program")


class TwoLayerReluPath:
    """The weight-decay program of :func:`two_layer_relu_convex`, compiled once for a path of ``beta`` values.

    ``beta`` is a cvxpy ``Parameter``, so :meth:`solve` skips the canonicalisation that dominates a cold solve.

    Parameters
    ----------
    X : array_like, shape (n, d)
    y : array_like, shape (n,)
    patterns : None, "exact" or array_like of bool, shape (P, n)
    solver : str

    Examples
    --------
    >>> path = TwoLayerReluPath(X, y)                      # doctest: +SKIP
    >>> [path.solve(b).value for b in (0.1, 0.01)]          # doctest: +SKIP
    """

    def __init__(self, X, y, patterns=None, solver: str = "CLARABEL"):
        X, y = _validate_data(X, y)
        self.X, self.y = X, y
        self.patterns = _resolve_patterns(X, patterns)
        self.solver = solver
        self._beta = cp.Parameter(nonneg=True, name="beta")
        self._V, self._W, self._fit, penalty, cones = _relu_parts(X, self.patterns)
        objective = 0.5 * cp.sum_squares(self._fit - y) + self._beta * penalty
        self.problem = cp.Problem(cp.Minimize(objective), cones)

    def solve(self, beta: float) -> TwoLayerConvexResult:
        """Solve at weight decay ``beta > 0`` (reusing the compiled problem)."""
        self._beta.value = check_positive("beta", beta)
        _solve(self.problem, self.solver)
        return _result(self.problem, self.X, self.y, self._V, self._W, self._fit, self.patterns, self._beta.value,
                       "two-layer ReLU convex program (beta path)")


def gauge_relu_features(X, z, patterns=None, solver: str = "CLARABEL") -> float:
    """The gauge ``gamma_C(z)`` of ``C = {(X W1)_+ w2 : ||W1||_F <= 1, ||w2|| <= 1}`` (MATH.md section 1).

    It is the min-norm value of :func:`two_layer_relu_convex` with labels ``z``; ``+inf`` when no network with
    these patterns outputs ``z`` (the gauge of a point outside the span of C). With sampled patterns it is an
    upper bound.

    Parameters
    ----------
    X : array_like, shape (n, d)
    z : array_like, shape (n,)
    patterns : None, "exact" or array_like of bool, shape (P, n)

    Returns
    -------
    float
    """
    X, z = _validate_data(X, z)
    if not np.any(z):
        _resolve_patterns(X, patterns)
        return 0.0
    try:
        return two_layer_relu_convex(X, z, patterns=patterns, solver=solver).value
    except ValueError as exc:
        if "cannot be interpolated" in str(exc):
            return float("inf")
        raise
