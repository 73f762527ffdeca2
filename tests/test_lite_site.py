"""The JupyterLite edition in the built website (``_build/html/lite``): its notebooks, wheels, extensions, buttons.

Static checks of the files the README's build command wrote; the app in a real browser is
``tests/test_lite_browser.py``.
"""

from __future__ import annotations

import json
import re
import zipfile
from html import unescape
from pathlib import Path, PurePosixPath
from urllib.parse import parse_qs, urljoin, urlsplit

import nbformat
import pytest
import yaml

from utils.course.lite import APP_PAGE, lite_folder
from utils.course.lite_build import LITE_KERNELSPEC, LITE_REQUIREMENTS, pinned_requirements
from utils.course.setup_cell import HELPER_DISTRIBUTION
from utils.course.toc import toc_notebooks

pytestmark = pytest.mark.book

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = [p for p in toc_notebooks(ROOT) if p.is_file()]
LAUNCH = re.compile(r'<a href="([^"]*\?path=[^"]*)"[^>]*>(?:(?!</a>).)*JupyterLite', re.S)
EXTENSIONS = {"jupyterlab-myst", "@jupyterlite/pyodide-kernel-extension", "@jupyter-widgets/jupyterlab-manager",
              "jupyterlab-plotly"}


def _folder() -> str:
    return lite_folder(yaml.safe_load((ROOT / "_config.yml").read_text())["launch_buttons"]["jupyterlite_url"])


def lite_launch_links(page_html: str) -> list[str]:
    """The hrefs of a page's JupyterLite launch buttons (unescaped)."""
    return [unescape(href) for href in LAUNCH.findall(page_html)]


@pytest.fixture(scope="module")
def lite(built_book) -> Path:
    app = built_book / _folder()
    assert (app / APP_PAGE).is_file(), f"{app / APP_PAGE} is missing: the lite extension did not build the app"
    return app


def _config(lite: Path) -> dict:
    return json.loads((lite / "jupyter-lite.json").read_text())["jupyter-config-data"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_launch_button_opens_this_pages_notebook_in_the_lite_app(built_book, lite, path):
    docname = path.relative_to(ROOT).with_suffix("").as_posix()
    links = lite_launch_links((built_book / f"{docname}.html").read_text(encoding="utf-8"))
    assert len(links) == 1, f"{docname}: JupyterLite launch links {links}"
    target = urlsplit(urljoin(f"http://site/{docname}.html", links[0]))
    assert target.netloc == "site", f"{docname}: the launch link {links[0]} leaves the site"
    app_page = built_book / PurePosixPath(target.path).relative_to("/")
    assert app_page == lite / APP_PAGE, f"{docname}: {links[0]} is not the app's page {lite / APP_PAGE}"
    (name,) = parse_qs(target.query)["path"]
    assert name == path.name and (lite / "files" / name).is_file(), f"{docname}: {links[0]} opens no {path.name}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_lite_notebook_is_the_chapter_with_the_pyodide_kernelspec(lite, path):
    copy = nbformat.read(lite / "files" / path.name, as_version=4)
    source = nbformat.read(path, as_version=4)
    assert copy.metadata["kernelspec"] == LITE_KERNELSPEC
    assert [(c.cell_type, c.source) for c in copy.cells] == [(c.cell_type, c.source) for c in source.cells]


def test_lite_app_loads_the_extensions_and_the_kernel_from_the_cdn(lite):
    config = _config(lite)
    names = {ext["name"] for ext in config["federated_extensions"]}
    assert EXTENSIONS <= names, f"missing JupyterLab extensions in the lite app: {EXTENSIONS - names}"
    assert config["defaultKernelName"] == LITE_KERNELSPEC["name"]
    kernel = config["litePluginSettings"]["@jupyterlite/pyodide-kernel-extension:kernel"]
    assert "pyodideUrl" not in kernel, "the published app loads Pyodide from its CDN (kernel default)"
    assert not (lite / "static" / "pyodide").exists()


def test_lite_app_bundles_the_helper_wheel_and_the_pinned_pure_python_wheels(lite):
    index = json.loads((lite / "pypi" / "all.json").read_text())
    pins = pinned_requirements(ROOT / LITE_REQUIREMENTS)
    bundled = {name: version for name, version in pins.items()
               if name not in ("jupyterlite-pyodide-kernel", "pkginfo")}
    for name, version in bundled.items():
        assert version in index.get(name, {}).get("releases", {}), f"{name}=={version} not in the lite wheel index"
    (helper,) = index[HELPER_DISTRIBUTION]["releases"].values()
    wheel = lite / "pypi" / helper[0]["filename"]
    packed = {n for n in zipfile.ZipFile(wheel).namelist() if n.startswith("utils/") and n.endswith(".py")}
    sources = {p.relative_to(ROOT).as_posix() for p in (ROOT / "utils").rglob("*.py") if "__pycache__" not in p.parts}
    assert packed == sources, f"the bundled wheel differs from utils/: {sorted(packed ^ sources)[:10]}"
