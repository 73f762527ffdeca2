"""Automatic checks for the computational exercises of the book.

Each chapter registers its exercises in a module ``utils/course/checks/chNN.py`` with :func:`register`;
a chapter's module is imported when one of its exercises is first checked (``registered_exercises`` imports all).
A student calls ``check_exercise("02.2", answer)``: the reference answer is *computed* (never stored),
compared within the stated tolerance (whole numbers exactly), and a verdict is printed. A wrong answer gets a
diagnosis for the kind of answer expected (wrong type, wrong shape, flipped sign, off by a constant factor, a
percentage instead of a fraction, an off-by-one count, right numbers in the wrong order, close but outside the
tolerance; see :mod:`utils.course.check_messages`), what the answer measures, and the exercise's hint; the
reference value itself is never printed.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass

from ..check_messages import KINDS, resolve_kind, verdict

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
        A hint printed on any wrong answer: it points at the idea, never at the answer or its formula.
    kind : str
        The kind of answer expected, one of ``"value"``, ``"fraction"``, ``"percent"``, ``"count"`` (a whole number,
        compared exactly; the tolerances are not used), ``"vector"``, ``"matrix"``, ``"boolean"``, or ``"auto"``
        (from the type and shape of the reference).
    unit : str
        What the answer measures and on which scale (printed with a wrong answer), e.g. ``"a ratio P / D of two
        optimal values (a plain number, not a percentage)"``.
    """

    exercise_id: str
    compute_answer: Callable[[], object]
    rtol: float = 1e-6
    atol: float = 1e-9
    hint: str = ""
    kind: str = "auto"
    unit: str = ""


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
             atol: float = 1e-9, hint: str = "", kind: str = "auto", unit: str = "") -> Callable[[], object]:
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
        Printed on a wrong answer; it points at the idea and must not give the answer or its formula away.
    kind : str
        The kind of answer expected (see :class:`Exercise`); ``"auto"`` takes it from the reference.
    unit : str
        What the answer measures and on which scale (see :class:`Exercise`).

    Raises
    ------
    ValueError
        For a malformed id, negative tolerances, an unknown kind or an id registered twice.
    TypeError
        If ``compute_answer`` is not callable.
    """
    if not isinstance(exercise_id, str) or not _ID_PATTERN.fullmatch(exercise_id):
        raise ValueError(f"exercise id must look like '02.2' (two-digit chapter, number), got {exercise_id!r}")
    if not callable(compute_answer):
        raise TypeError(f"compute_answer of {exercise_id} must be a function with no arguments")
    if not (rtol >= 0 and atol >= 0):
        raise ValueError(f"tolerances of {exercise_id} must be non-negative, got rtol={rtol}, atol={atol}")
    if kind != "auto" and kind not in KINDS:
        raise ValueError(f"kind of {exercise_id} must be one of {KINDS} or 'auto', got {kind!r}")
    if exercise_id in _REGISTRY:
        raise ValueError(f"exercise {exercise_id!r} is registered twice")
    _REGISTRY[exercise_id] = Exercise(exercise_id, compute_answer, float(rtol), float(atol), str(hint), kind,
                                      str(unit))
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
    """The reference answer of ``ex``, computed once per session and checked against the exercise's kind."""
    cached = _REFERENCES.get(ex.exercise_id)
    if cached is None or cached[0] is not ex:
        ref = ex.compute_answer()
        resolve_kind(ex.kind, ref)  # a reference that does not fit its kind is a bug of the book
        cached = (ex, ref)
        _REFERENCES[ex.exercise_id] = cached
    return cached[1]


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
        ok, msg = verdict(ex, _reference(ex), answer)
    print(msg)
    return CheckResult(exercise_id, ok, msg)
