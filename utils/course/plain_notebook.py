"""Turn one chapter notebook into plain Jupyter Markdown that renders without MyST (the plain edition).

Classic Jupyter, Notebook 7, Colab and VS Code show MyST directives, roles and the book's math macros as raw
text. :func:`make_plain_notebook` rewrites every markdown cell (code cells, their tags and the setup cell are
kept as they are):

* proof blocks become a block quote headed like the website, ``**Theorem 5** (Title)``, with the website's
  numbers (:mod:`utils.course.plain_index`); a proof becomes ``*Proof.* ... ∎``; an exercise a block quote
  ``**Exercise 10** (Optimising the scale (02.1))``; a solution dropdown a ``<details>`` block whose summary is
  ``Solution to Exercise 10 (...)``; a gated solution (``solution-start`` ... ``solution-end``, which spans
  cells) a bold ``**Solution to Exercise 11** (...)`` line before its cells; admonitions a block quote with a
  bold title. Block quotes are written as ``<blockquote>`` HTML blocks around Markdown, because Jupyter's math
  renderer would read the ``>`` of a Markdown block quote as part of a multi-line formula;
* ``{prf:ref}``, ``{ref}``, ``{numref}``, ``{eq}`` and ``{doc}`` become the number or title they show on the
  website (followed by ``in *Page title*`` when the target is on another page; a link when a base URL is known);
  ``{cite:p}`` and ``{cite:t}`` become ``(Wang et al., 2023)`` and ``Wang et al. (2023)``, and the cited works
  are listed in a ``References`` cell at the end;
* the math macros of ``_config.yml`` are expanded (``\\schatten{A}{p}`` -> ``\\|A\\|_{S_{p}}``), so any MathJax
  or KaTeX renders the formulas, and the macro header of the first cell (front matter and ``$\\def...$`` line)
  is dropped; ``(label)=`` targets and ``%`` comments are dropped too.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from itertools import groupby

import nbformat

from .plain_bib import citation_text, reference_entry, reference_order
from .plain_index import BookIndex, Target, resolve_docname
from .plain_myst import (
    ROLE,
    Code,
    Directive,
    defined_macros,
    expand_macros,
    outside_code,
    parse_blocks,
    split_role_target,
    strip_front_matter,
)

__all__ = ["PlainEditionError", "make_plain_notebook", "plain_markdown", "NOTE_ID", "REFERENCES_ID"]

NOTE_ID = "plain-edition-note"
REFERENCES_ID = "plain-edition-references"
_ADMONITIONS = {"note": "Note", "important": "Important", "tip": "Tip", "hint": "Hint", "warning": "Warning",
                "caution": "Caution", "attention": "Attention", "danger": "Danger", "error": "Error",
                "seealso": "See also", "admonition": ""}
_DROPPED = {"solution-end", "exercise-end", "bibliography", "toctree", "tableofcontents"}
_EQ_LABEL = re.compile(r"\$\$\s*\((?P<label>[^()\s]+)\)\s*$", re.M)


class PlainEditionError(ValueError):
    """A notebook cannot be converted: a reference, citation or solution points to nothing."""


@dataclass
class _Context:
    index: BookIndex
    docname: str
    cited: list[str] = field(default_factory=list)
    positions: dict[str, int] = field(default_factory=dict)  # numbered blocks met so far, per type

    def fail(self, message: str):
        raise PlainEditionError(f"{self.docname}: {message}")


def _cite(ctx: _Context, role: str, content: str) -> str:
    entries = []
    for key in (k.strip() for k in content.split(",") if k.strip()):
        if key not in ctx.index.bibliography:
            ctx.fail(f"{{{role}}}`{content}` cites {key!r}, which is not in the bibliography")
        if key not in ctx.cited:
            ctx.cited.append(key)
        entries.append(ctx.index.bibliography[key])
    return citation_text(role, entries)


def _references_cell(ctx: _Context) -> nbformat.NotebookNode:
    bib = ctx.index.bibliography
    keys = sorted(ctx.cited, key=lambda key: reference_order(key, bib[key]))
    cell = nbformat.v4.new_markdown_cell("## References\n\n" + "\n".join(f"- {reference_entry(bib[k])}" for k in keys))
    cell["id"] = REFERENCES_ID
    return cell


# ------------------------------------------------------------------------------------------------ roles
def _target(ctx: _Context, role: str, label: str, content: str) -> Target:
    target = ctx.index.targets.get(label)
    if target is None:
        ctx.fail(f"{{{role}}}`{content}` refers to the label {label!r}, which no page of the book defines")
    return target


def _where(ctx: _Context, text: str, docname: str, anchor: str | None) -> str:
    url = ctx.index.page_url(docname, anchor)
    shown = f"[{text}]({url})" if url else text
    if docname != ctx.docname:
        shown += f" in *{_inline(ctx, ctx.index.titles[docname])}*"
    return shown


def _reference(ctx: _Context, role: str, content: str) -> str:
    text, label = split_role_target(content)
    target = _target(ctx, role, label, content)
    if role == "eq":
        if target.kind != "equation":
            ctx.fail(f"{{eq}}`{content}` refers to a {target.kind}, not an equation")
        return _where(ctx, text or target.caption, target.docname, f"equation-{label}")
    if text is not None and role == "numref":
        text = text.replace("%s", str(target.number)).replace("{number}", str(target.number))
        text = text.replace("{name}", _inline(ctx, target.title))
    if text is None:
        if target.number is not None:
            text = target.caption
        elif target.kind in ("section", "paragraph") or not target.title:
            text = _inline(ctx, target.title) if target.title else label
        else:
            text = f"{target.caption} ({_inline(ctx, target.title)})"
    return _where(ctx, text, target.docname, label)


def _role(ctx: _Context, match: re.Match) -> str:
    name, content = match.group("name"), match.group("content")
    if name in ("prf:ref", "ref", "numref", "eq"):
        return _reference(ctx, name, content)
    if name == "doc":
        text, target = split_role_target(content)
        docname = resolve_docname(ctx.docname, target)
        if docname not in ctx.index.titles:
            ctx.fail(f"{{doc}}`{content}` names {docname!r}, which is not in the table of contents")
        url = ctx.index.page_url(docname)
        shown = text or _inline(ctx, ctx.index.titles[docname])
        return f"[{shown}]({url})" if url else shown if text else f"*{shown}*"
    if name == "cite" or name.startswith("cite:"):
        return _cite(ctx, name, content)
    text, target = split_role_target(content)
    if name == "math":
        return f"${content}$"
    if name in ("sub", "sup"):
        return f"<{name}>{content}</{name}>"
    if name in ("code", "literal", "file", "kbd", "command"):
        return f"`{content}`"
    if name == "abbr":
        return re.sub(r"\s*\(.*\)\s*$", "", content)
    return text or target


def _table_safe(macros: dict) -> dict:
    """The macros with no ``|`` in their bodies (``\\|`` -> ``\\Vert``, ``|`` -> ``\\vert``): a pipe inside a
    table row would split its cell."""
    safe = {}
    for name, (body, n_args, default) in macros.items():
        body = re.sub(r"(?<!\\)\|", r"\\vert ", body.replace("\\|", "\\Vert "))
        safe[name] = (body, n_args, default)
    return safe


def _expand(ctx: _Context, text: str) -> str:
    """``text`` with the book's math macros expanded (table rows with pipe-free definitions)."""
    out = []
    for rows, chunk in groupby(text.split("\n"), key=lambda line: line.lstrip().startswith("|")):
        macros = _table_safe(ctx.index.macros) if rows else ctx.index.macros
        out.append(outside_code("\n".join(chunk), lambda part, m=macros: expand_macros(part, m)))
    return "\n".join(out)


def _inline(ctx: _Context, text: str) -> str:
    """Inline MyST ``text`` (a title, a paragraph) with roles resolved and macros expanded."""
    return _expand(ctx, ROLE.sub(lambda m: _role(ctx, m), text))


# ------------------------------------------------------------------------------------------- blocks
def _trim(text: str) -> str:
    lines = text.split("\n")
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    return "\n".join(lines)


def _text(ctx: _Context, text: str) -> str:
    def tag(m: re.Match) -> str:
        target = _target(ctx, "equation label", m.group("label"), m.group(0))
        return f"\\tag{{{target.number}}}\n$$"

    lines = text.split("\n")
    kept = [ln for ln in lines if not re.match(r"^\([^()\s]+\)=\s*$", ln) and not ln.startswith("%")
            and ln.strip() != "+++" and not _defines_book_macros(ctx, ln)]
    joined = "\n".join(kept)
    if len(kept) < len(lines):
        joined = re.sub(r"\n(?:[ \t]*\n){2,}", "\n\n", joined)
    return _inline(ctx, _EQ_LABEL.sub(tag, joined))


def _defines_book_macros(ctx: _Context, line: str) -> bool:
    """Whether ``line`` is a formula that only defines macros of the book (``$\\def\\nuc#1{...}$``): the plain
    edition expands them, so the definitions go."""
    m = re.fullmatch(r"\s*(\${1,2})(?P<tex>[^$]*)\1\s*", line)
    if m is None or not re.match(r"\s*\\(?:[gex]?def|(?:re)?newcommand)", m.group("tex")):
        return False
    names = defined_macros(m.group("tex"))
    return bool(names) and set(names) <= set(ctx.index.macros)


def _quote(*parts: str) -> str:
    inner = "\n\n".join(p for p in parts if p)
    return f"<blockquote>\n\n{inner}\n\n</blockquote>"


def _details(summary: str, body: str) -> str:
    summary = summary.replace("**", "")
    return f"<details>\n<summary>{summary}</summary>\n\n{body}\n\n</details>" if body else \
        f"<details>\n<summary>{summary}</summary>\n\n</details>"


def _headed(head: str, title: str) -> str:
    return f"**{head}**" + (f" ({title})" if title else "")


def _proof(body: str) -> str:
    lines = body.split("\n") if body else []
    starts_paragraph = bool(lines) and not re.match(r"^\s*(\$\$|#|[-*+] |\d+[.)] |<|\\begin|`{3,}|~{3,})",
                                                    lines[0])
    text = "*Proof.* " + body if starts_paragraph else "*Proof.*" + (f"\n\n{body}" if body else "")
    last = text.split("\n")[-1]
    if re.match(r"^\s*(\$\$|</|`{3,}|~{3,}|\\end)", last) or last.rstrip().endswith("$$"):
        return text + "\n\n∎"
    return text + " ∎"


def _directive(ctx: _Context, d: Directive) -> str:
    name, options = d.name, d.options
    if name in _DROPPED or "hidden" in options:
        return ""
    title = _inline(ctx, d.argument)
    dropdown = "dropdown" in options.get("class", "").split()
    if name == "prf:proof":
        return _proof(_render(ctx, d.body))
    if name.startswith("prf:") or name in ("exercise", "exercise-start"):
        kind = name[4:] if name.startswith("prf:") else "exercise"
        head = _headed(Target(ctx.docname, kind, _number(ctx, d, kind)).caption, title)
        body = _render(ctx, d.body)
        if name == "exercise-start":
            return "\n\n".join(p for p in (head, body) if p)
        return _details(head, body) if dropdown else _quote(head, body)
    if name in ("solution", "solution-start"):
        label = d.argument.split()[0] if d.argument.split() else ""
        exercise = _target(ctx, name, label, d.argument)
        ex_title = _inline(ctx, exercise.title)
        head = _headed(f"{ctx.index.solution_title} {exercise.caption}", ex_title)
        body = _render(ctx, d.body)
        if name == "solution" and dropdown:
            return _details(head, body)
        return "\n\n".join(p for p in (head, body) if p)
    if name in _ADMONITIONS:
        head = f"**{title or _ADMONITIONS[name]}**" if (title or _ADMONITIONS[name]) else ""
        body = _render(ctx, d.body)
        return _details(head or "Details", body) if dropdown else _quote(head, body)
    if name == "dropdown":
        return _details(title or "Details", _render(ctx, d.body))
    if name == "math":
        label = options.get("label")
        tag = f"\n\\tag{{{_target(ctx, 'math', label, label).number}}}" if label else ""
        return f"$$\n{expand_macros(d.raw, ctx.index.macros)}{tag}\n$$"
    if name in ("figure", "image"):
        caption = _render(ctx, d.body) if name == "figure" else ""
        alt = options.get("alt", "") or (caption.split("\n")[0] if caption else "")
        return "\n\n".join(p for p in (f"![{alt}]({d.argument})", caption) if p)
    if name in ("code", "code-block", "code-cell", "sourcecode"):
        return f"```{d.argument}\n{d.raw}\n```"
    body = _render(ctx, d.body) if isinstance(d.body, list) and name not in ("raw", "eval-rst") else ""
    return _quote(f"**{title}**" if title else "", body) if body or title else ""


def _number(ctx: _Context, d: Directive, kind: str) -> int | None:
    """The website's number of a proof or exercise block: that of its label, or (unlabelled) that of the block
    of its type at the same position on the page."""
    if "nonumber" in d.options:
        return None
    position = ctx.positions[kind] = ctx.positions.get(kind, 0) + 1
    label = d.options.get("label")
    if label and label in ctx.index.targets:
        return ctx.index.targets[label].number
    same = [t for t in ctx.index.blocks.get(ctx.docname, []) if t.kind == kind and t.number is not None]
    if position > len(same):
        ctx.fail(f"the {d.name} block number {position} of the page is not in the book's index")
    return same[position - 1].number


def _render(ctx: _Context, items: list) -> str:
    pieces = []
    for item in items:
        if isinstance(item, Code):
            pieces.append(item.text)
        elif isinstance(item, Directive):
            pieces.append(_directive(ctx, item))
        else:
            pieces.append(_text(ctx, item))
    return "\n\n".join(p for p in (_trim(p) for p in pieces) if p)


def plain_markdown(text: str, index: BookIndex, docname: str, cited: list[str] | None = None) -> str:
    """The plain-Markdown form of the MyST markdown ``text`` of page ``docname``.

    Parameters
    ----------
    text : str
        One markdown cell (MyST).
    index : BookIndex
        Numbers, labels, titles, bibliography and macros of the book (:func:`read_book_index`).
    docname : str
        The page the text belongs to, e.g. ``"book/02_deep_linear"``.
    cited : list of str, optional
        Receives the BibTeX keys cited, in order of first citation (appended to).

    Returns
    -------
    str

    Raises
    ------
    PlainEditionError
        If a reference names an unknown label or page, a citation an unknown key, or a solution an unknown
        exercise.
    """
    ctx = _Context(index, docname, cited if cited is not None else [])
    return _render(ctx, parse_blocks(text))


def make_plain_notebook(nb: nbformat.NotebookNode, index: BookIndex, docname: str, *,
                        note: bool = True) -> nbformat.NotebookNode:
    """The plain edition of notebook ``nb`` of page ``docname`` (``nb`` is not modified).

    Parameters
    ----------
    nb : nbformat.NotebookNode
        A page of the book (nbformat 4), instructor or student edition.
    index : BookIndex
        The book's index (:func:`utils.course.plain_index.read_book_index`).
    docname : str
        The page, e.g. ``"book/02_deep_linear"``: numbers and cross-page references are computed from it.
    note : bool
        Insert a one-line note saying what the file is after the title cell and the setup cell (when the second
        cell is code).

    Returns
    -------
    nbformat.NotebookNode
        Every markdown cell in plain Markdown (cells left empty, such as a lone ``solution-end``, are dropped),
        code and raw cells unchanged, and a ``References`` cell at the end when the page cites works.

    Raises
    ------
    PlainEditionError
        As :func:`plain_markdown`.
    """
    nb = copy.deepcopy(nb)
    ctx = _Context(index, docname)
    cells = []
    for k, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            source = strip_front_matter(cell.source) if k == 0 else cell.source  # the macros' header
            cell.source = _render(ctx, parse_blocks(source))
            if not cell.source.strip():
                continue
        cells.append(cell)
    if ctx.cited:
        cells.append(_references_cell(ctx))
    if note and cells:
        text = (f"> *Plain-Jupyter edition* of `{docname}.ipynb`, for any Jupyter, Colab or VS Code: theorems, "
                "exercises and references carry the numbers of the book's website. Generated by "
                "`python -m utils.course.plain_edition notebooks`; edit the book's page, not this file.")
        cell = nbformat.v4.new_markdown_cell(text)
        cell["id"] = NOTE_ID
        cells.insert(2 if len(cells) > 1 and cells[1].cell_type == "code" else 1, cell)
    if nb.cells and "id" not in nb.cells[0]:
        for cell in cells:
            cell.pop("id", None)
    nb.cells = cells
    return nb
