"""The notebooks in JupyterLab, as students run them, in a real browser (headless Chromium driven by Playwright).

Binder opens the chapters in JupyterLab with jupyterlab-myst (both pinned in ``requirements.txt``). This test
starts that JupyterLab from the project's environment on localhost, on copies of the notebooks in a temporary
folder (it never writes into ``book/``), with notebook windowing off so that every cell renders, and checks:

* every notebook of ``_toc.yml`` renders with jupyterlab-myst: every Markdown cell rendered, math typeset by
  KaTeX without an error (the book's macros come from the notebook's front matter, written by
  ``python -m utils.course.notebook_macros --write``), no TeX or raw MyST markup (``{prf:...}``, ``{cite...}``,
  directive fences) left as text, the title shown once, and as many theorem (sphinx-proof) and exercise boxes as
  the source has directives;
* chapters 01 and 03 run to the end with JupyterLab's own "Run All Cells" in the project's kernel, without an
  error output; in chapter 03, moving the stairs explorer's depth slider redraws its figure;
* in a JupyterLab with jupyterlab-myst disabled (MathJax), a notebook of the student edition
  (:func:`utils.write_student_edition`, plain Markdown) renders cleanly (no math error, no undefined macro, no raw
  markup), and a chapter shows no trace of its macro header while its ``$\\def...$`` line gives MathJax the
  macros (checked in the chapter opened next: JupyterLab typesets the first notebook's first cell last).

Screenshots go to ``_build/screenshots/jupyterlab/``. Needs what ``tests/test_website.py`` needs: Chromium at
``/usr/bin/chromium`` (or ``$CHROMIUM``) and playwright; without them the test is skipped, unless ``CI`` is set.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import nbformat
import pytest
from browser_support import chromium_browser, require_browser

from utils.course.notebook_macros import strip_macro_header
from utils.course.student_edition import write_student_edition
from utils.course.toc import toc_notebooks

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS = ROOT / "_build" / "screenshots" / "jupyterlab"
NOTEBOOKS = [p for p in toc_notebooks(ROOT) if p.is_file()]
RUN_ALL = ["01_two_layer.ipynb", "03_stairs.ipynb"]
STAIRS = "03_stairs.ipynb"
NEXT_CHAPTER = "02_deep_linear.ipynb"  # opened after chapter 03 in JupyterLab without MyST
# In Jupyter, utils.figures.interactive loads plotly.js from its CDN (the website ships its own copy); the test
# blocks it like every request off localhost (no network needed), without counting it as a problem.
ALLOWED_EXTERNAL = ("https://cdn.plot.ly/",)
WAIT_MS = 60_000
RUN_ALL_MS = 300_000
# JupyterLab user settings: every cell rendered (no windowing), nothing saved into the copies, no news.
SETTINGS = {
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
    "@jupyterlab/apputils-extension/notification": {"checkForUpdates": False, "fetchNews": "false"},
}


# ----------------------------------------------------------------------------------------- JupyterLab
class Lab:
    """A JupyterLab server of this environment on a free localhost port, serving ``root``; its state in ``state``.

    The server is this environment's ``jupyter-lab``; its user folders (settings, data, config, runtime) are in
    ``state``, so the only kernel is the environment's own Python (ipykernel), and nothing of the user's leaks in.
    """

    def __init__(self, root: Path, state: Path, *, myst: bool):
        exe = Path(sys.executable).with_name("jupyter-lab")
        if not exe.exists():
            pytest.fail(f"{exe} not found: pip install -r requirements.txt (jupyterlab, jupyterlab-myst)")
        for plugin, values in SETTINGS.items():
            path = state / "settings" / f"{plugin}.jupyterlab-settings"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))
        (state / "config" / "labconfig").mkdir(parents=True)
        if not myst:
            (state / "config" / "labconfig" / "page_config.json").write_text(
                json.dumps({"disabledExtensions": {"jupyterlab-myst": True}}))
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.token = secrets.token_hex(16)
        self.url = f"http://127.0.0.1:{port}/"
        env = {**os.environ, "JUPYTERLAB_SETTINGS_DIR": str(state / "settings"),
               "JUPYTERLAB_WORKSPACES_DIR": str(state / "workspaces"), "JUPYTER_CONFIG_DIR": str(state / "config"),
               "JUPYTER_DATA_DIR": str(state / "data"), "JUPYTER_RUNTIME_DIR": str(state / "runtime")}
        self.log = state / "jupyterlab.log"
        self._log_file = self.log.open("w")
        self.proc = subprocess.Popen(
            [str(exe), "--allow-root", "--no-browser", "--ServerApp.open_browser=False", "--ServerApp.ip=127.0.0.1",
             f"--ServerApp.port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={self.token}",
             f"--ServerApp.root_dir={root}"],
            env=env, stdout=self._log_file, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while not self._api("status", check=False):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.close()
                pytest.fail(f"JupyterLab did not start; its log:\n{self.log.read_text()[-3000:]}", pytrace=False)
            time.sleep(0.2)

    def _api(self, path: str, method: str = "GET", check: bool = True):
        request = urllib.request.Request(f"{self.url}api/{path}?token={self.token}", method=method)
        direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # localhost: never via a proxy
        try:
            with direct.open(request, timeout=10) as response:
                body = response.read()
        except (urllib.error.URLError, ConnectionError):
            if check:
                raise
            return None
        return json.loads(body) if body else {}

    def notebook(self, name: str) -> str:
        return f"{self.url}lab/tree/{name}?token={self.token}&reset"

    def shutdown_kernels(self) -> None:
        for session in self._api("sessions"):
            self._api(f"sessions/{session['id']}", method="DELETE")

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._log_file.close()


@pytest.fixture(scope="module")
def browser():
    require_browser("JupyterLab browser test")
    with chromium_browser() as chromium:
        yield chromium


@pytest.fixture(scope="module")
def myst_lab(browser, tmp_path_factory):
    """JupyterLab with jupyterlab-myst on copies of the TOC notebooks, and a browser context for it."""
    folder = tmp_path_factory.mktemp("book")
    for path in NOTEBOOKS:
        shutil.copy(path, folder / path.name)
    lab = Lab(folder, tmp_path_factory.mktemp("lab-state"), myst=True)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    yield lab, context
    context.close()
    lab.close()


def _open(lab: Lab, context, name: str, *, myst: bool):
    """Open a notebook in a new page and wait until every Markdown cell is rendered and the math typeset."""
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    problems: list[str] = []

    def route(r):
        if r.request.url.startswith(lab.url):
            r.continue_()
            return
        if not r.request.url.startswith(ALLOWED_EXTERNAL):
            problems.append(f"external request: {r.request.url}")
        r.abort()

    page.route("**/*", route)
    page.on("pageerror", lambda err: problems.append(f"uncaught exception: {err}"))
    page.goto(lab.notebook(name))
    _wait_for_rendering(page, myst)
    return page, problems


def _wait_for_rendering(page, myst: bool) -> None:
    """Until every Markdown cell of the current notebook is rendered and the number of formulas stops changing
    (MathJax typesets asynchronously)."""
    page.wait_for_function(_ALL_RENDERED, arg=myst)
    counts, stable = None, 0
    while stable < 3:
        page.wait_for_timeout(300)
        now = page.evaluate("() => document.querySelectorAll('mjx-container, .katex').length")
        stable, counts = (stable + 1, now) if now == counts else (0, now)


_PANEL = "document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook')"
_OUTPUT = "c.querySelector(myst ? '.jp-InputArea > .myst' : '.jp-MarkdownOutput')"

_ALL_RENDERED = f"""myst => {{
  const panel = {_PANEL};
  const cells = panel ? Array.from(panel.querySelectorAll('.jp-MarkdownCell')) : [];
  return cells.length > 0 && cells.every(c => {_OUTPUT});
}}"""

_REPORT = f"""myst => {{
  const panel = {_PANEL};
  const outputs = Array.from(panel.querySelectorAll('.jp-MarkdownCell')).map(c => {_OUTPUT});
  const text = outputs.map(o => {{
    const copy = o.cloneNode(true);
    copy.querySelectorAll('code, .katex, mjx-container, script, style').forEach(e => e.remove());
    return copy.textContent;
  }}).join('\\n');
  const first = outputs[0];
  return {{
    markdownCells: outputs.length,
    math: panel.querySelectorAll(myst ? '.katex' : 'mjx-container').length,
    mathErrors: myst
      ? Array.from(panel.querySelectorAll('.myst [title]')).map(e => e.title)
          .filter(t => /position \\d+|control sequence|KaTeX/.test(t))
      : Array.from(panel.querySelectorAll('mjx-merror')).map(e => e.getAttribute('data-mjx-error')),
    undefinedMacros: Array.from(panel.querySelectorAll('mjx-assistive-mml mtext[mathcolor="red"]'))
      .map(e => e.textContent),
    rawTex: text.match(/\\\\[A-Za-z]+/g) || [],
    rawMarkup: text.match(/\\{{(prf:[\\w-]*|cite(:\\w+)?|ref|doc|eq|numref|exercise|solution)[\\w-]*\\}}|```|:::/g) || [],
    titles: Array.from(first.querySelectorAll('h1, .myst-fm-block-title')).map(e => e.textContent.replace('¶', '').trim()),
    rulesInFirstCell: first.querySelectorAll('hr').length,
    firstCellText: (() => {{ const c = first.cloneNode(true); c.querySelectorAll('mjx-container, .katex').forEach(e => e.remove());
      return c.textContent.replace('¶', ''); }})(),
    firstCellMathProblems: Array.from(first.querySelectorAll('mjx-merror, mjx-assistive-mml mtext[mathcolor="red"]'))
      .map(e => e.getAttribute('data-mjx-error') || e.textContent),
    proofs: panel.querySelectorAll('aside.myst-proof').length,
    exercises: Array.from(panel.querySelectorAll('.myst-exercise-title')).filter(e => /^Exercise\\b/.test(e.textContent.trim())).length,
    myst: panel.querySelectorAll('.myst').length,
  }};
}}"""

_DIRECTIVE = re.compile(r"^[ \t]*(?:`{3,}|:{3,})\{([\w:-]+)\}", re.M)


def _expected(path: Path) -> dict:
    nb = nbformat.read(path, as_version=4)
    markdown = [c.source for c in nb.cells if c.cell_type == "markdown"]
    names = _DIRECTIVE.findall("\n\n".join(markdown))
    title = re.match(r"#\s+(.+)", strip_macro_header(markdown[0]).lstrip())
    return {
        "markdownCells": len(markdown),
        "proofs": sum(n.startswith("prf:") for n in names),
        "exercises": sum(n in ("exercise", "exercise-start") for n in names),
        "title": title.group(1).strip() if title else None,
        "math": any(re.search(r"\$|\\begin\{", m) for m in markdown),
    }


def _screenshot(page, path: Path) -> None:
    """The whole notebook: the viewport is made as tall as the notebook for the shot, then restored."""
    path.parent.mkdir(parents=True, exist_ok=True)
    height = page.evaluate(f"() => {{ const p = {_PANEL}; return (p.querySelector('.jp-WindowedPanel-outer') || p)"
                           ".scrollHeight; }")
    page.set_viewport_size({"width": 1280, "height": min(int(height) + 200, 30_000)})
    page.evaluate(f"() => {{ const p = {_PANEL}; (p.querySelector('.jp-WindowedPanel-outer') || p).scrollTop = 0; }}")
    page.wait_for_timeout(300)
    page.screenshot(path=str(path))
    page.set_viewport_size({"width": 1280, "height": 900})


def _clean_render_problems(report: dict, myst: bool) -> list[str]:
    problems = [f"{k}: {report[k][:5]}" for k in ("mathErrors", "undefinedMacros", "rawTex", "rawMarkup") if report[k]]
    if any("control sequence" in e for e in report["mathErrors"]):
        problems.append("(the book's math macros reach jupyterlab-myst through each notebook's front matter: "
                        "python -m utils.course.notebook_macros --write)")
    if myst and report["myst"] != report["markdownCells"]:
        problems.append(f"jupyterlab-myst rendered {report['myst']} of {report['markdownCells']} Markdown cells")
    if not myst and report["myst"]:
        problems.append("jupyterlab-myst rendered cells although it is disabled")
    return problems


# ----------------------------------------------------------------------------------------- every chapter
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_renders_cleanly_in_jupyterlab_with_myst(myst_lab, path):
    lab, context = myst_lab
    page, problems = _open(lab, context, path.name, myst=True)
    try:
        report = page.evaluate(_REPORT, True)
        _screenshot(page, SCREENSHOTS / f"{path.stem}_myst.png")
    finally:
        page.close()
        lab.shutdown_kernels()
    expected = _expected(path)
    problems += _clean_render_problems(report, myst=True)
    assert report["markdownCells"] == expected["markdownCells"], "not every Markdown cell is in the page"
    if expected["math"]:
        assert report["math"] > 0, "the source has math but KaTeX typeset none"
    assert report["titles"] == [expected["title"]], f"title shown as {report['titles']}, once expected"
    assert report["proofs"] == expected["proofs"], f"{report['proofs']} theorem boxes, {expected['proofs']} in source"
    assert report["exercises"] == expected["exercises"], (
        f"{report['exercises']} exercise boxes, {expected['exercises']} in the source")
    assert not problems, f"{path.name}:\n" + "\n".join(problems)


# ----------------------------------------------------------------------------------------- running chapters
# JupyterLab shows an error output (an exception's traceback) as stderr text; warnings are stderr too.
_RUN_STATE = f"""() => {{
  const panel = {_PANEL};
  const prompts = Array.from(panel.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')).map(e => e.textContent.trim());
  const errors = Array.from(panel.querySelectorAll('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'))
    .map(e => e.textContent).filter(t => /Traceback \\(most recent call last\\)|^\\w*(Error|Exception)\\b/m.test(t));
  return {{
    done: prompts.every(t => /^\\[\\d+\\]:$/.test(t)),
    running: prompts.some(t => t === '[*]:'),
    errors: errors.map(t => t.slice(-1500)),
  }};
}}"""


@pytest.fixture(scope="module")
def ran_all(myst_lab):
    """The chapters of ``RUN_ALL``, each run with JupyterLab's Run > Run All Cells (all at once, one kernel each).

    Returns ``name -> (page, state, problems)``; the pages stay open for the module. ``state`` says whether every
    code cell ran (``done``), the error outputs, and the seconds from the click to the end of the run.
    """
    lab, context = myst_lab
    pages = {}
    for name in RUN_ALL:
        page, problems = _open(lab, context, name, myst=True)
        page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
        page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
        pages[name] = (page, time.perf_counter(), problems)
    finished = {}
    for name, (page, start, problems) in pages.items():
        page.wait_for_function(f"() => {{ const s = ({_RUN_STATE})(); return !s.running && (s.done || s.errors.length > 0); }}",
                               timeout=RUN_ALL_MS, polling=500)
        state = page.evaluate(_RUN_STATE)
        state["seconds"] = time.perf_counter() - start
        finished[name] = (page, state, problems)
    yield finished
    for page, _, _ in finished.values():
        page.close()


@pytest.mark.parametrize("name", RUN_ALL)
def test_run_all_cells_runs_the_chapter_without_error_output(ran_all, name):
    page, state, problems = ran_all[name]
    assert not state["errors"], f"{name}: error output after Run All:\n" + "\n---\n".join(state["errors"])
    assert state["done"], f"{name}: Run All did not execute every code cell"
    assert not problems, "\n".join(problems)


def test_stairs_explorer_depth_slider_redraws_the_figure(ran_all):
    page, state, _ = ran_all[STAIRS]
    assert state["done"] and not state["errors"], "chapter 03 did not run to the end"
    label = page.locator(".widget-label", has_text=re.compile(r"^depth L$"))
    slider = page.locator(".widget-hslider", has=label).first
    slider.scroll_into_view_if_needed()
    explorer = slider.locator("xpath=ancestor::div[contains(@class, 'widget-vbox')][last()]")
    image = explorer.locator("img").first
    image.wait_for()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
    before_png, before_depth = image.screenshot(), slider.locator(".widget-readout").inner_text()
    handle = slider.locator(".noUi-handle").bounding_box()
    track = slider.locator(".noUi-base, .noUi-target").first.bounding_box()
    page.mouse.move(handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2)
    page.mouse.down()
    page.mouse.move(track["x"] + 0.95 * track["width"], handle["y"] + handle["height"] / 2, steps=8)
    page.mouse.up()
    page.wait_for_function("([el, d]) => el.textContent.trim() !== d",
                           arg=[slider.locator(".widget-readout").element_handle(), before_depth])
    depth = slider.locator(".widget-readout").inner_text()
    page.wait_for_timeout(1000)  # the kernel redraws the PNG and sends it back
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
    after_png = image.screenshot()
    _screenshot(page, SCREENSHOTS / "03_stairs_myst_after_run_all.png")
    assert int(depth) > int(before_depth), f"depth readout {before_depth} -> {depth}"
    assert after_png != before_png, f"moving the depth slider from {before_depth} to {depth} left the figure as it was"


# ----------------------------------------------------------------------------------------- without MyST
@pytest.fixture(scope="module")
def plain_lab(browser, tmp_path_factory):
    """JupyterLab with jupyterlab-myst disabled, on the student edition (``student/``) and on copies of two
    chapters (``book/``)."""
    folder = tmp_path_factory.mktemp("plain")
    write_student_edition(folder / "student", ROOT, log=lambda *args: None)
    (folder / "book").mkdir()
    for name in (STAIRS, NEXT_CHAPTER):
        shutil.copy(ROOT / "book" / name, folder / "book" / name)
    lab = Lab(folder, tmp_path_factory.mktemp("plain-state"), myst=False)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    yield lab, context
    context.close()
    lab.close()


def test_student_edition_renders_cleanly_in_jupyterlab_without_myst(plain_lab):
    lab, context = plain_lab
    page, problems = _open(lab, context, f"student/{STAIRS}", myst=False)
    try:
        report = page.evaluate(_REPORT, False)
        _screenshot(page, SCREENSHOTS / f"{Path(STAIRS).stem}_student_without_myst.png")
    finally:
        page.close()
        lab.shutdown_kernels()
    problems += _clean_render_problems(report, myst=False)
    if report["rulesInFirstCell"]:
        problems.append("the first cell shows horizontal rules (front matter left in the plain notebook?)")
    assert report["math"] > 0, "MathJax typeset no formula"
    assert not problems, f"student edition {STAIRS} without jupyterlab-myst:\n" + "\n".join(problems)


def test_book_notebook_hides_its_header_and_gives_mathjax_the_macros_without_myst(plain_lab):
    """The header shows no YAML, and the ``$\\def...$`` line defines the macros for MathJax: for every notebook
    opened after the first one (JupyterLab 4.5 typesets the first cell of the first notebook it opens last, so in
    that one notebook only the first cell is sure to find the macros; see ``utils.course.notebook_macros``)."""
    lab, context = plain_lab
    page, problems = _open(lab, context, f"book/{STAIRS}", myst=False)
    try:
        first = page.evaluate(_REPORT, False)
        page.locator(".jp-DirListing-item", has_text=NEXT_CHAPTER).dblclick()  # the reader opens the next chapter
        page.wait_for_function("name => Array.from(document.querySelectorAll('.lm-TabBar-tab.lm-mod-current "
                               ".lm-TabBar-tabLabel')).some(t => t.textContent === name)", arg=NEXT_CHAPTER)
        _wait_for_rendering(page, myst=False)
        second = page.evaluate(_REPORT, False)
        _screenshot(page, SCREENSHOTS / f"{Path(NEXT_CHAPTER).stem}_book_without_myst.png")
    finally:
        page.close()
        lab.shutdown_kernels()
    title = _expected(ROOT / "book" / STAIRS)["title"]
    assert first["firstCellText"].strip() == title, f"the first cell shows {first['firstCellText'][:300]!r}"
    assert first["firstCellMathProblems"] == [], f"MathJax in the first cell: {first['firstCellMathProblems']}"
    assert second["math"] > 0, f"{NEXT_CHAPTER}: MathJax typeset no formula"
    assert second["undefinedMacros"] == [], f"{NEXT_CHAPTER}: undefined macros {second['undefinedMacros'][:5]}"
    assert second["mathErrors"] == [], f"{NEXT_CHAPTER}: MathJax errors {second['mathErrors'][:5]}"
    assert not problems, "\n".join(problems)
