"""Input validation shared by the public functions of :mod:`utils`.

Public functions validate at their boundary with these helpers; internal code trusts its inputs.
Every failure raises ``TypeError`` (wrong kind of object) or ``ValueError`` (wrong value), with a
message that names the argument and says what is wrong.
"""

from __future__ import annotations

import numbers

import numpy as np

from .errors import SolverError

__all__: list[str] = []

#: Largest depth the closed forms accept: values are computed in logarithms and stay exact far beyond it,
#: but a depth this large is almost surely a mistake (and stair-by-stair arrays would not fit in memory).
MAX_DEPTH = 10**6


def _as_real_array(name: str, value) -> np.ndarray:
    """``value`` as a float array; complex, boolean, string and object input raise ``TypeError``."""
    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(f"{name} must be a numeric array, got {type(value).__name__}")
    raw = np.asarray(value)
    if raw.dtype == bool:
        raise TypeError(f"{name} must be a real numeric array, got booleans")
    if np.iscomplexobj(raw):
        raise TypeError(f"{name} must be real, got complex entries (dtype {raw.dtype})")
    if raw.dtype.kind not in "iuf":
        try:
            raw = raw.astype(float)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"{name} must be a real numeric array ({exc})") from None
    return raw.astype(float, copy=False)


def as_matrix(name: str, value, *, allow_vector: bool = False) -> np.ndarray:
    """Return ``value`` as a finite 2-D float array, or raise naming ``name``.

    With ``allow_vector=True`` a 1-D array of length n is accepted and returned as an (n, 1) column.
    """
    arr = _as_real_array(name, value)
    if arr.ndim == 1 and allow_vector:
        arr = arr[:, None]
    if arr.ndim != 2:
        want = "a 1-D or 2-D array" if allow_vector else "a 2-D array"
        raise ValueError(f"{name} must be {want}, got an array with shape {arr.shape}")
    return _nonempty_and_finite(name, arr)


def as_vector(name: str, value) -> np.ndarray:
    """Return ``value`` as a finite 1-D float array, or raise naming ``name``."""
    arr = _as_real_array(name, value)
    if arr.ndim == 2 and 1 in arr.shape:
        arr = arr.ravel()
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array, got shape {arr.shape}")
    return _nonempty_and_finite(name, arr)


def _nonempty_and_finite(name: str, arr: np.ndarray) -> np.ndarray:
    if arr.size == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape})")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite entries")
    return arr


def check_same_rows(X: np.ndarray, Y: np.ndarray, x_name: str = "X", y_name: str = "Y") -> None:
    """Raise when ``X`` and ``Y`` do not have the same number of rows (samples)."""
    if X.shape[0] != Y.shape[0]:
        raise ValueError(
            f"{x_name} has {X.shape[0]} rows but {y_name} has {Y.shape[0]}: both need one row per sample"
        )


def check_count(name: str, value, minimum: int = 0, maximum: int | None = None) -> int:
    """Return ``value`` as an int, raising unless it is an integer in ``[minimum, maximum]``.

    Booleans and floats (even integral ones such as ``3.0``) are rejected: a count is an integer.
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r} ({type(value).__name__})")
    value = int(value)
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be at most {maximum}, got {value}")
    return value


def check_depth(L, *, minimum: int = 2, name: str = "L") -> int:
    """Return the depth ``L`` as an int, raising unless it is an integer in ``[minimum, MAX_DEPTH]``.

    An integral float such as ``3.0`` is accepted (a depth computed as ``2 / p``); ``3.5`` and booleans are not.
    """
    if isinstance(L, numbers.Real) and not isinstance(L, (bool, np.bool_, numbers.Integral)):
        if not np.isfinite(float(L)) or not float(L).is_integer():
            raise TypeError(f"{name} (the depth) must be an integer, got {L!r}")
        L = int(L)
    return check_count(f"{name} (the depth)", L, minimum, MAX_DEPTH)


def check_positive(name: str, value, *, allow_zero: bool = False) -> float:
    """Return ``value`` as a float, raising unless it is finite and > 0 (or >= 0)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r} ({type(value).__name__})")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    if value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be {bound}, got {value}")
    return value


def check_seed(seed) -> np.random.Generator:
    """Return a numpy Generator from an int seed, a Generator, or None (fixed default seed 0)."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None:
        return np.random.default_rng(0)
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"seed must be an int, a numpy Generator or None, got {seed!r}")
    return np.random.default_rng(int(seed))


def require_optimal(problem, what: str) -> None:
    """Raise :class:`SolverError` unless the cvxpy ``problem`` was solved to optimality.

    ``optimal_inaccurate`` is rejected too: the book only reports values the solver certified.
    """
    status = problem.status
    if status != "optimal":
        hint = ""
        if status in ("infeasible", "infeasible_inaccurate"):
            hint = " (the constraints cannot be met: check that the labels can be interpolated)"
        elif status in ("unbounded", "unbounded_inaccurate"):
            hint = " (the objective is unbounded)"
        raise SolverError(f"{what}: the solver returned status '{status}', not 'optimal'{hint}")


def check_constraint_residual(what: str, residual: float, scale: float, *, rtol: float = 1e-6,
                              status: str = "optimal") -> None:
    """Raise :class:`SolverError` when a solution reported as ``status`` violates its constraints.

    ``residual`` is the norm of the constraint violation (e.g. ``||X W - Y||_F``) and ``scale`` the norm of the
    data it is measured against (e.g. ``||Y||_F``); the check is ``residual <= rtol * max(scale, tiny)``, so it
    does not depend on the units of the data.
    """
    bound = rtol * max(float(scale), np.finfo(float).tiny)
    if not np.isfinite(residual) or residual > bound:
        raise SolverError(
            f"{what}: the solver reported status '{status}' but its solution violates the constraints: "
            f"residual {residual:.3e} > tolerance {bound:.3e} (relative {rtol:g})"
        )
