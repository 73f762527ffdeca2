"""The JupyterLite edition's pieces that need no build: the setup cell, the pins, the launch links, the staging.

The built app and a real browser are tested in ``tests/test_lite_browser.py``.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
import textwrap
import tomllib
from importlib.metadata import requires
from pathlib import Path

import nbformat
import pytest
import yaml
from packaging.requirements import Requirement
from packaging.version import Version

import utils.course.lite as lite_extension
from utils.course.lite import (
    build_lite_site,
    inputs_digest,
    lite_folder,
    lite_launch_url,
    rewrite_lite_buttons,
)
from utils.course.lite_build import (
    KERNEL_TOOLS,
    LITE_KERNELSPEC,
    LITE_REQUIREMENTS,
    pinned_requirements,
    stage_contents,
    wheel_name_version,
)
from utils.course.lite_pyodide import dependency_closure
from utils.course.setup_cell import (
    HELPER_DISTRIBUTION,
    PYODIDE_PACKAGES,
    repository,
    setup_cell_problems,
    setup_cell_source,
    write_setup_cells,
)
from utils.course.toc import toc_notebooks

ROOT = Path(__file__).resolve().parents[1]
SETUP = setup_cell_source(*repository(ROOT))


def _config() -> dict:
    return yaml.safe_load((ROOT / "_config.yml").read_text())


def _magics_as_calls(source: str) -> str:
    """The cell with each ``%pip ARGS`` line replaced by ``_pip("ARGS")`` (same indentation)."""
    return re.sub(r"^(\s*)%pip (.*)$", lambda m: f"{m[1]}_pip({m[2]!r})", source, flags=re.M)


# ------------------------------------------------------------------------------------------ the setup cell
@pytest.mark.parametrize("path", [p for p in toc_notebooks(ROOT) if p.is_file()], ids=lambda p: p.name)
def test_second_cell_of_every_notebook_is_the_setup_cell_of_utils_course_setup_cell(path):
    problems = setup_cell_problems(nbformat.read(path, as_version=4), SETUP)
    assert not problems, f"{path.name}: {problems}; run `python -m utils.course.setup_cell --write`"


def _run_setup_cell(platform: str, tmp_path: Path) -> list[str]:
    """Run the setup cell in a subprocess with ``sys.platform`` set to ``platform``; return its %pip calls."""
    program = textwrap.dedent("""
        import sys
        calls = []
        def _pip(args):
            calls.append(args)
            assert "utils" not in sys.modules, "the package was imported before %pip installed it"
        sys.platform = PLATFORM
        exec(compile(CELL, "setup-cell", "exec"))
        print(repr(calls))
    """).replace("PLATFORM", repr(platform)).replace("CELL", repr(_magics_as_calls(SETUP)))
    proc = subprocess.run([sys.executable, "-c", program], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return ast.literal_eval(proc.stdout.strip().splitlines()[-1])


def test_setup_cell_installs_nothing_outside_colab_and_the_browser(tmp_path):
    assert _run_setup_cell("linux", tmp_path) == []


def test_setup_cell_in_the_browser_installs_pyodide_packages_then_the_bundled_wheel_without_dependencies(tmp_path):
    calls = _run_setup_cell("emscripten", tmp_path)
    assert calls == [f"install --quiet {' '.join(PYODIDE_PACKAGES)}",
                     f"install --quiet --no-deps {HELPER_DISTRIBUTION}"]


def test_setup_cell_installs_the_distribution_that_pyproject_builds():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["name"] == HELPER_DISTRIBUTION
    url, branch = repository(ROOT)
    assert f'%pip install --quiet "git+{url}@{branch}"' in SETUP


# Import name -> Pyodide package name (None: the kernel brings it).
PYODIDE_NAME = {"numpy": "numpy", "scipy": "scipy", "sklearn": "scikit-learn", "threadpoolctl": "threadpoolctl",
                "cvxpy": "cvxpy-base", "clarabel": "clarabel", "matplotlib": "matplotlib", "PIL": "pillow",
                "yaml": "pyyaml", "ipywidgets": "ipywidgets", "plotly": "plotly", "IPython": None}


def _runtime_modules() -> list[Path]:
    """The modules a chapter may import: all of ``utils`` except the build and edition tools of ``utils/course``."""
    course = ROOT / "utils" / "course"
    return [p for p in sorted((ROOT / "utils").rglob("*.py"))
            if p.parent != course or p.name in ("__init__.py", "check_messages.py")]


def test_browser_install_covers_every_third_party_import_of_the_runtime_modules():
    missing = {}
    for path in _runtime_modules():
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module] if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module else [])
            for top in {n.split(".")[0] for n in names} - set(sys.stdlib_module_names) - {"utils"}:
                if top not in PYODIDE_NAME:
                    missing.setdefault(top, path.relative_to(ROOT).as_posix())
                elif PYODIDE_NAME[top] and PYODIDE_NAME[top] not in PYODIDE_PACKAGES:
                    missing.setdefault(PYODIDE_NAME[top], path.relative_to(ROOT).as_posix())
    assert not missing, (f"imports that the setup cell does not install in the browser: {missing}; add their "
                         "Pyodide names to utils.course.setup_cell.PYODIDE_PACKAGES (and to PYODIDE_NAME here)")


def test_write_setup_cells_replaces_the_second_cell_and_keeps_the_rest(tmp_path):
    (tmp_path / "_config.yml").write_text("repository:\n  url: https://example.org/o/r/\n  branch: dev\n")
    (tmp_path / "_toc.yml").write_text("root: a\n")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# A"),
                                         nbformat.v4.new_code_cell("import utils", metadata={"tags": ["x"]}),
                                         nbformat.v4.new_code_cell("1 + 1")])
    nbformat.write(nb, tmp_path / "a.ipynb")
    assert write_setup_cells(tmp_path) == [tmp_path / "a.ipynb"]
    cells = nbformat.read(tmp_path / "a.ipynb", as_version=4).cells
    assert cells[1].source == setup_cell_source("https://example.org/o/r", "dev")
    assert cells[1].metadata["tags"] == ["x", "remove-cell"]
    assert [c.source for c in (cells[0], cells[2])] == ["# A", "1 + 1"]
    assert write_setup_cells(tmp_path) == []  # already written: unchanged


# ------------------------------------------------------------------------------------------ the pins
def test_requirements_pin_jupyterlite_core_and_lite_pins_the_matching_pyodide_kernel():
    core = pinned_requirements_from_requirements_txt()["jupyterlite-core"]
    pins = pinned_requirements(ROOT / LITE_REQUIREMENTS)
    assert set(KERNEL_TOOLS) <= set(pins)
    # the kernel 0.8.x needs jupyterlite-core >= 0.8.x of the same minor version (0.8.7 needs 0.8.7)
    kernel = pins["jupyterlite-pyodide-kernel"]
    assert kernel.split(".")[:2] == core.split(".")[:2] and Version(kernel) <= Version(core), (kernel, core)
    assert "jupyterlite-pyodide-kernel" not in pinned_requirements_from_requirements_txt(), (
        "the Pyodide kernel must not be installed with JupyterLab (see requirements-lite.txt)")


def pinned_requirements_from_requirements_txt() -> dict[str, str]:
    lines = [ln for ln in (ROOT / "requirements.txt").read_text().splitlines() if "==" in ln.split("#")[0]]
    return {re.sub(r"[-_.]+", "-", ln.split("==")[0].strip()).lower(): ln.split("==")[1].split("#")[0].strip()
            for ln in lines}


@pytest.mark.parametrize("name", ["ipywidgets", "plotly"])
def test_bundled_wheels_have_the_versions_of_requirements_txt(name):
    assert pinned_requirements(ROOT / LITE_REQUIREMENTS)[name] == pinned_requirements_from_requirements_txt()[name]


def test_bundled_dependencies_satisfy_ipywidgets():
    pins = pinned_requirements(ROOT / LITE_REQUIREMENTS)
    for line in requires("ipywidgets") or []:
        req = Requirement(line)
        name = re.sub(r"[-_.]+", "-", req.name).lower()
        if name in pins and not req.marker:
            assert req.specifier.contains(pins[name]), f"ipywidgets needs {req}, {LITE_REQUIREMENTS} pins {pins[name]}"
    assert {"comm", "jupyterlab-widgets"} <= set(pins)


@pytest.mark.parametrize("line", ["plotly>=7", "plotly", "-e .", "plotly==7.1.0 ; python_version>'3'"])
def test_pinned_requirements_rejects_a_line_that_is_not_an_exact_pin(tmp_path, line):
    (tmp_path / "r.txt").write_text(f"# comment\n\n{line}\n")
    with pytest.raises(ValueError, match=r"r\.txt:3: expected an exact pin"):
        pinned_requirements(tmp_path / "r.txt")


def test_wheel_name_version_reads_canonical_names():
    assert wheel_name_version("jupyterlab_widgets-3.0.17-py3-none-any.whl") == ("jupyterlab-widgets", "3.0.17")


def test_dependency_closure_follows_the_lock_file_and_canonicalises_names():
    lock = {"packages": {"ipython": {"depends": ["prompt_toolkit", "six"]}, "prompt-toolkit": {"depends": ["six"]},
                         "six": {"depends": []}, "numpy": {"depends": []}}}
    assert dependency_closure(lock, ["IPython"]) == ["ipython", "prompt-toolkit", "six"]
    with pytest.raises(KeyError, match="nope"):
        dependency_closure(lock, ["nope"])


# ------------------------------------------------------------------------------------------ launch links
def test_config_enables_the_lite_extension_and_its_launch_url():
    config = _config()
    assert "utils.course.lite" in config["sphinx"]["extra_extensions"]
    assert lite_folder(config["launch_buttons"]["jupyterlite_url"]) == "lite"


@pytest.mark.parametrize("url", ["/lite/lab/index.html", "https://x.org/lite/lab/index.html", "lite/lab",
                                 "lab/index.html", "../lite/lab/index.html"])
def test_lite_folder_rejects_an_address_outside_the_site(url):
    with pytest.raises(ValueError, match="jupyterlite_url"):
        lite_folder(url)


def test_lite_launch_url_names_the_notebook_in_the_flat_contents_folder():
    theme = "lite/lab/index.html?path=book/03_stairs.ipynb"
    assert lite_launch_url("../lite/lab/index.html", theme) == "../lite/lab/index.html?path=03_stairs.ipynb"
    with pytest.raises(ValueError, match="no \\?path="):
        lite_launch_url("../lite/lab/index.html", "lite/lab/index.html")


def test_rewrite_lite_buttons_changes_only_the_jupyterlite_buttons_in_groups():
    buttons = [{"url": "https://github.com/o/r"},
               {"buttons": [{"url": "https://mybinder.org/v2/gh/o/r/main?urlpath=lab/tree/book/06_x.ipynb"},
                            {"url": "lite/lab/index.html?path=book/06_x.ipynb", "text": "JupyterLite"}]}]
    assert rewrite_lite_buttons(buttons, "lite/lab/index.html", "../lite/lab/index.html") == 1
    assert buttons[0] == {"url": "https://github.com/o/r"}
    binder, lite = buttons[1]["buttons"]
    assert binder["url"].startswith("https://mybinder.org/")
    assert lite["url"] == "../lite/lab/index.html?path=06_x.ipynb" and "browser" in lite["text"]


# ------------------------------------------------------------------------------------------ staging
def test_stage_contents_gives_the_copies_the_pyodide_kernelspec_and_leaves_the_sources(tmp_path):
    source = tmp_path / "src" / "a.ipynb"
    source.parent.mkdir()
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# A")],
                                  metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                           "language": "python"}})
    nbformat.write(nb, source)
    before = source.read_bytes()
    (copy,) = stage_contents([source], tmp_path / "contents")
    assert json.loads(copy.read_text())["metadata"]["kernelspec"] == LITE_KERNELSPEC
    assert source.read_bytes() == before
    with pytest.raises(ValueError, match="two notebooks are named a.ipynb"):
        stage_contents([source, source], tmp_path / "other")


def _tiny_book(root: Path) -> Path:
    (root / "_toc.yml").write_text("root: intro\nchapters:\n  - file: a\n")
    (root / "intro.md").write_text("# Intro\n")
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")]), root / "a.ipynb")
    return root / "a.ipynb"


def test_inputs_digest_changes_with_a_notebook_and_only_then(tmp_path):
    notebook = _tiny_book(tmp_path)
    first = inputs_digest(tmp_path, ROOT)
    assert inputs_digest(tmp_path, ROOT) == first and re.fullmatch(r"[0-9a-f]{64}", first)
    notebook.write_text(notebook.read_text().replace("1 + 1", "2 + 2"))
    assert inputs_digest(tmp_path, ROOT) != first


def test_build_lite_site_skips_a_build_whose_inputs_and_app_are_unchanged(tmp_path, monkeypatch):
    _tiny_book(tmp_path)
    calls = []
    monkeypatch.setattr(lite_extension, "stage_lite", lambda book, package, stage: calls.append("stage"))

    def fake_build(stage, output):
        calls.append("build")
        (Path(output) / "lab").mkdir(parents=True, exist_ok=True)
        (Path(output) / "lab" / "index.html").write_text("app")

    monkeypatch.setattr(lite_extension, "run_lite_build", fake_build)
    output, stage = tmp_path / "html" / "lite", tmp_path / "stage"
    stage.mkdir()
    assert build_lite_site(tmp_path, ROOT, output, stage) is True
    assert build_lite_site(tmp_path, ROOT, output, stage) is False  # same inputs, app present
    (output / "lab" / "index.html").unlink()
    assert build_lite_site(tmp_path, ROOT, output, stage) is True  # the app was deleted
    (tmp_path / "a.ipynb").write_text((tmp_path / "a.ipynb").read_text().replace("1 + 1", "3"))
    assert build_lite_site(tmp_path, ROOT, output, stage) is True  # a notebook changed
    assert calls == ["stage", "build"] * 3
