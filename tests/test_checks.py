"""Tests of utils.course.checks: every registered exercise accepts its reference, rejects wrong answers with
useful feedback, and never prints the reference value.

That the references themselves are right is tested in tests/test_exercise_references.py, against values
obtained without the code the references use."""

from __future__ import annotations

import re

import numpy as np
import pytest

from utils.course import checks
from utils.course.check_messages import KINDS, resolve_kind
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


@pytest.mark.parametrize("exercise_id", EXERCISES)
def test_every_exercise_declares_the_kind_and_unit_of_its_answer(exercise_id):
    ex = checks._REGISTRY[exercise_id]
    assert ex.kind in KINDS, f"{exercise_id}: register it with an explicit kind"
    assert resolve_kind(ex.kind, _reference(exercise_id)) == ex.kind
    assert ex.unit.strip(), f"{exercise_id}: say what the answer measures and on which scale"
    assert not _leaks(ex.unit, _reference(exercise_id))


@pytest.mark.parametrize("exercise_id", EXERCISES)
def test_wrong_answer_says_what_kind_of_answer_is_expected(exercise_id, capsys):
    ex = checks._REGISTRY[exercise_id]
    for wrong in (_perturbed(_reference(exercise_id)), "a string"):
        ok, text = _verdict_text(capsys, exercise_id, wrong)
        assert not ok and f"Expected: {ex.unit}." in text


@pytest.mark.parametrize("exercise_id", EXERCISES)
def test_hints_point_at_the_idea_without_a_formula(exercise_id):
    hint = checks._REGISTRY[exercise_id].hint
    assert "=" not in hint and "^" not in hint, f"{exercise_id}: the hint hands over a formula: {hint}"
    if checks._REGISTRY[exercise_id].kind == "count":
        assert not re.search(r"L ?/ ?2|2 ?/ ?L|power|normalis", hint)


@pytest.mark.parametrize("exercise_id", [e for e in EXERCISES if checks._REGISTRY[e].kind == "count"])
def test_registered_counts_accept_only_the_exact_whole_number(exercise_id, capsys):
    ref = int(_reference(exercise_id))
    assert check_exercise(exercise_id, ref) and check_exercise(exercise_id, float(ref))
    for near_miss in (ref + 0.49, ref - 0.2, ref + 1e-9):
        ok, text = _verdict_text(capsys, exercise_id, near_miss)
        assert not ok and "whole number" in text and not _leaks(text, ref)
    ok, text = _verdict_text(capsys, exercise_id, ref + 1)
    assert not ok and "off by one" in text and "normalisation" not in text and "L/2" not in text


def test_percent_answer_to_the_relative_gap_exercise_is_recognised(capsys):
    fractions = [e for e in EXERCISES if checks._REGISTRY[e].kind == "fraction"]
    assert fractions, "the book has a relative gap to check"
    for exercise_id in fractions:
        ok, text = _verdict_text(capsys, exercise_id, 100 * _reference(exercise_id))
        assert not ok and "this looks like a percentage; give a fraction" in text


# ------------------------------------------------------------------ diagnostics, on throw-away exercises
@pytest.fixture
def toy(monkeypatch):
    """Register throw-away exercises '99.N' for the duration of one test."""

    def make(number, value, rtol=1e-6, atol=1e-9, hint="think about it", kind="auto", unit=""):
        ex_id = f"99.{number}"
        monkeypatch.setitem(checks._REGISTRY, ex_id, Exercise(ex_id, lambda: value, rtol, atol, hint, kind, unit))
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
    assert "2 x 3 matrix, shape (2, 3), is expected" in _says(capsys, ex, np.arange(6.0))
    assert "transposed" in _says(capsys, ex, np.arange(6.0).reshape(2, 3).T)
    vector = toy(2, np.arange(4.0))
    assert "a vector of 4 numbers, shape (4,), is expected" in _says(capsys, vector, np.arange(5.0))


def test_rounded_answer_is_reported_close_but_outside_tolerance(toy, capsys):
    ex = toy(1, 2.7182818)
    assert "close" in _says(capsys, ex, 2.718)


def test_wrong_count_is_not_called_close(toy, capsys):
    ex = toy(1, 18, rtol=0.0, atol=0.5)
    assert check_exercise(ex, 18) and check_exercise(ex, 18.0)
    assert "close" not in _says(capsys, ex, 19)


def test_percent_answer_is_recognised(toy, capsys):
    fraction, percent = toy(1, 0.1234, kind="fraction"), toy(2, 12.34, kind="percent")
    assert check_exercise(fraction, 0.1234) and check_exercise(percent, 12.34)
    assert "this looks like a percentage; give a fraction" in _says(capsys, fraction, 12.34)
    assert "this looks like a percentage; give a fraction" in _says(capsys, fraction, 12.3)  # a rounded percentage
    assert "this looks like a fraction; give a percentage" in _says(capsys, percent, 0.1234)
    assert "percentage" not in _says(capsys, fraction, 0.5)


def test_a_hundredfold_plain_value_is_not_called_a_percentage(toy, capsys):
    ex = toy(1, 0.1234, kind="value")
    assert "percentage" not in _says(capsys, ex, 12.34)


def test_count_answers_must_be_exact_integers(toy, capsys):
    ex = toy(1, 9, kind="count", unit="a number of cells")
    assert check_exercise(ex, 9) and check_exercise(ex, 9.0) and check_exercise(ex, np.int64(9))
    assert check_exercise(ex, np.array([9.0]))
    for near_miss in (9.49, 8.51, 9.000001):
        text = _says(capsys, ex, near_miss)
        assert "whole number is expected" in text and "Expected: a number of cells." in text


def test_count_reference_given_as_a_float_is_still_exact(toy, capsys):
    ex = toy(1, 4.0, kind="count")
    assert check_exercise(ex, 4) and check_exercise(ex, 4.0)
    assert "whole number" in _says(capsys, ex, 4.000001)


def test_count_mistakes_get_count_advice_not_normalisation_advice(toy, capsys):
    ex = toy(1, 18, kind="count")
    off_by_one, double, negative = _says(capsys, ex, 17), _says(capsys, ex, 36), _says(capsys, ex, -18)
    assert "off by one" in off_by_one
    assert "counted exactly once" in double and "?" not in double
    assert "never negative" in negative
    for text in (off_by_one, double, negative):
        assert not re.search(r"normalisation|L/2|2/L|constant factor|close", text), text


def test_matrix_answers_are_checked_shape_first_then_values(toy, capsys):
    ref = np.array([[1.5, -2.0, 0.25], [3.0, 0.5, -1.0]])
    ex = toy(1, ref, kind="matrix")
    wrong_shape_and_values = _says(capsys, ex, np.full((3, 3), 7.0))
    assert "(3, 3)" in wrong_shape_and_values and "2 x 3 matrix" in wrong_shape_and_values
    assert "entries" not in wrong_shape_and_values and "tolerance" not in wrong_shape_and_values
    one_wrong = ref.copy()
    one_wrong[1, 2] = 4.0
    text = _says(capsys, ex, one_wrong)
    assert "the shape is right, but 1 of 6 entries are not within tolerance" in text


def test_kinds_are_inferred_from_the_reference_and_must_fit_it():
    assert [resolve_kind("auto", r) for r in (True, 3, 2.5, [1.0, 2.0], np.eye(2))] == \
        ["boolean", "count", "value", "vector", "matrix"]
    for kind, ref in [("count", 2.5), ("matrix", [1.0, 2.0]), ("vector", 1.0), ("value", [1.0]),
                      ("boolean", 1.0), ("fraction", np.eye(2))]:
        with pytest.raises(ValueError, match="kind"):
            resolve_kind(kind, ref)
    with pytest.raises(ValueError, match="one of"):
        resolve_kind("integer", 3)


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


def test_register_rejects_negative_tolerances_unknown_kinds_and_duplicates():
    with pytest.raises(ValueError, match="non-negative"):
        register("99.7", lambda: 1.0, rtol=-1.0)
    with pytest.raises(ValueError, match="kind"):
        register("99.7", lambda: 1.0, kind="integer")
    with pytest.raises(ValueError, match="twice"):
        register(EXERCISES[0], lambda: 1.0)
