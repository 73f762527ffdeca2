"""The public API of `utils`: importable from the package, documented, validated."""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import utils

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "utils"
MATHS = ("primer", "linear", "relu", "data")
PLOTTING = ("matplotlib", "plotly", "ipywidgets")


def test_version_is_set():
    assert isinstance(utils.__version__, str) and utils.__version__.count(".") == 2


def test_every_public_name_is_importable_from_the_package_and_documented():
    assert len(utils.__all__) > 40
    for name in utils.__all__:
        obj = getattr(utils, name)
        if inspect.isfunction(obj) or inspect.isclass(obj):
            doc = inspect.getdoc(obj) or ""
            assert len(doc) > 20, f"utils.{name} needs a docstring"


def test_public_functions_document_their_parameters():
    undocumented = []
    for name in utils.__all__:
        obj = getattr(utils, name)
        if inspect.isfunction(obj) and inspect.signature(obj).parameters:
            doc = inspect.getdoc(obj) or ""
            if "Parameters" not in doc and "----" not in doc:
                undocumented.append(name)
    assert not undocumented, f"numpy-style 'Parameters' section missing in: {undocumented}"


def test_no_module_is_much_longer_than_400_lines():
    for path in Path(utils.__file__).parent.rglob("*.py"):
        n = len(path.read_text().splitlines())
        assert n <= 480, f"{path.name} has {n} lines: split it by topic"


def test_code_passes_ruff():
    ruff = Path(sys.executable).with_name("ruff")
    exe = str(ruff) if ruff.exists() else shutil.which("ruff")
    assert exe, "ruff is a test requirement (requirements-test.txt)"
    proc = subprocess.run([exe, "check", "utils", "tests", "benchmarks"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-3000:]


# ------------------------------------------------------------------------------ the lazy public namespace
def _top_level_definitions(path: Path) -> set[str]:
    """Names a module defines itself at top level (def, class, assignment), not the ones it imports."""
    names = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return names


def _module_path(dotted: str) -> Path:
    base = PACKAGE.joinpath(*dotted.split("."))
    return base / "__init__.py" if base.is_dir() else base.with_suffix(".py")


def _run_python(code: str, cwd=ROOT, timeout=120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=timeout)


def test_all_lists_exactly_the_exported_names():
    assert utils.__all__ == sorted(utils._EXPORTS)
    assert set(utils.__all__) <= set(dir(utils))


def test_every_public_name_is_defined_in_the_module_its_export_entry_names():
    for name, module_name in utils._EXPORTS.items():
        defined = _top_level_definitions(_module_path(module_name))
        assert name in defined, f"utils.{module_name} does not define {name} (re-exported? fix _EXPORTS)"
        module = importlib.import_module(f"utils.{module_name}")
        obj = getattr(utils, name)
        assert obj is getattr(module, name)
        if inspect.isfunction(obj) or inspect.isclass(obj):
            assert obj.__module__ == module.__name__, f"{name} comes from {obj.__module__}"


def test_unknown_public_name_raises_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'not_a_name'"):
        utils.not_a_name  # noqa: B018


def _chapter_imports_from_utils() -> dict[str, set[str]]:
    """``{notebook: names}`` of every ``from utils... import`` in the chapters' code cells."""
    found = {}
    for path in sorted((ROOT / "book").glob("*.ipynb")):
        for cell in json.loads(path.read_text())["cells"]:
            if cell["cell_type"] != "code":
                continue
            lines = "".join(cell["source"]).splitlines()
            src = "\n".join(ln[: len(ln) - len(ln.lstrip())] + "pass" if ln.lstrip().startswith(("%", "!")) else ln
                            for ln in lines)
            for node in ast.walk(ast.parse(src)):
                if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "utils":
                    found.setdefault(f"{path.name}: from {node.module}", set()).update(a.name for a in node.names)
    return found


def test_every_name_the_chapters_import_is_public_and_comes_from_the_package_itself():
    imports = _chapter_imports_from_utils()
    assert len(imports) >= 9, "every chapter imports from utils"
    for where, names in imports.items():
        assert where.endswith("from utils"), f"{where}: import public names from `utils` itself"
        assert names <= set(utils.__all__), f"{where} imports non-public {sorted(names - set(utils.__all__))}"


def _absolute_imports(path: Path) -> set[str]:
    """The absolute module names a source file imports (relative imports resolved)."""
    package = ".".join(("utils", *path.relative_to(PACKAGE).with_suffix("").parts))
    if path.name != "__init__.py":
        package = package.rpartition(".")[0]
    else:
        package = package.removesuffix(".__init__")
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            out.add(module)
            out.update(f"{module}.{a.name}" for a in node.names)
    return out


def _forbidden_in_maths(module: str) -> bool:
    """Whether importing ``module`` (``utils.X`` may be a public name) pulls in figures, course or plotting."""
    if module.startswith("utils.") and module[6:] in utils._EXPORTS:
        module = f"utils.{utils._EXPORTS[module[6:]]}"
    return module.split(".")[0] in PLOTTING or module.startswith(("utils.figures", "utils.course"))


def test_maths_subpackages_never_import_figures_course_or_plotting_libraries_in_their_source():
    files = [p for sub in MATHS for p in (PACKAGE / sub).rglob("*.py")]
    assert len(files) >= 15
    for path in files:
        bad = sorted(filter(_forbidden_in_maths, _absolute_imports(path)))
        assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


def test_import_scan_flags_figures_reached_directly_or_through_a_public_name():
    # guards the static scan above: it must see through `from utils import plot_stairs` too
    assert _forbidden_in_maths("utils.plot_stairs") and _forbidden_in_maths("utils.figures.render")
    assert _forbidden_in_maths("matplotlib.pyplot") and not _forbidden_in_maths("utils.deep_linear_gap")


def test_relative_imports_resolve_to_modules_of_the_package():
    # guards the static scan above: a wrong resolution would make it pass vacuously
    imports = _absolute_imports(PACKAGE / "relu" / "column_generation.py")
    assert {"utils._validation", "utils.relu.deep_training", "cvxpy"} <= imports


def test_importing_every_maths_module_loads_no_plotting_library_and_no_figures_or_course():
    code = f"""
import pkgutil, importlib, sys, utils
names = []
for sub in {MATHS!r}:
    pkg = importlib.import_module("utils." + sub)
    names += [m.name for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + ".")]
for name in names:
    importlib.import_module(name)
loaded = sorted(m for m in sys.modules if m.split(".")[0] in {PLOTTING!r}
                or m.startswith(("utils.figures", "utils.course")))
print(len(names), loaded)
"""
    proc = _run_python(code)
    assert proc.returncode == 0, proc.stderr[-2000:]
    count, loaded = proc.stdout.split(" ", 1)
    assert int(count) >= 15 and loaded.strip() == "[]", proc.stdout


def _importtime(statement: str) -> set[str]:
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", statement], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    rows = [ln.split("|")[-1].strip() for ln in proc.stderr.splitlines() if ln.startswith("import time:")]
    return {r.split(".")[0] for r in rows[1:]}  # rows[0] is the header


def _imported_modules(statement: str) -> set[str]:
    """Top-level modules that ``statement`` imports in a fresh interpreter, beyond its start-up (``-X importtime``)."""
    return _importtime(statement) - _importtime("pass")


def test_from_utils_import_check_exercise_loads_no_solver_or_plotting_library():
    modules = _imported_modules("from utils import check_exercise")
    assert {"utils", "numpy"} <= modules  # the scan sees the imports
    heavy = modules & {"cvxpy", "scipy", "yaml", "nbformat", "nbconvert", "IPython", *PLOTTING}
    assert not heavy, f"`from utils import check_exercise` loads {sorted(heavy)}"


def test_import_utils_loads_only_the_package_and_takes_well_under_half_a_second():
    assert _imported_modules("import utils") == {"utils"}
    code = "import time; t = time.perf_counter(); import utils; print(time.perf_counter() - t)"
    seconds = min(float(_run_python(code).stdout) for _ in range(3))
    assert seconds < 0.2, f"import utils took {seconds:.3f} s"


def test_check_exercise_loads_only_the_module_of_the_checked_chapter():
    code = """
import sys
from utils import check_exercise, registered_exercises
def chapters():
    return sorted(m.rpartition(".")[2] for m in sys.modules if m.startswith("utils.course.checks.ch"))
check_exercise("02.2", None)
print(chapters(), [m for m in ("cvxpy", "matplotlib") if m in sys.modules])
ids = registered_exercises()
print(chapters(), sorted({i.split(".")[0] for i in ids}))
"""
    proc = _run_python(code)
    assert proc.returncode == 0, proc.stderr[-2000:]
    first, second = proc.stdout.splitlines()[-2:]
    assert first == "['ch02'] []"
    on_disk = sorted(p.stem for p in (PACKAGE / "course" / "checks").glob("ch[0-9][0-9].py"))
    assert len(on_disk) >= 8
    assert second == f"{on_disk} {[c[2:] for c in on_disk]}"


def test_each_chapter_check_module_registers_only_its_own_chapters_exercises():
    code = """
import importlib, json, pkgutil
from utils.course import checks
for info in sorted(pkgutil.iter_modules(checks.__path__), key=lambda m: m.name):
    before = set(checks._REGISTRY)
    importlib.import_module("utils.course.checks." + info.name)
    print(json.dumps([info.name, sorted(set(checks._REGISTRY) - before)]))
"""
    proc = _run_python(code)
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = proc.stdout.splitlines()
    assert len(lines) >= 8
    for line in lines:
        module, ids = json.loads(line)
        assert ids, f"{module} registers no exercise"
        assert all(i.startswith(module[2:] + ".") for i in ids), f"{module} registers {ids}"


# ------------------------------------------------------------------------- a local `utils` hides the package
FAKE_UTILS = "print('a local utils module')\n"


def test_check_exercise_names_the_local_utils_that_hides_the_book_package(tmp_path):
    (tmp_path / "utils.py").write_text(FAKE_UTILS)
    code = f"""
import sys
from utils import check_exercise          # the book's package
sys.path.insert(0, {str(tmp_path)!r})       # then a notebook's folder with its own utils.py comes first
del sys.modules["utils"]
import utils
try:
    check_exercise("02.2", 1.0)
except ImportError as err:
    print("ImportError:", err)
"""
    proc = _run_python(code)
    assert proc.returncode == 0, proc.stderr[-2000:]
    message = proc.stdout.splitlines()[-1]
    assert message.startswith("ImportError:") and str(tmp_path / "utils.py") in message
    assert "rename or move" in message and "restart the kernel" in message


def test_check_exercise_accepts_the_book_package():
    from utils.course.checks import ensure_book_utils

    ensure_book_utils()  # no error: the test session imports the book's package
    assert utils.__book__


def _setup_cell() -> str:
    """The hidden setup cell of every notebook (``utils.course.setup_cell``; ``tests/test_lite.py`` checks that the
    notebooks carry it), with IPython magics replaced by ``pass``."""
    from utils.course.setup_cell import repository, setup_cell_source

    source = setup_cell_source(*repository(ROOT))
    return "\n".join(ln[: len(ln) - len(ln.lstrip())] + "pass" if ln.lstrip().startswith(("%", "!")) else ln
                     for ln in source.splitlines())


@pytest.mark.parametrize("shadow", ["utils.py", "utils/__init__.py"])
def test_notebook_setup_cell_stops_with_the_path_of_a_local_utils_that_hides_the_book_package(tmp_path, shadow):
    fake = tmp_path / shadow
    fake.parent.mkdir(exist_ok=True)
    fake.write_text(FAKE_UTILS)
    proc = _run_python(_setup_cell(), cwd=tmp_path)  # like a kernel: the notebook's folder is first on sys.path
    assert proc.returncode != 0
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("ImportError:") and str(fake) in last and "rename or move" in last, proc.stderr


def test_notebook_setup_cell_passes_with_the_book_package(tmp_path):
    proc = _run_python(_setup_cell(), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]


# ------------------------------------------------------------------------------- errors at the boundary
def test_toc_reader_names_the_file_and_the_missing_root(tmp_path):
    (tmp_path / "_toc.yml").write_text("format: jb-book\nchapters:\n  - file: book/a\n")
    with pytest.raises(ValueError, match=r"_toc\.yml has no 'root:' document"):
        utils.toc_docnames(tmp_path)


@pytest.mark.parametrize("text, problem", [
    ("- file: book/a\n", "must be a mapping"),
    ("", "must be a mapping"),
    ("root: [unclosed\n", "is not valid YAML"),
    ("root: book/intro\nchapters:\n  - file:\n", "a 'file:' entry must name a document"),
])
def test_toc_reader_rejects_a_malformed_toc_with_a_value_error_naming_the_file(tmp_path, text, problem):
    (tmp_path / "_toc.yml").write_text(text)
    with pytest.raises(ValueError, match=problem) as info:
        utils.toc_docnames(tmp_path)
    assert str(tmp_path / "_toc.yml") in str(info.value)


def test_toc_reader_lists_root_then_files_in_order_without_duplicates(tmp_path):
    (tmp_path / "_toc.yml").write_text(
        "root: book/intro\nparts:\n  - chapters:\n    - file: book/a.ipynb\n    - file: book/b\n"
        "  - chapters:\n    - file: book/a\n      sections:\n        - file: book/c.md\n")
    assert utils.toc_docnames(tmp_path) == ["book/intro", "book/a", "book/b", "book/c"]


@pytest.mark.parametrize("div_id", ['x" onload="alert(1)', "a b", "<script>", "", "fig.1", 7])
def test_interactive_html_rejects_a_div_id_that_is_not_a_plain_html_id(div_id):
    fig = utils.stairs_figure_interactive(2, 1, 0.0, depths=(2, 3), ranks=(1, 2), decays=(0.0, 0.5))
    with pytest.raises(ValueError, match="div_id must be letters, digits"):
        utils.interactive_html(fig, div_id=div_id)


def test_interactive_html_uses_a_valid_div_id_verbatim():
    fig = utils.stairs_figure_interactive(2, 1, 0.0, depths=(2, 3), ranks=(1, 2), decays=(0.0, 0.5))
    html = utils.interactive_html(fig, div_id="Fig_2-b")
    assert html.startswith('<div id="Fig_2-b" ') and json.dumps("Fig_2-b") in html
