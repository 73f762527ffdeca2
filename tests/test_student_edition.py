"""Tests of utils.course.student_edition: the student edition of every chapter has no solutions, keeps every
exercise and check, is written in plain Jupyter Markdown (no MyST left), and runs top to bottom with empty
answers; the instructor edition passes its checks."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from utils.course import student_edition
from utils.course.checks import _REGISTRY, check_exercise, registered_exercises
from utils.course.plain_index import read_book_index
from utils.course.plain_notebook import make_plain_notebook
from utils.course.student_edition import write_student_edition
from utils.course.student_notebook import answer_names, make_student_notebook
from utils.course.toc import toc_notebooks

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = [p for p in toc_notebooks(ROOT) if p.exists()]
CELL_TIMEOUT_S = 300  # per cell; the book build allows 180 s on a free machine
_CHECK_CALL = re.compile(r"check_exercise\(\s*[\"']([0-9.]+)[\"']\s*,\s*(\w+)\s*\)")
_ANSWER_LINE = re.compile(r"answer_\w+ = None  # your answer here")
_PLAIN_EXERCISE = re.compile(r"<blockquote>\n\n\*\*Exercise \d+\*\*.*?\n\n</blockquote>", re.S)
_MYST_LEFT = re.compile(r"\{prf:|\{cite|\{(?:ref|doc|numref|eq)\}`|^\s*(?:`{3,}|:{3,})\s*\{|^\s*:label:", re.M)


def _tags(cell) -> list[str]:
    return list(cell.metadata.get("tags", []))


def _fenced_blocks(md: str, name: str) -> list[str]:
    """Every ``{name}`` directive block (fence to matching closing fence) in markdown ``md``."""
    blocks, lines, i = [], md.splitlines(), 0
    while i < len(lines):
        m = re.match(rf"^\s*(`{{3,}}|:{{3,}})\s*\{{{name}\}}", lines[i])
        if not m:
            i += 1
            continue
        fence, j = m.group(1), i + 1
        while j < len(lines) and not (lines[j].strip() and set(lines[j].strip()) == {fence[0]}
                                      and len(lines[j].strip()) >= len(fence)):
            j += 1
        blocks.append("\n".join(lines[i:j + 1]))
        i = j + 1
    return blocks


def _markdown(nb) -> str:
    return "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")


def _check_calls(nb) -> list[tuple[str, str]]:
    return [m for c in nb.cells if c.cell_type == "code" for m in _CHECK_CALL.findall(c.source)]


# ------------------------------------------------------------------------ the generated edition (static)
@pytest.fixture(scope="module")
def edition(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("student") / "edition"
    written = write_student_edition(out, ROOT, log=lambda _msg: None)
    assert [p.name for p in written] == [p.name for p in NOTEBOOKS]
    return out


def _pair(edition: Path, path: Path):
    return nbformat.read(path, as_version=4), nbformat.read(edition / path.name, as_version=4)


@pytest.fixture(scope="module")
def index():
    return read_book_index(ROOT)


def _plain_instructor(index, path: Path):
    """The instructor notebook in plain Markdown, as the student edition writes its markdown."""
    docname = path.relative_to(ROOT).with_suffix("").as_posix()
    return make_plain_notebook(nbformat.read(path, as_version=4), index, docname, note=False)


def test_every_notebook_of_the_toc_gets_a_student_edition_with_the_utils_package(edition):
    assert NOTEBOOKS, "no chapter notebook exists"
    for path in NOTEBOOKS:
        assert (edition / path.name).is_file()
    assert (edition / "utils" / "course" / "checks" / "__init__.py").is_file()
    assert not list((edition / "utils").rglob("__pycache__"))
    assert (edition / "requirements.txt").is_file() and (edition / "README.md").is_file()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_student_edition_has_no_solution_cells_or_text_and_no_outputs(edition, path):
    _, student = _pair(edition, path)
    nbformat.validate(student)
    for cell in student.cells:
        assert "solution" not in _tags(cell)
        assert "{solution" not in cell.source and "solution-start" not in cell.source
        assert "solution-end" not in cell.source
        assert "Solution to Exercise" not in cell.source, "a solution's plain-Markdown heading is left"
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_student_edition_keeps_every_exercise_as_plain_markdown_and_every_check_call(edition, index, path):
    instructor, student = _pair(edition, path)
    n_exercises = sum(len(_fenced_blocks(_markdown(instructor), name)) for name in ["exercise", "exercise-start"])
    exercises = _PLAIN_EXERCISE.findall(_markdown(student))
    assert len(exercises) == n_exercises
    assert exercises == _PLAIN_EXERCISE.findall(_markdown(_plain_instructor(index, path)))
    assert _check_calls(student) == _check_calls(instructor)
    assert [c.source for c in student.cells if "check" in _tags(c)] == \
           [c.source for c in instructor.cells if "check" in _tags(c)]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_student_edition_keeps_all_other_code_verbatim(edition, index, path):
    instructor, student = _pair(edition, path)
    kept = [c.source for c in instructor.cells if c.cell_type == "code" and "solution" not in _tags(c)]
    assert [c.source for c in student.cells if c.cell_type == "code" and "answer" not in _tags(c)] == kept
    assert student.cells[0].source == _plain_instructor(index, path).cells[0].source  # title, then the Colab cell
    assert student.cells[1].source == instructor.cells[1].source
    assert [c.metadata.get("tags") for c in student.cells if c.cell_type == "code" and "answer" not in _tags(c)] \
        == [c.metadata.get("tags") for c in instructor.cells if c.cell_type == "code" and "solution" not in _tags(c)]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_student_edition_markdown_has_no_myst_left(edition, path):
    _, student = _pair(edition, path)
    for cell in student.cells:
        if cell.cell_type == "markdown":
            assert not _MYST_LEFT.search(cell.source), cell.source[:300]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_answer_cells_set_every_solution_answer_to_none_before_its_check(edition, path):
    instructor, student = _pair(edition, path)
    solution_names = [n for c in instructor.cells if "solution" in _tags(c) for n in answer_names(c.source)]
    answer_cells = [c for c in student.cells if "answer" in _tags(c)]
    for cell in answer_cells:
        lines = cell.source.splitlines()
        assert lines == ["# your work here"] or all(_ANSWER_LINE.fullmatch(ln) for ln in lines), cell.source
    assert [n for c in answer_cells for n in answer_names(c.source)] == solution_names
    defined: set[str] = set()
    for cell in student.cells:
        if "answer" in _tags(cell):
            defined |= set(answer_names(cell.source))
        for _, variable in _CHECK_CALL.findall(cell.source) if cell.cell_type == "code" else []:
            assert variable in defined, f"{variable} is checked before an answer cell defines it"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_instructor_check_cells_check_a_registered_exercise_answered_in_a_solution_cell(path):
    nb = nbformat.read(path, as_version=4)
    assigned: set[str] = set()
    for cell in nb.cells:
        if "solution" in _tags(cell):
            assigned |= set(answer_names(cell.source))
        if cell.cell_type == "code":
            for ex_id, variable in _CHECK_CALL.findall(cell.source):
                assert ex_id in registered_exercises(), f"{ex_id} is not registered"
                assert variable in assigned, f"{variable} is not assigned in a solution cell before its check"
                assert "check" in _tags(cell), "a check_exercise cell must be tagged 'check'"


@pytest.mark.parametrize("exercise_id", registered_exercises())
def test_instructor_edition_reference_answers_pass_their_checks(exercise_id, capsys):
    assert check_exercise(exercise_id, _REGISTRY[exercise_id].compute_answer())
    assert "correct" in capsys.readouterr().out


# ------------------------------------------------------------------- executing the student edition
@pytest.fixture(scope="module")
def executed(edition):
    """Execute each student notebook once, on first request, sequentially; cache outputs or the error."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError

    cache: dict[str, object] = {}

    def run(name: str):
        if name not in cache:
            nb = nbformat.read(edition / name, as_version=4)
            client = NotebookClient(nb, timeout=CELL_TIMEOUT_S, kernel_name="python3",
                                    resources={"metadata": {"path": str(edition)}})
            try:
                client.execute()
                cache[name] = nb
            except (CellExecutionError, CellTimeoutError) as exc:
                cache[name] = exc
        result = cache[name]
        if isinstance(result, Exception):
            pytest.fail(f"the student edition of {name} does not run: {str(result)[-3000:]}", pytrace=False)
        return result

    return run


def _stdout(cell) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream")


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_student_edition_runs_top_to_bottom_and_checks_say_not_answered_yet(executed, path):
    nb = executed(path.name)
    checks = [c for c in nb.cells if "check" in _tags(c)]
    for cell in checks:
        text = _stdout(cell)
        assert "not answered yet" in text, f"{path.name}: check cell printed {text!r}"
        assert not [o for o in cell.outputs if o.get("output_type") == "execute_result"], \
            "a check cell should display nothing but its verdict"


@pytest.mark.book
def test_built_book_check_cells_print_correct(built_book):
    executed_dir = built_book.parent / "jupyter_execute"
    found = 0
    for path in NOTEBOOKS:
        out = next(executed_dir.rglob(path.name), None)
        assert out is not None, f"{path.name} was not executed by the build (looked in {executed_dir})"
        for cell in nbformat.read(out, as_version=4).cells:
            if "check" in _tags(cell):
                found += 1
                assert "correct (within" in _stdout(cell) or ": correct." in _stdout(cell), \
                    f"{path.name}: {cell.source!r} printed {_stdout(cell)!r}"
    assert found == sum(len(_check_calls(nbformat.read(p, as_version=4))) for p in NOTEBOOKS)


# ------------------------------------------------------------------- make_student_notebook on small cases
def _nb(*cells):
    nb = new_notebook(cells=list(cells))
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def _solution(source):
    return new_code_cell(source, metadata={"tags": ["solution"]})


def _check(ex_id, name):
    return new_code_cell(f'check_exercise("{ex_id}", {name})', metadata={"tags": ["check"]})


TITLE, COLAB = new_markdown_cell("# Title"), new_code_cell("import sys", metadata={"tags": ["remove-cell"]})


def _sources(nb):
    return [(c.cell_type, c.source) for c in nb.cells if "student-edition-note" != c.get("id")]


def test_gated_solution_becomes_one_answer_cell_before_the_kept_check():
    nb = _nb(TITLE, COLAB,
             new_markdown_cell("```{exercise} Compute (01.2)\n:label: ex-01-2\n\nDo it.\n```"),
             new_markdown_cell("```{solution-start} ex-01-2\n:class: dropdown\n```\nSolution text."),
             _solution("answer_01_2 = 3.0\nextra = 1\n%time x = 2"),
             new_markdown_cell("More solution text."),
             _solution("answer_01_2b, (answer_01_2c, y) = 1, (2, 3)\nanswer_01_2 += 1"),
             new_markdown_cell("```{solution-end}\n```\nAfter the solution."),
             _check("01.2", "answer_01_2"))
    student = make_student_notebook(nb, banner=False)
    assert _sources(student) == [
        ("markdown", "# Title"), ("code", "import sys"),
        ("markdown", "```{exercise} Compute (01.2)\n:label: ex-01-2\n\nDo it.\n```"),
        ("code", "answer_01_2 = None  # your answer here\nanswer_01_2b = None  # your answer here\n"
                 "answer_01_2c = None  # your answer here"),
        ("markdown", "After the solution."),
        ("code", 'check_exercise("01.2", answer_01_2)'),
    ]
    assert student.cells[3].metadata["tags"] == ["answer"]
    assert nb.cells[4].metadata["tags"] == ["solution"] and len(nb.cells) == 9  # input untouched


def test_solution_dropdowns_with_any_fence_are_removed_and_inner_fences_do_not_end_them():
    md = ("```{exercise} Derive (01.1)\n:label: ex-01-1\n\nShow it.\n```\n\n"
          "````{solution} ex-01-1\n:class: dropdown\n\n```python\nx = 1\n```\nso it holds.\n````\n\n"
          ":::{solution} ex-01-3\n:class: dropdown\ncolon text\n:::\nKept text.")
    student = make_student_notebook(_nb(TITLE, COLAB, new_markdown_cell(md)), banner=False)
    text = student.cells[2].source
    assert "{solution" not in text and "so it holds" not in text and "colon text" not in text
    assert text.startswith("```{exercise} Derive (01.1)") and text.endswith("```\n\nKept text.")


def test_untagged_code_inside_a_gated_solution_is_removed_but_check_cells_are_kept():
    nb = _nb(TITLE, COLAB, new_markdown_cell("```{solution-start} ex-01-1\n:class: dropdown\n```"),
             new_code_cell("answer_01_1 = 2"), _check("01.1", "answer_01_1"),
             new_markdown_cell("```{solution-end}\n```"))
    student = make_student_notebook(nb, banner=False)
    assert _sources(student)[2:] == [("code", "answer_01_1 = None  # your answer here"),
                                     ("code", 'check_exercise("01.1", answer_01_1)')]


def test_exploration_solution_without_answer_leaves_an_empty_work_cell_and_banner_is_third():
    nb = _nb(TITLE, COLAB, new_markdown_cell("```{solution-start} ex-01-3\n:class: dropdown\n```"),
             _solution("for k in range(3):\n    print(k)"), new_markdown_cell("```{solution-end}\n```"))
    student = make_student_notebook(nb)
    assert "Student edition" in student.cells[2].source
    assert student.cells[3].source == "# your work here" and len(student.cells) == 4


def test_unclosed_or_unopened_gated_solution_is_an_error():
    nb = _nb(TITLE, COLAB, new_markdown_cell("```{solution-start} ex-01-3\n:class: dropdown\n```"))
    with pytest.raises(ValueError, match="not closed"):
        make_student_notebook(nb)
    with pytest.raises(ValueError, match="without a"):
        make_student_notebook(_nb(TITLE, COLAB, new_markdown_cell("```{solution-end}\n```")))


def test_answer_names_reads_module_level_assignments_including_loops_but_not_functions():
    src = ("answer_a = 1\ndef f():\n    answer_b = 2\nanswer_c: float = 3.0\nfor i in range(2):\n"
           "    if i:\n        answer_d = i\nclass K:\n    answer_e = 1\ntry:\n    pass\n"
           "except ValueError:\n    answer_f = 0\nanswer_a += 1")
    assert answer_names(src) == ["answer_a", "answer_c", "answer_d", "answer_f"]
    assert answer_names("answer_x = (") == []


def test_student_edition_is_deterministic(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    write_student_edition(first, ROOT, log=lambda _m: None)
    write_student_edition(second, ROOT, log=lambda _m: None)
    for path in NOTEBOOKS:
        assert (first / path.name).read_text() == (second / path.name).read_text()


# ------------------------------------------------------------------------------- command line
def test_help_describes_the_command():
    proc = subprocess.run([sys.executable, "-m", "utils.course.student_edition", "--help"], capture_output=True,
                          text=True, cwd=ROOT, check=False)
    assert proc.returncode == 0 and "OUTDIR" in proc.stdout and "student edition" in proc.stdout


def test_missing_parent_is_a_clear_error_without_traceback(tmp_path, capsys):
    assert student_edition.main([str(tmp_path / "missing" / "out")]) == 2
    err = capsys.readouterr().err
    assert "does not exist" in err and "Traceback" not in err


def test_parent_that_is_a_file_or_outdir_that_is_a_file_is_an_error(tmp_path, capsys):
    (tmp_path / "f").write_text("x")
    assert student_edition.main([str(tmp_path / "f" / "out")]) == 2
    assert student_edition.main([str(tmp_path / "f")]) == 2
    assert capsys.readouterr().err.count("not a directory") == 2


def test_unwritable_parent_is_a_clear_error(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(student_edition.os, "access", lambda *_a, **_k: False)
    assert student_edition.main([str(tmp_path / "out")]) == 2
    assert "not writable" in capsys.readouterr().err


def test_refuses_to_write_over_the_book(capsys):
    assert student_edition.main([str(ROOT / "book")]) == 2
    assert "overwrite" in capsys.readouterr().err


def test_cli_writes_the_edition_quietly(tmp_path, capsys):
    assert student_edition.main([str(tmp_path / "out"), "--quiet"]) == 0
    assert capsys.readouterr().out == ""
    assert {p.name for p in (tmp_path / "out").glob("*.ipynb")} == {p.name for p in NOTEBOOKS}



# ------------------------------------------------------------------------------- safety of the command
def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_non_empty_folder_is_refused_and_left_untouched(tmp_path, capsys):
    target = tmp_path / "p"
    (target / "utils").mkdir(parents=True)
    (target / "README.md").write_text("mine\n")
    (target / "utils" / "a.py").write_text("")
    before = _snapshot(target)
    assert student_edition.main([str(target)]) == 2
    err = capsys.readouterr().err
    assert "not empty" in err and "Traceback" not in err
    assert _snapshot(target) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p"], "no staging folder is left behind"


def test_force_refuses_a_folder_that_holds_no_edition(tmp_path, capsys):
    target = tmp_path / "p"
    target.mkdir()
    (target / "README.md").write_text("mine\n")
    assert student_edition.main([str(target), "--force"]) == 2
    assert "holds no student edition" in capsys.readouterr().err
    assert (target / "README.md").read_text() == "mine\n"


def test_force_replaces_only_unchanged_files_and_keeps_students_work(tmp_path):
    target = tmp_path / "edition"
    write_student_edition(target, ROOT, log=lambda _m: None)
    first = NOTEBOOKS[0].name
    student_work = (target / first).read_text().replace("# your answer here", "# my answer: 42", 1)
    (target / first).write_text(student_work)
    (target / "my_notes.md").write_text("notes\n")
    manifest = json.loads((target / student_edition.MANIFEST).read_text())["files"]
    second = NOTEBOOKS[1].name
    (target / second).write_bytes(b"")  # edited too: kept as well
    manifest[NOTEBOOKS[2].name] = "0" * 64  # a file the edition wrote whose record says it changed: kept
    (target / student_edition.MANIFEST).write_text(json.dumps({"files": manifest}))
    with pytest.raises(student_edition.EditionError, match="not empty"):
        write_student_edition(target, ROOT, log=lambda _m: None)
    lines = []
    written = write_student_edition(target, ROOT, force=True, log=lines.append)
    assert (target / first).read_text() == student_work
    assert (target / second).read_bytes() == b""
    assert (target / "my_notes.md").read_text() == "notes\n"
    assert {p.name for p in written} == {p.name for p in NOTEBOOKS} - {first, second, NOTEBOOKS[2].name}
    assert sum(line.startswith("kept ") for line in lines) == 3


def test_force_stops_before_writing_when_a_foreign_file_is_in_the_way(tmp_path):
    target = tmp_path / "edition"
    write_student_edition(target, ROOT, log=lambda _m: None)
    manifest_path = target / student_edition.MANIFEST
    manifest = json.loads(manifest_path.read_text())
    del manifest["files"]["README.md"]  # README.md is now a file the edition did not write
    manifest_path.write_text(json.dumps(manifest))
    before = _snapshot(target)
    with pytest.raises(student_edition.EditionError, match="did not write: README.md"):
        write_student_edition(target, ROOT, force=True, log=lambda _m: None)
    assert _snapshot(target) == before


@pytest.mark.parametrize("where", ["root", "inside", "parent"])
def test_output_inside_or_around_the_checkout_is_refused(where, capsys):
    target = {"root": ROOT, "inside": ROOT / "student_edition_test", "parent": ROOT.parent}[where]
    assert student_edition.main([str(target)]) == 2
    assert "book's own files" in capsys.readouterr().err
    assert not (ROOT / "student_edition_test").exists()


def test_failure_half_way_leaves_nothing_behind(tmp_path, monkeypatch):
    calls = []

    def failing(nb, banner=True):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("simulated failure")
        return make_student_notebook(nb, banner)

    monkeypatch.setattr(student_edition, "make_student_notebook", failing)
    with pytest.raises(RuntimeError, match="simulated"):
        write_student_edition(tmp_path / "out", ROOT, log=lambda _m: None)
    assert list(tmp_path.iterdir()) == []


def test_installed_copy_without_a_checkout_asks_for_root(tmp_path, monkeypatch, capsys):
    fake = tmp_path / "site-packages" / "utils" / "course" / "student_edition.py"
    monkeypatch.setattr(student_edition, "__file__", str(fake))
    assert student_edition.main([str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "checkout of the book" in err and "--root" in err and "Traceback" not in err
