"""Tests of utils.course.checks: every registered exercise accepts its reference, rejects wrong answers with
useful feedback, and never prints the reference value.

That the references themselves are right is tested in tests/test_exercise_references.py, against values
obtained without the code the references use."""

from __future__ import annotations

import re

import numpy as np
import pytest

from utils.course import checks
from utils.course.checks import Exercise, check_exercise, register, registered_exercises

EXERCISES = registered_exercises()
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def _reference(exercise_id):
    return checks._reference(checks._REGISTRY[exercise_id])


def _perturbed(ref):
    """A wrong answer of the same type and shape as ``ref``."""
    if np.asarray(ref).dtype.kind == "b":
        return np.logical_not(ref) if np.ndim(ref) else not ref
    r = np.asarray(ref, dtype=float)
    wrong = r * 1.37 + 0.731  # not a sign flip, nor a simple factor, nor a permutation
    return float(wrong) if r.ndim == 0 else wrong


def _leaks(text: str, ref) -> list[str]:
    """Numbers in ``text`` that equal an entry of ``ref`` to 4 significant digits.

    Single-digit integers are not tested: digits like 2 or 3 appear legitimately in shapes and hints.
    """
    if np.asarray(ref).dtype.kind == "b":
        return [w for w in ("True", "False") if np.ndim(ref) == 0 and w == str(bool(ref)) and w in text]
    values = {f"{v:.4g}" for v in np.asarray(ref, dtype=float).ravel()}
    values = {v for v in values if not re.fullmatch(r"-?\d", v)}
    return [token for token in _NUMBER.findall(text) if f"{float(token):.4g}" in values]


def _verdict_text(capsys, exercise_id, answer) -> tuple[bool, str]:
    ok = bool(check_exercise(exercise_id, answer))
    text = capsys.readouterr().out
    return ok, text.replace(f"Exercise {exercise_id}", "")


def test_the_book_has_registered_exercises_in_book_order():
    assert EXERCISES, "no exercise is registered"
    keys = [tuple(int(p) for p in i.split(".")) for i in EXERCISES]
    assert keys == sorted(keys)


@pytest.mark.parametrize("exercise_id", EXERCISES)
def test_reference_answer_passes(exercise_id, capsys):
    assert check_exercise(exercise_id, _reference(exercise_id))
    assert "correct" in capsys.readouterr().out


@pytest.mark.parametrize("exercise_id", EXERCISES)
def test_every_exercise_has_a_hint_that_does_not_reveal_the_answer(exercise_id):
    ex = checks._REGISTRY[exercise_id]
    assert ex.hint.strip(), f"{exercise_id} has no hint"
    assert not _leaks(ex.hint, _reference(exercise_id))


@pytest.mark.parametrize("exercise_id", EXERCISES)
def test_perturbed_answer_fails_with_the_hint_and_without_the_answer(exercise_id, capsys):
    ref = _reference(exercise_id)
    ok, text = _verdict_text(capsys, exercise_id, _perturbed(ref))
    assert not ok
    assert "not quite" in text and checks._REGISTRY[exercise_id].hint in text
    assert not _leaks(text, ref), text


@pytest.mark.parametrize("exercise_id", EXERCISES)
def test_none_prints_not_answered_yet(exercise_id, capsys):
    ok, text = _verdict_text(capsys, exercise_id, None)
    assert not ok and "not answered yet" in text


@pytest.mark.parametrize("exercise_id", EXERCISES)
@pytest.mark.parametrize("bad", ["0.5", {"a": 1}, ["x", "y"], lambda: 1], ids=["str", "dict", "list-of-str", "function"])
def test_bad_types_print_a_friendly_message_without_the_answer(exercise_id, bad, capsys):
    ok, text = _verdict_text(capsys, exercise_id, bad)
    assert not ok
    assert "Traceback" not in text and ("True or False" in text or "number" in text)
    assert not _leaks(text, _reference(exercise_id))


# ------------------------------------------------------------------ diagnostics, on throw-away exercises
@pytest.fixture
def toy(monkeypatch):
    """Register throw-away exercises '99.N' for the duration of one test."""

    def make(number, value, rtol=1e-6, atol=1e-9, hint="think about it"):
        ex_id = f"99.{number}"
        monkeypatch.setitem(checks._REGISTRY, ex_id, Exercise(ex_id, lambda: value, rtol, atol, hint))
        return ex_id

    return make


def _says(capsys, ex_id, answer) -> str:
    assert not check_exercise(ex_id, answer)
    return capsys.readouterr().out


def test_sign_flip_is_diagnosed(toy, capsys):
    ex = toy(1, np.array([1.5, -2.25, 3.0]))
    assert "sign" in _says(capsys, ex, [-1.5, 2.25, -3.0])


@pytest.mark.parametrize("factor", [2.0, 0.5, 0.25, 1.5])
def test_simple_factor_on_a_scalar_is_diagnosed(toy, capsys, factor):
    ex = toy(1, 2.7182818)
    assert "constant factor" in _says(capsys, ex, factor * 2.7182818)


def test_any_constant_factor_on_an_array_is_diagnosed_but_not_an_arbitrary_scalar(toy, capsys):
    arr, scalar = toy(1, np.array([1.0, 2.0, 4.0])), toy(2, 2.7182818)
    assert "constant factor" in _says(capsys, arr, 1.37 * np.array([1.0, 2.0, 4.0]))
    assert "constant factor" not in _says(capsys, scalar, 1.37 * 2.7182818)


def test_wrong_order_is_diagnosed(toy, capsys):
    ex = toy(1, np.array([1.0, 2.0, 4.0]))
    assert "wrong order" in _says(capsys, ex, [4.0, 1.0, 2.0])


def test_wrong_shape_and_transpose_are_diagnosed(toy, capsys):
    ex = toy(1, np.arange(6.0).reshape(2, 3))
    assert "shape (2, 3) is expected" in _says(capsys, ex, np.arange(6.0))
    assert "transposed" in _says(capsys, ex, np.arange(6.0).reshape(2, 3).T)


def test_rounded_answer_is_reported_close_but_outside_tolerance(toy, capsys):
    ex = toy(1, 2.7182818)
    assert "close" in _says(capsys, ex, 2.718)


def test_wrong_count_is_not_called_close(toy, capsys):
    ex = toy(1, 18, rtol=0.0, atol=0.5)
    assert check_exercise(ex, 18) and check_exercise(ex, 18.0)
    assert "close" not in _says(capsys, ex, 19)


def test_nan_and_complex_and_bool_answers_are_rejected_with_a_message(toy, capsys):
    ex = toy(1, 2.7182818)
    assert "NaN" in _says(capsys, ex, np.nan)
    assert "complex" in _says(capsys, ex, 2.7182818 + 0j)
    assert "True/False" in _says(capsys, ex, True)


def test_scalar_answer_may_be_a_one_element_array(toy, capsys):
    ex = toy(1, 2.5)
    assert check_exercise(ex, np.array([2.5])) and check_exercise(ex, [[2.5]])
    assert check_exercise(ex, 2.5 + 1e-7 * 2.5 * 0.5)


def test_boolean_exercise_accepts_only_booleans(toy, capsys):
    ex = toy(1, True)
    assert check_exercise(ex, True) and check_exercise(ex, np.bool_(True))
    assert "True or False" in _says(capsys, ex, 1)
    text = _says(capsys, ex, False)
    assert "not quite" in text and "think about it" in text


def test_boolean_array_exercise_needs_the_same_booleans(toy, capsys):
    ex = toy(1, np.array([True, False, True]))
    assert check_exercise(ex, [True, False, True])
    assert "not quite" in _says(capsys, ex, [True, True, True])
    assert "shape" in _says(capsys, ex, [True, False])
    assert "True or False" in _says(capsys, ex, [1.0, 0.0, 1.0])


def test_unknown_exercise_lists_the_known_ones(capsys):
    assert not check_exercise("99.99", 1.0)
    assert "no automatic check" in capsys.readouterr().out


def test_check_result_is_a_boolean_that_displays_nothing_in_a_notebook(toy, capsys):
    ex = toy(1, 1.0)
    result = check_exercise(ex, 1.0)
    assert result and result.correct and result.exercise_id == ex and "correct" in result.message
    assert result._ipython_display_() is None
    assert not check_exercise(ex, 2.0)


def test_reference_is_computed_once_per_session(monkeypatch, capsys):
    calls = []

    def compute():
        calls.append(1)
        return 1.0

    monkeypatch.setitem(checks._REGISTRY, "99.1", Exercise("99.1", compute))
    for _ in range(3):
        check_exercise("99.1", 1.0)
    assert len(calls) == 1


@pytest.mark.parametrize(
    "args, error",
    [(("2.1", lambda: 1.0), ValueError), (("02.x", lambda: 1.0), ValueError), (("02.1", 1.0), TypeError)],
)
def test_register_rejects_bad_ids_and_non_callables(args, error):
    with pytest.raises(error):
        register(*args)


def test_register_rejects_negative_tolerances_and_duplicates():
    with pytest.raises(ValueError, match="non-negative"):
        register("99.7", lambda: 1.0, rtol=-1.0)
    with pytest.raises(ValueError, match="twice"):
        register(EXERCISES[0], lambda: 1.0)
