"""The JupyterLite edition in a real browser (headless Chromium), with no network but localhost.

The published app loads Pyodide, the kernel's Python, from the Pyodide CDN, which this test does not reach (and
must not need). It therefore builds a second copy of the app from the inputs the book build staged
(``_build/lite-stage``: the notebooks, the bundled wheels, the kernel) into a temporary folder, with a local
Pyodide (:func:`utils.course.lite_pyodide.local_pyodide`: the npm package ``pyodide`` of the version the kernel
expects, and the few pure-Python wheels the kernel needs to start, from PyPI; cached in
``_build/lite-offline``). It serves the built website with that copy in place of ``lite/`` on localhost, and in
a Chromium whose every request off localhost goes to a closed proxy port (and is recorded as a problem):

* opens chapter 03's page and follows its JupyterLite launch button;
* the notebook opens with the Pyodide kernel and no "Select Kernel" dialog, its Markdown rendered by
  jupyterlab-myst;
* the kernel starts (Pyodide, micropip, IPython, all from the site) and a new cell ``1 + 1`` prints ``2``;
* ``%pip install --no-deps duality-book-utils`` (piplite) installs the helper wheel bundled with the app, and
  ``import utils`` gives this repository's version.

Not tested here (readers online exercise it): the Pyodide packages of the chapters (numpy, scipy, cvxpy-base,
matplotlib, ...), which only the CDN serves, hence the chapters' setup cell and computations in the browser.
A screenshot goes to ``_build/screenshots/lite-offline.png``. Needs Chromium and playwright (as
``tests/test_website.py``) and ``npm``; without them the test is skipped, unless ``CI`` is set.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import socket
import socketserver
import threading
import time
from pathlib import Path

import pytest
from browser_support import CHROMIUM, CHROMIUM_ARGS, require_browser

import utils
from utils.course.lite_build import pyodide_version, run_lite_build
from utils.course.lite_pyodide import local_pyodide

pytestmark = [pytest.mark.book, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
CHAPTER = "book/03_stairs"
SCREENSHOT = ROOT / "_build" / "screenshots" / "lite-offline.png"
OPEN_MS = 120_000
KERNEL_MS = 360_000  # Pyodide compiles ~10 MB of WebAssembly: about a minute on a busy 2-core machine
CELL_MS = 120_000
# Console errors of the pinned upstream stack, not of the book. Each needs a reason.
KNOWN_CONSOLE_ERRORS = (
    # jupyterlab-myst renders each notebook on its own: a {ref} to another chapter's label has no target there
    re.compile(r"^Cross reference target was not found"),
    # Chromium asks the site for /favicon.ico before JupyterLab sets its own icon; the website has none
    re.compile(r"^Failed to load resource: .* 404 .*/favicon\.ico\)$"),
)


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Serves ``site``, but ``/lite/...`` from ``lite`` (the offline copy of the app)."""

    def __init__(self, *args, site: Path, lite: Path, **kwargs):
        self._site, self._lite = site, lite
        super().__init__(*args, directory=str(site), **kwargs)

    def translate_path(self, path: str) -> str:
        if path.startswith("/lite/"):
            self.directory = str(self._lite)
            path = path[len("/lite"):]
        else:
            self.directory = str(self._site)
        return super().translate_path(path)

    def log_message(self, *args):
        pass


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def offline_site(built_book, tmp_path_factory):
    """Base URL of the website on localhost, with an app that runs Pyodide from the site."""
    require_browser("JupyterLite browser test")
    npm = shutil.which("npm")
    if not npm:
        message = "the JupyterLite browser test needs npm (for the pyodide package): apt-get install npm"
        if os.environ.get("CI"):
            pytest.fail(message + " (CI is set, so this is an error)", pytrace=False)
        pytest.skip(message)
    staged = ROOT / "_build" / "lite-stage"
    assert (staged / "tools").is_dir(), f"{staged} is missing: the book build should have staged the lite app"
    stage = tmp_path_factory.mktemp("lite-stage")
    for name in ("contents", "pypi", "tools"):
        shutil.copytree(staged / name, stage / name)
    version = pyodide_version(stage)
    pyodide = local_pyodide(version, ROOT / "_build" / "lite-offline" / f"pyodide-{version}", npm=npm)
    lite = run_lite_build(stage, tmp_path_factory.mktemp("lite") / "lite", pyodide_dir=pyodide)
    handler = functools.partial(_Handler, site=built_book, lite=lite)
    server = _Server(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def _new_cell(page, code: str):
    """Insert a code cell below the active one, type ``code`` into it, run it; return the cell's locator."""
    page.keyboard.press("Escape")
    page.keyboard.press("b")
    page.keyboard.press("Enter")
    page.keyboard.insert_text(code)
    page.keyboard.press("Shift+Enter")
    first_line = code.splitlines()[0]
    return page.locator(".jp-CodeCell").filter(has=page.locator(".cm-content", has_text=first_line)).last


@pytest.fixture(scope="module")
def session(offline_site):
    """Follow chapter 03's launch button offline, start the kernel, run two cells; what the browser saw."""
    from playwright.sync_api import sync_playwright

    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    seen: dict = {"problems": [], "console": []}
    start = time.perf_counter()
    with sync_playwright() as pw:
        # Chromium sends everything off localhost (loopback is never proxied) to a closed port: offline.
        args = [*CHROMIUM_ARGS, f"--proxy-server=http://127.0.0.1:{_closed_port()}"]
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=args)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.on("request", lambda r: r.url.startswith(offline_site) or r.url.startswith(("data:", "blob:"))
                   or seen["problems"].append(f"request off localhost: {r.url}"))
        chapter = context.new_page()  # the website's page (tests/test_website.py checks its errors)
        chapter.goto(offline_site + CHAPTER + ".html")
        seen["launch"] = chapter.eval_on_selector_all('a.dropdown-item[href*="?path="]', "els => els.map(e => e.href)")
        chapter.close()
        page = context.new_page()
        page.on("pageerror", lambda err: seen["problems"].append(f"uncaught exception: {err}"))
        page.on("console", lambda m: m.type == "error" and seen["console"].append(
            f"{m.text} ({m.location.get('url', '')})"))
        page.on("response", lambda r: r.status >= 400 and seen["problems"].append(f"HTTP {r.status}: {r.url}"))
        try:
            page.goto(seen["launch"][0])
            page.wait_for_selector(".jp-NotebookPanel .jp-MarkdownCell .myst", timeout=OPEN_MS)
            seen["opened_s"] = time.perf_counter() - start
            page.wait_for_selector(".jp-NotebookPanel .jp-Notebook-ExecutionIndicator[data-status='idle']",
                                   timeout=KERNEL_MS)
            seen["idle_s"] = time.perf_counter() - start
            seen["kernel"] = page.inner_text(".jp-NotebookPanel .jp-Toolbar-kernelName")
            seen["dialogs"] = page.locator(".jp-Dialog").count()
            page.locator(".jp-NotebookPanel .jp-Cell").first.click()
            cell = _new_cell(page, "1 + 1")
            seen["one_plus_one"] = cell.locator(".jp-OutputArea-output").inner_text(timeout=CELL_MS).strip()
            cell = _new_cell(page, "%pip install --no-deps duality-book-utils\nimport utils\n"
                                   "print('lite utils', utils.__version__, utils.__book__)")
            seen["pip"] = cell.locator(".jp-OutputArea-output", has_text="lite utils").inner_text(timeout=CELL_MS)
        finally:
            seen["seconds"] = time.perf_counter() - start
            print(f"lite offline: notebook shown after {seen.get('opened_s', float('nan')):.0f} s, kernel idle "
                  f"after {seen.get('idle_s', float('nan')):.0f} s, done after {seen['seconds']:.0f} s")
            page.screenshot(path=str(SCREENSHOT))
            browser.close()
    return seen


def test_chapter_launch_button_opens_its_notebook_in_the_lite_app(session):
    assert len(session["launch"]) == 1 and re.search(r"/lite/lab/index\.html\?path=03_stairs\.ipynb$",
                                                     session["launch"][0]), session["launch"]


def test_notebook_opens_with_the_pyodide_kernel_and_no_kernel_dialog(session):
    assert session["kernel"] == "Python (Pyodide)"
    assert session["dialogs"] == 0, "a dialog (Select Kernel?) is open"


def test_kernel_starts_offline_and_runs_a_cell(session):
    assert session["one_plus_one"] == "2", session


def test_piplite_installs_the_bundled_helper_wheel_offline(session):
    assert session["pip"].split() == ["lite", "utils", utils.__version__, utils.__book__], session["pip"]


def test_nothing_leaves_localhost_and_nothing_fails(session):
    errors = [e for e in session["console"] if not any(known.search(e) for known in KNOWN_CONSOLE_ERRORS)]
    assert not session["problems"], "\n".join(session["problems"])
    assert not errors, "console errors:\n" + "\n".join(errors[:20])
