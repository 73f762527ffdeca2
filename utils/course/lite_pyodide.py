"""A self-hosted Pyodide for the JupyterLite edition: enough to start the kernel with no network at all.

The published app loads Pyodide from its CDN. The offline test (``tests/test_lite_browser.py``) serves it from the
site instead, so that a browser which may reach nothing but localhost still starts the kernel:

* the Pyodide core comes from the npm registry's ``pyodide`` package of the version the kernel expects
  (``npm pack pyodide@<version>``: ``pyodide.mjs``, the WebAssembly module, the standard library and
  ``pyodide-lock.json``, the index of the distribution's packages);
* the distribution's packages themselves live only on the CDN. The kernel needs a few of them to start
  (:data:`KERNEL_PACKAGES`, with their dependencies from the lock file: micropip, IPython, jedi and their
  pure-Python dependencies); :func:`local_pyodide` downloads the same versions from PyPI (``pip download``,
  pure-Python wheels) and writes their SHA-256 into the copy of the lock file, since Pyodide checks it and
  its own builds of these wheels differ from PyPI's (tests removed).

Everything else of the distribution (numpy, scipy, cvxpy-base, ...) stays on the CDN, so offline the kernel runs
pure Python and the wheels bundled with the app, not the chapters' numerics.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

__all__ = ["CORE_FILES", "KERNEL_PACKAGES", "dependency_closure", "local_pyodide"]

#: What the kernel loads from the distribution before it is ready (micropip; then piplite installs IPython, jedi).
KERNEL_PACKAGES = ("micropip", "ipython", "jedi")
#: The files of the npm package that the app serves.
CORE_FILES = ("pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json",
              "pyodide.js", "package.json")


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def dependency_closure(lock: dict, names) -> list[str]:
    """The packages of a Pyodide lock file that ``names`` need, themselves included, sorted.

    Parameters
    ----------
    lock : dict
        A parsed ``pyodide-lock.json`` (``{"packages": {name: {"depends": [...], ...}}}``).
    names : iterable of str
        Package names (any spelling: ``prompt_toolkit`` is ``prompt-toolkit``).

    Returns
    -------
    list of str
        Canonical names, sorted.

    Raises
    ------
    KeyError
        If a name or a dependency is not in the lock file.
    """
    packages = {_canonical(k): v for k, v in lock["packages"].items()}
    seen: set[str] = set()
    todo = [_canonical(n) for n in names]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        if name not in packages:
            raise KeyError(f"{name} is not in the Pyodide lock file")
        seen.add(name)
        todo += [_canonical(d) for d in packages[name]["depends"]]
    return sorted(seen)


def _run(cmd: list[str], cwd: Path, what: str) -> None:
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{what} failed: {' '.join(cmd)}\n{(proc.stdout + proc.stderr)[-3000:]}")


def local_pyodide(version: str, dest, npm: str = "npm") -> Path:
    """Make ``dest`` a Pyodide distribution folder that starts the JupyterLite kernel without a network.

    Parameters
    ----------
    version : str
        The Pyodide version (the kernel's ``PYODIDE_VERSION``), e.g. ``"314.0.6"``.
    dest : str or Path
        The folder to fill. When it already holds a complete copy of this version (a marker file), nothing is
        downloaded.
    npm : str
        The npm executable.

    Returns
    -------
    Path
        ``dest``, with :data:`CORE_FILES`, the wheels of :data:`KERNEL_PACKAGES` and their dependencies, and a
        lock file whose SHA-256 entries for those wheels match the files.

    Raises
    ------
    RuntimeError
        If ``npm pack`` or ``pip download`` fails, or a wheel the lock file names was not downloaded.
    """
    dest = Path(dest)
    marker = dest / ".complete"
    if marker.is_file() and marker.read_text().strip() == version:
        return dest
    shutil.rmtree(dest, ignore_errors=True)
    work = dest.with_name(dest.name + ".work")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    _run([npm, "pack", "--silent", f"pyodide@{version}"], work, f"npm pack pyodide@{version}")
    (tarball,) = work.glob("pyodide-*.tgz")
    with tarfile.open(tarball) as archive:
        archive.extractall(work, filter="data")
    package = work / "package"
    dest.mkdir(parents=True)
    for name in CORE_FILES:
        shutil.copy2(package / name, dest / name)
    lock = json.loads((package / "pyodide-lock.json").read_text())
    entries = {_canonical(k): v for k, v in lock["packages"].items()}
    needed = dependency_closure(lock, KERNEL_PACKAGES)
    python = "".join(lock["info"]["python"].split(".")[:2])  # e.g. "3.14.2" -> "314"
    specs = [f"{n}=={entries[n]['version']}" for n in needed]
    _run([sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check", "--no-deps",
          "--only-binary=:all:", "--python-version", python, "--dest", str(work / "wheels"), *specs], work,
         "pip download of the kernel's start-up packages")
    for name in needed:
        file_name = entries[name]["file_name"]
        wheel = work / "wheels" / file_name
        if not wheel.is_file():
            raise RuntimeError(f"pip download gave no {file_name} (Pyodide's {name}); got "
                               f"{sorted(p.name for p in (work / 'wheels').iterdir())}")
        shutil.copy2(wheel, dest / file_name)
        entries[name]["sha256"] = hashlib.sha256(wheel.read_bytes()).hexdigest()
    (dest / "pyodide-lock.json").write_text(json.dumps(lock))
    shutil.rmtree(work)
    marker.write_text(version + "\n")
    return dest
