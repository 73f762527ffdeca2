"""Mutation testing: the tests must fail when the mathematics in ``utils`` is wrong.

Every mutant of ``tests/mutants.py`` (a lost factor, a wrong exponent, an index off by one, a dropped
constraint, ...) is applied to a temporary copy of ``utils`` and ``tests``, never to the repository, and the
fast tests it lists must then fail. A subprocess runs them with pytest, importing ``utils`` from the copy
(checked). The fast tests below keep the list in sync with the code: each snippet must occur exactly once.
Score and timings: ``benchmarks/mutation.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from mutants import (
    MUTANTS,
    ROOT,
    Mutant,
    MutantOutOfSync,
    apply_mutant,
    copy_project,
    run_mutant,
    run_tests,
)

_IDS = [m.name for m in MUTANTS]


def _tail(output: str, lines: int = 25) -> str:
    return "\n".join(output.splitlines()[-lines:])


def _imported_from(run, folder: Path) -> bool:
    return bool(run.utils_file) and Path(run.utils_file).resolve().is_relative_to(folder.resolve())


# ---------------------------------------------------------------------------------------------- the list itself
def test_mutants_have_unique_names_and_cover_the_issue():
    assert len(set(_IDS)) == len(_IDS)
    files = {m.path for m in MUTANTS}
    for required in ("utils/linear/spectra.py", "utils/linear/scale_form.py", "utils/linear/low_rank.py",
                     "utils/relu/two_layer.py", "utils/relu/rank_one.py", "utils/relu/parallel_three_layer.py",
                     "utils/course/checks/ch02.py", "utils/course/checks/ch03.py", "utils/course/checks/ch07.py"):
        assert required in files, f"no mutant of {required}"


@pytest.mark.parametrize("mutant", MUTANTS, ids=_IDS)
def test_mutant_snippet_occurs_exactly_once_in_the_current_code(mutant, tmp_path):
    assert mutant.path.startswith("utils/") and mutant.original != mutant.replacement
    assert mutant.tests and all(t.startswith("tests/test_") for t in mutant.tests)
    for test in mutant.tests:
        assert (ROOT / test.split("::")[0]).is_file(), f"{mutant.name}: no test file {test}"
    target = tmp_path / mutant.path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text((ROOT / mutant.path).read_text())
    apply_mutant(mutant, tmp_path)  # raises MutantOutOfSync unless exactly once
    assert target.read_text() != (ROOT / mutant.path).read_text()


def test_a_snippet_that_is_missing_or_repeated_is_refused(tmp_path):
    (tmp_path / "utils").mkdir()
    (tmp_path / "utils" / "m.py").write_text("x = 1\nx = 1\n")
    for original in ("y = 2", "x = 1"):  # 0 and 2 occurrences
        mutant = Mutant("m", "utils/m.py", original, "x = 3", ("tests/test_x.py",), "")
        with pytest.raises(MutantOutOfSync, match="update tests/mutants.py"):
            apply_mutant(mutant, tmp_path)
    assert (tmp_path / "utils" / "m.py").read_text() == "x = 1\nx = 1\n"


# ---------------------------------------------------------------------------------------------- the runs
@pytest.mark.slow
def test_mutants_tests_pass_on_an_unmutated_copy_that_is_the_one_imported(tmp_path):
    # so that a mutant's failing tests fail because of the mutation, not because of the copy
    root = copy_project(tmp_path)
    run = run_tests(root, sorted({t for m in MUTANTS for t in m.tests}))
    assert _imported_from(run, root), f"utils was imported from {run.utils_file!r}, not from the copy {root}"
    assert run.exit_code == 0 and run.failed == 0 and run.collection_errors == 0, _tail(run.output)


@pytest.mark.slow
@pytest.mark.parametrize("mutant", MUTANTS, ids=_IDS)
def test_mutant_is_killed_by_its_tests(mutant, tmp_path):
    run = run_mutant(mutant, tmp_path)
    assert _imported_from(run, tmp_path), f"utils was imported from {run.utils_file!r}, not from {tmp_path}"
    assert (ROOT / mutant.path).read_text().count(mutant.original) == 1, "the repository was left untouched"
    assert run.killed, (
        f"mutant {mutant.name} SURVIVED ({mutant.description}): pytest exit code {run.exit_code}, "
        f"{run.failed} failed tests, {run.collection_errors} collection errors, for {' '.join(mutant.tests)}\n"
        + _tail(run.output)
    )
