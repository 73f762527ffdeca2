"""Every chapter runs with the package set of the in-browser edition (JupyterLite's Pyodide kernel).

``requirements-pyodide.txt`` pins the packages of the Pyodide release that JupyterLite runs: cvxpy-base with
Clarabel and HiGHS, but no SCS, ECOS or OSQP. This module builds a CPython venv with exactly those pins, plus
the kernel tooling that executes notebooks here (nbclient, ipykernel, at the versions of requirements*.txt;
they are not part of the Pyodide set: JupyterLite has its own kernel), installs the package's wheel without
its dependencies, checks that the solvers Pyodide lacks cannot be imported, and executes every chapter
notebook of ``_toc.yml`` in it: a copy of ``book/`` in a temporary folder, each notebook from its own folder
as in the build, one notebook per test with a timeout. A chapter that needs something outside the browser's
set fails with its traceback (e.g. ``ModuleNotFoundError`` or "The solver SCS is not installed").

The venv is kept in the system's temporary folder under a name derived from the pins and the Python version,
and rebuilt when they change; a clean machine (CI) builds it first (a few minutes of downloads and installs).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest
from test_repository import ROOT, _toc_files

pytestmark = pytest.mark.slow

PINS = ROOT / "requirements-pyodide.txt"
MISSING_IN_PYODIDE = ("scs", "ecos", "osqp")
KERNEL_TOOLS = ("nbclient", "ipykernel")  # to execute notebooks here; not in the Pyodide set
INSTALL_TIMEOUT_S = 1800
NOTEBOOK_TIMEOUT_S = 600  # per chapter (the book's budget is 60 s; room for a busy 2-core machine)
CHAPTERS = [doc for doc in _toc_files() if (ROOT / f"{doc}.ipynb").exists()]

# Executed by the mirror's Python: one notebook, with nbclient, from the notebook's folder.
_RUNNER = textwrap.dedent("""
    import json, sys, time
    import nbformat
    from nbclient import NotebookClient

    path, timeout = sys.argv[1], int(sys.argv[2])
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(__import__("pathlib").Path(path).parent)}})
    client.execute()
    print(json.dumps({"seconds": time.perf_counter() - start}))
""")

# Executed by the mirror's Python from the copied book/ folder: what the kernel will import.
_PROBE = textwrap.dedent("""
    import importlib.metadata, importlib.util, json, sys, sysconfig
    from pathlib import Path
    import cvxpy, utils
    print(json.dumps({
        "importable": [m for m in sys.argv[1:] if importlib.util.find_spec(m) is not None],
        "solvers": cvxpy.installed_solvers(),
        "utils": str(Path(utils.__file__).resolve()),
        "site": str(Path(sysconfig.get_paths()["purelib"]).resolve()),
        "versions": {d.metadata["Name"]: d.version for d in importlib.metadata.distributions()},
    }))
""")


def _clean_env() -> dict[str, str]:
    """The environment without anything that points Python or pip at the checkout or its venv."""
    drop = {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PIP_REQUIRE_VIRTUALENV", "PIP_TARGET", "PIP_PREFIX"}
    env = {k: v for k, v in os.environ.items() if k not in drop and not k.startswith("PIP_USER")}
    env.update(PIP_DISABLE_PIP_VERSION_CHECK="1", OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    return env


def _run(cmd, cwd, timeout=INSTALL_TIMEOUT_S) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(c) for c in cmd], cwd=cwd, env=_clean_env(), capture_output=True, text=True,
                          timeout=timeout, check=False)
    if proc.returncode != 0:
        command = " ".join(map(str, cmd))
        pytest.fail(f"{command} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}", pytrace=False)
    return proc


def _normalised(name: str) -> str:
    """A distribution name in PEP 503 form: ``jupyterlab_widgets`` -> ``jupyterlab-widgets``."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins(text: str) -> dict[str, str]:
    """``name -> version`` of the ``name==version`` lines of a requirements file (names lower-case)."""
    pins = {}
    for line in text.splitlines():
        match = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*==\s*([^\s;#]+)", line)
        if match:
            pins[_normalised(match.group(1))] = match.group(2)
    return pins


def _kernel_tool_pins() -> list[str]:
    """``nbclient==...`` and ``ipykernel==...`` as pinned by requirements.txt / requirements-test.txt."""
    pinned = {name: version for file in ("requirements.txt", "requirements-test.txt")
              for name, version in _pins((ROOT / file).read_text()).items()}
    return [f"{name}=={pinned[name]}" for name in KERNEL_TOOLS]


def _mirror_venv() -> Path:
    """The venv with the pins of requirements-pyodide.txt and the kernel tools (built once per pin set)."""
    tools = _kernel_tool_pins()
    key = hashlib.sha256("\n".join([PINS.read_text(), *tools, sys.version]).encode()).hexdigest()[:16]
    venv = Path(tempfile.gettempdir()) / f"duality-book-pyodide-mirror-{key}"
    done = venv / "mirror-complete"
    if done.exists():
        return venv
    shutil.rmtree(venv, ignore_errors=True)  # an interrupted earlier build
    _run([sys.executable, "-m", "venv", venv], cwd=tempfile.gettempdir())
    # --no-compile: byte-compiling every installed file takes longer than the downloads
    _run([venv / "bin" / "python", "-m", "pip", "install", "--quiet", "--no-compile", "-r", PINS, *tools],
         cwd=tempfile.gettempdir())
    done.write_text(PINS.read_text())
    return venv


@pytest.fixture(scope="module")
def mirror(tmp_path_factory) -> tuple[Path, Path]:
    """(Python of the mirror venv with this checkout's wheel installed, the copied book/ folder)."""
    tmp = tmp_path_factory.mktemp("pyodide_mirror")
    python = _mirror_venv() / "bin" / "python"
    source = tmp / "source"  # a copy: the build writes build/ and *.egg-info next to pyproject.toml
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, source / name)
    shutil.copytree(ROOT / "utils", source / "utils", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", tmp / "dist", source], cwd=tmp)
    (wheel,) = (tmp / "dist").glob("duality_book_utils-*.whl")
    _run([python, "-m", "pip", "install", "--quiet", "--no-deps", "--force-reinstall", "--no-compile", wheel],
         cwd=tmp)
    site = tmp / "site"
    shutil.copytree(ROOT / "book", site / "book", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    for name in ("_toc.yml", "_config.yml"):
        shutil.copy2(ROOT / name, site / name)
    return python, site / "book"


def test_mirror_has_the_pinned_packages_and_not_the_solvers_pyodide_lacks(mirror):
    python, book = mirror
    probe = json.loads(_run([python, "-c", _PROBE, *MISSING_IN_PYODIDE], cwd=book, timeout=300).stdout)
    assert probe["importable"] == [], f"importable in the mirror, absent from Pyodide: {probe['importable']}"
    assert "CLARABEL" in probe["solvers"]
    assert not {m.upper() for m in MISSING_IN_PYODIDE} & set(probe["solvers"]), probe["solvers"]
    assert Path(probe["utils"]).is_relative_to(probe["site"]), "the kernel must import the installed wheel"
    installed = {_normalised(name): version for name, version in probe["versions"].items()}
    wrong = {name: (version, installed.get(name))
             for name, version in _pins(PINS.read_text()).items() if installed.get(name) != version}
    assert not wrong, f"pinned -> installed: {wrong}"


@pytest.mark.parametrize("docname", CHAPTERS)
def test_chapter_runs_with_the_pyodide_package_set(mirror, docname):
    python, book = mirror
    notebook = book.parent / f"{docname}.ipynb"
    try:
        proc = subprocess.run([str(python), "-c", _RUNNER, str(notebook), str(NOTEBOOK_TIMEOUT_S)],
                              cwd=notebook.parent, env=_clean_env(), capture_output=True, text=True,
                              timeout=NOTEBOOK_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{docname} did not finish within {NOTEBOOK_TIMEOUT_S} s with the Pyodide package set")
    if proc.returncode != 0:
        pytest.fail(f"{docname} fails with the Pyodide package set:\n{proc.stderr[-6000:]}", pytrace=False)
    seconds = json.loads(proc.stdout.strip().splitlines()[-1])["seconds"]
    print(f"{docname}: {seconds:.1f} s")
