"""The verdicts of :func:`utils.check_exercise`: why an answer is wrong, said for the kind of answer expected.

An exercise expects one of these kinds of answer (:data:`KINDS`):

* ``"value"`` - a real number; the exercise's ``unit`` says what it measures and on which scale;
* ``"fraction"`` / ``"percent"`` - a relative quantity given as a fraction (0.5) or as a percentage (50); an answer
  that is the other one (100 times the fraction, or the fraction when a percentage is expected) is recognised;
* ``"count"`` - a whole number (a count, a depth): compared exactly, so an answer that is not a whole number is
  wrong however close it is (``9.0`` is a whole number, ``9.49`` is not);
* ``"vector"`` / ``"matrix"`` - an array: its shape is checked first, then its values;
* ``"boolean"`` - True or False (or an array of them), compared exactly.

Every message is built without the reference value: it names what is wrong (type, shape, sign, a constant factor,
a percentage, the order, an off-by-one count) and never prints a number taken from the reference, except its shape.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

__all__ = ["KINDS", "resolve_kind", "verdict"]

KINDS = ("value", "fraction", "percent", "count", "vector", "matrix", "boolean")
_SCALAR_KINDS = ("value", "fraction", "percent")


def resolve_kind(kind: str, ref) -> str:
    """The kind of answer an exercise expects: ``kind`` itself, or (for ``"auto"``) the kind of ``ref``.

    Parameters
    ----------
    kind : str
        One of :data:`KINDS`, or ``"auto"``: boolean for booleans, count for integers, value for other scalars,
        vector for 1-D and matrix for 2-D arrays.
    ref : bool, int, float or array_like
        The reference answer.

    Returns
    -------
    str
        One of :data:`KINDS`.

    Raises
    ------
    ValueError
        If the reference does not fit the kind (a count that is not a whole number, a matrix that is not 2-D,
        a scalar kind with an array reference, a boolean kind with numbers).
    """
    r = np.asarray(ref)
    if kind == "auto":
        if r.dtype.kind == "b":
            return "boolean"
        if r.dtype.kind in "iu":
            return "count"
        return {0: "value", 1: "vector", 2: "matrix"}.get(r.ndim, "matrix")
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS} or 'auto', got {kind!r}")
    ok = {
        "boolean": r.dtype.kind == "b",
        "count": r.dtype.kind in "iuf" and bool(np.all(np.asarray(ref, dtype=float) == np.round(r.astype(float)))),
        "vector": r.ndim == 1 and r.dtype.kind in "iuf",
        "matrix": r.ndim == 2 and r.dtype.kind in "iuf",
    }.get(kind, r.ndim == 0 and r.dtype.kind in "iuf")
    if not ok:
        raise ValueError(f"the reference answer (shape {r.shape}, dtype {r.dtype}) is not of kind {kind!r}")
    return kind


# --------------------------------------------------------------------------------------------- types and shapes
def _describe(value) -> str:
    """A short name of a value's type for messages, e.g. 'str' or 'list of str'."""
    if isinstance(value, (list, tuple)) and value:
        inner = sorted({type(v).__name__ for v in value})
        return f"{type(value).__name__} of {' and '.join(inner)}"
    return type(value).__name__


def _type_problem(answer, boolean: bool) -> str | None:
    """Why ``answer`` cannot be compared with the reference (None when it can)."""
    if boolean:
        try:
            if np.asarray(answer).dtype.kind == "b":
                return None
        except Exception:
            pass
        return f"please answer True or False (your answer has type {_describe(answer)})"
    if isinstance(answer, (str, bytes)):
        return "your answer is a string; give the number itself, without quotes"
    if isinstance(answer, (bool, np.bool_)):
        return "your answer is True/False, but a number is expected"
    if callable(answer) and not isinstance(answer, np.ndarray):
        return "your answer is a function: call it and pass the number it returns"
    if isinstance(answer, (dict, set, frozenset)):
        return f"your answer has type {_describe(answer)}; a number or an array of numbers is expected"
    try:
        kind = np.asarray(answer).dtype.kind
    except Exception:  # ragged lists, objects numpy cannot convert
        kind = "O"
    if kind == "c":
        return "your answer has complex entries; a real number or array is expected"
    if kind == "b":
        return "your answer holds True/False values, but numbers are expected"
    if kind in "US":
        return f"your answer has type {_describe(answer)}; give numbers, without quotes"
    if kind not in "iuf":
        extra = " (for a cvxpy expression, pass its .value)" if type(answer).__module__.startswith("cvxpy") else ""
        return f"your answer has type {_describe(answer)}; a number or an array of numbers is expected{extra}"
    return None


def _shape_problem(a: np.ndarray, r: np.ndarray, kind: str) -> str | None:
    """Why an answer of shape ``a.shape`` does not have the expected shape (None when it has)."""
    if a.shape == r.shape:
        return None
    if r.ndim == 0:
        return f"your answer has shape {a.shape}, but a single number is expected"
    if kind == "matrix" and r.ndim == 2:
        if a.ndim == 2 and a.T.shape == r.shape:
            return f"your answer has shape {a.shape}; a {r.shape[0]} x {r.shape[1]} matrix, shape {r.shape}, " \
                   "is expected (transposed?)"
        return f"your answer has shape {a.shape}, but a {r.shape[0]} x {r.shape[1]} matrix, shape {r.shape}, " \
               "is expected"
    if a.ndim == 2 and a.T.shape == r.shape:
        return f"your answer has shape {a.shape}; shape {r.shape} is expected (transposed?)"
    if r.ndim == 1:
        return f"your answer has shape {a.shape}, but a vector of {r.size} numbers, shape {r.shape}, is expected"
    return f"your answer has shape {a.shape}, but shape {r.shape} is expected"


# --------------------------------------------------------------------------------------------- diagnoses
def _simple_factor(ratio: float, rtol: float) -> bool:
    """Whether ``ratio`` is +-p/q with 1 <= p, q <= 4, other than 1 (a likely normalisation slip)."""
    if ratio == 0 or not np.isfinite(ratio):
        return False
    frac = Fraction(abs(ratio)).limit_denominator(4)
    close = abs(abs(ratio) - float(frac)) <= max(10 * rtol, 1e-9) * abs(ratio)
    return close and frac != 1 and frac.numerator <= 4


def _near(a: np.ndarray, target: np.ndarray, rtol: float, atol: float, rounding: float = 1e-3) -> bool:
    """``a`` equals ``target`` up to a rounding of the answer (relative ``rounding``, looser than the check)."""
    return bool(np.all(np.abs(a - target) <= atol + max(100 * rtol, rounding) * np.abs(target)))


def _percent_slip(a: np.ndarray, r: np.ndarray, kind: str, rtol: float, atol: float) -> str | None:
    """The message for a percentage given as a fraction or the other way round (None if it is not that).

    A factor 100 is distinctive, so percentages rounded to a few digits (2% relative) are recognised too.
    """
    if kind not in ("fraction", "percent") or not np.any(r != 0):
        return None
    if kind == "fraction" and _near(a, 100 * r, rtol, 100 * atol, rounding=0.02):
        return "this looks like a percentage; give a fraction (divide by 100)"
    if kind == "percent" and _near(a, r / 100, rtol, atol / 100, rounding=0.02):
        return "this looks like a fraction; give a percentage (multiply by 100)"
    return None


def _diagnose_values(a: np.ndarray, r: np.ndarray, rtol: float, atol: float) -> str:
    """Why real numbers of the right shape are wrong, without revealing the reference."""
    tol = atol + rtol * np.abs(r)
    if np.any(r != 0) and np.all(np.abs(-a - r) <= tol):
        return "the sign looks flipped"
    if _near(a, r, rtol, atol):
        return (f"close, but outside the tolerance (rtol={rtol:g}, atol={atol:g}): do not round, and solve to "
                "full accuracy")
    nz = np.abs(r) > max(atol, 1e-12)
    if np.any(nz) and np.all(a[nz] != 0) and np.all(np.abs(a[~nz]) <= tol[~nz]):
        ratios = a[nz] / r[nz]
        constant = np.ptp(ratios) <= max(10 * rtol, 1e-9) * np.abs(ratios).max()
        if constant and (ratios.size > 1 or _simple_factor(float(ratios[0]), rtol)):
            return ("your answer is off by a constant factor: check the constants and the normalisation of what "
                    "you computed")
    if r.size > 1 and np.allclose(np.sort(a.ravel()), np.sort(r.ravel()), rtol=rtol, atol=atol):
        return "the right numbers, in the wrong order"
    return "not within tolerance"


def _diagnose_count(a: np.ndarray, r: np.ndarray) -> str:
    """Why whole numbers of the right shape are wrong, without revealing the reference."""
    if np.any(a < 0) and np.all(r >= 0):
        return "a count is never negative"
    if r.size == 1:
        x, y = float(a.ravel()[0]), float(r.ravel()[0])
        if abs(x - y) == 1:
            return ("off by one: check the boundary case (where you start or stop, and whether an empty or "
                    "all-zero case counts)")
        if x != 0 and y != 0 and _simple_factor(x / y, 0.0):
            return ("your count is a simple multiple or fraction of the right one: check that every object is "
                    "counted exactly once")
        return "not the right whole number"
    if np.array_equal(np.sort(a.ravel()), np.sort(r.ravel())):
        return "the right whole numbers, in the wrong order"
    return f"{int(np.sum(a != r))} of {r.size} whole numbers differ"


# --------------------------------------------------------------------------------------------- the verdict
def verdict(ex, ref, answer) -> tuple[bool, str]:
    """The verdict on ``answer`` (not None) to the exercise ``ex`` with reference ``ref``, as (correct, message).

    Parameters
    ----------
    ex : Exercise
        The exercise (its id, tolerances, kind, unit and hint).
    ref : bool, int, float or array_like
        Its reference answer.
    answer : object
        The student's answer.

    Returns
    -------
    (bool, str)
        Whether the answer is correct, and the message to print (never containing the reference value).
    """
    name = f"Exercise {ex.exercise_id}"
    kind = resolve_kind(ex.kind, ref)
    hint = f" Hint: {ex.hint}" if ex.hint else ""
    expects = f" Expected: {ex.unit}." if ex.unit else ""
    problem = _type_problem(answer, kind == "boolean")
    if problem is not None:
        return False, f"{name}: {problem}.{expects}"
    a, r = np.asarray(answer), np.asarray(ref)
    if kind == "boolean":
        if a.shape != r.shape:
            return False, f"{name}: your answer has shape {a.shape}, but shape {r.shape} is expected."
        ok = bool(np.array_equal(a, r))
        return ok, f"{name}: correct." if ok else f"{name}: not quite.{hint or ' Think again.'}"
    a, r = a.astype(float), r.astype(float)
    if a.size == r.size == 1:
        a = a.reshape(r.shape)
    if not np.all(np.isfinite(a)):
        return False, f"{name}: your answer contains NaN or infinite values."
    shape = _shape_problem(a, r, kind)
    if shape is not None:
        return False, f"{name}: {shape}.{expects}{hint}"
    if kind == "count":
        if np.any(a != np.round(a)):
            return False, (f"{name}: not quite: a whole number is expected (an int, or a float with nothing after "
                           "the decimal point), and your answer is not one; do not average or interpolate."
                           f"{expects}{hint}")
        if np.array_equal(a, r):
            return True, f"{name}: correct."
        return False, f"{name}: not quite: {_diagnose_count(a, r)}.{expects}{hint}"
    if np.all(np.abs(a - r) <= ex.atol + ex.rtol * np.abs(r)):
        return True, f"{name}: correct (within rtol={ex.rtol:g}, atol={ex.atol:g})."
    why = _percent_slip(a, r, kind, ex.rtol, ex.atol) or _diagnose_values(a, r, ex.rtol, ex.atol)
    if r.size > 1:
        bad = int(np.sum(np.abs(a - r) > ex.atol + ex.rtol * np.abs(r)))
        why = f"the shape is right, but {bad} of {r.size} entries are not within tolerance" + \
            ("" if why == "not within tolerance" else f": {why}")
    return False, f"{name}: not quite: {why}.{expects}{hint}"
