"""The repository is self-contained: the book, the package, the tests and the benchmarks cite no outside file.

A reader gets the repository and nothing else, so a reference to a working note kept next to it, to a local
copy or text dump of the source paper, or to a path on the machine the book was written on is a dead end.
The book's own reference pages are the appendix ``book/derivations.md`` and ``book/main_results.ipynb``.

Scanned, line by line:

* the book: every ``book/**/*.md`` page, the markdown and code cells of every ``book/**/*.ipynb`` notebook,
  ``_config.yml``, ``_toc.yml`` and ``README.md``;
* every text file of ``utils/``, ``tests/`` and ``benchmarks/`` (this file included: its patterns are written
  so that they do not match themselves).

A line fails when it names such an outside file (the patterns of ``_OUTSIDE``), or when a relative link in it
(a markdown link or image, an HTML ``href``/``src``, a MyST ``{doc}``/``{download}`` role or an
``include``/``literalinclude``/``image``/``figure`` directive) climbs with ``..`` out of the repository. Each
failure names the file, the notebook cell and the line.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: What a line must not contain: (pattern, what it points to). The patterns avoid spelling the strings they
#: look for (escaped characters, character classes), so that this file passes its own scan.
_OUTSIDE: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), why)
    for pattern, why in (
        (r"\bMATH\.md\b", "the mathematical working notes, which are not part of the repository"),
        (r"(?<![\w-])shared\/", "a shared folder outside the repository"),
        (r"(?<![\w.~-])\/work\/", "an absolute path on the machine the book was written on"),
        (r"(?<![\w.~-])\/(?:home|Users)\/\w", "an absolute path in a home folder"),
        (r"\bfile:\/\/", "a local file URL"),
        (r"\bpaper[_]text", "a text dump of the source paper"),
        (r"\bour\s+cop(?:y|ies)\b", "a local copy of the source paper"),
    )
)

#: Targets of relative references: markdown links and images, HTML attributes, MyST roles and directives.
_LINK_TARGETS = (
    re.compile(r"\]\(\s*<?([^)\s>]+)"),
    re.compile(r"""\b(?:href|src)\s*=\s*["']([^"']+)["']""", re.IGNORECASE),
    re.compile(r"\{(?:doc|download)\}`(?:[^`<]*<([^`>]+)>|([^`]+))`"),
    re.compile(r"^\s*(?:`{3,}|:{3,})\{(?:include|literalinclude|image|figure)\}\s+(\S+)"),
)
_URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")  # http:, https:, mailto:, ...


def _leaves_repository(target: str, folder: Path) -> bool:
    """Whether the relative reference ``target``, read from a file in ``folder``, points outside ``ROOT``."""
    path = target.split("#", 1)[0].split("?", 1)[0]
    if not path or _URL.match(path) or path.startswith("/") or ".." not in Path(path).parts:
        return False
    return not (folder / path).resolve().is_relative_to(ROOT)


def outside_references(line: str, folder: Path) -> list[str]:
    """Why ``line`` (from a file in ``folder``) cites something outside the repository; empty if it does not."""
    found = [f"{why} ({match.group(0)!r})" for pattern, why in _OUTSIDE if (match := pattern.search(line))]
    for pattern in _LINK_TARGETS:
        for match in pattern.finditer(line):
            target = next(g for g in match.groups() if g)
            if _leaves_repository(target, folder):
                found.append(f"a relative link that leaves the repository ({target!r})")
    return found


def _book_files() -> list[Path]:
    pages = [p for p in (ROOT / "book").rglob("*") if p.suffix in {".md", ".ipynb"}]
    return [p for p in pages if "_static" not in p.parts and ".ipynb_checkpoints" not in p.parts]


def _code_files() -> list[Path]:
    files = [p for folder in ("utils", "tests", "benchmarks") for p in (ROOT / folder).rglob("*")]
    skip = {"__pycache__", ".ipynb_checkpoints", ".pytest_cache", ".hypothesis"}
    return [p for p in files if p.is_file() and not skip.intersection(p.parts)]


def _scanned_files() -> list[Path]:
    top = [ROOT / name for name in ("_config.yml", "_toc.yml", "README.md")]
    return sorted({*top, *_book_files(), *_code_files()})


def _lines(path: Path) -> list[tuple[str, str]]:
    """``(where, text)`` for every line of a file; notebook lines are located by cell and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:  # a binary file cites nothing
        return []
    if path.suffix != ".ipynb":
        return [(f"line {i}", line) for i, line in enumerate(text.splitlines(), start=1)]
    cells = json.loads(text)["cells"]
    return [
        (f"cell {c} ({cell['cell_type']}), line {i}", line)
        for c, cell in enumerate(cells)
        if cell["cell_type"] in {"markdown", "code"}
        for i, line in enumerate("".join(cell["source"]).splitlines(), start=1)
    ]


def test_the_scan_covers_the_book_the_package_the_tests_and_the_benchmarks():
    files = {p.relative_to(ROOT).as_posix() for p in _scanned_files()}
    assert {"_config.yml", "_toc.yml", "README.md", "book/derivations.md", "book/main_results.ipynb",
            "utils/__init__.py", "tests/test_self_contained.py"} <= files
    assert any(f.startswith("benchmarks/") for f in files)
    assert all(not f.startswith("book/_static/") for f in files)


@pytest.mark.parametrize("path", _scanned_files(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_file_cites_no_file_outside_the_repository(path):
    offences = [f"{path.relative_to(ROOT).as_posix()}, {where}: {why}"
                for where, line in _lines(path) for why in outside_references(line, path.parent)]
    assert not offences, "cites files outside the repository:\n" + "\n".join(offences)


@pytest.mark.parametrize(
    "line",
    [
        "see MATH" + ".md, section 2",
        "the verified formulas (ma" + "th.MD 3)",
        "copied from ../sha" + "red/paper",
        "open /wo" + "rk/notes.txt",
        "a path like /ho" + "me/someone/book",
        "see <fi" + "le:///tmp/x.html>",
        "paper" + "_text_without_formulas.txt",
        "Our" + " copy of the paper lost its formulas",
        "[the notes](" + "../" * 2 + "notes.md)",
        "![figure](" + "../" * 2 + "figure.png)",
        '<img src="' + "../" * 2 + 'figure.png">',
        "{doc}`the notes <" + "../" * 2 + "notes>`",
        "```{literalinclude} " + "../" * 2 + "code.py",
    ],
)
def test_each_kind_of_outside_reference_is_flagged(line):
    assert outside_references(line, ROOT / "book"), line


@pytest.mark.parametrize(
    "line",
    [
        "[the README](../README.md) and [a chapter](02_deep_linear.ipynb#the-duality-gap)",
        "{doc}`the appendix <derivations>` and {doc}`../book/notation`",
        "[the paper](https://openreview.net/forum?id=6zrOr_Rdhjs) and [a mail](mailto:a@b.org)",
        "the n_shared/branches split, https://example.org/work/item and https://example.org/home/x",
        "python -m utils.course.student_edition ../student_edition   (a command, not a link)",
        "in your copy of the book",
    ],
)
def test_references_inside_the_repository_or_on_the_web_pass(line):
    assert outside_references(line, ROOT / "book") == []
