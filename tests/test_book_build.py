"""The full website build (README command (a), warnings as errors) and what every page must contain."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import nbformat
import pytest
from test_repository import ROOT, _toc_files

pytestmark = pytest.mark.book


def _page(html: Path, docname: str) -> str:
    return (html / f"{docname}.html").read_text(encoding="utf-8")


_STDERR_BLOCK = re.compile(r'<div class="output stderr[^"]*">(.*?)</pre>', re.DOTALL)
_WARNING_OR_ERROR = re.compile(r"warn|error", re.IGNORECASE)


def stderr_outputs(page: str) -> list[str]:
    """The text of every stderr output cell of a page (myst-nb renders them as ``div.output.stderr``)."""
    return [unescape(re.sub(r"<[^>]+>", "", block)) for block in _STDERR_BLOCK.findall(page)]


def stderr_warnings_and_errors(page: str) -> list[str]:
    """The stderr outputs of a page that mention a warning or an error (any case: UserWarning, ERROR, ...)."""
    return [text for text in stderr_outputs(page) if _WARNING_OR_ERROR.search(text)]


def test_build_log_has_no_warnings(built_book):
    log = (ROOT / "_build" / "book-build.log").read_text()
    warnings = [ln for ln in log.splitlines() if "WARNING:" in ln]  # sphinx format; kernel log lines use "WARNING |"
    assert not warnings, "\n".join(warnings[:20])


def test_every_toc_entry_has_a_page(built_book):
    for docname in _toc_files():
        assert (built_book / f"{docname}.html").exists(), docname
    assert (built_book / "index.html").exists()


@pytest.mark.parametrize("docname", [f for f in _toc_files() if re.match(r"book/\d\d_", f)])
def test_notebook_page_has_numbered_boxes_collapsed_solutions_and_no_error_output(built_book, docname):
    page = _page(built_book, docname)
    nb = nbformat.read(ROOT / f"{docname}.ipynb", as_version=4)
    md = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    n_prf = len(re.findall(r"```\{prf:", md))
    if n_prf:
        assert len(re.findall(r'class="[^"]*\bproof\b', page)) >= n_prf
        assert re.search(r"(Theorem|Definition|Proposition|Lemma) \d+", page), "proof boxes are numbered"
    n_ex = len(re.findall(r"```\{exercise\}", md))
    assert len(re.findall(r'class="[^"]*\bexercise\b', page)) >= n_ex >= 3
    # solutions render as collapsed dropdowns
    assert re.search(r'class="[^"]*\bsolution\b[^"]*\bdropdown\b|class="[^"]*\bdropdown\b[^"]*\bsolution\b', page)
    assert "Traceback (most recent call last)" not in page
    flagged = stderr_warnings_and_errors(page)
    assert not flagged, f"{docname}: stderr output with a warning or an error:\n" + "\n---\n".join(flagged)


def test_citations_resolve_to_the_bibliography(built_book):
    page = _page(built_book, "book/intro")
    assert "Wang" in page and "2023" in page
    bib = _page(built_book, "book/bibliography")
    assert "parallel deep neural networks have zero duality gap" in bib.lower()
    assert "href=\"https://openreview.net" in bib
