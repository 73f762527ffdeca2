"""Automatic checks for the computational exercises of the book.

Each chapter registers its exercises in a module ``utils/course/checks/chNN.py`` with :func:`register`;
a chapter's module is imported when one of its exercises is first checked (``registered_exercises`` imports all).
A student calls ``check_exercise("02.2", answer)``: the reference answer is *computed* (never stored),
compared within the stated tolerance, and a verdict is printed. A wrong answer gets a diagnosis (wrong
type, wrong shape, flipped sign, off by a constant factor, right numbers in the wrong order, close but
outside the tolerance) and the exercise's hint; the reference value itself is never printed.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

__all__ = ["check_exercise", "register", "registered_exercises", "ensure_book_utils", "Exercise", "CheckResult"]

_ID_PATTERN = re.compile(r"\d{2}\.\d+")


@dataclass(frozen=True)
class Exercise:
    """A computational exercise: how to compute its answer and how close an answer must be.

    Attributes
    ----------
    exercise_id : str
        ``"CC.N"``: chapter number (two digits) and exercise number, as printed in the book.
    compute_answer : callable
        No-argument function returning the reference answer (a float, int, bool or array of numbers).
    rtol, atol : float
        An answer ``a`` passes when ``|a - ref| <= atol + rtol * |ref|`` entrywise (and has the shape of
        ``ref``). A boolean reference (or array of booleans) needs exactly the same booleans.
    hint : str
        A hint printed on any wrong answer (never the answer).
    """

    exercise_id: str
    compute_answer: Callable[[], object]
    rtol: float = 1e-6
    atol: float = 1e-9
    hint: str = ""


@dataclass(frozen=True)
class CheckResult:
    """What :func:`check_exercise` returns: true when the answer is correct.

    It behaves as a boolean (``assert check_exercise(...)``) and shows nothing as the last value of a
    notebook cell, where the printed verdict is all the reader needs.
    """

    exercise_id: str
    correct: bool
    message: str

    def __bool__(self) -> bool:
        return self.correct

    def _ipython_display_(self) -> None:  # the verdict is already printed
        pass


class _Registry(dict):
    """Exercise id -> :class:`Exercise`; looking up an id not registered yet first imports its chapter's module."""

    def __missing__(self, exercise_id):
        _load_chapter(exercise_id)
        if exercise_id in self:
            return self[exercise_id]
        raise KeyError(exercise_id)


_REGISTRY: dict[str, Exercise] = _Registry()
_REFERENCES: dict[str, tuple[Exercise, object]] = {}  # reference answers, computed once per session
_ALL_LOADED = False


def register(exercise_id: str, compute_answer: Callable[[], object], *, rtol: float = 1e-6,
             atol: float = 1e-9, hint: str = "") -> Callable[[], object]:
    """Register ``compute_answer`` as the reference for ``exercise_id`` and return it unchanged.

    Parameters
    ----------
    exercise_id : str
        ``"CC.N"`` with a two-digit chapter number, e.g. ``"02.2"``.
    compute_answer : callable
        No-argument function computing the reference answer with ``utils`` (never a typed number).
    rtol, atol : float
        Relative and absolute tolerances (non-negative; see :class:`Exercise`).
    hint : str
        Printed on a wrong answer; it must not give the answer away.
    """
    if not isinstance(exercise_id, str) or not _ID_PATTERN.fullmatch(exercise_id):
        raise ValueError(f"exercise id must look like '02.2' (two-digit chapter, number), got {exercise_id!r}")
    if not callable(compute_answer):
        raise TypeError(f"compute_answer of {exercise_id} must be a function with no arguments")
    if not (rtol >= 0 and atol >= 0):
        raise ValueError(f"tolerances of {exercise_id} must be non-negative, got rtol={rtol}, atol={atol}")
    if exercise_id in _REGISTRY:
        raise ValueError(f"exercise {exercise_id!r} is registered twice")
    _REGISTRY[exercise_id] = Exercise(exercise_id, compute_answer, float(rtol), float(atol), str(hint))
    return compute_answer


def ensure_book_utils() -> None:
    """Raise ImportError if the module Python imports as ``utils`` is not this book's package.

    The import name ``utils`` is generic: a ``utils.py`` file or a ``utils/`` package in the notebook's folder (or
    anywhere earlier on ``sys.path``) hides the book's package, which carries the marker ``utils.__book__``.

    Raises
    ------
    ImportError
        If ``sys.modules["utils"]`` has no ``__book__`` marker; the message names the module's file.
    """
    package = __name__.partition(".")[0]
    module = sys.modules.get(package) or importlib.import_module(package)
    if hasattr(module, "__book__"):
        return
    where = getattr(module, "__file__", None) or ", ".join(getattr(module, "__path__", None) or []) or repr(module)
    raise ImportError(
        f"`import {package}` loads {where}, which is not this book's package: rename or move that file or "
        f"folder (it hides the book's `{package}`), then restart the kernel and run the notebook from the top.")


def _load_chapter(exercise_id) -> None:
    """Import ``chNN``, the module registering the checks of exercise ``NN.k`` (nothing if there is none)."""
    if not isinstance(exercise_id, str) or not _ID_PATTERN.fullmatch(exercise_id):
        return
    name = f"{__name__}.ch{exercise_id.partition('.')[0]}"
    try:
        importlib.import_module(name)
    except ModuleNotFoundError as err:
        if err.name != name:
            raise


def _load_chapters() -> None:
    global _ALL_LOADED
    if _ALL_LOADED:
        return
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if re.fullmatch(r"ch\d{2}", info.name):
            importlib.import_module(f"{__name__}.{info.name}")
    _ALL_LOADED = True


def registered_exercises() -> list[str]:
    """The ids of every exercise that has an automatic check, in book order."""
    _load_chapters()
    return sorted(_REGISTRY, key=lambda i: tuple(int(p) for p in i.split(".")))


def _reference(ex: Exercise) -> object:
    cached = _REFERENCES.get(ex.exercise_id)
    if cached is None or cached[0] is not ex:
        cached = (ex, ex.compute_answer())
        _REFERENCES[ex.exercise_id] = cached
    return cached[1]


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


def _simple_factor(ratio: float, rtol: float) -> bool:
    """Whether ``ratio`` is +-p/q with 1 <= p, q <= 4, other than 1 (a likely normalisation slip)."""
    if ratio == 0 or not np.isfinite(ratio):
        return False
    frac = Fraction(abs(ratio)).limit_denominator(4)
    close = abs(abs(ratio) - float(frac)) <= max(10 * rtol, 1e-9) * abs(ratio)
    return close and frac != 1 and frac.numerator <= 4


def _diagnose(answer: np.ndarray, ref: np.ndarray, ex: Exercise) -> str:
    """Why a numeric answer of the right shape is wrong, without revealing the reference value."""
    tol = ex.atol + ex.rtol * np.abs(ref)
    if np.any(ref != 0) and np.all(np.abs(-answer - ref) <= tol):
        return "the sign looks flipped"
    if np.all(np.abs(answer - ref) <= ex.atol + max(100 * ex.rtol, 1e-3) * np.abs(ref)):
        return (f"close, but outside the tolerance (rtol={ex.rtol:g}, atol={ex.atol:g}): do not round, "
                "and solve to full accuracy")
    nz = np.abs(ref) > max(ex.atol, 1e-12)
    if np.any(nz) and np.all(answer[nz] != 0) and np.all(np.abs(answer[~nz]) <= tol[~nz]):
        ratios = answer[nz] / ref[nz]
        constant = np.ptp(ratios) <= max(10 * ex.rtol, 1e-9) * np.abs(ratios).max()
        if constant and (ratios.size > 1 or _simple_factor(float(ratios[0]), ex.rtol)):
            return ("your answer is off by a constant factor: check the normalisation "
                    "(a factor 1/2 or L/2, a power 2/L, a square root)")
    if ref.size > 1 and np.allclose(np.sort(answer.ravel()), np.sort(ref.ravel()), rtol=ex.rtol, atol=ex.atol):
        return "the right numbers, in the wrong order"
    return "not within tolerance"


def _verdict(ex: Exercise, answer) -> tuple[bool, str]:
    """The verdict on ``answer`` (not None) as (correct, message)."""
    name = f"Exercise {ex.exercise_id}"
    hint = f" Hint: {ex.hint}" if ex.hint else ""
    ref = _reference(ex)
    boolean = np.asarray(ref).dtype.kind == "b"
    problem = _type_problem(answer, boolean)
    if problem is not None:
        return False, f"{name}: {problem}."
    if boolean:
        a, r = np.asarray(answer), np.asarray(ref)
        if a.shape != r.shape:
            return False, f"{name}: your answer has shape {a.shape}, but shape {r.shape} is expected."
        ok = bool(np.array_equal(a, r))
        return ok, f"{name}: correct." if ok else f"{name}: not quite.{hint or ' Think again.'}"
    a = np.asarray(answer, dtype=float)
    r = np.asarray(ref, dtype=float)
    if a.size == r.size == 1:
        a = a.reshape(r.shape)
    if not np.all(np.isfinite(a)):
        return False, f"{name}: your answer contains NaN or infinite values."
    if a.shape != r.shape:
        if a.T.shape == r.shape and a.ndim == 2:
            return False, f"{name}: your answer has shape {a.shape}; shape {r.shape} is expected (transposed?)."
        return False, f"{name}: your answer has shape {a.shape}, but shape {r.shape} is expected.{hint}"
    if np.all(np.abs(a - r) <= ex.atol + ex.rtol * np.abs(r)):
        return True, f"{name}: correct (within rtol={ex.rtol:g}, atol={ex.atol:g})."
    return False, f"{name}: not quite: {_diagnose(a, r, ex)}.{hint}"


def check_exercise(exercise_id: str, answer) -> CheckResult:
    """Check a student's ``answer`` to exercise ``exercise_id`` and print a verdict.

    Parameters
    ----------
    exercise_id : str
        The exercise's id as printed in the book, e.g. ``"02.2"``.
    answer : float, int, bool or array_like, or None
        ``None`` means "not answered yet".

    Returns
    -------
    CheckResult
        True (as a boolean) when the answer is correct. Never raises on a bad answer: it prints why instead.

    Raises
    ------
    ImportError
        If a local ``utils.py`` or ``utils/`` folder hides the book's package (see :func:`ensure_book_utils`).
    """
    ensure_book_utils()
    exercise_id = str(exercise_id)
    _load_chapter(exercise_id)
    ex = _REGISTRY.get(exercise_id)
    if ex is None:
        ok, msg = False, (f"There is no automatic check called {exercise_id!r}. "
                          f"Known checks: {', '.join(registered_exercises())}")
    elif answer is None:
        ok, msg = False, (f"Exercise {exercise_id}: not answered yet. Replace None with your answer and run "
                          "the cell again.")
    else:
        ok, msg = _verdict(ex, answer)
    print(msg)
    return CheckResult(exercise_id, ok, msg)
