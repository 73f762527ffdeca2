"""Sphinx extension: the JupyterLite edition of the book in the built site, and its launch buttons.

Readers run any chapter in their browser, with no server: JupyterLab compiled to a static site (JupyterLite),
with a Python kernel compiled to WebAssembly (Pyodide), loaded from the Pyodide CDN by the reader's browser.

* **The app.** When an HTML build succeeds (``build-finished``), :func:`build_lite_site` stages the notebooks of
  ``_toc.yml`` and the wheels (:mod:`utils.course.lite_build`) and runs ``jupyter lite build`` into
  ``<html>/<folder>``, the folder of ``launch_buttons.jupyterlite_url`` in ``_config.yml``
  (``lite/lab/index.html``: the folder ``lite``). The staging folder ``_build/lite-stage`` keeps the downloaded
  wheels and a stamp of the inputs: when the notebooks, the sources of ``utils``, the pins and the environment's
  JupyterLab extensions are those of the last build and the app is still there, the step is skipped.
* **The buttons.** sphinx-book-theme (>= 1.2) adds a JupyterLite launch button to every notebook page as
  ``{jupyterlite_url}?path={docname}.ipynb``: a link relative to the page, so from ``book/03_stairs.html`` it
  points into ``book/lite/`` and names the notebook ``book/03_stairs.ipynb``. This extension runs after the
  theme's ``html-page-context`` handler (priority 501) and rewrites it to the app's address relative to the
  page and the notebook's name in the app's flat contents folder (:func:`lite_launch_url`), e.g.
  ``../lite/lab/index.html?path=03_stairs.ipynb``.

Enable it in ``_config.yml``::

    launch_buttons:
      jupyterlite_url: lite/lab/index.html
    sphinx:
      extra_extensions:
        - utils.course.lite

The config value ``lite_build`` (default ``True``) turns the app's build off (the buttons then point at a
folder that does not exist).
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import shutil
import sys
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

from .build_cache import sources_digest
from .lite_build import LITE_REQUIREMENTS, PACKAGE_FILES, run_lite_build, stage_lite
from .toc import toc_notebooks

__all__ = ["APP_PAGE", "STAMP_NAME", "build_lite_site", "inputs_digest", "lite_folder", "lite_launch_url",
           "rewrite_lite_buttons", "setup"]

#: The page of the app that opens a notebook (``?path=<notebook>``), inside the app's folder.
APP_PAGE = "lab/index.html"
#: The stamp of the last build's inputs, in the staging folder.
STAMP_NAME = "inputs.sha256"


def lite_folder(jupyterlite_url: str) -> str:
    """The app's folder in the built site, from ``launch_buttons.jupyterlite_url``.

    Parameters
    ----------
    jupyterlite_url : str
        A site-relative address ``<folder>/lab/index.html`` (no scheme, no leading ``/``).

    Returns
    -------
    str
        ``<folder>``, e.g. ``"lite"``.

    Raises
    ------
    ValueError
        If the address is absolute or does not end with ``/lab/index.html``.
    """
    parts = urlsplit(jupyterlite_url)
    path = parts.path
    if parts.scheme or parts.netloc or path.startswith("/") or not path.endswith("/" + APP_PAGE):
        raise ValueError(f"launch_buttons.jupyterlite_url must be '<folder>/{APP_PAGE}' relative to the site, "
                         f"got {jupyterlite_url!r}")
    folder = path[: -len(APP_PAGE) - 1]
    if not folder or ".." in folder.split("/"):
        raise ValueError(f"launch_buttons.jupyterlite_url: bad folder {folder!r} in {jupyterlite_url!r}")
    return folder


def lite_launch_url(app_href: str, theme_url: str) -> str:
    """The launch address of a page's notebook in the app, from the address the theme made.

    Parameters
    ----------
    app_href : str
        The app's page relative to the current page, e.g. ``"../lite/lab/index.html"``.
    theme_url : str
        sphinx-book-theme's ``{jupyterlite_url}?path={docname}.ipynb``.

    Returns
    -------
    str
        ``{app_href}?path={notebook file name}`` (the app's contents are flat: ``book/03_stairs.ipynb`` is
        ``03_stairs.ipynb`` there).

    Raises
    ------
    ValueError
        If ``theme_url`` has no ``path`` parameter.
    """
    paths = parse_qs(urlsplit(theme_url).query).get("path")
    if not paths:
        raise ValueError(f"no ?path= in the JupyterLite launch address {theme_url!r}")
    return f"{app_href}?path={quote(posixpath.basename(paths[0]))}"


def rewrite_lite_buttons(header_buttons: list, jupyterlite_url: str, app_href: str) -> int:
    """Point the JupyterLite buttons of a page's header at the app, in place; return how many were changed.

    Parameters
    ----------
    header_buttons : list of dict
        sphinx-book-theme's ``context["header_buttons"]``: buttons (``{"url": ...}``) and groups
        (``{"buttons": [...]}``).
    jupyterlite_url : str
        The configured ``launch_buttons.jupyterlite_url``: buttons whose ``url`` starts with
        ``{jupyterlite_url}?`` are the theme's JupyterLite buttons.
    app_href : str
        As :func:`lite_launch_url`.

    Returns
    -------
    int
        The number of buttons rewritten (also given a clearer label).
    """
    prefix = jupyterlite_url.rstrip("/") + "?"
    changed = 0
    for button in header_buttons:
        if not isinstance(button, dict):
            continue
        if isinstance(button.get("buttons"), list):
            changed += rewrite_lite_buttons(button["buttons"], jupyterlite_url, app_href)
        url = button.get("url")
        if isinstance(url, str) and url.startswith(prefix):
            button["url"] = lite_launch_url(app_href, url)
            button["text"] = "JupyterLite (in your browser)"
            button["tooltip"] = "Run this notebook in your browser (JupyterLite, no server)"
            changed += 1
    return changed


def inputs_digest(book_root, package_root) -> str:
    """SHA-256 of what the app is built from: the TOC notebooks, ``utils``, the pins, the tools' versions.

    Parameters
    ----------
    book_root, package_root : str or Path
        As :func:`utils.course.lite_build.stage_lite`.

    Returns
    -------
    str
        64 hexadecimal digits; it changes when a notebook, a ``*.py`` file of ``utils`` (including this
        extension), ``pyproject.toml``, ``README.md``, ``LICENSE`` (the wheel's metadata), ``requirements-lite.txt``,
        jupyterlite-core or a JupyterLab extension of the environment changes.
    """
    from importlib.metadata import version

    digest = hashlib.sha256()
    package_root = Path(package_root)
    digest.update(sources_digest([package_root / "utils"]).encode())
    package_files = [package_root / name for name in (*PACKAGE_FILES, LITE_REQUIREMENTS)]
    for path in [*toc_notebooks(book_root), *package_files]:
        digest.update(str(path.name).encode() + b"\0")
        digest.update(path.read_bytes() if path.is_file() else b"(missing)")
    digest.update(version("jupyterlite-core").encode())
    labextensions = Path(sys.prefix) / "share" / "jupyter" / "labextensions"  # where jupyter lite looks
    for package in sorted([*labextensions.glob("*/package.json"), *labextensions.glob("@*/*/package.json")]):
        meta = json.loads(package.read_text())
        digest.update(f"{meta.get('name')}=={meta.get('version')}\0".encode())
    return digest.hexdigest()


def build_lite_site(book_root, package_root, output, stage) -> bool:
    """Build the app into ``output`` unless the stamp in ``stage`` shows it is up to date; True if built.

    Parameters
    ----------
    book_root, package_root : str or Path
        As :func:`utils.course.lite_build.stage_lite`.
    output : str or Path
        The app's folder in the site (``<html>/lite``).
    stage : str or Path
        The staging folder (kept: downloads and the stamp).

    Returns
    -------
    bool
        False when the app was already built from the same inputs.
    """
    output, stage = Path(output), Path(stage)
    stamp = stage / STAMP_NAME
    digest = inputs_digest(book_root, package_root)
    if (output / APP_PAGE).is_file() and stamp.is_file() and stamp.read_text().strip() == digest:
        return False
    stamp.unlink(missing_ok=True)
    stage_lite(book_root, package_root, stage)
    run_lite_build(stage, output)
    stamp.write_text(digest + "\n")
    return True


def _package_root() -> Path:
    root = Path(__file__).resolve().parents[2]
    if not (root / "pyproject.toml").is_file() or not (root / LITE_REQUIREMENTS).is_file():
        raise FileNotFoundError(f"the lite build needs the book's repository (pyproject.toml and {LITE_REQUIREMENTS} "
                                f"in {root}); install the package in editable mode (pip install -e .)")
    return root


def _configured_url(app) -> str | None:
    launch = (app.config.html_theme_options or {}).get("launch_buttons") or {}
    return launch.get("jupyterlite_url") or None


def _on_page_context(app, pagename, templatename, context, doctree) -> None:
    url = _configured_url(app)
    buttons = context.get("header_buttons")
    if not url or not buttons:
        return
    rewrite_lite_buttons(buttons, url, context["pathto"](f"{lite_folder(url)}/{APP_PAGE}", 1))


def _on_build_finished(app, exception) -> None:
    url = _configured_url(app)
    if exception is not None or app.builder.format != "html" or not url or not app.config.lite_build:
        return
    from sphinx.errors import ExtensionError
    from sphinx.util import logging

    logger = logging.getLogger(__name__)
    output = Path(app.outdir) / lite_folder(url)
    stage = Path(app.outdir).parent / "lite-stage"
    logger.info(f"lite: building the JupyterLite edition into {output} ...")
    try:
        built = build_lite_site(app.srcdir, _package_root(), output, stage)
    except Exception as err:  # any failure fails the build, with the step that failed
        shutil.rmtree(output, ignore_errors=True)
        raise ExtensionError(f"the JupyterLite edition could not be built: {err}") from err
    logger.info("lite: done" if built else "lite: up to date (same inputs as the last build)")


def setup(app) -> dict:
    """Register the config value, the launch-button rewrite (after the theme's) and the app's build."""
    app.add_config_value("lite_build", True, "html")
    app.connect("html-page-context", _on_page_context, priority=502)
    app.connect("build-finished", _on_build_finished)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
