"""What the plain edition needs to know about the whole book: numbers, labels, page titles, references, macros.

The website numbers the blocks of sphinx-proof (``prf:theorem``, ``prf:lemma``, ...) and sphinx-exercise
(``exercise``, ``exercise-start``) with Sphinx's ``numfig``: the book's table of contents is not numbered, so each
type has **one counter for the whole book**, running through the documents in table-of-contents order (the root
page first, then ``_toc.yml`` from top to bottom) and through each document from top to bottom, nested blocks
after the block that contains them. Blocks with ``:nonumber:`` and hidden exercises get no number. The same
walk gives the ``(label)=`` section targets and the labelled equations (numbered per page).
:func:`number_documents` implements this walk on the documents' Markdown; :func:`read_book_index` applies it to
a checkout of the book.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import yaml

from .plain_bib import parse_bibtex
from .plain_myst import RAW_CONTENT, Directive, parse_blocks, parse_macros, strip_front_matter
from .toc import toc_docnames

__all__ = ["Target", "BookIndex", "number_documents", "read_book_index", "resolve_docname"]

_TARGET = re.compile(r"^\((?P<label>[^()\s]+)\)=\s*$")
_HEADING = re.compile(r"^(?P<level>#{1,6})\s+(?P<title>.+?)\s*#*\s*$")
_EQ_LABEL = re.compile(r"\$\$\s*\((?P<label>[^()\s]+)\)\s*$")
_EXERCISES = ("exercise", "exercise-start")


@dataclass(frozen=True)
class Target:
    """Something a role can refer to.

    ``kind`` is the proof type (``"theorem"``, ``"lemma"``, ...), ``"exercise"``, ``"section"``, ``"equation"``
    or another directive's name; ``number`` is its number on the website (None when unnumbered); ``title`` its
    title as written (a directive's argument, a section's heading; MyST inline markup).
    """

    docname: str
    kind: str
    number: int | None
    title: str = ""

    @property
    def caption(self) -> str:
        """How the website names a numbered block: ``"Theorem 5"``; an equation: ``"(3)"``."""
        if self.kind == "equation":
            return f"({self.number})"
        name = self.kind.replace("-", " ").title()
        return name if self.number is None else f"{name} {self.number}"


@dataclass
class BookIndex:
    """Numbers, labels and titles of the whole book, with its bibliography and math macros."""

    docnames: list[str]
    titles: dict[str, str]
    targets: dict[str, Target]
    bibliography: dict[str, dict[str, str]] = field(default_factory=dict)
    macros: dict[str, tuple[str, int, str | None]] = field(default_factory=dict)
    base_url: str | None = None
    solution_title: str = "Solution to"
    blocks: dict[str, list[Target]] = field(default_factory=dict)  # docname -> its numbered blocks, in order

    def page_url(self, docname: str, anchor: str | None = None) -> str | None:
        """The website address of a page (None without a base URL)."""
        if not self.base_url:
            return None
        return f"{self.base_url.rstrip('/')}/{docname}.html" + (f"#{anchor}" if anchor else "")


def resolve_docname(current: str, target: str) -> str:
    """The document a ``{doc}`` role names: relative to the current document's folder, or to the root
    when it starts with ``/``; without extension."""
    target = re.sub(r"\.(md|ipynb)$", "", target.strip())
    if target.startswith("/"):
        return posixpath.normpath(target.lstrip("/"))
    return posixpath.normpath(posixpath.join(posixpath.dirname(current), target))


def number_documents(documents, countertypes: dict[str, str] | None = None):
    """Number every block of ``documents`` as the website does.

    Parameters
    ----------
    documents : sequence of (str, sequence of str)
        ``(docname, markdown texts)`` in table-of-contents order; the texts of a notebook are its markdown
        cells, those of a Markdown page its whole text.
    countertypes : dict, optional
        sphinx-proof's ``prf_realtyp_to_countertyp`` (types that share a counter), default: one per type.

    Returns
    -------
    titles : dict
        docname -> title (its first level-1 heading, or the docname).
    targets : dict
        label -> :class:`Target`.
    blocks : dict
        docname -> its numbered blocks (:class:`Target`, labelled or not), in order.

    Raises
    ------
    ValueError
        If a label is defined twice.
    """
    walker = _Walker(countertypes or {})
    for docname, texts in documents:
        walker.document(docname, texts)
    return walker.titles, walker.targets, walker.blocks


@dataclass
class _Walker:
    """State of the numbering walk through the book (see :func:`number_documents`)."""

    countertypes: dict[str, str]
    counters: dict[str, int] = field(default_factory=dict)
    titles: dict[str, str] = field(default_factory=dict)
    targets: dict[str, Target] = field(default_factory=dict)
    blocks: dict[str, list[Target]] = field(default_factory=dict)
    docname: str = ""
    pending: list[str] = field(default_factory=list)  # (label)= lines waiting for their section
    equations: int = 0

    def document(self, docname: str, texts) -> None:
        self.docname, self.pending, self.equations = docname, [], 0
        self.blocks[docname] = []
        for text in texts:
            self.walk(parse_blocks(text))
        self.titles.setdefault(docname, docname.rsplit("/", 1)[-1])

    def add(self, label: str | None, target: Target) -> None:
        if not label:
            return
        if label in self.targets:
            raise ValueError(f"the label {label!r} is defined twice ({self.targets[label].docname} and "
                             f"{target.docname})")
        self.targets[label] = target

    def resolve_pending(self, kind: str, title: str) -> None:
        for label in self.pending:
            self.add(label, Target(self.docname, kind, None, title))
        self.pending.clear()

    def equation(self, label: str) -> None:
        self.equations += 1
        self.add(label, Target(self.docname, "equation", self.equations))

    def text(self, text: str) -> None:
        for line in text.split("\n"):
            if m := _TARGET.match(line):
                self.pending.append(m.group("label"))
            elif m := _HEADING.match(line):
                if len(m.group("level")) == 1 and self.docname not in self.titles:
                    self.titles[self.docname] = m.group("title")
                self.resolve_pending("section", m.group("title"))
            elif line.strip():
                self.resolve_pending("paragraph", "")
            if m := _EQ_LABEL.search(line):
                self.equation(m.group("label"))

    def walk(self, items: list) -> None:
        for item in items:
            if isinstance(item, str):
                self.text(item)
            elif isinstance(item, Directive):
                self.resolve_pending(item.name, item.argument)
                self.directive(item)

    def directive(self, d: Directive) -> None:
        label = d.options.get("label") or d.options.get("name")
        if d.name.startswith("prf:") and d.name != "prf:proof":
            kind = d.name[4:]
            counter = self.countertypes.get(kind, kind)
        elif d.name in _EXERCISES and "hidden" not in d.options:
            kind = counter = "exercise"
        elif d.name == "math" and label:
            self.equation(label)
            return
        else:
            self.add(label, Target(self.docname, d.name, None, d.argument))
            if d.name not in RAW_CONTENT and "hidden" not in d.options:
                self.walk(d.body)
            return
        number = None
        if "nonumber" not in d.options:
            number = self.counters[counter] = self.counters.get(counter, 0) + 1
        target = Target(self.docname, kind, number, d.argument)
        self.blocks[self.docname].append(target)
        self.add(label, target)
        self.walk(d.body)


def document_texts(root: Path, docname: str) -> tuple[Path | None, list[str]]:
    """The source of a document (``.md`` first, as :func:`utils.course.toc.toc_notebooks`) and its texts."""
    for suffix in (".md", ".ipynb"):
        path = root / f"{docname}{suffix}"
        if path.is_file():
            if suffix == ".md":
                return path, [strip_front_matter(path.read_text(encoding="utf-8"))]
            nb = nbformat.read(path, as_version=4)
            texts = [c.source for c in nb.cells if c.cell_type == "markdown"]
            return path, [strip_front_matter(texts[0]), *texts[1:]] if texts else []
    return None, []


def read_book_index(root, base_url: str | None = None) -> BookIndex:
    """The :class:`BookIndex` of the book checked out in ``root``.

    Parameters
    ----------
    root : str or Path
        The repository root (``_toc.yml``, ``_config.yml``, the pages).
    base_url : str, optional
        The website's address, for links; default ``html.baseurl`` of ``_config.yml`` if set, else no links.

    Returns
    -------
    BookIndex

    Raises
    ------
    FileNotFoundError
        If ``_toc.yml`` or a bibliography file named in ``_config.yml`` is missing.
    ValueError
        If ``_config.yml`` is not a mapping, a label is defined twice, or a macro or BibTeX entry is malformed.
    """
    root = Path(root)
    config_path = root / "_config.yml"
    config = yaml.safe_load(config_path.read_text()) if config_path.is_file() else {}
    if not isinstance(config, dict):
        raise ValueError(f"{config_path} is not a mapping")
    sphinx_config = (config.get("sphinx") or {}).get("config") or {}
    docnames = toc_docnames(root)
    documents = [(name, document_texts(root, name)[1]) for name in docnames]
    titles, targets, blocks = number_documents(documents, sphinx_config.get("prf_realtyp_to_countertyp"))
    bibliography: dict[str, dict[str, str]] = {}
    for bibfile in config.get("bibtex_bibfiles") or []:
        bibliography.update(parse_bibtex((root / bibfile).read_text(encoding="utf-8")))
    if base_url is None:
        base_url = (config.get("html") or {}).get("baseurl") or None
    style = sphinx_config.get("exercise_style", "")
    return BookIndex(docnames, titles, targets, bibliography, parse_macros(config), base_url,
                     "Solution" if style == "solution_follow_exercise" else "Solution to", blocks)
