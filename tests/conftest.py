"""Shared pytest fixtures.

``built_book``: builds the website once per test session and returns the path of ``_build/html``.
It always runs the README's build (``jupyter-book build . --warningiserror --keep-going`` from the
repository root): the execution cache (``execute_notebooks: cache``) makes a re-run with unchanged
notebooks take seconds, and a build that is always fresh never tests a stale site. A failing build
fails every test that uses the fixture, with the tail of the build log.

Hypothesis profiles: every run draws the same examples (``derandomize=True``: the seed is derived from each
test, no example database), so two runs of the suite are identical and a failure reproduces. The profile
``ci`` (loaded when the environment variable ``CI`` is set, as ``.ci/run`` does) also prints the blob that
replays a failing example; ``repeatable`` is the default elsewhere. ``pytest --hypothesis-profile=NAME``
chooses another profile.
"""

from __future__ import annotations

import os

# The reference trainers run L-BFGS on tiny matrices, where OpenBLAS's threads cost far more than they
# give (12-17x slower on a busy 2-core machine). One thread for the tests and the book build they start.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import settings

settings.register_profile("repeatable", derandomize=True, database=None, deadline=None)
settings.register_profile("ci", parent=settings.get_profile("repeatable"), print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "repeatable")

ROOT = Path(__file__).resolve().parents[1]
BUILD_TIMEOUT_S = 1800  # a clean build executes every notebook


def _jupyter_book_command() -> list[str]:
    exe = Path(sys.executable).with_name("jupyter-book")  # the venv running pytest
    if exe.exists():
        return [str(exe)]
    found = shutil.which("jupyter-book")
    if found:
        return [found]
    pytest.fail("jupyter-book is not installed (pip install -r requirements.txt)")


@pytest.fixture(scope="session")
def built_book() -> Path:
    """Build the book (README command) and return ``_build/html``; fail with the log tail on errors."""
    cmd = [*_jupyter_book_command(), "build", ".", "--warningiserror", "--keep-going"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    try:
        proc = subprocess.run(
            cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired as exc:
        tail = "\n".join(((exc.stdout or "") + (exc.stderr or "")).splitlines()[-60:])
        pytest.fail(f"`{' '.join(cmd)}` did not finish within {BUILD_TIMEOUT_S} s; last lines:\n{tail}")
    log = proc.stdout + proc.stderr
    log_path = ROOT / "_build" / "book-build.log"
    log_path.parent.mkdir(exist_ok=True)
    log_path.write_text(log)
    if proc.returncode != 0:
        tail = "\n".join(log.splitlines()[-60:])
        pytest.fail(
            f"`{' '.join(cmd)}` exited with {proc.returncode} (full log: {log_path}); last lines:\n{tail}",
            pytrace=False,
        )
    html = ROOT / "_build" / "html"
    if not (html / "index.html").exists():
        pytest.fail(f"the build succeeded but {html / 'index.html'} is missing", pytrace=False)
    return html
