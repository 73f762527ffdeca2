"""The book's math macros, carried by every notebook, generated from their one definition in ``_config.yml``.

The website gets the macros (``\\relu``, ``\\nuc``, ...) from ``sphinx.config.mathjax3_config.tex.macros``; a
notebook opened in Jupyter does not see that file, so the first cell of every notebook carries them too, in a
header written by :func:`apply_macros` (``python -m utils.course.notebook_macros --write``)::

    ---
    <!--: 'Math macros for JupyterLab with jupyterlab-myst, generated from _config.yml ...'
    math:
      '\\relu': '(#1)_+'
    #-->
    ---
    # Chapter title

    $\\def\\relu#1{(#1)_+}$

    The chapter's introduction ...

* **JupyterLab with jupyterlab-myst** (Binder) renders each cell on its own, but reads the notebook's front
  matter (the YAML block at the top of the first cell) and passes its ``math:`` macros to every cell; it lifts
  the title that directly follows the front matter into the page header. The ``$\\def...$`` formula renders
  as nothing.
* **Jupyter without MyST** (checked in JupyterLab 4.5 with jupyterlab-myst disabled) reads the front matter as
  CommonMark: the ``---`` lines are thin horizontal rules, and the YAML lines between the one that starts with
  ``<!--`` and the one that ends with ``-->`` (a YAML key and a YAML comment) form a hidden HTML comment. MathJax
  typesets the ``$\\def...$`` formula, which defines the macros for the formulas typeset after it. (JupyterLab
  4.5 typesets the first cell of the first notebook it opens in a window after the other cells, so in that one
  notebook only the first cell is sure to find the macros; every notebook opened after it finds them all. The
  plain and student editions expand the macros instead.)
* **The website** (Jupyter Book 1, myst-nb) would show front matter in a cell as text, so the Sphinx extension
  in this module (``setup``) removes the header from the first cell when Sphinx reads a notebook, and warns if
  a notebook's header differs from ``_config.yml``.

:func:`check_macros` lists what is wrong with a notebook's macros: a header that differs from ``_config.yml``
and macros that a formula uses but that neither ``_config.yml`` nor MathJax defines.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import nbformat
import yaml

from .tex_commands import MATHJAX_BUNDLE, commands_in, math_spans, mathjax_commands
from .toc import toc_notebooks

__all__ = ["config_macros", "front_matter", "mathjax_definitions", "strip_macro_header", "apply_macros",
           "check_macros", "load_config", "main", "setup"]

_NOTE = ("Math macros for JupyterLab with jupyterlab-myst, generated from _config.yml by "
         "utils.course.notebook_macros; Markdown without MyST hides these lines as an HTML comment.")
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(?P<yaml>(?:.*\n)*?)---[ \t]*(?:\n|\Z)")
_DEFS_LINE = re.compile(r"^\$(?:\\def\\[A-Za-z]+(?:#\d)*\{.*?\})+\$[ \t]*$", re.M)
_ONE_DEF = re.compile(r"\\def\\(?P<name>[A-Za-z]+)(?P<params>(?:#\d)*)\{")
_TITLE = re.compile(r"\A#[ \t]+\S[^\n]*(?:\n|\Z)")
_CELL_DEFINITION = re.compile(r"\\(?:re)?newcommand\{?\\([A-Za-z]+)|\\[gex]?def\\([A-Za-z]+)")


# ------------------------------------------------------------------------------------------- the macros
def load_config(root) -> dict:
    """The parsed ``root/_config.yml``.

    Raises
    ------
    FileNotFoundError
        If ``root/_config.yml`` does not exist.
    """
    path = Path(root) / "_config.yml"
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: pass the repository root")
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def config_macros(config: dict) -> dict[str, tuple[str, int]]:
    """The math macros of a Jupyter Book configuration, ``sphinx.config.mathjax3_config.tex.macros``.

    Parameters
    ----------
    config : dict
        The parsed ``_config.yml``. A macro is ``name: body`` or ``name: [body, n]`` (MathJax's form), with the
        arguments ``#1..#n`` in the body.

    Returns
    -------
    dict
        ``name -> (body, n)``, in the order of the file.

    Raises
    ------
    ValueError
        If there are no macros, a name is not letters only, a value is not a string or ``[body, n]``, ``n`` is
        not the highest ``#k`` in the body (KaTeX, which jupyterlab-myst uses, counts arguments that way; an
        optional argument ``[body, n, default]`` cannot be expressed), or a body holds a newline or ``-->``
        (which would end the HTML comment that hides the front matter).
    """
    sphinx = config.get("sphinx") if isinstance(config, dict) else None
    tex = ((((sphinx or {}).get("config") or {}).get("mathjax3_config") or {}).get("tex") or {})
    raw = tex.get("macros")
    if not isinstance(raw, dict) or not raw:
        raise ValueError("_config.yml defines no math macros (sphinx.config.mathjax3_config.tex.macros)")
    macros = {}
    for name, value in raw.items():
        where = f"math macro {name!r} in _config.yml"
        if not re.fullmatch(r"[A-Za-z]+", str(name)):
            raise ValueError(f"{where}: a macro name is letters only")
        if isinstance(value, str):
            body, n = value, 0
        elif (isinstance(value, list) and len(value) == 2 and isinstance(value[0], str)
              and isinstance(value[1], int) and not isinstance(value[1], bool) and 0 <= value[1] <= 9):
            body, n = value
        else:
            raise ValueError(f"{where}: expected a string or [body, n] with 0 <= n <= 9, got {value!r}")
        used = max((int(k) for k in re.findall(r"#(\d)", body)), default=0)
        if used != n:
            raise ValueError(f"{where} declares {n} argument(s) but its body uses #{used} as the highest")
        if "\n" in body or "-->" in body:
            raise ValueError(f"{where}: a body must be one line without '-->'")
        macros[str(name)] = (body, n)
    return macros


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def front_matter(config: dict) -> str:
    """The front matter that gives jupyterlab-myst the macros, ``---`` lines included, ending in a newline.

    Parameters
    ----------
    config : dict
        The parsed ``_config.yml`` (see :func:`config_macros`).

    Returns
    -------
    str
        YAML with the key ``math`` (``'\\name': 'body'``), wrapped in the lines ``<!--: ...`` and ``#-->`` so that
        Markdown renderers without MyST hide it.
    """
    lines = ["---", f"<!--: {_quoted(_NOTE)}", "math:"]
    lines += [f"  {_quoted(chr(92) + name)}: {_quoted(body)}" for name, (body, _) in config_macros(config).items()]
    return "\n".join([*lines, "#-->", "---", ""])


def mathjax_definitions(config: dict) -> str:
    """The formula that defines the macros for MathJax: ``$\\def\\name#1{body}...$`` (one line)."""
    defs = "".join(f"\\def\\{name}{''.join(f'#{k}' for k in range(1, n + 1))}{{{body}}}"
                   for name, (body, n) in config_macros(config).items())
    return f"${defs}$"


# ------------------------------------------------------------------------------------------- reading a header
def _split(source: str) -> tuple[str | None, str | None, str]:
    """``(front matter YAML or None, definitions line or None, the cell without both)``."""
    m = _FRONT_MATTER.match(source)
    yaml_text, rest = (m.group("yaml"), source[m.end():]) if m else (None, source)
    title = _TITLE.match(rest)
    head, tail = (rest[:title.end()], rest[title.end():]) if title else ("", rest)
    stripped = tail.lstrip("\n")
    defs = _DEFS_LINE.match(stripped)
    if defs is None:
        return yaml_text, None, rest
    after = stripped[defs.end():].lstrip("\n")
    body = head.rstrip("\n") + ("\n\n" + after if head and after else after)
    return yaml_text, defs.group(0).strip(), body


def strip_macro_header(source: str) -> str:
    """A first cell without its macro header: the front matter and the ``$\\def...$`` line removed.

    Parameters
    ----------
    source : str
        The source of a notebook's first Markdown cell, with or without the header.

    Returns
    -------
    str
        The cell as written before :func:`apply_macros` (unchanged if it has no header).
    """
    return _split(source)[2]


def _parse_defs(line: str) -> dict[str, tuple[str, int]]:
    """``$\\def\\a{...}\\def\\b#1{...}$`` -> ``{"a": ("...", 0), "b": ("...", 1)}`` (bodies brace-matched)."""
    defs, i = {}, 0
    while (m := _ONE_DEF.search(line, i)) is not None:
        depth, j = 1, m.end()
        while j < len(line) and depth:
            if line[j] == "\\":
                j += 1  # an escaped character, e.g. \{ or \|
            elif line[j] in "{}":
                depth += 1 if line[j] == "{" else -1
            j += 1
        defs[m.group("name")] = (line[m.end():j - 1], len(m.group("params")) // 2)
        i = j
    return defs


# ------------------------------------------------------------------------------------------- notebooks
def apply_macros(nb, config: dict) -> bool:
    """Write (or update) the macro header of a notebook's first cell, in place; idempotent.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The notebook. Its first cell must be Markdown: the chapter title ``# ...`` (the header goes before it, the
        definitions line after it), then the introduction.
    config : dict
        The parsed ``_config.yml``.

    Returns
    -------
    bool
        True if the first cell changed.

    Raises
    ------
    ValueError
        If the notebook has no Markdown first cell, or its front matter has keys other than the generated ones
        (they would be lost).
    """
    if not nb.cells or nb.cells[0].cell_type != "markdown":
        raise ValueError("the first cell must be Markdown (the title) to carry the math macros")
    cell = nb.cells[0]
    yaml_text, _, body = _split(cell.source)
    if yaml_text is not None:
        extra = set(yaml.safe_load(yaml_text) or {}) - {"<!--", "math"}
        if extra:
            raise ValueError(f"the first cell's front matter has keys {sorted(extra)} besides the math macros")
    title = _TITLE.match(body)
    head, rest = (body[:title.end()].rstrip("\n"), body[title.end():].strip("\n")) if title else ("", body.strip("\n"))
    parts = [p for p in (head, mathjax_definitions(config), rest) if p]
    new = front_matter(config) + "\n\n".join(parts)
    changed = new != cell.source
    cell.source = new
    return changed


_FIX = "(run `python -m utils.course.notebook_macros --write`)"


def _header_problems(source: str, macros: dict[str, tuple[str, int]]) -> list[str]:
    """Differences between the macro header of a first cell and the macros of ``_config.yml``."""
    yaml_text, defs_line, _ = _split(source)
    problems = []
    if yaml_text is None:
        problems.append(f"the first cell has no front matter with the math macros of _config.yml {_FIX}")
    else:
        try:
            data = yaml.safe_load(yaml_text) or {}
        except yaml.YAMLError as err:
            return [f"the first cell's front matter is not valid YAML: {err}"]
        if not isinstance(data, dict):
            return [f"the first cell's front matter is not a YAML mapping {_FIX}"]
        extra = set(data) - {"<!--", "math"}
        if extra:
            problems.append(f"the first cell's front matter has keys {sorted(extra)} besides the math macros")
        found = data.get("math") or {}
        expected = {"\\" + name: body for name, (body, _) in macros.items()}
        for name in sorted(set(expected) | set(found)):
            if name not in found:
                problems.append(f"the front matter lacks the macro {name} of _config.yml {_FIX}")
            elif name not in expected:
                problems.append(f"the front matter defines {name}, which _config.yml does not define {_FIX}")
            elif found[name] != expected[name]:
                problems.append(f"the front matter defines {name} as {found[name]!r}, _config.yml as "
                                f"{expected[name]!r} {_FIX}")
    if defs_line is None:
        problems.append(f"the first cell has no $\\def...$ line with the math macros of _config.yml {_FIX}")
    else:
        found_defs = _parse_defs(defs_line)
        for name in sorted(set(macros) | set(found_defs)):
            if found_defs.get(name) != macros.get(name):
                problems.append(f"the $\\def...$ line defines \\{name} as {found_defs.get(name)!r}, _config.yml "
                                f"as {macros.get(name)!r} {_FIX}")
    return problems


def check_macros(nb, config: dict, *, known=None) -> list[str]:
    """What is wrong with a notebook's math macros (an empty list if nothing).

    Parameters
    ----------
    nb : nbformat.NotebookNode
    config : dict
        The parsed ``_config.yml``.
    known : set of str or None
        TeX commands defined without macros (names without backslash). None: the commands of the MathJax bundle
        the website ships (``book/_static/vendor/mathjax``, see :func:`utils.course.tex_commands.mathjax_commands`).

    Returns
    -------
    list of str
        One message per problem: a missing header; each macro that the front matter or the ``$\\def...$`` line
        defines differently from ``_config.yml``, lacks or adds; a header not in the generated form; a macro
        defined in a cell; and each macro a formula uses that neither ``_config.yml`` nor MathJax defines, with
        the cells that use it (cells counted from 0).

    Raises
    ------
    ValueError
        If the macros of ``_config.yml`` are malformed (see :func:`config_macros`).
    """
    macros = config_macros(config)
    if known is None:
        known = mathjax_commands(Path(__file__).resolve().parents[2] / MATHJAX_BUNDLE)
    if not nb.cells or nb.cells[0].cell_type != "markdown":
        return ["the first cell is not Markdown, so it cannot carry the math macros"]
    problems = _header_problems(nb.cells[0].source, macros)
    if not problems:
        first = nbformat.v4.new_markdown_cell(nb.cells[0].source)
        if apply_macros(nbformat.v4.new_notebook(cells=[first]), config):
            problems.append(f"the first cell's macro header is not in the generated form {_FIX}")
    used: dict[str, set[int]] = {}
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown":
            continue
        text = strip_macro_header(cell.source) if i == 0 else cell.source
        for name in sorted({a or b for a, b in _CELL_DEFINITION.findall(text)}):
            problems.append(f"cell {i} defines the macro \\{name}: define macros in _config.yml, once for the book")
        for span in math_spans(text):
            for name in commands_in(span) - set(macros) - set(known):
                used.setdefault(name, set()).add(i)
    for name, cells in sorted(used.items()):
        where = ("cell " if len(cells) == 1 else "cells ") + ", ".join(map(str, sorted(cells)))
        problems.append(f"\\{name} is used ({where}) but defined neither in _config.yml nor by MathJax")
    return problems


# ------------------------------------------------------------------------------------------- the website
def _strip_on_read(app, docname: str, source: list[str]) -> None:
    """Sphinx ``source-read``: remove the macro header from a notebook's first cell (myst-nb shows it as text)."""
    if not str(app.env.doc2path(docname)).endswith(".ipynb"):
        return
    try:
        nb = json.loads(source[0])
        cell = nb["cells"][0]
    except (ValueError, KeyError, IndexError, TypeError):
        return  # not a notebook this hook understands: myst-nb reports it
    if cell.get("cell_type") != "markdown":
        return
    text = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
    stripped = strip_macro_header(text)
    if stripped == text:
        return
    config = {"sphinx": {"config": {"mathjax3_config": getattr(app.config, "mathjax3_config", None) or {}}}}
    try:
        drift = _header_problems(text, config_macros(config))
    except ValueError as err:
        drift = [str(err)]
    if drift:
        from sphinx.util import logging

        logging.getLogger(__name__).warning("math macros: " + "; ".join(drift), location=docname)
    cell["source"] = stripped
    source[0] = json.dumps(nb, ensure_ascii=False, indent=1)


def setup(app):
    """Sphinx extension (``sphinx.extra_extensions`` in ``_config.yml``): strip the macro headers on read."""
    app.connect("source-read", _strip_on_read)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}


# ------------------------------------------------------------------------------------------- command line
def main(argv: list[str] | None = None) -> int:
    """``python -m utils.course.notebook_macros [--write] [--root ROOT]``: check (or write) every TOC notebook."""
    parser = argparse.ArgumentParser(prog="python -m utils.course.notebook_macros", description=(
        "Check that every notebook of _toc.yml carries the math macros of _config.yml in its first cell; "
        "with --write, write them there first."))
    parser.add_argument("--write", action="store_true", help="update the notebooks' first cells in place")
    parser.add_argument("--root", default=".", help="the repository root (default: the current folder)")
    args = parser.parse_args(argv)
    root = Path(args.root)
    config = load_config(root)
    failed = False
    for path in toc_notebooks(root):
        if not path.is_file():
            continue
        nb = nbformat.read(path, as_version=4)
        if args.write and apply_macros(nb, config):
            nbformat.write(nb, path)
            print(f"updated {path}")
        for problem in check_macros(nb, config):
            failed = True
            print(f"{path}: {problem}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
