"""Repository-level rules: README commands, CI script, pinned stack, notebook conventions."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import nbformat
import pytest
import yaml

from utils.course.notebook_macros import strip_macro_header
from utils.course.toc import toc_docnames

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"


def _toc_files() -> list[str]:
    return toc_docnames(ROOT)


def _notebooks() -> list[Path]:
    return sorted(BOOK.glob("*.ipynb"))


def _chapters() -> list[Path]:
    """Numbered chapter notebooks (``NN_name.ipynb``); the notation page has no exercises."""
    return [p for p in _notebooks() if re.match(r"\d\d_", p.name)]


def _readme_commands() -> list[str]:
    blocks = re.findall(r"```bash\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.S)
    return [b.strip() for b in blocks]


def test_readme_has_exactly_two_setup_commands_build_and_test():
    commands = _readme_commands()
    assert len(commands) == 2, commands
    build, test = commands
    assert all("\n" not in c for c in commands), "each set-up command must be one line"
    assert "pip install -r requirements.txt" in build and "jupyter-book build ." in build
    assert "--warningiserror" in build
    assert "requirements-test.txt" in test and "pytest" in test


def test_ci_script_runs_the_readme_test_command_verbatim():
    ci = (ROOT / ".ci" / "run").read_text()
    assert _readme_commands()[1] in ci.splitlines()


def test_requirements_pin_jupyter_book_below_2_and_install_utils():
    lines = [ln.strip() for ln in (ROOT / "requirements.txt").read_text().splitlines()]
    jb = [ln for ln in lines if ln.lower().startswith("jupyter-book")]
    assert jb, "jupyter-book must be in requirements.txt"
    version = re.search(r"==\s*([0-9.]+)", jb[0]) or re.search(r"<\s*2", jb[0])
    assert version, jb[0]
    if jb[0].count("=="):
        assert version.group(1).startswith("1."), jb[0]
    assert "-e ." in lines, "Binder must install the utils package (a '-e .' line)"


def test_every_toc_entry_exists_and_every_notebook_is_in_the_toc():
    files = _toc_files()
    assert len(_notebooks()) >= 9, "the book has a primer and eight chapters"
    for f in files:
        assert any((ROOT / f"{f}{ext}").exists() for ext in (".md", ".ipynb")), f"{f} is in _toc.yml but missing"
    for nb in _notebooks():
        assert f"book/{nb.stem}" in files, f"{nb.name} is not listed in _toc.yml"


@pytest.mark.parametrize("path", _notebooks(), ids=lambda p: p.name)
def test_notebook_is_committed_with_outputs_stripped(path):
    nb = nbformat.read(path, as_version=4)
    stored = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and (c.outputs or c.execution_count)]
    assert not stored, f"cells {stored} have stored outputs or execution counts"


@pytest.mark.parametrize("path", _notebooks(), ids=lambda p: p.name)
def test_notebook_starts_with_title_and_colab_install_cell_for_configured_repository(path):
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    url, branch = config["repository"]["url"], config["repository"]["branch"]
    nb = nbformat.read(path, as_version=4)
    first, second = nb.cells[0], nb.cells[1]
    assert first.cell_type == "markdown" and strip_macro_header(first.source).lstrip().startswith("# ")
    assert second.cell_type == "code" and "google.colab" in second.source
    assert f"git+{url}@{branch}" in second.source
    assert "remove-cell" in second.metadata.get("tags", [])


@pytest.mark.parametrize("path", _notebooks(), ids=lambda p: p.name)
def test_notebook_code_is_valid_python_and_seeds_its_randomness(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        # IPython magics are not Python: keep their indentation, replace them by `pass`
        src = "\n".join(ln[: len(ln) - len(ln.lstrip())] + "pass" if ln.lstrip().startswith(("%", "!")) else ln
                        for ln in cell.source.splitlines())
        ast.parse(src)
        assert "np.random.seed(" not in src and "default_rng()" not in src, "use a seeded default_rng(seed)"
        assert not re.search(r"np\.random\.(rand|randn|normal|uniform|choice)\(", src), "use a seeded Generator"


@pytest.mark.parametrize("path", _chapters(), ids=lambda p: p.name)
def test_chapter_has_objectives_summary_and_three_exercises_with_dropdown_solutions(path):
    nb = nbformat.read(path, as_version=4)
    md = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    exercises = re.findall(r"```\{exercise\}", md)
    assert len(exercises) >= 3, f"{path.name}: {len(exercises)} exercises"
    solutions = re.findall(r"```\{solution(?:-start)?\}[^\n]*\n((?::[^\n]*\n)*)", md)
    assert len(solutions) >= len(exercises), "every exercise needs a solution"
    assert all(":class: dropdown" in opts for opts in solutions), "solutions must be dropdowns"
    assert re.search(r"^#+ .*learning objectives", md, flags=re.I | re.M), "learning objectives section"
    assert re.search(r"^#+ .*summary", md, flags=re.I | re.M), "summary section"


_THEOREM = re.compile(r"```\{prf:(theorem|proposition|lemma|corollary)\}")


def _prints_and_asserts(source: str) -> bool:
    """Whether a code cell calls ``print`` and asserts: an ``assert`` statement or an ``np.testing.assert_*``
    call, found in the syntax tree (IPython magic lines are skipped), so that a comment or a string does not
    count."""
    src = "\n".join(ln[: len(ln) - len(ln.lstrip())] + "pass" if ln.lstrip().startswith(("%", "!")) else ln
                    for ln in source.splitlines())
    try:
        tree = ast.parse(src)
    except SyntaxError:
        return False
    prints = asserts = False
    for node in ast.walk(tree):
        if isinstance(node, ast.Assert):
            asserts = True
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id == "print":
                prints = True
            elif (isinstance(func, ast.Attribute) and func.attr.startswith("assert_")
                  and isinstance(func.value, ast.Attribute) and func.value.attr == "testing"):
                asserts = True
    return prints and asserts


def _theorems_without_asserted_check(nb) -> list[int]:
    """Indices of the theorem/proposition/lemma/corollary cells that no code cell up to the next such cell
    checks by printing and asserting."""
    missing = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown" and _THEOREM.search(cell.source):
            follow = []
            for nxt in nb.cells[i + 1:]:
                if nxt.cell_type == "markdown" and _THEOREM.search(nxt.source):
                    break
                follow.append(nxt)
            if not any(c.cell_type == "code" and _prints_and_asserts(c.source) for c in follow):
                missing.append(i)
    return missing


@pytest.mark.parametrize("path", _notebooks(), ids=lambda p: p.name)
def test_every_theorem_is_followed_by_a_numerical_check_cell(path):
    nb = nbformat.read(path, as_version=4)
    missing = _theorems_without_asserted_check(nb)
    assert not missing, (f"{path.name}: the theorem(s) in cell(s) {missing} have no check cell that prints both "
                         "sides and asserts them (assert or np.testing.assert_*)")


def test_theorem_convention_rejects_a_check_cell_that_only_prints():
    theorem = nbformat.v4.new_markdown_cell("```{prf:theorem} T\n:label: thm-t\n\nP = D.\n```")
    only_prints = nbformat.v4.new_code_cell("P, D = 1.0, 1.0\nprint(P, D)  # assert P == D")
    asserts_in_a_string = nbformat.v4.new_code_cell('print("np.testing.assert_allclose(P, D)")')
    assert_statement = nbformat.v4.new_code_cell("P, D = 1.0, 1.0\nprint(P, D)\nassert P == D")
    testing_call = nbformat.v4.new_code_cell("print(1.0)\nnp.testing.assert_allclose(1.0, 1.0, rtol=1e-12)")
    nb = nbformat.v4.new_notebook(cells=[theorem, only_prints, asserts_in_a_string])
    assert _theorems_without_asserted_check(nb) == [0]
    for good in (assert_statement, testing_call):
        nb = nbformat.v4.new_notebook(cells=[theorem, only_prints, good])
        assert _theorems_without_asserted_check(nb) == []


def test_every_check_call_in_the_book_is_registered():
    from utils.course.checks import registered_exercises

    known = set(registered_exercises())
    for path in _notebooks():
        nb = json.loads(path.read_text())
        for cell in nb["cells"]:
            src = "".join(cell["source"])
            for ex_id in re.findall(r"check_exercise\(\s*[\"']([0-9.]+)[\"']", src):
                assert ex_id in known, f"{path.name} calls check_exercise({ex_id!r}) but it is not registered"
