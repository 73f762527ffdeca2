"""Build the JupyterLite edition of the book: every chapter notebook, runnable in the browser, with no server.

:func:`stage_lite` prepares a JupyterLite project folder (the "lite dir") from the repository:

* ``contents/``: the notebooks of ``_toc.yml``, in reading order, with the Pyodide kernel's kernelspec
  (:data:`LITE_KERNELSPEC`; the copies only, ``book/`` is never written), so that no "Select Kernel" dialog
  appears;
* ``pypi/``: the wheels that ``%pip install`` (piplite) finds in the browser without any network but the site's:
  this package's own wheel (``pip wheel --no-deps`` of the sources next to this module), and the pure-Python
  wheels pinned in ``requirements-lite.txt`` (ipywidgets, plotly and the dependencies Pyodide lacks);
* ``tools/``: the JupyterLite Pyodide kernel (also pinned there), unpacked from its wheel and put on
  ``PYTHONPATH`` for ``jupyter lite build`` only (see ``requirements-lite.txt`` for why it is not installed).

Wheels are downloaded once (``pip download``) into ``<stage>/downloads`` and reused while their pins hold.
:func:`run_lite_build` then runs ``jupyter lite build`` (jupyterlite-core, from requirements.txt) on that folder:
the JupyterLab app with the federated extensions of the environment (jupyterlab-myst, which renders the theorem
and exercise boxes, the widget manager, plotly's renderer) and the kernel's, into an output folder. With
``pyodide_dir`` it serves a local Pyodide (``static/pyodide``) instead of the CDN default, as the offline test
does.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat

from .toc import toc_notebooks

__all__ = ["KERNEL_TOOLS", "LITE_KERNELSPEC", "LITE_REQUIREMENTS", "PACKAGE_FILES", "LiteBuildError", "pinned_requirements",
           "pyodide_version", "run_lite_build", "stage_contents", "stage_lite", "wheel_name_version"]

#: The pin file (at the repository root).
LITE_REQUIREMENTS = "requirements-lite.txt"
#: Distributions of the pin file that build the app (unpacked into ``tools/``); the others are bundled wheels.
KERNEL_TOOLS = ("jupyterlite-pyodide-kernel", "pkginfo")
#: The kernelspec of the lite copies: the Pyodide kernel is called ``python`` in JupyterLite.
LITE_KERNELSPEC = {"display_name": "Python (Pyodide)", "language": "python", "name": "python"}
#: The files of the package's sources that ``pip wheel`` needs.
PACKAGE_FILES = ("pyproject.toml", "README.md", "LICENSE")

_PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[A-Za-z0-9.+!-]+)$")


class LiteBuildError(RuntimeError):
    """A step of the lite build failed (the message names the step and ends with its output)."""


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pinned_requirements(path) -> dict[str, str]:
    """The exact pins of a requirements file, ``{canonical name: version}``.

    Parameters
    ----------
    path : str or Path
        A file of ``name==version`` lines (comments and blank lines allowed).

    Returns
    -------
    dict
        In file order; names canonicalised (lower case, runs of ``-_.`` as ``-``).

    Raises
    ------
    ValueError
        If a line is not an exact ``name==version`` pin.
    """
    pins = {}
    for number, line in enumerate(Path(path).read_text().splitlines(), 1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        match = _PIN.match(text)
        if not match:
            raise ValueError(f"{path}:{number}: expected an exact pin name==version, got {text!r}")
        pins[_canonical(match["name"])] = match["version"]
    return pins


def wheel_name_version(path) -> tuple[str, str]:
    """``(canonical name, version)`` from a wheel's file name (``name-version-...-none-any.whl``).

    Parameters
    ----------
    path : str or Path
        The wheel file.

    Returns
    -------
    (str, str)
    """
    name, version = Path(path).name.split("-")[:2]
    return _canonical(name), version


def _run(cmd: list[str], what: str, **kwargs) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-40:])
        raise LiteBuildError(f"lite build: {what} failed (exit {proc.returncode}): {' '.join(cmd)}\n{tail}")


def _download(pins: dict[str, str], folder: Path) -> dict[str, Path]:
    """``{name: wheel}`` for every pin, downloading (pip, no dependencies, wheels only) the missing ones."""
    folder.mkdir(parents=True, exist_ok=True)
    have = {wheel_name_version(p): p for p in folder.glob("*.whl")}
    missing = [f"{n}=={v}" for n, v in pins.items() if (n, v) not in have]
    if missing:
        _run([sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check", "--no-deps",
              "--only-binary=:all:", "--dest", str(folder), *missing], "downloading the pinned wheels")
        have = {wheel_name_version(p): p for p in folder.glob("*.whl")}
    lost = [f"{n}=={v}" for n, v in pins.items() if (n, v) not in have]
    if lost:
        raise LiteBuildError(f"lite build: pip download gave no wheel for {lost} in {folder}")
    return {n: have[(n, v)] for n, v in pins.items()}


def _build_package_wheel(package_root: Path, stage: Path, dest: Path) -> Path:
    """This package's wheel, built (``pip wheel --no-deps``) from a copy of its sources into ``dest``."""
    source = stage / "package-source"  # a copy: setuptools writes build/ and *.egg-info next to pyproject.toml
    shutil.rmtree(source, ignore_errors=True)
    source.mkdir(parents=True)
    for name in PACKAGE_FILES:
        shutil.copy2(package_root / name, source / name)
    shutil.copytree(package_root / "utils", source / "utils", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    wheels = stage / "package-wheel"
    shutil.rmtree(wheels, ignore_errors=True)
    # the environment's setuptools when it has one (fast, no download), else pip's isolated build
    isolation = ["--no-build-isolation"] if _has_setuptools() else []
    _run([sys.executable, "-m", "pip", "wheel", "--quiet", "--disable-pip-version-check", "--no-deps", *isolation,
          "--wheel-dir", str(wheels), str(source.resolve())], "building the package wheel")
    (wheel,) = wheels.glob("*.whl")
    target = dest / wheel.name
    shutil.copy2(wheel, target)
    shutil.rmtree(source)
    return target


def _has_setuptools() -> bool:
    import importlib.util

    return importlib.util.find_spec("setuptools") is not None


def stage_contents(notebooks, dest) -> list[Path]:
    """Copy notebooks into ``dest`` with the lite kernelspec (:data:`LITE_KERNELSPEC`); return the copies.

    Parameters
    ----------
    notebooks : iterable of str or Path
        The notebooks, in reading order; their file names must differ.
    dest : str or Path
        The contents folder (created).

    Returns
    -------
    list of Path
        ``dest/<name>.ipynb`` for each notebook, in the same order.

    Raises
    ------
    ValueError
        If two notebooks have the same file name.
    """
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    copies: list[Path] = []
    for path in map(Path, notebooks):
        target = dest / path.name
        if target in copies:
            raise ValueError(f"two notebooks are named {path.name}: the lite contents folder is flat")
        nb = nbformat.read(path, as_version=4)
        nb.metadata["kernelspec"] = dict(LITE_KERNELSPEC)
        nbformat.write(nb, target)
        copies.append(target)
    return copies


def stage_lite(book_root, package_root, stage) -> Path:
    """Prepare the lite project folder ``stage`` (``contents/``, ``pypi/``, ``tools/``; see the module doc).

    Parameters
    ----------
    book_root : str or Path
        The book's folder (``_toc.yml``; its notebooks become the contents).
    package_root : str or Path
        The repository root holding ``pyproject.toml``, ``utils/`` and ``requirements-lite.txt``.
    stage : str or Path
        The folder to fill; ``downloads/`` inside it is kept between builds, the rest is replaced.

    Returns
    -------
    Path
        ``stage``.

    Raises
    ------
    LiteBuildError
        If a download, the wheel build or the kernel's unpacking fails.
    """
    book_root, package_root, stage = Path(book_root), Path(package_root), Path(stage)
    for name in ("contents", "pypi", "tools"):
        shutil.rmtree(stage / name, ignore_errors=True)
    notebooks = [p for p in toc_notebooks(book_root) if p.is_file()]
    stage_contents(notebooks, stage / "contents")
    pins = pinned_requirements(package_root / LITE_REQUIREMENTS)
    missing_tools = [t for t in KERNEL_TOOLS if t not in pins]
    if missing_tools:
        raise LiteBuildError(f"lite build: {LITE_REQUIREMENTS} does not pin {missing_tools}")
    wheels = _download(pins, stage / "downloads")
    (stage / "pypi").mkdir(parents=True)
    for name, wheel in wheels.items():
        if name in KERNEL_TOOLS:
            with zipfile.ZipFile(wheel) as archive:
                archive.extractall(stage / "tools")
        else:
            shutil.copy2(wheel, stage / "pypi" / wheel.name)
    _build_package_wheel(package_root, stage, stage / "pypi")
    return stage


def _kernel_labextensions(stage: Path) -> Path:
    found = sorted((stage / "tools").glob("jupyterlite_pyodide_kernel-*.data/data/share/jupyter/labextensions"))
    if not found:
        raise LiteBuildError(f"lite build: no Pyodide kernel labextension in {stage / 'tools'}: run stage_lite")
    return found[0]


def pyodide_version(stage) -> str:
    """The Pyodide version that the staged kernel loads by default (``PYODIDE_VERSION`` of its constants).

    Parameters
    ----------
    stage : str or Path
        A folder prepared by :func:`stage_lite`.

    Returns
    -------
    str
        E.g. ``"314.0.6"``.
    """
    text = (Path(stage) / "tools" / "jupyterlite_pyodide_kernel" / "constants.py").read_text()
    match = re.search(r'^PYODIDE_VERSION\s*=\s*"([^"]+)"', text, flags=re.M)
    if not match:
        raise LiteBuildError("lite build: PYODIDE_VERSION not found in the kernel's constants.py")
    return match[1]


def run_lite_build(stage, output, pyodide_dir=None) -> Path:
    """Run ``jupyter lite build`` on a staged folder into ``output`` (replaced).

    Parameters
    ----------
    stage : str or Path
        A folder prepared by :func:`stage_lite`.
    output : str or Path
        The app's folder (``<site>/lite``).
    pyodide_dir : str or Path, optional
        A Pyodide distribution folder (``pyodide.mjs``, ``pyodide-lock.json``, the wheels it lists) to serve
        from ``output/static/pyodide``; default: the kernel loads Pyodide from its CDN.

    Returns
    -------
    Path
        ``output``.

    Raises
    ------
    LiteBuildError
        If ``jupyter lite build`` fails.
    """
    stage, output = Path(stage).resolve(), Path(output).resolve()
    shutil.rmtree(output, ignore_errors=True)
    local = stage / "static" / "pyodide"  # jupyterlite's well-known place for a local Pyodide
    shutil.rmtree(local, ignore_errors=True)
    if pyodide_dir is not None:
        shutil.copytree(pyodide_dir, local)
    for leftover in (".jupyterlite.doit.db", ".cache"):  # a clean build every time: inputs are all staged anew
        path = stage / leftover
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(stage / "tools"), os.environ.get("PYTHONPATH", "")])}
    _run([sys.executable, "-m", "jupyterlite_core", "build", "--lite-dir", str(stage),
          "--contents", str(stage / "contents"), "--output-dir", str(output), "--apps", "lab", "--no-sourcemaps",
          "--no-unused-shared-packages",
          f"--FederatedExtensionAddon.extra_labextensions_path={_kernel_labextensions(stage)}"],
         "jupyter lite build", cwd=stage, env=env)
    shutil.rmtree(local, ignore_errors=True)
    return output
