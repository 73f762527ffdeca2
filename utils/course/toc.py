"""The book's table of contents (``_toc.yml``): the one place that reads it for tools, tests and benchmarks."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

__all__ = ["toc_docnames", "toc_notebooks"]


def _is_docname(value) -> bool:
    return isinstance(value, str) and value.strip() != ""


def toc_docnames(root) -> list[str]:
    """The documents listed in ``root/_toc.yml``, root page first, then in reading order.

    Parameters
    ----------
    root : str or Path
        The repository root (the folder holding ``_toc.yml``).

    Returns
    -------
    list of str
        Document names without extension, e.g. ``["book/intro", "book/notation", ...]``.

    Raises
    ------
    FileNotFoundError
        If ``root/_toc.yml`` does not exist.
    ValueError
        If ``_toc.yml`` is not valid YAML, is not a mapping with a ``root`` document, or has a ``file`` entry
        that is not a document name; the message names the file and what is wrong.
    """
    toc_path = Path(root) / "_toc.yml"
    if not toc_path.is_file():
        raise FileNotFoundError(f"{toc_path} not found: pass the repository root")
    try:
        toc = yaml.safe_load(toc_path.read_text())
    except yaml.YAMLError as err:
        raise ValueError(f"{toc_path} is not valid YAML: {err}") from None
    if not isinstance(toc, dict):
        raise ValueError(f"{toc_path} must be a mapping with a 'root:' entry (Jupyter Book 1 format), "
                         f"got {type(toc).__name__}")
    if not _is_docname(toc.get("root")):
        raise ValueError(f"{toc_path} has no 'root:' document (e.g. 'root: book/intro'), "
                         f"got {toc.get('root')!r}")
    names = [str(toc["root"])]

    def walk(node) -> None:
        if isinstance(node, dict):
            if "file" in node:
                if not _is_docname(node["file"]):
                    raise ValueError(f"{toc_path}: a 'file:' entry must name a document, got {node['file']!r}")
                names.append(str(node["file"]))
            for key, value in node.items():
                if key not in ("file", "root"):
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(toc)
    unique = []
    for name in (re.sub(r"\.(md|ipynb)$", "", n) for n in names):
        if name not in unique:
            unique.append(name)
    return unique


def toc_notebooks(root) -> list[Path]:
    """The notebooks of the table of contents, in reading order (existing or not).

    Parameters
    ----------
    root : str or Path
        The repository root.

    Returns
    -------
    list of Path
        ``root/<doc>.ipynb`` for every listed document that is not a markdown page.

    Raises
    ------
    FileNotFoundError, ValueError
        As :func:`toc_docnames`.
    """
    root = Path(root)
    return [root / f"{name}.ipynb" for name in toc_docnames(root) if not (root / f"{name}.md").exists()]
