"""The built website in a real browser (headless Chromium driven by Playwright), served from localhost.

For every page of ``_toc.yml``, at a 1280 x 900 window: no JavaScript errors and no failed or external requests
(the site must work offline: MathJax, the widget manager and plotly.js are shipped in ``_static/vendor``), math
typeset by MathJax, every image loaded, any saved widget view rendered, theorem (sphinx-proof) and exercise boxes
present as in the source, Binder and Colab links pointing at the page's notebook on the repository of
``_config.yml``. Layout: with every solution and hidden block opened, no display equation, output, table, image
or Plotly figure is wider than the text column and the page does not scroll sideways. Accessibility: axe-core
(WCAG 2.1 A and AA rules, :mod:`website_a11y`) finds no critical violation and no violation of ``image-alt``,
``aria-input-field-name``, ``color-contrast`` or ``link-name``, in light and in dark mode (dark: contrast only),
apart from the documented findings of the theme and Sphinx in ``website_a11y.KNOWN_FINDINGS``. Widgets: the
website has no kernel, so every ipywidgets cell of a chapter is tagged ``remove-cell`` and its page shows a
kernel-free in-browser figure instead. On every page with an in-browser figure each slider is moved and the
drawn values are compared with the closed forms or the stored tables (:mod:`website_sliders`).

Pages are visited two at a time (two Chromium processes: the machine has two cores). A screenshot of each page
is saved in ``screenshots/`` next to the site folder (the whole page, solutions open, where something overflows
or with ``DUALITY_SCREENSHOTS=full``; else the first screen), with ``findings.json``: per page, every overflow
and every axe violation (failing or not) and the time each step took.

The site is ``_build/html``, built by the ``built_book`` fixture; the environment variable ``DUALITY_SITE`` names
an existing build of this checkout instead (for example ``DUALITY_SITE=/tmp/copy/_build/html``: no build).

The test needs Chromium at ``/usr/bin/chromium`` (Debian package ``chromium``; another path via the environment
variable ``CHROMIUM``) and the ``playwright`` Python package, and installs axe-core with npm into a cache outside
the repository (``browser_support.axe_core_script``); without them it is skipped, unless the environment
variable ``CI`` is set, in which case it fails.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import nbformat
import numpy as np
import pytest
import yaml
from browser_support import axe_core_script, require_browser, serve_directory
from website_a11y import KNOWN_FINDINGS, failing, overflow_lines, used_findings
from website_sliders import expected_trace_values
from website_visit import findings, visit_all

from utils.course.toc import toc_docnames

pytestmark = [pytest.mark.book, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
STAIRS_PAGE = "book/03_stairs"
THEME_PAGE = "book/00_duality_primer"  # where axe also checks the code cells' (theme's) colours

# ----------------------------------------------------------------------------------------- the pages
def _config() -> dict:
    return yaml.safe_load((ROOT / "_config.yml").read_text())


DOCNAMES = toc_docnames(ROOT)


def _source(docname: str) -> Path | None:
    for ext in (".ipynb", ".md"):
        path = ROOT / f"{docname}{ext}"
        if path.exists():
            return path
    return None


def _markdown_text(path: Path) -> str:
    if path.suffix == ".ipynb":
        nb = nbformat.read(path, as_version=4)
        return "\n\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    return path.read_text()


_DIRECTIVE = re.compile(r"^[ \t]*(?:`{3,}|:{3,})\{([\w:-]+)\}", re.M)
_MATH = re.compile(r"\$\$|\$[^$\s][^$]*\$|\{math\}|\\begin\{")


def _expected_boxes(text: str) -> dict[str, int]:
    names = _DIRECTIVE.findall(text)
    return {
        "proof": sum(n.startswith("prf:") for n in names),
        "exercise": sum(n in ("exercise", "exercise-start") for n in names),
        "solution": sum(n in ("solution", "solution-start") for n in names),
    }


# an ipywidgets cell: calls a *_widget( or *_explorer( function, or interact(
_WIDGET_CALL = re.compile(r"\b\w+_(?:widget|explorer)\s*\(|\binteract\s*\(")


def _widget_cells(path: Path | None) -> list[tuple[int, list[str]]]:
    """``(cell index, tags)`` of the notebook's code cells that show an ipywidgets widget."""
    if path is None or path.suffix != ".ipynb":
        return []
    nb = nbformat.read(path, as_version=4)
    return [(i, list(c.metadata.get("tags", []))) for i, c in enumerate(nb.cells)
            if c.cell_type == "code" and _WIDGET_CALL.search(c.source)]  # fmt: skip


# ----------------------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def site_dir(request) -> Path:
    """The built site: ``$DUALITY_SITE`` if set, else ``_build/html`` (the book is built first)."""
    require_browser("browser test")  # before the build: skipping must be quick
    given = os.environ.get("DUALITY_SITE")
    if not given:
        return request.getfixturevalue("built_book")
    html = Path(given).resolve()
    if not (html / "index.html").exists():
        pytest.fail(f"DUALITY_SITE={given} is not a built site (no index.html)", pytrace=False)
    return html


@pytest.fixture(scope="module")
def site(site_dir):
    """Base URL of the site served on a free localhost port."""
    with serve_directory(site_dir) as url:
        yield url


@pytest.fixture(scope="module")
def axe_status() -> tuple[Path | None, str | None]:
    """``(axe.min.js, None)``, or ``(None, why)`` when axe-core cannot be installed (skip; under CI: fail)."""
    try:
        return axe_core_script(), None
    except (pytest.skip.Exception, pytest.fail.Exception) as exc:
        kind = "fail" if isinstance(exc, pytest.fail.Exception) else "skip"
        return None, f"{kind}:{exc}"


@pytest.fixture(scope="module")
def all_reports(site, site_dir, axe_status) -> dict[str, dict]:
    """What the browser saw on every page (visited once, in parallel); writes ``findings.json``."""
    screenshots = site_dir.parent / "screenshots"
    screenshots.mkdir(parents=True, exist_ok=True)
    reports = visit_all(site, site_dir, DOCNAMES, screenshots, axe_status[0], THEME_PAGE)
    (screenshots / "findings.json").write_text(json.dumps(findings(reports), indent=1))
    return reports


@pytest.fixture(scope="module")
def reports(all_reports):
    """``reports(docname)``: the page's report; fails the calling test if the visit raised."""
    def report(docname: str) -> dict:
        found = all_reports[docname]
        if "error" in found:
            pytest.fail(f"{docname}: visiting the page failed:\n{found['error']}", pytrace=False)
        return found

    return report


# ----------------------------------------------------------------------------------------- every page
@pytest.mark.parametrize("docname", DOCNAMES)
def test_page_loads_offline_without_javascript_errors(reports, docname):
    report = reports(docname)
    assert not report["problems"], f"{docname}:\n" + "\n".join(report["problems"])
    assert all(report["plotly"]), f"{docname}: a Plotly figure was not drawn"


@pytest.mark.parametrize("docname", DOCNAMES)
def test_math_is_typeset_by_mathjax(reports, docname):
    report = reports(docname)
    source = _source(docname)
    if source is not None and _MATH.search(_markdown_text(source)):
        assert report["mathContainers"] > 0, f"{docname} has math in its source but MathJax typeset none"
    assert not report["mathUntypeset"], f"{docname}: math left untypeset: {report['mathUntypeset']}"
    assert not report["rawMath"], f"{docname}: raw TeX left in the text: {report['rawMath']}"
    assert not report["mathErrors"], f"{docname}: MathJax errors: {report['mathErrors']}"
    assert not report["undefinedMacros"], f"{docname}: undefined TeX macros: {report['undefinedMacros']}"


@pytest.mark.parametrize("docname", DOCNAMES)
def test_every_image_loads_and_every_saved_widget_view_renders(reports, docname):
    # the ipywidgets cells are removed from the website (remove-cell): views are left only where a page shows
    # a widget outside such a cell; each one must render from the saved state
    report = reports(docname)
    assert not report["brokenImages"], f"{docname}: images not loaded: {report['brokenImages']}"
    assert report["widgetsRendered"] == report["widgetViews"], (
        f"{docname}: {report['widgetViews'] - report['widgetsRendered']} of {report['widgetViews']} saved "
        "widget views did not render"
    )


@pytest.mark.parametrize("docname", DOCNAMES)
def test_theorem_and_exercise_boxes_match_the_source(reports, docname):
    source = _source(docname)
    assert source is not None, f"{docname} is in _toc.yml but has no source file"
    expected = _expected_boxes(_markdown_text(source))
    report = reports(docname)
    seen = {kind: report[kind] for kind in expected}
    assert seen == expected, f"{docname}: boxes in the page {seen} != directives in the source {expected}"


@pytest.mark.parametrize("docname", DOCNAMES)
def test_launch_links_point_at_this_notebook_on_the_configured_repository(reports, docname):
    config = _config()
    repo = config["repository"]
    repo_url = repo["url"].rstrip("/")
    branch = repo.get("branch", "main")
    owner_name = urlsplit(repo_url).path.strip("/")
    launch = config["launch_buttons"]
    report = reports(docname)
    assert any(link.rstrip("/") == repo_url for link in report["links"]), f"{docname}: no link to {repo_url}"
    # the launch buttons are the items of the header's "launch" drop-down (Bootstrap moves their titles)
    binder_links = [h for h in report["launch"] if h.startswith(launch["binderhub_url"].rstrip("/") + "/")]
    colab_links = [h for h in report["launch"] if h.startswith(launch["colab_url"].rstrip("/") + "/")]
    source = _source(docname)
    if source is None or source.suffix != ".ipynb":
        assert not binder_links and not colab_links, f"{docname} is not a notebook but has launch links"
        return
    prefix = repo.get("path_to_book", "").strip("/")
    notebook = f"{prefix}/{docname}.ipynb" if prefix else f"{docname}.ipynb"
    ui = "tree" if launch.get("notebook_interface", "classic") == "classic" else "lab/tree"
    binder = f"{launch['binderhub_url'].rstrip('/')}/v2/gh/{owner_name}/{branch}?urlpath={ui}/{notebook}"
    # Colab opens the plain-Jupyter edition (notebooks/, no MyST), Binder the chapter itself (JupyterLab + MyST)
    colab = f"{launch['colab_url'].rstrip('/')}/github/{owner_name}/blob/{branch}/notebooks/{Path(notebook).name}"
    assert binder_links == [binder], f"{docname}: Binder links {binder_links}, expected [{binder}]"
    assert colab_links == [colab], f"{docname}: Colab links {colab_links}, expected [{colab}]"


@pytest.mark.parametrize("docname", DOCNAMES)
def test_equations_and_outputs_fit_the_text_column_at_1280_px(reports, docname):
    lines = overflow_lines(docname, reports(docname)["overflow"])
    assert not lines, f"{len(lines)} element(s) wider than the text column at 1280 x 900:\n" + "\n".join(lines)


def _require_axe(axe_status) -> None:
    if axe_status[0] is None:
        kind, message = axe_status[1].split(":", 1)
        (pytest.fail if kind == "fail" else pytest.skip)(message)


@pytest.mark.parametrize("docname", DOCNAMES)
def test_no_critical_alt_text_name_or_contrast_violation_in_light_and_dark_mode(reports, axe_status, docname):
    _require_axe(axe_status)
    report = reports(docname)
    if docname == THEME_PAGE:
        assert report["codeInputs"] > 0, f"{THEME_PAGE} checks the code cells' colours but shows no code cell"
    assert report["darkBackground"] < 80, f"{docname}: dark mode did not darken the page"
    lines = failing(report["axe"]) + [f"dark mode: {line}" for line in failing(report["axeDark"])]
    assert not lines, f"{docname}: {len(lines)} axe-core violation(s):\n" + "\n".join(lines)


def test_the_page_that_checks_the_code_colours_is_in_the_book():
    assert THEME_PAGE in DOCNAMES, f"THEME_PAGE = {THEME_PAGE} is not in _toc.yml: name another page with code cells"


def test_every_known_accessibility_finding_still_occurs(all_reports, axe_status):
    _require_axe(axe_status)
    used = set()
    for report in all_reports.values():
        used |= used_findings(report.get("axe", [])) | used_findings(report.get("axeDark", []))
    stale = [KNOWN_FINDINGS[i][:2] for i in range(len(KNOWN_FINDINGS)) if i not in used]
    assert not stale, f"known findings that no page shows any more (remove them from KNOWN_FINDINGS): {stale}"


@pytest.mark.parametrize("source, is_widget", [
    ("utils.partition_gap_widget(path, theta=1.0)", True),
    ("explorer = stairs_explorer(A)\nexplorer", True),
    ("interact(f, x=(0, 1))", True),
    ("show_interactive(stairs_figure_interactive(L=4))", False),
    ("fig = precomputed_figure(base, sliders, update, alt=alt)", False),
    ("import ipywidgets  # the widget (needs a kernel)", False),
])  # fmt: skip
def test_widget_cell_pattern_finds_widget_calls_only(source, is_widget):
    assert bool(_WIDGET_CALL.search(source)) is is_widget


def test_widget_cells_are_removed_from_the_website_which_shows_an_in_browser_figure(reports):
    pages = {d: _widget_cells(_source(d)) for d in DOCNAMES}
    pages = {d: cells for d, cells in pages.items() if cells}
    assert pages, "no chapter shows an ipywidgets widget: is the pattern of _WIDGET_CALL out of date?"
    problems = []
    for docname, cells in pages.items():
        problems += [f"{docname}: widget cell {i} is not tagged remove-cell (tags {tags})"
                     for i, tags in cells if "remove-cell" not in tags]  # fmt: skip
        if reports(docname)["interactive"] < 1:
            problems.append(f"{docname}: has widget cells but no kernel-free in-browser figure (.duality-interactive)")
    assert not problems, "\n".join(problems)


# ----------------------------------------------------------------------------------------- interactivity
def test_expected_trace_values_match_hand_values():
    # rank 2, decay ln 2: sigma = (1, 1/2). L = 2: D = P = 3/2 (no gap at depth 2); L = 4: P^2 = 2 sqrt(3/2),
    # P^4 = 2 (1 + 2^(-1/2))
    params = {"rank": 2, "decay": np.log(2.0), "L": 4, "depths": [2, 4]}
    (stairs,) = expected_trace_values("duality-stairs", params)
    np.testing.assert_allclose(stairs[[0, 2]], [2 * np.sqrt(1.5), 2 * (1 + 2**-0.5)], rtol=1e-14)
    dual, primal = expected_trace_values("duality-gap-versus-depth", params)
    np.testing.assert_allclose(dual, [1.5, 2 * np.sqrt(1.5)], rtol=1e-14)
    np.testing.assert_allclose(primal, [1.5, 2 * (1 + 2**-0.5)], rtol=1e-14)
    runs = {"widths": [4, 16], "width": 16, "floor": 1e-12, "gaps": [[[0.5, None], [0.0, 2e-5]]]}
    (trace,) = expected_trace_values("training-runs", runs)
    np.testing.assert_array_equal(trace, [1e-12, 2e-5])
    with pytest.raises(AssertionError, match="unknown"):
        expected_trace_values("no-such-figure", params)


def test_stairs_page_slider_redraws_the_closed_form_stairs(reports):
    assert STAIRS_PAGE in DOCNAMES, f"{STAIRS_PAGE} (the stairs chapter with the in-browser figure) is not in _toc.yml"
    stairs = [f for f in reports(STAIRS_PAGE)["sliders"] if f["kind"] == "duality-stairs"]
    assert stairs, f"{STAIRS_PAGE} shows no utils.stairs_figure_interactive figure"
    assert stairs[0]["error"] is None, f"{STAIRS_PAGE}: {stairs[0]['error']}"
    assert len(stairs[0]["moved"]) == 3, f"{STAIRS_PAGE}: moved {stairs[0]['moved']}, expected L, rank and decay"


def test_every_interactive_figure_on_the_site_follows_its_sliders(reports):
    # the sliders were moved during the page visit, before anything else changed the page (website_visit)
    checked, problems = {}, []
    for docname in DOCNAMES:
        for figure in reports(docname)["sliders"]:
            checked[figure["kind"]] = checked.get(figure["kind"], 0) + 1
            if figure["error"] is not None:
                problems.append(f"{docname}, {figure['kind']} figure:\n{figure['error']}")
            elif not figure["moved"]:
                problems.append(f"{docname}, {figure['kind']} figure: has no slider")
    assert not problems, "\n".join(problems)
    assert sum(checked.values()) >= 2, f"the book should show at least two in-browser figures, found {checked}"
