"""Packaging: ``pyproject.toml`` declares what the package imports, and a plain (non-editable) install of the
wheel works in a fresh virtual environment, away from the checkout.

The install test builds the wheel from a copy of the sources, creates a virtual environment without any of the
book's requirements, installs the wheel with the dependencies it declares from the package index (pip's cache
makes a re-run take about a minute), and uses the package from ``/``.
"""

from __future__ import annotations

import ast
import importlib.metadata
import os
import shutil
import subprocess
import sys
import textwrap
import tomllib
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

import utils

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "utils"
INSTALL_TIMEOUT_S = 1200


def _declared(extras: bool = False) -> dict[str, Requirement]:
    """``{name: requirement}`` of the install dependencies (and, with ``extras``, of every optional group)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    lines = list(project["dependencies"])
    if extras:
        lines += [ln for group in project.get("optional-dependencies", {}).values() for ln in group]
    return {canonicalize_name(r.name): r for r in map(Requirement, lines)}


def _pins() -> dict[str, Version]:
    pins = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if "==" in line and not line.startswith("-"):
            req = Requirement(line)
            pins[canonicalize_name(req.name)] = Version(next(iter(req.specifier)).version)
    return pins


def _third_party_imports(in_functions: bool) -> dict[str, list[str]]:
    """``{top-level module: [files importing it]}`` for the imports of modules outside the standard library that
    run when the package is imported (``in_functions=False``) or only when a function is called (``True``)."""
    found: dict[str, list[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text())
        functions = [f for f in ast.walk(tree) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))]
        deferred = {id(n) for f in functions for n in ast.walk(f) if n is not f}
        for node in ast.walk(tree):
            if (id(node) in deferred) != in_functions:
                continue
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for top in {n.split(".")[0] for n in names} - set(sys.stdlib_module_names) - {"utils"}:
                found.setdefault(top, []).append(str(path.relative_to(ROOT)))
    return found


def _missing(imports: dict[str, list[str]], declared: set[str]) -> list[str]:
    distributions = importlib.metadata.packages_distributions()
    missing = []
    for module, files in imports.items():
        dists = {canonicalize_name(d) for d in distributions.get(module, [])}
        if not dists & declared:
            missing.append(f"{module!r} (imported in {sorted(set(files))}; distributions {sorted(dists)})")
    return missing


def test_pyproject_declares_the_distribution_of_every_module_the_package_imports():
    imports = _third_party_imports(in_functions=False)
    assert {"numpy", "cvxpy", "yaml", "plotly", "PIL"} <= set(imports)  # the scan sees the imports
    missing = _missing(imports, set(_declared()))
    assert not missing, f"add to the dependencies of pyproject.toml: {missing}"


def test_pyproject_declares_what_functions_import_as_a_dependency_or_an_optional_extra():
    imports = _third_party_imports(in_functions=True)
    assert "IPython" in imports  # show_interactive imports it when called
    missing = _missing(imports, set(_declared(extras=True)))
    assert not missing, f"add to pyproject.toml (dependencies or an optional extra): {missing}"


def test_pyproject_declares_the_solvers_the_package_asks_cvxpy_for():
    from cvxpy.settings import SOLVERS

    named = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and node.value in SOLVERS:
                named.add(node.value)
            elif isinstance(node, ast.Attribute) and node.attr in SOLVERS:
                named.add(node.attr)
    assert "CLARABEL" in named  # the scan sees them
    missing = {s.lower() for s in named} - set(_declared())
    assert not missing, f"solvers used by name but not declared: {sorted(missing)}"


def test_minimum_versions_admit_the_pinned_stack_of_requirements_txt():
    pins = _pins()
    declared = _declared()
    undeclared_pins = sorted(set(declared) - set(pins))
    assert not undeclared_pins, f"requirements.txt (what Binder installs) must pin {undeclared_pins}"
    for name, req in _declared(extras=True).items():
        if name in pins:
            assert req.specifier.contains(pins[name]), f"pyproject.toml {req} excludes the pin {name}=={pins[name]}"


# ------------------------------------------------------------------------------ a plain install of the wheel
def _clean_env() -> dict[str, str]:
    """The environment without anything that would point Python or pip at the checkout or its venv."""
    drop = {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PIP_REQUIRE_VIRTUALENV", "PIP_TARGET", "PIP_PREFIX"}
    env = {k: v for k, v in os.environ.items() if k not in drop and not k.startswith("PIP_USER")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def _run(cmd, cwd, timeout=INSTALL_TIMEOUT_S) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(c) for c in cmd], cwd=cwd, env=_clean_env(), capture_output=True, text=True,
                          timeout=timeout)
    assert proc.returncode == 0, f"{' '.join(map(str, cmd))} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
    return proc


@pytest.fixture(scope="module")
def installed_wheel(tmp_path_factory) -> tuple[Path, Path]:
    """(python of a fresh venv with the wheel and its declared dependencies installed, the wheel)."""
    tmp = tmp_path_factory.mktemp("packaging")
    source = tmp / "source"  # a copy: the build writes build/ and *.egg-info next to pyproject.toml
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, source / name)
    shutil.copytree(PACKAGE, source / "utils", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    dist = tmp / "dist"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", dist, source], cwd=tmp)
    (wheel,) = dist.glob("duality_book_utils-*.whl")
    venv = tmp / "venv"
    _run([sys.executable, "-m", "venv", venv], cwd=tmp)
    python = venv / "bin" / "python"
    # --no-compile: byte-compiling every installed file (plotly has thousands) takes longer than the downloads
    _run([python, "-m", "pip", "install", "--quiet", "--no-compile", wheel], cwd=tmp)
    return python, wheel


def test_wheel_holds_every_module_of_the_package(installed_wheel):
    _, wheel = installed_wheel
    packed = {n for n in zipfile.ZipFile(wheel).namelist() if n.startswith("utils/")}
    sources = {p.relative_to(ROOT).as_posix() for p in PACKAGE.rglob("*.py")}
    assert sources <= packed, f"missing from the wheel: {sorted(sources - packed)}"


def test_installed_wheel_has_consistent_dependencies(installed_wheel):
    python, _ = installed_wheel
    _run([python, "-m", "pip", "check"], cwd="/", timeout=120)


def test_installed_wheel_works_outside_the_checkout(installed_wheel):
    python, _ = installed_wheel
    script = f"EXERCISES = {utils.registered_exercises()!r}\n" + textwrap.dedent("""
        import sysconfig
        from pathlib import Path

        import utils

        site = Path(sysconfig.get_paths()["purelib"]).resolve()
        assert Path(utils.__file__).resolve().is_relative_to(site), utils.__file__
        for name in utils.__all__:
            getattr(utils, name)
        assert utils.registered_exercises() == EXERCISES  # every chapter's checks are in the wheel

        sigma, L = [3.0, 2.0, 1.0], 4  # P = (L/2) sum sigma_i^(2/L), D = (L/2) (sum sigma_i)^(2/L)
        gap = L / 2 * sum(s ** (2 / L) for s in sigma) - L / 2 * sum(sigma) ** (2 / L)
        assert abs(utils.gap_from_singular_values(sigma, L) - gap) <= 1e-12 * gap
        assert utils.check_exercise("02.2", gap)
        print("checked", len(utils.__all__), "names from", utils.__file__)
    """)
    proc = _run([python, "-c", script], cwd="/", timeout=300)
    assert "Exercise 02.2: correct" in proc.stdout


def test_student_edition_of_an_installed_package_asks_for_a_checkout_of_the_book(installed_wheel, tmp_path):
    python, _ = installed_wheel
    proc = subprocess.run([str(python), "-m", "utils.course.student_edition", str(tmp_path / "out")], cwd="/",
                          env=_clean_env(), capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert "--root" in proc.stderr and "checkout" in proc.stderr, proc.stderr
    assert not (tmp_path / "out").exists()
