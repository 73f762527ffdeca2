"""The hidden setup cell: the second cell of every notebook of the book, the same in all of them.

It is written here, once, and copied into the notebooks by ``python -m utils.course.setup_cell --write``
(``--check``, the default, only lists the notebooks whose second cell differs). The website hides it (cell tag
``remove-cell``). Where the notebook runs decides what it does:

* **Google Colab** (``google.colab`` imported): installs this package from the repository of ``_config.yml``
  (``repository.url`` at ``repository.branch``) with ``%pip``.
* **JupyterLite** (the website's in-browser edition, a Python kernel compiled to WebAssembly by Pyodide;
  ``sys.platform == "emscripten"``): ``%pip`` is JupyterLite's ``piplite``. It first installs
  :data:`PYODIDE_PACKAGES`, the packages the chapters use, from the Pyodide distribution (or, for ipywidgets
  and plotly, from the wheels bundled with the website), then this package's own wheel, bundled with the
  website too, without its declared dependencies (:data:`HELPER_DISTRIBUTION`, ``--no-deps``: they name
  CPython packages such as ``cvxpy`` and ``scs``, whose browser counterparts are ``cvxpy-base`` and none).
* **Everywhere** (also Binder and a local Jupyter, where ``pip install -r requirements.txt`` installed the
  package): stops with a clear message when a local ``utils.py`` or ``utils/`` folder hides the book's package.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import nbformat
import yaml

from .toc import toc_notebooks

__all__ = ["HELPER_DISTRIBUTION", "PYODIDE_PACKAGES", "SETUP_TAGS", "main", "repository", "setup_cell_problems",
           "setup_cell_source", "write_setup_cells"]

#: The distribution name of this package (``pyproject.toml``), as its wheel is bundled with the lite app.
HELPER_DISTRIBUTION = "duality-book-utils"

#: What the chapters import, by Pyodide package name (``cvxpy-base`` is cvxpy without SCS, ECOS, OSQP; it brings
#: Clarabel). ipywidgets and plotly are pure-Python wheels that the lite app bundles.
PYODIDE_PACKAGES = ("numpy", "scipy", "scikit-learn", "threadpoolctl", "cvxpy-base", "clarabel", "matplotlib",
                    "pillow", "pyyaml", "ipywidgets", "plotly")

#: The cell's tags: hidden on the website.
SETUP_TAGS = ["remove-cell"]

_TEMPLATE = '''\
# Set-up. On Google Colab: install this book's `utils` package from its repository. In JupyterLite (the
# website's "run in your browser" edition): install it and the packages it uses from the website itself.
import sys
if "google.colab" in sys.modules:
    %pip install --quiet "git+{url}@{branch}"
elif sys.platform == "emscripten":
    %pip install --quiet {packages}
    %pip install --quiet --no-deps {helper}
# Stop here if a local utils.py or utils/ folder hides the book's package (`utils` is a common name).
import importlib
importlib.invalidate_caches()
import utils
if not hasattr(utils, "__book__"):
    where = getattr(utils, "__file__", None) or ", ".join(utils.__path__)
    raise ImportError(f"`import utils` loads {{where}}, which is not this book's package: rename or move that file "
                      "or folder (it hides the book's `utils`), then restart the kernel (on Colab: Runtime > "
                      "Restart session) and run the notebook again.")'''


def repository(root) -> tuple[str, str]:
    """The repository URL and branch of ``root/_config.yml`` (``repository.url``, ``repository.branch``).

    Parameters
    ----------
    root : str or Path
        The repository root.

    Returns
    -------
    (str, str)
        The URL without a trailing slash, and the branch (``main`` when not set).

    Raises
    ------
    ValueError
        If ``_config.yml`` has no ``repository.url``.
    """
    path = Path(root) / "_config.yml"
    config = yaml.safe_load(path.read_text()) or {}
    repo = config.get("repository") or {}
    if not repo.get("url"):
        raise ValueError(f"{path} has no repository.url: the Colab branch of the setup cell installs from it")
    return str(repo["url"]).rstrip("/"), str(repo.get("branch") or "main")


def setup_cell_source(url: str, branch: str) -> str:
    """The source of the setup cell for the repository ``url`` at ``branch``.

    Parameters
    ----------
    url, branch : str
        Where Colab installs the package from: ``pip install "git+{url}@{branch}"``.

    Returns
    -------
    str
        The cell's code (IPython: ``%pip`` lines inside the two branches).
    """
    return _TEMPLATE.format(url=url, branch=branch, packages=" ".join(PYODIDE_PACKAGES),
                            helper=HELPER_DISTRIBUTION)


def setup_cell_problems(nb, source: str) -> list[str]:
    """What is wrong with a notebook's setup cell (its second cell), compared with ``source``.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The notebook.
    source : str
        The expected code (:func:`setup_cell_source`).

    Returns
    -------
    list of str
        Empty when the second cell is a code cell with exactly ``source`` and the tag ``remove-cell``.
    """
    if len(nb.cells) < 2 or nb.cells[1].cell_type != "code":
        return ["the second cell is not a code cell"]
    cell = nb.cells[1]
    problems = []
    if cell.source != source:
        problems.append("the second cell differs from the setup cell of utils.course.setup_cell")
    if not set(SETUP_TAGS) <= set(cell.metadata.get("tags", [])):
        problems.append(f"the setup cell lacks the tags {SETUP_TAGS}")
    return problems


def _source_lines(source: str) -> list[str]:
    """A cell source as stored in a notebook file: lines that keep their newline."""
    return source.splitlines(keepends=True)


def write_setup_cells(root, notebooks=None) -> list[Path]:
    """Replace the second cell's code of every notebook by the setup cell, and tag it; return the changed files.

    Only that cell changes: the file is edited as JSON (indent 1, as Jupyter writes it) and the rest of it is
    written back as it was read, key order included.

    Parameters
    ----------
    root : str or Path
        The repository root (``_config.yml`` names the repository).
    notebooks : iterable of Path, optional
        The notebooks to update; default: every existing notebook of ``_toc.yml``.

    Returns
    -------
    list of Path
        The notebooks that were rewritten (the others already had the cell).

    Raises
    ------
    ValueError
        If a notebook's second cell is not a code cell (the title cell must come first, then the setup cell).
    """
    source = setup_cell_source(*repository(root))
    paths = [p for p in toc_notebooks(root) if p.is_file()] if notebooks is None else [Path(p) for p in notebooks]
    changed = []
    for path in paths:
        if not setup_cell_problems(nbformat.read(path, as_version=4), source):
            continue
        nb = json.loads(path.read_text(encoding="utf-8"))
        if len(nb["cells"]) < 2 or nb["cells"][1]["cell_type"] != "code":
            raise ValueError(f"{path}: the second cell is not a code cell; expected the setup cell there")
        cell = nb["cells"][1]
        cell["source"] = _source_lines(source)
        tags = cell.setdefault("metadata", {}).setdefault("tags", [])
        tags += [t for t in SETUP_TAGS if t not in tags]
        path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        changed.append(path)
    return changed


def main(argv: list[str] | None = None) -> int:
    """``python -m utils.course.setup_cell [--write] [--root ROOT]``: check (or write) every notebook's cell."""
    parser = argparse.ArgumentParser(prog="python -m utils.course.setup_cell", description=(
        "Check that the second cell of every notebook of _toc.yml is the book's setup cell; with --write, "
        "write it there first."))
    parser.add_argument("--write", action="store_true", help="update the notebooks' second cells in place")
    parser.add_argument("--root", default=".", help="the repository root (default: the current folder)")
    args = parser.parse_args(argv)
    root = Path(args.root)
    if args.write:
        for path in write_setup_cells(root):
            print(f"updated {path}")
    source = setup_cell_source(*repository(root))
    failed = False
    for path in (p for p in toc_notebooks(root) if p.is_file()):
        for problem in setup_cell_problems(nbformat.read(path, as_version=4), source):
            failed = True
            print(f"{path}: {problem}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
