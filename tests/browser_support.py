"""What the real-browser test modules share: Debian's Chromium driven by Playwright, a localhost file server
and axe-core (the accessibility checker) from npm.

``tests/test_website.py`` (the built website), ``tests/test_jupyterlab.py`` (the notebooks in JupyterLab) and
the widget test of ``tests/test_figures_widgets.py`` need ``/usr/bin/chromium`` (or ``$CHROMIUM``) and the
``playwright`` package. Without them the tests skip with a message, except under CI (``CI`` set), where a
missing browser is a failure.

axe-core (:func:`axe_core_script`) is installed with npm at test time, pinned to :data:`AXE_CORE_VERSION`,
into a cache folder outside the repository (``$DUALITY_TEST_CACHE``, default ``~/.cache/duality-book-tests``);
later runs reuse it. Without npm the accessibility tests skip, or fail under CI.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import os
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
# headless, as root, and without the background connections this machine's closed network refuses
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
AXE_CORE_VERSION = "4.14.1"  # exact pin: a new axe release can add rules, which must be a deliberate update
NPM_TIMEOUT_S = 300


def _missing(prefix: str, problems: list[str]) -> None:
    """Skip the calling test, or fail it under CI, when ``problems`` is not empty."""
    if problems:
        message = prefix + "; ".join(problems)
        if os.environ.get("CI"):
            pytest.fail(message + " (CI is set, so this is an error)", pytrace=False)
        pytest.skip(message)


def require_browser(what: str) -> None:
    """Skip (or, under CI, fail) the calling test when Chromium or playwright is missing."""
    problems = []
    if not CHROMIUM.exists():
        problems.append(f"no Chromium at {CHROMIUM} (Debian: apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        problems.append("the playwright package is missing (pip install -r requirements-test.txt)")
    _missing(f"{what} needs a browser: ", problems)


@contextlib.contextmanager
def chromium_browser():
    """A headless Chromium (Playwright ``Browser``), closed on exit."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest output readable
        pass


@contextlib.contextmanager
def serve_directory(directory: Path):
    """Serve ``directory`` over HTTP on a free localhost port; yields the base URL (ending in ``/``)."""
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(directory))
    )
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def _cache_dir() -> Path:
    return Path(os.environ.get("DUALITY_TEST_CACHE") or Path.home() / ".cache" / "duality-book-tests")


def _installed_version(prefix: Path) -> str | None:
    package = prefix / "node_modules" / "axe-core" / "package.json"
    if not package.exists():
        return None
    return json.loads(package.read_text()).get("version")


def axe_core_script() -> Path:
    """``axe.min.js`` of axe-core :data:`AXE_CORE_VERSION`, installed with npm into the cache on first use.

    Returns
    -------
    Path
        The script, to be injected into a page (``page.add_script_tag(path=...)``).

    Skips the calling test (fails it under CI) when npm is missing; fails it when the install fails.
    """
    prefix = _cache_dir() / f"axe-core-{AXE_CORE_VERSION}"
    script = prefix / "node_modules" / "axe-core" / "axe.min.js"
    if script.exists() and _installed_version(prefix) == AXE_CORE_VERSION:
        return script
    npm = shutil.which("npm")
    _missing("the accessibility check installs axe-core with npm: ", [] if npm else ["no npm (Debian: apt-get install npm)"])
    prefix.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f"{prefix.name}-", dir=prefix.parent))
    cmd = [npm, "install", "--no-save", "--no-audit", "--no-fund", "--ignore-scripts", "--prefix", str(staging),
           f"axe-core@{AXE_CORE_VERSION}"]  # fmt: skip
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=NPM_TIMEOUT_S, check=False)
        if proc.returncode != 0 or _installed_version(staging) != AXE_CORE_VERSION:
            pytest.fail(f"`{' '.join(cmd)}` failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}", pytrace=False)
        if not script.exists():  # another test process may have finished first: keep its copy
            shutil.rmtree(prefix, ignore_errors=True)
            os.replace(staging, prefix)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return script
