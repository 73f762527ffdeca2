"""Tests of the plain-Jupyter edition (utils/course/plain_*.py, colab_link.py): numbered blocks with the
website's numbers, references, citations and math macros written out in plain Markdown, code untouched, the
repository's generated copy in notebooks/ up to date, and the Colab buttons pointing at it."""

from __future__ import annotations

import re
import time
from pathlib import Path

import nbformat
import pytest
from markdown_it import MarkdownIt
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from utils.course import plain_edition
from utils.course.colab_link import plain_colab_url, rewrite_colab_buttons
from utils.course.plain_bib import citation_text, clean_latex_text, parse_bibtex, reference_entry
from utils.course.plain_edition import REGENERATE, stale_files, write_plain_edition
from utils.course.plain_index import number_documents, read_book_index
from utils.course.plain_myst import Code, Directive, expand_macros, parse_blocks, parse_macros
from utils.course.plain_notebook import PlainEditionError, make_plain_notebook, plain_markdown
from utils.course.student_notebook import make_student_notebook
from utils.course.toc import toc_docnames, toc_notebooks

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = [p for p in toc_notebooks(ROOT) if p.exists()]
_MYST_LEFT = re.compile(r"\{prf:|\{cite|\{(?:ref|doc|numref|eq)\}`|^\s*(?:`{3,}|:{3,})\s*\{|^\s*:label:", re.M)


# ------------------------------------------------------------------------------------- a small book
_CONFIG = """\
bibtex_bibfiles: [references.bib]
sphinx:
  config:
    mathjax3_config:
      tex:
        macros:
          R: "\\\\mathbb{R}"
          fro: ["\\\\|#1\\\\|_{F}", 1]
          schatten: ["\\\\|#1\\\\|_{S_{#2}}", 2]
          relu: ["(#1)_+", 1]
          norm: ["\\\\|#2\\\\|_{#1}", 2, "2"]
"""
_BIB = """\
@inproceedings{wang2023parallel,
  author = {Yifei Wang and Tolga Ergen and Mert Pilanci},
  title = {Parallel Deep Neural Networks Have Zero Duality Gap},
  booktitle = {ICLR},
  year = {2023},
  url = {https://example.org/paper}
}
@book{boyd2004convex, author = {Boyd, Stephen and Vandenberghe, Lieven}, title = {Convex {Optimization}},
  publisher = {Cambridge University Press}, year = 2004}
@article{haeffele2017, author = {Benjamin D. Haeffele and Ren{\\'e} Vidal}, title = {Global Optimality},
  journal = {J. X}, volume = {1}, pages = {1--9}, year = {2017}}
@article{chizat, author = {L{\\'e}na{\\"i}c Chizat}, title = {Lazy}, journal = {J}, year = {2019}}
"""
_PAGE_B = """\
# Page B

```{prf:theorem} Second
:label: thm-b
Body $\\R$.
```

(sec-b)=
## A section of B

````{exercise} Nested (02.1)
:label: ex-b-1

```{prf:lemma}
Inside the exercise.
```
````

```{exercise} Hidden
:hidden:
```
"""


# the math-macro header that the notebooks' first cell may carry (front matter for jupyterlab-myst)
_HEADER = "---\n<!--: 'Math macros'\nmath:\n  '\\fro': '\\|#1\\|_{F}'\n#-->\n---\n"


def _notebook(*cells):
    nb = new_notebook(cells=list(cells))
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def _md_nb(*sources):
    return _notebook(*(new_markdown_cell(s) for s in sources))


@pytest.fixture
def small_book(tmp_path) -> Path:
    (tmp_path / "book").mkdir()
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: book/intro\nparts:\n  - chapters:\n"
                                       "      - file: book/a\n      - file: book/b\n      - file: book/c\n")
    (tmp_path / "_config.yml").write_text(_CONFIG)
    (tmp_path / "references.bib").write_text(_BIB)
    (tmp_path / "book" / "intro.md").write_text("# Intro\n\n```{prf:theorem}\nIn the root page.\n```\n")
    a = _md_nb(_HEADER + "# Page A\n\n$\\def\\fro#1{\\|#1\\|_{F}}\\def\\R{\\mathbb{R}}$\n\nIntro $\\R$.",
               "```{prf:theorem} First\n:label: thm-a\n\n$$\n\\fro{X} = 1\n$$ (eq-a)\n```\n\n"
               "```{prf:proof}\nObvious.\n```",
               "```{prf:theorem} Unnumbered\n:nonumber:\n:label: thm-nonum\nText.\n```\n\n"
               "```{prf:definition} Def\n:label: def-a\nA.\n```")
    nbformat.write(a, tmp_path / "book" / "a.ipynb")
    (tmp_path / "book" / "b.md").write_text(_PAGE_B)
    c = _md_nb("# Page C", "```{exercise} Last (03.1)\n:label: ex-c-1\nDo.\n```\n\n"
                           "```{solution} ex-c-1\n:class: dropdown\nDone.\n```")
    nbformat.write(c, tmp_path / "book" / "c.ipynb")
    return tmp_path


def test_each_type_has_one_counter_through_the_book_in_table_of_contents_order(small_book):
    index = read_book_index(small_book)
    assert index.docnames == ["book/intro", "book/a", "book/b", "book/c"]
    numbers = {doc: [(t.kind, t.number) for t in blocks] for doc, blocks in index.blocks.items()}
    assert numbers == {
        "book/intro": [("theorem", 1)],
        "book/a": [("theorem", 2), ("theorem", None), ("definition", 1)],
        "book/b": [("theorem", 3), ("exercise", 1), ("lemma", 1)],  # nested after its container; hidden: none
        "book/c": [("exercise", 2)],
    }
    assert index.targets["sec-b"].kind == "section" and index.targets["sec-b"].title == "A section of B"
    assert index.targets["eq-a"].number == 1 and index.titles["book/b"] == "Page B"
    assert index.titles["book/a"] == "Page A"  # after the macro header of its first cell


def test_shared_countertypes_number_two_types_with_one_counter():
    docs = [("d", ["```{prf:lemma}\nx\n```\n```{prf:theorem}\ny\n```\n```{prf:lemma}\nz\n```"])]
    _, _, blocks = number_documents(docs, {"lemma": "theorem"})
    assert [t.number for t in blocks["d"]] == [1, 2, 3]
    _, _, blocks = number_documents(docs)
    assert [t.number for t in blocks["d"]] == [1, 1, 2]


def test_a_label_defined_twice_is_an_error():
    with pytest.raises(ValueError, match="'x' is defined twice"):
        number_documents([("d", ["```{prf:lemma}\n:label: x\n```", "```{exercise}\n:label: x\n```"])])


def test_blocks_become_numbered_plain_markdown(small_book):
    index = read_book_index(small_book)
    a = make_plain_notebook(nbformat.read(small_book / "book" / "a.ipynb", as_version=4), index, "book/a")
    text = "\n\n".join(c.source for c in a.cells)
    assert "<blockquote>\n\n**Theorem 2** (First)\n\n$$\n\\|X\\|_{F} = 1\n\\tag{1}\n$$\n\n</blockquote>" in text
    assert "*Proof.* Obvious. ∎" in text
    assert "**Theorem** (Unnumbered)" in text and "**Definition 1** (Def)" in text
    c = make_plain_notebook(nbformat.read(small_book / "book" / "c.ipynb", as_version=4), index, "book/c")
    assert "Plain-Jupyter edition" in c.cells[1].source
    assert c.cells[2].source == ("<blockquote>\n\n**Exercise 2** (Last (03.1))\n\nDo.\n\n</blockquote>\n\n"
                                 "<details>\n<summary>Solution to Exercise 2 (Last (03.1))</summary>\n\nDone.\n\n"
                                 "</details>")


def test_plain_blocks_are_html_blocks_around_markdown_in_commonmark(small_book):
    index = read_book_index(small_book)
    md = plain_markdown("```{prf:theorem} T\n:label: t\nSome *text* and $x$.\n```\n\n```{note}\nA **note**.\n```",
                        index, "book/a")
    html = MarkdownIt("commonmark").render(md)
    assert html.count("<blockquote>") == 2 and html.count("</blockquote>") == 2
    assert "<p><strong>Theorem 2</strong> (T)</p>" in html and "<em>text</em>" in html
    assert "<p><strong>Note</strong></p>" in html and "<strong>note</strong>" in html


def test_references_show_the_website_numbers_and_name_other_pages(small_book):
    index = read_book_index(small_book)

    def md(text, doc="book/a"):
        return plain_markdown(text, index, doc)

    assert md("By {prf:ref}`thm-a`.") == "By Theorem 2."
    assert md("By {prf:ref}`thm-b`.") == "By Theorem 3 in *Page B*."
    assert md("See {ref}`the exercise <ex-b-1>`.") == "See the exercise in *Page B*."
    assert md("See {ref}`sec-b`.", "book/b") == "See A section of B."
    assert md("{numref}`Thm. %s <thm-b>`", "book/b") == "Thm. 3"
    assert md("{eq}`eq-a` and {doc}`c` and {doc}`the C page <c>`") == "(1) and *Page C* and the C page"
    index.base_url = "https://book.example/"
    assert md("By {prf:ref}`thm-b`.") == "By [Theorem 3](https://book.example/book/b.html#thm-b) in *Page B*."


@pytest.mark.parametrize("text, match", [("{prf:ref}`nope`", "label 'nope'"), ("{cite:p}`nobody`", "'nobody'"),
                                         ("{doc}`missing`", "book/missing"),
                                         ("```{solution} nope\nx\n```", "label 'nope'")])
def test_a_reference_to_nothing_is_an_error_naming_it(small_book, text, match):
    with pytest.raises(PlainEditionError, match=match):
        plain_markdown(text, read_book_index(small_book), "book/a")


def test_citations_are_author_year_with_a_references_list(small_book):
    index = read_book_index(small_book)
    nb = make_plain_notebook(_md_nb("# T", "{cite:p}`wang2023parallel,boyd2004convex` and {cite:t}`haeffele2017`;"
                                    " {cite:t}`chizat`."), index, "book/a", note=False)
    assert nb.cells[1].source == ("(Wang et al., 2023; Boyd and Vandenberghe, 2004) and Haeffele and Vidal (2017); "
                                  "Chizat (2019).")
    refs = nb.cells[-1].source.split("\n")
    assert refs[0] == "## References" and len(refs) == 6
    assert refs[2].startswith("- Stephen Boyd and Lieven Vandenberghe. *Convex Optimization*. Cambridge")
    assert refs[4] == "- Benjamin D. Haeffele and René Vidal. Global Optimality. *J. X*, 1:1–9. 2017."
    assert refs[5].endswith("In *ICLR*. 2023. <https://example.org/paper>")


def test_bibtex_reader_and_latex_cleaning():
    entries = parse_bibtex(_BIB)
    assert set(entries) == {"wang2023parallel", "boyd2004convex", "haeffele2017", "chizat"}
    assert entries["boyd2004convex"]["year"] == "2004" and entries["chizat"]["ENTRYTYPE"] == "article"
    assert clean_latex_text(entries["chizat"]["author"]) == "Lénaïc Chizat"
    assert clean_latex_text("{$\\ell_1$} {ReLU} --- a") == "$\\ell_1$ ReLU \u2014 a"
    assert citation_text("cite:t", [entries["wang2023parallel"]]) == "Wang et al. (2023)"
    assert reference_entry(entries["chizat"]) == "Lénaïc Chizat. Lazy. *J*. 2019."


def test_macros_expand_with_arguments_nested_and_whole_control_words_only():
    macros = parse_macros({"sphinx": {"config": {"mathjax3_config": {"tex": {"macros": {
        "R": "\\mathbb{R}", "fro": ["\\|#1\\|_{F}", 1], "relu": ["(#1)_+", 1],
        "schatten": ["\\|#1\\|_{S_{#2}}", 2], "norm": ["\\|#2\\|_{#1}", 2, "2"], "range": "\\operatorname{range}"}}}}}})
    assert expand_macros("\\schatten{A}{2/L}^{2/L}", macros) == "\\|A\\|_{S_{2/L}}^{2/L}"
    assert expand_macros("\\fro{\\relu{X W}}^2 \\R^n", macros) == "\\|(X W)_+\\|_{F}^2 \\mathbb{R}^n"
    assert expand_macros("\\relu z + \\fro {A}", macros) == "(z)_+ + \\|A\\|_{F}"
    assert expand_macros("\\norm{x} \\norm[1]{x}", macros) == "\\|x\\|_{2} \\|x\\|_{1}"
    assert expand_macros("\\rangle \\Range \\\\R \\range(X)", macros) == "\\rangle \\Range \\\\R \\operatorname{range}(X)"
    with pytest.raises(ValueError, match="recursively"):
        expand_macros("\\a", {"a": ("\\a", 0, None)})


def test_macros_in_table_rows_expand_without_pipes(small_book):
    md = plain_markdown("| a | b |\n|---|---|\n| $\\fro{A}$ | x |\n\n$\\fro{A}$", read_book_index(small_book), "book/a")
    assert md == "| a | b |\n|---|---|\n| $\\Vert A\\Vert _{F}$ | x |\n\n$\\|A\\|_{F}$"


def test_macro_header_and_definitions_of_book_macros_are_dropped(small_book):
    index = read_book_index(small_book)
    a = make_plain_notebook(nbformat.read(small_book / "book" / "a.ipynb", as_version=4), index, "book/a")
    assert a.cells[0].source == "# Page A\n\nIntro $\\mathbb{R}$."
    md = plain_markdown("$\\def\\local{x}$\n\n$\\local + \\fro{A}$", index, "book/a")
    assert md == "$\\def\\local{x}$\n\n$\\local + \\|A\\|_{F}$"  # a macro the book does not define: kept


def test_parser_keeps_code_fences_and_reads_options_and_nesting():
    blocks = parse_blocks("text\n```python\n```{note}\n```\n::::{important} T\n---\nclass: dropdown\n---\n"
                          ":::{note}\ninner\n:::\n::::\n:::\nplain colons")
    assert blocks[0] == "text" and blocks[1] == Code("```python\n```{note}\n```")
    outer = blocks[2]
    assert isinstance(outer, Directive) and outer.name == "important" and outer.options == {"class": "dropdown"}
    assert outer.body[0].name == "note" and outer.body[0].body == ["inner"]
    assert blocks[3] == ":::\nplain colons"


def test_gated_solutions_targets_comments_and_code_cells(small_book):
    index = read_book_index(small_book)
    code = new_code_cell("x = 1  # {prf:ref}`thm-a` \\fro{A}", metadata={"tags": ["remove-cell"]})
    nb = _notebook(new_markdown_cell("# T"), code,
                   new_markdown_cell("(sec-x)=\n% a comment\n## Heading"),
                   new_markdown_cell("```{solution-start} ex-c-1\n:class: dropdown\n```\nWhy."),
                   new_code_cell("answer = 2", metadata={"tags": ["solution"]}),
                   new_markdown_cell("```{solution-end}\n```"))
    plain = make_plain_notebook(nb, index, "book/a")
    assert [c.source for c in plain.cells] == [
        "# T", code.source, plain.cells[2].source, "## Heading", "**Solution to Exercise 2** (Last (03.1))\n\nWhy.",
        "answer = 2"]  # the lone solution-end cell is dropped
    assert plain.cells[1].metadata == code.metadata and "Plain-Jupyter edition" in plain.cells[2].source
    assert len(nb.cells) == 6 and nb.cells[5].source == "```{solution-end}\n```"  # input untouched


def test_student_then_plain_keeps_answer_and_check_cells(small_book):
    index = read_book_index(small_book)
    nb = _notebook(new_markdown_cell("# T"), new_code_cell("import sys", metadata={"tags": ["remove-cell"]}),
                   new_markdown_cell("```{exercise} Compute (01.2)\n:label: ex-c-1x\nDo it.\n```"),
                   new_markdown_cell("```{solution-start} ex-c-1\n:class: dropdown\n```"),
                   new_code_cell("answer_01_2 = 3.0", metadata={"tags": ["solution"]}),
                   new_markdown_cell("```{solution-end}\n```"),
                   new_code_cell('check_exercise("01.2", answer_01_2)', metadata={"tags": ["check"]}))
    plain = make_plain_notebook(make_student_notebook(nb), index, "book/c", note=False)
    assert [(c.cell_type, c.metadata.get("tags")) for c in plain.cells] == [
        ("markdown", None), ("code", ["remove-cell"]), ("markdown", None), ("markdown", None),
        ("code", ["answer"]), ("code", ["check"])]
    assert plain.cells[3].source.startswith("<blockquote>\n\n**Exercise 2** (Compute (01.2))")
    assert plain.cells[4].source == "answer_01_2 = None  # your answer here"


# ------------------------------------------------------------------------------------- the real book
@pytest.fixture(scope="module")
def index():
    return read_book_index(ROOT)


@pytest.fixture(scope="module")
def plain(index):
    """The plain edition of one notebook of the book (converted on first request)."""
    cache: dict[Path, nbformat.NotebookNode] = {}

    def convert(path: Path) -> nbformat.NotebookNode:
        if path not in cache:
            docname = path.relative_to(ROOT).with_suffix("").as_posix()
            cache[path] = make_plain_notebook(nbformat.read(path, as_version=4), index, docname)
        return cache[path]

    return convert


def test_book_numbers_run_one_to_n_per_type_in_table_of_contents_order(index):
    assert list(index.blocks) == toc_docnames(ROOT)
    per_type: dict[str, list[int]] = {}
    for doc in index.docnames:
        for target in index.blocks[doc]:
            if target.number is not None:
                per_type.setdefault(target.kind, []).append(target.number)
    assert per_type["theorem"] and per_type["exercise"]
    for kind, numbers in per_type.items():
        assert numbers == list(range(1, len(numbers) + 1)), kind


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_plain_notebook_shows_the_numbered_blocks_of_the_index_in_order(plain, index, path):
    text = "\n".join(c.source for c in plain(path).cells if c.cell_type == "markdown")
    shown = re.findall(r"^\*\*([A-Z][a-z]+) (\d+)\*\*", text, flags=re.M)
    docname = path.relative_to(ROOT).with_suffix("").as_posix()
    assert shown == [(t.kind.title(), str(t.number)) for t in index.blocks[docname] if t.number is not None]
    titles = re.findall(r"^\*\*Exercise \d+\*\* \((.*)\)$", text, flags=re.M)
    assert titles == [t.title for t in index.blocks[docname] if t.kind == "exercise"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_plain_notebook_has_no_myst_or_book_macro_left(plain, index, path):
    for cell in plain(path).cells:
        if cell.cell_type == "markdown":
            assert not _MYST_LEFT.search(cell.source), cell.source[:300]
            used = set(re.findall(r"\\([A-Za-z]+)", cell.source))
            assert not used & set(index.macros), f"macros left: {used & set(index.macros)}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_plain_notebook_keeps_code_cells_and_lists_every_cited_work(plain, index, path):
    source, plain = nbformat.read(path, as_version=4), plain(path)
    code = [(c.source, c.metadata.get("tags")) for c in source.cells if c.cell_type == "code"]
    assert [(c.source, c.metadata.get("tags")) for c in plain.cells if c.cell_type == "code"] == code
    cited = {k.strip() for c in source.cells if c.cell_type == "markdown"
             for m in re.finditer(r"\{cite(?::\w+)?\}`([^`]+)`", c.source) for k in m.group(1).split(",")}
    refs = [c.source for c in plain.cells if c.get("id") == "plain-edition-references"]
    if not cited:
        assert refs == []
        return
    listed = refs[0].split("\n")[2:]
    assert len(listed) == len(cited)
    for key in cited:
        assert f"- {reference_entry(index.bibliography[key])}" in listed


def test_repository_copy_in_notebooks_is_up_to_date(tmp_path):
    start = time.perf_counter()
    write_plain_edition(tmp_path / "notebooks", ROOT, log=lambda _m: None)
    fresh = {p.name: p.read_bytes() for p in (tmp_path / "notebooks").iterdir()}
    stale = stale_files(ROOT / "notebooks", fresh)
    assert not stale, f"notebooks/ is out of date ({', '.join(stale)}): run `{REGENERATE}` from the repository root"
    assert time.perf_counter() - start < 60


# ------------------------------------------------------------------------------------- writing the folder
def test_writer_refuses_a_folder_with_other_files_and_removes_its_stale_notebooks(small_book, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "mine.txt").write_text("x")
    with pytest.raises(plain_edition.PlainFolderError, match="mine.txt"):
        write_plain_edition(out, small_book, log=lambda _m: None)
    assert sorted(p.name for p in out.iterdir()) == ["mine.txt"]
    (out / "mine.txt").unlink()
    assert [p.name for p in write_plain_edition(out, small_book, log=lambda _m: None)] == ["a.ipynb", "c.ipynb"]
    (small_book / "_toc.yml").write_text("format: jb-book\nroot: book/intro\nchapters:\n  - file: book/a\n")
    write_plain_edition(out, small_book, log=lambda _m: None)
    assert sorted(p.name for p in out.iterdir()) == ["README.md", "a.ipynb"]


def test_cli_check_fails_on_a_stale_folder_with_the_command_to_run(small_book, tmp_path, capsys):
    out = tmp_path / "nb"
    assert plain_edition.main([str(out), "--root", str(small_book), "--quiet"]) == 0
    assert plain_edition.main([str(out), "--root", str(small_book), "--check"]) == 0
    (small_book / "book" / "a.ipynb").write_text(nbformat.writes(_md_nb("# Page A changed")))
    assert plain_edition.main([str(out), "--root", str(small_book), "--check"]) == 1
    assert REGENERATE in capsys.readouterr().err
    assert plain_edition.main([str(tmp_path / "no" / "nb"), "--root", str(small_book)]) == 2


# ------------------------------------------------------------------------------------- Colab buttons
def test_colab_url_points_at_the_plain_notebook():
    url = "https://colab.research.google.com/github/org/repo/blob/main/book/02_deep_linear.ipynb"
    assert plain_colab_url(url, "main") == "https://colab.research.google.com/github/org/repo/blob/main/notebooks/02_deep_linear.ipynb"
    branchy = "https://colab.research.google.com/github/org/repo/blob/dev/x/book/a.ipynb"
    assert plain_colab_url(branchy, "dev/x", "nb/") == "https://colab.research.google.com/github/org/repo/blob/dev/x/nb/a.ipynb"
    assert plain_colab_url("https://mybinder.org/v2/gh/org/repo/main?urlpath=tree/book/a.ipynb", "main") \
        == "https://mybinder.org/v2/gh/org/repo/main?urlpath=tree/book/a.ipynb"


def test_only_colab_buttons_of_existing_plain_notebooks_are_rewritten():
    colab = "https://colab.research.google.com"
    binder = {"text": "Binder", "url": "https://mybinder.org/v2/gh/o/r/main?urlpath=tree/book/a.ipynb"}
    buttons = [{"label": "launch-buttons", "buttons": [
        dict(binder), {"text": "Colab", "url": f"{colab}/github/o/r/blob/main/book/a.ipynb"},
        {"text": "Colab", "url": f"{colab}/github/o/r/blob/main/book/b.ipynb"}]}, {"type": "javascript"}]
    missing = rewrite_colab_buttons(buttons, colab + "/", "main", exists=lambda name: name == "a.ipynb")
    assert missing == ["b.ipynb"]
    assert [b["url"] for b in buttons[0]["buttons"]] == [
        binder["url"], f"{colab}/github/o/r/blob/main/notebooks/a.ipynb", f"{colab}/github/o/r/blob/main/book/b.ipynb"]


@pytest.mark.book
def test_numbers_match_the_built_website(built_book, index):
    for docname in index.docnames:
        page = built_book / f"{docname}.html"
        shown = re.findall(r'<span class="caption-number">([A-Za-z]+) (\d+) </span>', page.read_text())
        expected = [(t.kind.title(), str(t.number)) for t in index.blocks[docname] if t.number is not None]
        assert shown == expected, docname
