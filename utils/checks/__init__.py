"""Automatic checks for the computational exercises of the book.

Each chapter registers its exercises in a module ``utils/checks/chNN.py`` with :func:`register`.
A student calls ``check_exercise("02.2", answer)``: the reference answer is *computed* (never stored),
compared within the stated tolerance, and the verdict is printed with a hint on failure. The answer
itself is never printed.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["check_exercise", "register", "registered_exercises", "Exercise"]


@dataclass(frozen=True)
class Exercise:
    """A computational exercise: how to compute its answer and how close an answer must be.

    Attributes
    ----------
    exercise_id : str
        ``"CC.N"``: chapter number (two digits) and exercise number, as printed in the book.
    compute_answer : callable
        No-argument function returning the reference answer (a float, bool, int or array).
    rtol, atol : float
        An answer ``a`` passes when ``|a - ref| <= atol + rtol * |ref|`` entrywise.
    hint : str
        A hint printed on any wrong answer (never the answer).
    """

    exercise_id: str
    compute_answer: Callable[[], object]
    rtol: float = 1e-6
    atol: float = 1e-9
    hint: str = ""


_REGISTRY: dict[str, Exercise] = {}
_LOADED = False


def register(exercise_id: str, compute_answer: Callable[[], object], *, rtol: float = 1e-6,
             atol: float = 1e-9, hint: str = "") -> Callable[[], object]:
    """Register ``compute_answer`` as the reference for ``exercise_id`` (usable as a decorator too)."""
    if exercise_id in _REGISTRY:
        raise ValueError(f"exercise {exercise_id!r} is registered twice")
    _REGISTRY[exercise_id] = Exercise(exercise_id, compute_answer, rtol, atol, hint)
    return compute_answer


def _load_chapters() -> None:
    global _LOADED
    if _LOADED:
        return
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("ch"):
            importlib.import_module(f"{__name__}.{info.name}")
    _LOADED = True


def registered_exercises() -> list[str]:
    """The ids of every exercise that has an automatic check, in book order."""
    _load_chapters()
    return sorted(_REGISTRY)


def _diagnose(answer: np.ndarray, ref: np.ndarray, ex: Exercise) -> str:
    """A hint for a wrong numeric answer that does not reveal the reference value."""
    if answer.shape != ref.shape:
        return f"your answer has shape {answer.shape}, but a different shape is expected; check which quantity is asked for"
    tol = ex.atol + ex.rtol * np.abs(ref)
    if np.all(np.abs(-answer - ref) <= tol) and np.any(ref != 0):
        return "the sign looks flipped"
    nz = np.abs(ref) > 1e-12
    if np.any(nz) and np.all(np.abs(answer[~nz]) <= tol[~nz]):
        ratios = answer[nz] / ref[nz]
        if np.all(np.isfinite(ratios)) and np.ptp(ratios) <= 1e-6 * max(1.0, np.abs(ratios).max()):
            return ("your answer is off by a constant factor: check the normalisation "
                    "(a factor 1/2, L/2, a power 2/L or a square root)")
    if ref.size > 1 and np.allclose(np.sort(answer.ravel()), np.sort(ref.ravel()), rtol=ex.rtol, atol=ex.atol):
        return "the right numbers, in the wrong order"
    return "not within tolerance"


def check_exercise(exercise_id: str, answer) -> bool:
    """Check a student's ``answer`` to exercise ``exercise_id`` and print a verdict.

    Parameters
    ----------
    exercise_id : str
        The exercise's id as printed in the book, e.g. ``"02.2"``.
    answer : float, int, bool or array_like, or None
        ``None`` means "not answered yet".

    Returns
    -------
    bool
        True when the answer is correct. Never raises on a bad answer: it prints why instead.
    """
    _load_chapters()
    ex = _REGISTRY.get(str(exercise_id))
    if ex is None:
        print(f"There is no automatic check called {exercise_id!r}. Known checks: {', '.join(sorted(_REGISTRY))}")
        return False
    if answer is None:
        print(f"Exercise {exercise_id}: not answered yet. Replace None with your answer and run the cell again.")
        return False
    ref = ex.compute_answer()
    if isinstance(ref, (bool, np.bool_)):
        if not isinstance(answer, (bool, np.bool_)):
            print(f"Exercise {exercise_id}: please answer True or False (got {type(answer).__name__}).")
            return False
        ok = bool(answer) == bool(ref)
        print(f"Exercise {exercise_id}: " + ("correct." if ok else "not quite. " + (ex.hint or "Think again.")))
        return ok
    try:
        a = np.asarray(answer, dtype=float)
    except (TypeError, ValueError):
        print(f"Exercise {exercise_id}: your answer must be a number or an array of numbers "
              f"(got {type(answer).__name__}).")
        return False
    r = np.asarray(ref, dtype=float)
    if a.shape != r.shape and a.size == r.size == 1:
        a = a.reshape(r.shape)
    if not np.all(np.isfinite(a)):
        print(f"Exercise {exercise_id}: your answer contains NaN or infinite values.")
        return False
    ok = a.shape == r.shape and bool(np.all(np.abs(a - r) <= ex.atol + ex.rtol * np.abs(r)))
    if ok:
        print(f"Exercise {exercise_id}: correct (within rtol={ex.rtol:g}, atol={ex.atol:g}).")
    else:
        msg = f"Exercise {exercise_id}: not quite: {_diagnose(a, r, ex)}."
        if ex.hint:
            msg += f" Hint: {ex.hint}"
        print(msg)
    return ok
