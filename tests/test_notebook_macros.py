"""Every notebook carries the math macros of ``_config.yml`` (``utils.course.notebook_macros``).

Synthetic notebooks check the header writer (idempotent, title kept right after the front matter, stripped back
to the original cell), drift detection between a header and ``_config.yml``, the "used but not defined" check
against the commands of the vendored MathJax, and the Sphinx hook that removes the header on the website. The
last tests check the book itself: every notebook of ``_toc.yml`` carries the current macros.
"""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

from utils.course.notebook_macros import (
    apply_macros,
    check_macros,
    config_macros,
    front_matter,
    load_config,
    main,
    mathjax_definitions,
    setup,
    strip_macro_header,
)
from utils.course.tex_commands import MATHJAX_BUNDLE, commands_in, math_spans, mathjax_commands
from utils.course.toc import toc_notebooks

ROOT = Path(__file__).resolve().parents[1]
KNOWN = mathjax_commands(ROOT / MATHJAX_BUNDLE)


def _config(macros: dict) -> dict:
    return {"sphinx": {"config": {"mathjax3_config": {"tex": {"macros": macros}}}}}


CONFIG = _config({"R": "\\mathbb{R}", "relu": ["(#1)_+", 1], "schatten": ["\\|#1\\|_{S_{#2}}", 2],
                  "quote": "\\text{it's}"})


def _notebook(*markdown: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(markdown[0]), nbformat.v4.new_code_cell("x = 1"),
                *(nbformat.v4.new_markdown_cell(m) for m in markdown[1:])]
    return nb


# ----------------------------------------------------------------------------------------- the header
def test_front_matter_yaml_holds_exactly_the_config_macros():
    text = front_matter(CONFIG)
    assert text.startswith("---\n<!--") and text.endswith("#-->\n---\n")
    data = yaml.safe_load(text.strip().strip("-"))
    assert data["math"] == {"\\R": "\\mathbb{R}", "\\relu": "(#1)_+", "\\schatten": "\\|#1\\|_{S_{#2}}",
                            "\\quote": "\\text{it's}"}
    assert set(data) == {"<!--", "math"}  # the "#-->" line is a YAML comment


def test_front_matter_lines_form_one_html_comment_for_markdown_without_myst():
    lines = front_matter(CONFIG).splitlines()
    assert lines[0] == lines[-1] == "---"
    assert lines[1].startswith("<!--") and lines[-2].endswith("-->")
    assert not any("-->" in line for line in lines[1:-2]), "the comment would end early"


def test_mathjax_definitions_give_each_macro_its_arguments():
    assert mathjax_definitions(CONFIG) == ("$\\def\\R{\\mathbb{R}}\\def\\relu#1{(#1)_+}"
                                           "\\def\\schatten#1#2{\\|#1\\|_{S_{#2}}}\\def\\quote{\\text{it's}}$")


@pytest.mark.parametrize("cell", ["# Title", "# Title\n\nIntro with $\\R$.\n\nMore.", "No title, $x$."])
def test_apply_macros_is_idempotent_and_strips_back_to_the_original_cell(cell):
    nb = _notebook(cell)
    assert apply_macros(nb, CONFIG) is True
    written = nb.cells[0].source
    assert written.startswith(front_matter(CONFIG))
    assert apply_macros(nb, CONFIG) is False and nb.cells[0].source == written
    assert strip_macro_header(written) == cell
    assert check_macros(nb, CONFIG, known=KNOWN) == []


def test_title_follows_the_front_matter_directly_so_jupyterlab_myst_lifts_it():
    nb = _notebook("# Title\n\nIntro.")
    apply_macros(nb, CONFIG)
    after = nb.cells[0].source[len(front_matter(CONFIG)):]
    assert after == f"# Title\n\n{mathjax_definitions(CONFIG)}\n\nIntro."


def test_apply_macros_updates_a_stale_header_in_place():
    nb = _notebook("# Title\n\nIntro.")
    apply_macros(nb, _config({"R": "\\mathbf{R}", "old": "x"}))
    assert apply_macros(nb, CONFIG) is True
    assert nb.cells[0].source.count("---\n") == 2 and "\\old" not in nb.cells[0].source
    assert check_macros(nb, CONFIG, known=KNOWN) == []


def test_apply_macros_refuses_a_code_first_cell_and_foreign_front_matter():
    nb = _notebook("# Title")
    nb.cells.reverse()
    with pytest.raises(ValueError, match="first cell must be Markdown"):
        apply_macros(nb, CONFIG)
    with pytest.raises(ValueError, match="title"):
        apply_macros(_notebook("---\ntitle: Mine\n---\n# Title"), CONFIG)


# ----------------------------------------------------------------------------------------- drift
def test_check_reports_a_missing_header():
    problems = check_macros(_notebook("# Title", "Uses $\\relu{x}$."), CONFIG, known=KNOWN)
    assert any("no front matter" in p for p in problems) and any("$\\def" in p for p in problems)


def test_check_reports_each_macro_that_drifted_from_the_config():
    nb = _notebook("# Title", "Uses $\\relu{x}$ and $\\R$.")
    apply_macros(nb, CONFIG)
    changed = copy.deepcopy(CONFIG)
    macros = changed["sphinx"]["config"]["mathjax3_config"]["tex"]["macros"]
    macros["relu"] = ["\\max(#1, 0)", 1]  # changed body
    macros["nuc"] = ["\\|#1\\|_*", 1]  # added
    del macros["quote"]  # removed
    problems = "\n".join(check_macros(nb, changed, known=KNOWN))
    for name in ("\\relu", "\\nuc", "\\quote"):
        assert f"front matter lacks the macro {name}" in problems or f"defines {name}" in problems, name
        assert f"line defines {name}" in problems, name
    assert "\\R" not in problems.replace("\\relu", "")


def test_check_reports_a_hand_edited_definitions_line():
    nb = _notebook("# Title")
    apply_macros(nb, CONFIG)
    nb.cells[0].source = nb.cells[0].source.replace("\\def\\relu#1{(#1)_+}", "\\def\\relu#1{|#1|}")
    assert check_macros(nb, CONFIG, known=KNOWN) == [
        "the $\\def...$ line defines \\relu as ('|#1|', 1), _config.yml as ('(#1)_+', 1) "
        "(run `python -m utils.course.notebook_macros --write`)"]


def test_check_reports_a_reformatted_header():
    nb = _notebook("# Title")
    apply_macros(nb, CONFIG)
    nb.cells[0].source = nb.cells[0].source.replace("math:\n", "math:   \n")
    assert any("not in the generated form" in p for p in check_macros(nb, CONFIG, known=KNOWN))


# ----------------------------------------------------------------------------------------- used, not defined
def test_check_reports_macros_used_but_defined_nowhere_with_their_cells():
    nb = _notebook("# Title", "Known $\\frac{1}{2} \\relu{x}$, unknown $\\sign(x)$.", "$$\\sign(y) + \\nuc{A}$$",
                   "Code is not math: `$\\notmath$`\n\n```python\ns = '$\\alsonot$'\n```")
    apply_macros(nb, CONFIG)
    assert check_macros(nb, CONFIG, known=KNOWN) == [
        "\\nuc is used (cell 3) but defined neither in _config.yml nor by MathJax",
        "\\sign is used (cells 2, 3) but defined neither in _config.yml nor by MathJax",
    ]


def test_check_reports_macros_defined_in_a_cell():
    nb = _notebook("# Title", "$\\newcommand{\\half}{\\frac12}$ and $\\half$")
    apply_macros(nb, CONFIG)
    problems = check_macros(nb, CONFIG, known=KNOWN)
    assert problems[0].startswith("cell 2 defines the macro \\half")
    assert "\\half is used (cell 2)" in problems[1]


def test_math_spans_find_math_in_directives_and_roles_but_not_in_code():
    text = ("Inline $a \\le b$, `$\\code$`, {math}`\\alpha`.\n\n````{prf:theorem} On $\\beta$\n:label: t\n\n"
            "Body $\\gamma$ costs \\$5.\n\n```{math}\n\\delta\n```\n````\n\n```python\nx = '$\\nope$'\n```\n\n"
            "$$\n\\epsilon\n$$\n\\begin{align} \\zeta \\end{align}")
    found = set().union(*(commands_in(s) for s in math_spans(text)))
    assert found == {"le", "alpha", "beta", "gamma", "delta", "epsilon", "begin", "end", "zeta"}


def test_mathjax_commands_are_read_from_the_vendored_bundle():
    assert {"frac", "alpha", "lVert", "lvert", "operatorname", "mathbb", "dfrac", "cancel", "displaystyle"} <= KNOWN
    assert not {"relu", "nuc", "sign", "bm"} & KNOWN
    with pytest.raises(ValueError, match="no MathJax TeX command map"):
        mathjax_commands(ROOT / "utils" / "__init__.py")


@pytest.mark.parametrize("macros, message", [
    ({}, "no math macros"),
    ({"re-lu": "x"}, "letters only"),
    ({"relu": ["(#1)_+", 2]}, "declares 2 argument"),
    ({"relu": "(#1)_+"}, "declares 0 argument"),
    ({"opt": ["#1", 1, "default"]}, "expected a string or"),
    ({"arrow": "a --> b"}, "without '-->'"),
])
def test_config_macros_rejects_what_the_notebook_header_cannot_express(macros, message):
    with pytest.raises(ValueError, match=message):
        config_macros(_config(macros))


# ----------------------------------------------------------------------------------------- the website
class _App:
    def __init__(self, macros: dict, suffix: str = ".ipynb"):
        self.config = type("Config", (), {"mathjax3_config": {"tex": {"macros": macros}}})()
        self.env = type("Env", (), {"doc2path": staticmethod(lambda docname: Path(f"/book/{docname}{suffix}"))})()
        self.connected = {}

    def connect(self, event, handler):
        self.connected[event] = handler


def _read(app, nb) -> tuple[dict, list[str]]:
    source = [json.dumps(nb)]
    setup(app)
    app.connected["source-read"](app, "book/ch", source)
    return json.loads(source[0]), source


def test_sphinx_hook_removes_the_header_before_myst_nb_parses_the_notebook():
    nb = _notebook("# Title\n\nIntro $\\R$.", "More.")
    original = copy.deepcopy(nb)
    apply_macros(nb, CONFIG)
    read, _ = _read(_App(CONFIG["sphinx"]["config"]["mathjax3_config"]["tex"]["macros"]), nb)
    assert read == json.loads(json.dumps(original))


def test_sphinx_hook_leaves_markdown_pages_and_header_free_notebooks_alone():
    nb = _notebook("# Title")
    macros = CONFIG["sphinx"]["config"]["mathjax3_config"]["tex"]["macros"]
    _, source = _read(_App(macros), nb)
    assert source == [json.dumps(nb)]
    text = "---\nmath: {}\n---\n# A page"
    app = _App(macros, suffix=".md")
    setup(app)
    lines = [text]
    app.connected["source-read"](app, "book/page", lines)
    assert lines == [text]


@pytest.mark.slow
def test_tiny_book_shows_no_front_matter_and_warns_when_a_header_drifted(tmp_path):
    """A throwaway Jupyter Book 1 with the extension: the header is gone from the HTML; a stale one warns."""
    config = load_config(ROOT)
    macros = config["sphinx"]["config"]["mathjax3_config"]
    (tmp_path / "_config.yml").write_text(yaml.safe_dump({
        "title": "tiny", "execute": {"execute_notebooks": "off"},
        "parse": {"myst_enable_extensions": ["amsmath", "dollarmath"]},
        "sphinx": {"extra_extensions": ["utils.course.notebook_macros"], "config": {"mathjax3_config": macros}}}))
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: a\nchapters:\n  - file: b\n")
    for name in "ab":
        nb = _notebook(f"# Chapter {name}\n\nIntro $\\relu{{x}}$.", "Then $\\nuc{A}$.")
        apply_macros(nb, config)
        if name == "b":
            nb.cells[0].source = nb.cells[0].source.replace("'(#1)_+'", "'\\max(#1, 0)'", 1)
        nbformat.write(nb, tmp_path / f"{name}.ipynb")
    exe = Path(sys.executable).with_name("jupyter-book")
    proc = subprocess.run([str(exe), "build", str(tmp_path)], capture_output=True, text=True, timeout=600)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-3000:]
    assert "may not begin with a transition" not in log, "front matter reached the Markdown parser"
    assert "b.ipynb: WARNING: math macros: the front matter defines \\relu" in log
    assert "a.ipynb: WARNING" not in log
    html = (tmp_path / "_build" / "html" / "a.html").read_text()
    article = html[html.index("<article"):html.index("</article>")]
    assert "<hr" not in article and "math:" not in article and "\\def" not in article
    assert "<h1>Chapter a" in article


# ----------------------------------------------------------------------------------------- the book
@pytest.mark.parametrize("path", [p for p in toc_notebooks(ROOT) if p.is_file()], ids=lambda p: p.stem)
def test_notebook_carries_the_math_macros_of_the_config(path):
    problems = check_macros(nbformat.read(path, as_version=4), load_config(ROOT))
    assert not problems, f"{path.name}:\n" + "\n".join(problems)


def test_cli_writes_every_toc_notebook_then_finds_nothing_to_fix(tmp_path, capsys):
    shutil.copy(ROOT / "_config.yml", tmp_path)
    shutil.copy(ROOT / "_toc.yml", tmp_path)
    shutil.copytree(ROOT / "book", tmp_path / "book", ignore=shutil.ignore_patterns("_static", "*.md", "*.bib"))
    for path in toc_notebooks(tmp_path):  # start from notebooks without header, whatever the checkout holds
        if path.is_file():
            nb = nbformat.read(path, as_version=4)
            nb.cells[0].source = strip_macro_header(nb.cells[0].source)
            nbformat.write(nb, path)
    assert main(["--root", str(tmp_path)]) == 1
    assert main(["--write", "--root", str(tmp_path)]) == 0
    assert "updated" in capsys.readouterr().out
    assert main(["--root", str(tmp_path)]) == 0
    assert main(["--write", "--root", str(tmp_path)]) == 0
    assert "updated" not in capsys.readouterr().out
