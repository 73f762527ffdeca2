"""Two-layer ReLU networks as convex programs (Pilanci & Ergen 2020).

The derivations are in the book's appendix *Derivations and conventions*, section 1 (1.5 for the program below).

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

from dataclasses import dataclass, field

import cvxpy as cp
import numpy as np

from .._cvx import certify, solve_problem
from .._optim import data_scale
from .._validation import SolverError, as_matrix, as_vector, check_positive, check_same_rows
from ._neurons import neurons_from_blocks
from ._reduced import _full_cone_violation, reduced_relu_parts
from .arrangements import _check_patterns, _row_space, hyperplane_patterns

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
    """The gauge ``gamma_C(target)`` of appendix section 1.7 as cvxpy pieces, to embed in a larger program.

    ``gamma_C(z) = min sum_i ||v_i|| + ||w_i||  s.t.  sum_i D_i X (v_i - w_i) = z,  (2 D_i - I) X v_i >= 0,
    (2 D_i - I) X w_i >= 0``, where C is the absolutely convex hull of ``{(X u)_+ : ||u|| <= 1}``. Minimising
    ``objective_expr`` subject to ``constraints`` (plus your own) gives the gauge of ``target_expr``; several
    gauges (each with its own call, hence its own variables) can be summed in one SOCP. No normalisation happens
    here: give data of order one (``gamma`` for ``X / a`` is ``a gamma``), as the package's own programs do, so
    that the solver's absolute tolerances mean the same at every scale.

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
    """Solution of the convex program of a two-layer ReLU network (appendix section 1.5).

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
        ``lambda^T y = value`` and ``max_{||u|| <= 1} |lambda^T (X u)_+| <= 1`` (dual feasibility, appendix
        section 1.3). Weight decay: the residual ``y - fitted``, with ``max |lambda^T (X u)_+| <= beta``.
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
    _scales: tuple = field(default=(1.0, 1.0), repr=False)

    def network(self, tol: float = 1e-6, prune: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Rebuild the two-layer ReLU network ``x -> (x^T W1)_+ w2`` from the blocks (appendix section 1.5).

        Each block with norm above ``tol * (largest block norm)`` gives one neuron: ``v_i / sqrt(||v_i||)`` with
        output weight ``+sqrt(||v_i||)``, and ``w_i / sqrt(||w_i||)`` with ``-sqrt(||w_i||)``; its weight-decay
        cost ``1/2 (||W1||_F^2 + ||w2||^2)`` is ``sum ||v_i|| + ||w_i||``. The neuron magnitudes are then
        corrected by a least-squares step (of the size of the solver tolerance) so that the network reproduces
        ``fitted`` to rounding error despite the dropped blocks and the solver's small cone violations.

        With ``prune=True`` neurons of one sign and (to 1e-6) one direction are merged first, then neurons are
        removed without changing the output or the cost (Caratheodory): while
        the columns ``(sign_j (X u_j)_+, 1)`` of the unit-norm neurons are linearly dependent, move along a null
        vector until a magnitude hits zero. At most n + 1 neurons remain.

        The construction runs on the normalised data of the solve and is rescaled: neurons of ``(X / a, y / c)``
        times ``sqrt(c / a)`` are neurons of ``(X, y)``.

        Returns
        -------
        W1 : ndarray, shape (d, m)
        w2 : ndarray, shape (m,)
        """
        tol = check_positive("tol", tol, allow_zero=True)
        if not isinstance(prune, (bool, np.bool_)):
            raise TypeError(f"prune must be True or False, got {prune!r}")
        sx, sy = self._scales
        ratio = sx / sy
        W1, w2 = neurons_from_blocks(self._X / sx, self.v * ratio, self.w * ratio, self.fitted / sy, tol, prune)
        root = np.sqrt(sy / sx)
        return W1 * root, w2 * root

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
    """Raise ValueError when y is outside the span of the columns of [D_1 X, ..., D_P X] (relative test)."""
    M = np.concatenate([p[:, None] * X for p in patterns], axis=1)
    coef, *_ = np.linalg.lstsq(M, y, rcond=None)
    if np.linalg.norm(M @ coef - y) > 1e-8 * np.linalg.norm(y):
        raise ValueError(_infeasible_message(patterns))


def _infeasible_message(patterns: np.ndarray) -> str:
    return (f"the labels cannot be interpolated by a two-layer ReLU network using these {len(patterns)} "
            "activation patterns (no interpolating network exists with them): use beta > 0 for a fit, or more "
            "patterns")


class _Normalised:
    """The data divided by powers of two near their largest entries (``X = sx Xn``, ``y = sy yn``), and the
    rescaling of a solution of the normalised program (see :func:`two_layer_relu_convex`)."""

    def __init__(self, X: np.ndarray, y: np.ndarray):
        self.X, self.y = X, y
        self.sx, self.sy = data_scale(X), data_scale(y)
        self.Xn, self.yn = X / self.sx, y / self.sy

    def beta(self, beta: float) -> float:
        return beta / (self.sx * self.sy)

    def zero_result(self, patterns, beta) -> TwoLayerConvexResult:
        """Labels y = 0: the zero network (value 0, multiplier 0) is optimal for both programs."""
        P, (n, d) = len(patterns), self.X.shape
        return TwoLayerConvexResult(value=0.0, v=np.zeros((P, d)), w=np.zeros((P, d)), patterns=patterns,
                                    status="optimal", beta=beta, fitted=np.zeros(n), dual=np.zeros(n), _X=self.X)

    def result(self, problem, V, W, fit, patterns, beta, what) -> TwoLayerConvexResult:
        if beta is None and problem.status in ("infeasible", "infeasible_inaccurate"):
            raise ValueError(_infeasible_message(patterns))
        if beta is None and problem.status != "optimal":   # a clearer message when the labels are outside the span
            _check_interpolable(self.Xn, self.yn, patterns)
        value = certify(problem, what)
        violation = _full_cone_violation(self.Xn, patterns, np.asarray(V.value).T, np.asarray(W.value).T)
        if violation > 1e-6:
            raise SolverError(f"{what}: the solution violates a cone inequality of the program by {violation:.3e}")
        sx, sy = self.sx, self.sy
        fitted = np.asarray(fit.value, dtype=float).ravel() * sy
        if beta is None:
            # cvxpy's multiplier nu of "fit == y" enters the Lagrangian as + nu^T (fit - y), so lambda = -nu
            dual = -np.asarray(problem.constraints[0].dual_value, float).ravel() / sx
            value *= sy / sx
        else:
            dual = self.y - fitted
            value *= sy * sy
        ratio = sy / sx
        return TwoLayerConvexResult(value=value, v=np.array(V.value.T) * ratio, w=np.array(W.value.T) * ratio,
                                    patterns=patterns, status=problem.status, beta=beta, fitted=fitted, dual=dual,
                                    _X=self.X, _scales=(sx, sy))


#: From this many samples on, rank-2 data use the reduced formulation (same optimum, O(n + P) coefficients
#: instead of O(n P)); below it the plain program is small, and its solution is a little more accurate.
REDUCED_MIN_SAMPLES = 100


def _program_parts(X: np.ndarray, patterns: np.ndarray):
    """The program's pieces: for rank(X) = 2 and at least ``REDUCED_MIN_SAMPLES`` samples, the reduced
    formulation (two cone inequalities per block and prefix sums for the fit, exact: the book's appendix,
    section 1.5), else the plain one (n inequalities per block). Patterns that are not open cells of the
    arrangement fall back to the plain formulation."""
    if X.shape[0] >= REDUCED_MIN_SAMPLES and _row_space(X)[0].shape[1] == 2:
        try:
            return reduced_relu_parts(X, patterns)
        except ValueError:
            pass
    return _relu_parts(X, patterns)


def _problem(Xn, yn, patterns, beta):
    V, W, fit, penalty, cones = _program_parts(Xn, patterns)
    if beta is None:
        return cp.Problem(cp.Minimize(penalty), [fit == yn] + cones), V, W, fit
    return cp.Problem(cp.Minimize(0.5 * cp.sum_squares(fit - yn) + beta * penalty), cones), V, W, fit


def two_layer_relu_convex(X, y, patterns=None, beta=None, solver: str = "CLARABEL") -> TwoLayerConvexResult:
    """Solve the convex program equivalent to training a two-layer ReLU network (appendix section 1.5).

    ``beta is None``: min-norm interpolation, ``min sum_i ||v_i|| + ||w_i||  s.t.  sum_i D_i X (v_i - w_i) = y``
    with the cone constraints ``(2 D_i - I) X v_i >= 0``, ``(2 D_i - I) X w_i >= 0``; its value equals
    ``min 1/2 (||W1||_F^2 + ||w2||^2) s.t. (X W1)_+ w2 = y`` when the patterns are all of them.
    ``beta > 0``: ``min 1/2 ||sum_i D_i X (v_i - w_i) - y||^2 + beta sum_i (||v_i|| + ||w_i||)``, equal to
    ``min 1/2 ||(X W1)_+ w2 - y||^2 + beta/2 (||W1||_F^2 + ||w2||^2)``.
    With a subset of the patterns (e.g. sampled) the value is an upper bound.

    Homogeneity (``a > 0``, ``c`` real; the patterns do not change): substituting ``v -> (c / a) v`` gives

    * min-norm: ``f(a X, c y) = (|c| / a) f(X, y)``, multiplier ``lambda -> sign(c) lambda / a``;
    * weight decay: ``f(a X, c y, a |c| beta) = c^2 f(X, y, beta)`` (``beta`` is in units of ``|X| |y|``).

    The program is solved on ``X / a``, ``y / c`` with ``a``, ``c`` the powers of two nearest to ``max |X_ij|`` and
    ``max |y_i|`` (and ``beta / (a c)``), and the solution is rescaled by these rules, so the solver's absolute
    tolerances act on data of order one and the value is exact to solver accuracy at any scale. The solution
    is then certified: status ``optimal``, constraint residual and objective within ``1e-6`` of the data's scale.

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
        The solver did not certify an optimal solution, or its "optimal" solution violates the constraints.
    """
    X, y = _validate_data(X, y)
    patterns = _resolve_patterns(X, patterns)
    if beta is not None:
        beta = check_positive("beta", beta)
    data = _Normalised(X, y)
    if not np.any(y):
        return data.zero_result(patterns, beta)
    problem, V, W, fit = _problem(data.Xn, data.yn, patterns, None if beta is None else data.beta(beta))
    what = "two-layer ReLU convex program"
    try:
        solve_problem(problem, what, solver)
    except SolverError:
        if beta is None:
            _check_interpolable(data.Xn, data.yn, patterns)
        raise
    return data.result(problem, V, W, fit, patterns, beta, what)


class TwoLayerReluPath:
    """The weight-decay program of :func:`two_layer_relu_convex`, compiled once for a path of ``beta`` values.

    ``beta`` is a cvxpy ``Parameter``, so :meth:`solve` skips the canonicalisation that dominates a cold solve.
    The data are normalised as in :func:`two_layer_relu_convex` (so ``f(X, c y, |c| beta) = c^2 f(X, y, beta)``
    and ``f(a X, y, a beta) = f(X, y, beta)`` hold to solver accuracy), and every solution is certified.

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
        self._data = _Normalised(X, y)
        self._beta = cp.Parameter(nonneg=True, name="beta")
        self._V, self._W, self._fit, penalty, cones = _program_parts(self._data.Xn, self.patterns)
        objective = 0.5 * cp.sum_squares(self._fit - self._data.yn) + self._beta * penalty
        self.problem = cp.Problem(cp.Minimize(objective), cones)

    def solve(self, beta: float) -> TwoLayerConvexResult:
        """Solve at weight decay ``beta > 0`` (reusing the compiled problem)."""
        beta = check_positive("beta", beta)
        if not np.any(self.y):
            return self._data.zero_result(self.patterns, beta)
        self._beta.value = self._data.beta(beta)
        what = "two-layer ReLU convex program (beta path)"
        solve_problem(self.problem, what, self.solver)
        return self._data.result(self.problem, self._V, self._W, self._fit, self.patterns, beta, what)


def gauge_relu_features(X, z, patterns=None, solver: str = "CLARABEL") -> float:
    """The gauge ``gamma_C(z)`` of ``C = {(X W1)_+ w2 : ||W1||_F <= 1, ||w2|| <= 1}`` (appendix section 1.7).

    It is the min-norm value of :func:`two_layer_relu_convex` with labels ``z``; ``+inf`` when no network with
    these patterns outputs ``z`` (the gauge of a point outside the span of C). With sampled patterns it is an
    upper bound. Homogeneity: ``gamma(a X, c z) = (|c| / a) gamma(X, z)`` for ``a > 0`` (exact to solver accuracy
    at any scale: the program is solved on normalised data).

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
