"""Sphinx extension: the website's Colab buttons open the plain edition of the page (``notebooks/<name>.ipynb``).

Colab does not read MyST, so the page's own notebook (``book/<name>.ipynb``) shows its theorem and exercise
blocks, references and math macros as raw text there. sphinx-book-theme builds the Colab button in its
``html-page-context`` handler ``add_launch_buttons`` (priority 501) as
``{colab_url}/github/{org}/{repo}/blob/{branch}/{path of the page}.ipynb``; this extension runs after it
(priority 502) and replaces the path by ``notebooks/<name>.ipynb``, the generated copy that
``python -m utils.course.plain_edition notebooks`` keeps in the repository. A page whose plain notebook is
missing keeps its link, with a warning. Binder and the other buttons are not changed.

Enable it in ``_config.yml``::

    sphinx:
      extra_extensions:
        - utils.course.colab_link

The folder is the config value ``colab_link_notebooks_dir`` (default ``"notebooks"``, relative to the book's
folder, which is the repository root).
"""

from __future__ import annotations

import posixpath
from pathlib import Path

__all__ = ["plain_colab_url", "rewrite_colab_buttons", "setup"]


def plain_colab_url(url: str, branch: str, notebooks_dir: str = "notebooks") -> str:
    """The Colab address of the plain edition of the notebook that ``url`` opens.

    Parameters
    ----------
    url : str
        A Colab launch address, ``https://colab.research.google.com/github/ORG/REPO/blob/BRANCH/PATH.ipynb``.
    branch : str
        The repository branch in ``url`` (it may contain ``/``).
    notebooks_dir : str
        The folder of the plain edition, relative to the repository root.

    Returns
    -------
    str
        ``.../blob/BRANCH/<notebooks_dir>/<name>.ipynb``; ``url`` itself when it is not such an address.
    """
    marker = f"/blob/{branch}/"
    start = url.find(marker)
    if "/github/" not in url or start < 0 or not url.endswith(".ipynb"):
        return url
    name = posixpath.basename(url)
    return f"{url[:start + len(marker)]}{notebooks_dir.strip('/')}/{name}"


def rewrite_colab_buttons(header_buttons: list, colab_url: str, branch: str, notebooks_dir: str = "notebooks",
                          exists=None) -> list[str]:
    """Point the Colab buttons of a page's header at the plain edition, in place.

    Parameters
    ----------
    header_buttons : list of dict
        sphinx-book-theme's ``context["header_buttons"]``: buttons (``{"url": ...}``) and groups
        (``{"buttons": [...]}``).
    colab_url : str
        The configured Colab address (``launch_buttons.colab_url``): buttons whose ``url`` starts with
        ``{colab_url}/github/`` are Colab buttons.
    branch, notebooks_dir
        As :func:`plain_colab_url`.
    exists : callable, optional
        ``exists(name)`` says whether ``<notebooks_dir>/<name>`` exists; buttons of missing notebooks are kept.

    Returns
    -------
    list of str
        The names of the notebooks whose plain edition is missing (their buttons were left unchanged).
    """
    prefix = colab_url.rstrip("/") + "/github/"
    missing: list[str] = []
    for button in header_buttons:
        if not isinstance(button, dict):
            continue
        if isinstance(button.get("buttons"), list):
            missing += rewrite_colab_buttons(button["buttons"], colab_url, branch, notebooks_dir, exists)
        url = button.get("url")
        if isinstance(url, str) and url.startswith(prefix):
            new = plain_colab_url(url, branch, notebooks_dir)
            if exists is not None and not exists(posixpath.basename(new)):
                missing.append(posixpath.basename(new))
            else:
                button["url"] = new
    return missing


def _on_page_context(app, pagename, templatename, context, doctree) -> None:
    buttons = context.get("header_buttons")
    theme = app.config.html_theme_options or {}
    colab_url = (theme.get("launch_buttons") or {}).get("colab_url")
    if not buttons or not colab_url:
        return
    folder = app.config.colab_link_notebooks_dir
    missing = rewrite_colab_buttons(buttons, colab_url, theme.get("repository_branch") or "master", folder,
                                    exists=lambda name: (Path(app.srcdir) / folder / name).is_file())
    if missing:
        from sphinx.util import logging

        logging.getLogger(__name__).warning(
            f"{pagename}: {folder}/{missing[0]} is missing, so its Colab button opens the MyST source; run "
            f"`python -m utils.course.plain_edition {folder}`", location=pagename)


def setup(app) -> dict:
    """Register the handler (after sphinx-book-theme's launch buttons) and the config value."""
    app.add_config_value("colab_link_notebooks_dir", "notebooks", "html")
    app.connect("html-page-context", _on_page_context, priority=502)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
