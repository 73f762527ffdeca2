"""What the two real-browser test modules share: Debian's Chromium driven by Playwright.

``tests/test_website.py`` (the built website) and ``tests/test_jupyterlab.py`` (the notebooks in JupyterLab) both
need ``/usr/bin/chromium`` (or ``$CHROMIUM``) and the ``playwright`` package. Without them the tests skip with a
message, except under CI (``CI`` set), where a missing browser is a failure.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
# headless, as root, and without the background connections this machine's closed network refuses
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


def require_browser(what: str) -> None:
    """Skip (or, under CI, fail) the calling test when Chromium or playwright is missing."""
    problems = []
    if not CHROMIUM.exists():
        problems.append(f"no Chromium at {CHROMIUM} (Debian: apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        problems.append("the playwright package is missing (pip install -r requirements-test.txt)")
    if problems:
        message = f"{what} needs a browser: " + "; ".join(problems)
        if os.environ.get("CI"):
            pytest.fail(message + " (CI is set, so this is an error)", pytrace=False)
        pytest.skip(message)


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
