"""The built website in a real browser (headless Chromium driven by Playwright), served from localhost.

For every page of ``_toc.yml``: no JavaScript errors and no failed or external requests (the site must
work offline: MathJax, the widget manager and plotly.js are shipped in ``_static/vendor``), math typeset
by MathJax, every image loaded, saved widget states rendered, theorem (sphinx-proof) and exercise boxes
present as in the source, Binder and Colab links pointing at the page's notebook on the repository of
``_config.yml``. On every page with an in-browser figure each slider is moved and the plotted values are
compared with the closed forms, written out here with numpy (not with the ``utils`` functions the figures
use). A full-page screenshot of each page is saved in ``_build/screenshots/``.

The test installs nothing. It needs Chromium at ``/usr/bin/chromium`` (Debian package ``chromium``;
another path via the environment variable ``CHROMIUM``) and the ``playwright`` Python package; without
them it is skipped, unless the environment variable ``CI`` is set, in which case it fails.
"""

from __future__ import annotations

import functools
import http.server
import re
import socketserver
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import nbformat
import numpy as np
import pytest
import yaml
from browser_support import chromium_browser, require_browser

from utils.course.toc import toc_docnames

pytestmark = [pytest.mark.book, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS = ROOT / "_build" / "screenshots"
STAIRS_PAGE = "book/03_stairs"
WAIT_MS = 30_000

# Console errors that come from the pinned upstream stack, not from the book. Each needs a reason.
KNOWN_UPSTREAM_ERRORS = {
    # Sphinx 7.4.7 writes an inline script that an extension adds after the builder started twice into
    # the page head (StandaloneHTMLBuilder.prepare_writing re-adds it with filename '' instead of None, so
    # the duplicate check misses it). sphinx-thebe 0.3.1 adds `const THEBE_JS_URL = ...` that way; the
    # second copy cannot redeclare the constant. Harmless: the first copy defines it, and Thebe is only
    # used after a click on "Live code".
    "Identifier 'THEBE_JS_URL' has already been declared",
}


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


# ----------------------------------------------------------------------------------------- fixtures
class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest output readable
        pass


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


@pytest.fixture(scope="module")
def site(request):
    """Base URL of ``_build/html`` served on a free localhost port (the book is built first)."""
    require_browser("browser test")  # before the build: skipping must be quick
    html = request.getfixturevalue("built_book")
    server = _Server(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(html)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser(site):
    with chromium_browser() as chromium:
        yield chromium


def _new_page(browser, site):
    """A fresh page that records errors and blocks (and records) every request off localhost."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    problems: list[str] = []

    def route(r):
        if r.request.url.startswith(site):
            r.continue_()
        else:
            problems.append(f"external request (the site must work offline): {r.request.url}")
            r.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)

    def on_console(msg):
        if msg.type == "error" and msg.text not in KNOWN_UPSTREAM_ERRORS:
            problems.append(f"console error: {msg.text} ({msg.location.get('url', '')})")

    def on_page_error(err):
        if str(err) not in KNOWN_UPSTREAM_ERRORS:
            problems.append(f"uncaught exception: {err}")

    page.on("console", on_console)
    page.on("pageerror", on_page_error)
    page.on(
        "requestfailed",
        lambda r: r.url.startswith(site) and problems.append(f"failed: {r.url} ({r.failure})"),
    )
    page.on("response", lambda r: r.status >= 400 and problems.append(f"HTTP {r.status}: {r.url}"))
    return context, page, problems


_WAIT_FOR_RENDERING = """async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) { await MathJax.startup.promise; }
  const images = Array.from(document.images);
  images.forEach(img => { img.loading = "eager"; });
  await Promise.all(images.map(img => img.complete ? null :
      new Promise(done => { img.addEventListener("load", done); img.addEventListener("error", done); })));
}"""

_ALL_DRAWN = """() =>
  Array.from(document.querySelectorAll(".plotly-graph-div")).every(d => d._fullLayout) &&
  Array.from(document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]')).every(s => {
    const p = s.previousElementSibling;
    return p && p.classList.contains("widget-subarea") && p.children.length > 0;
  })"""

_REPORT = r"""() => {
  const main = document.querySelector("main") || document.body;
  const views = Array.from(document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]'));
  const math = Array.from(main.querySelectorAll(".math"));
  const clone = main.cloneNode(true);
  clone.querySelectorAll("pre, code, script, style, textarea, mjx-container, .highlight").forEach(e => e.remove());
  const text = clone.textContent;
  return {
    widgetViews: views.length,
    widgetsRendered: views.filter(s => { const p = s.previousElementSibling;
      return p && p.classList.contains("widget-subarea") && p.children.length > 0; }).length,
    mathElements: math.length,
    mathContainers: document.querySelectorAll("mjx-container").length,
    mathUntypeset: math.filter(m => !m.querySelector("mjx-container")).map(m => m.textContent.slice(0, 80)),
    mathErrors: Array.from(document.querySelectorAll("mjx-merror")).map(e => e.getAttribute("data-mjx-error")),
    undefinedMacros: Array.from(document.querySelectorAll('mjx-assistive-mml mtext[mathcolor="red"]'))
      .map(e => e.textContent).filter(t => t.startsWith("\\")),
    rawMath: (text.match(/\$\$|\\\(|\\\[|\$[^$\n]*\\[A-Za-z]+[^$\n]*\$/g) || []).slice(0, 5),
    brokenImages: Array.from(document.images).filter(i => !(i.complete && i.naturalWidth > 0))
      .map(i => i.getAttribute("src")),
    images: document.images.length,
    proof: main.querySelectorAll("div.proof.admonition").length,
    exercise: main.querySelectorAll("div.exercise.admonition").length,
    solution: main.querySelectorAll("div.solution.admonition").length,
    launch: Array.from(document.querySelectorAll("a.dropdown-item[href]")).map(a => a.href),
    links: Array.from(document.querySelectorAll("a[href]")).map(a => a.href),
    plotly: Array.from(document.querySelectorAll(".plotly-graph-div")).map(d => !!d._fullLayout),
  };
}"""


@pytest.fixture(scope="module")
def reports(browser, site):
    """Visit each page once (lazily), screenshot it, and return what the browser saw."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    cache: dict[str, dict] = {}

    def visit(docname: str) -> dict:
        if docname not in cache:
            html = site + docname + ".html"
            context, page, problems = _new_page(browser, site)
            start = time.perf_counter()
            try:
                page.goto(html, wait_until="load")
                page.evaluate(_WAIT_FOR_RENDERING)
                try:
                    page.wait_for_function(_ALL_DRAWN, timeout=WAIT_MS)
                except PlaywrightTimeoutError:  # only a timeout: any other error fails the test as it is
                    problems.append(f"figures or widgets not all drawn within {WAIT_MS} ms")
                report = page.evaluate(_REPORT)
                page.screenshot(path=str(SCREENSHOTS / f"{docname.replace('/', '_')}.png"), full_page=True)
            finally:
                context.close()
            report["problems"] = problems
            report["seconds"] = time.perf_counter() - start
            cache[docname] = report
        return cache[docname]

    return visit


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
def test_every_image_loads_and_every_widget_renders(reports, docname):
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


# ----------------------------------------------------------------------------------------- interactivity
def _stairs(sigma: np.ndarray, L: int) -> np.ndarray:
    """``[P^2, ..., P^L]``, ``P^l = (L/2) ||A||_{S_{2/l}}^{2/L} = (L/2) (sum_i sigma_i^(2/l))^(l/L)``."""
    return np.array([0.5 * L * np.sum(sigma ** (2.0 / l)) ** (l / L) for l in range(2, L + 1)])


def _expected_trace_values(kind: str, params: dict) -> list[np.ndarray]:
    """What ``utils.figures.interactive`` must show for these slider values, from the closed forms.

    The figures' singular values are ``sigma_i = exp(-decay (i - 1))``, i = 1..rank. The stairs figure plots
    ``P^2, ..., P^L``; the gap figure plots, for each depth L, ``D_lin = (L/2) (sum_i sigma_i)^(2/L)`` and
    ``P_lin = (L/2) sum_i sigma_i^(2/L)``.
    """
    if kind == "duality-stairs":
        sigma = np.exp(-params["decay"] * np.arange(params["rank"]))
        return [_stairs(sigma, params["L"])]
    if kind == "duality-gap-versus-depth":
        sigma = np.exp(-params["decay"] * np.arange(params["rank"]))
        depths = np.asarray(params["depths"], dtype=float)
        dual = 0.5 * depths * np.sum(sigma) ** (2.0 / depths)
        primal = 0.5 * depths * np.sum(sigma[None, :] ** (2.0 / depths[:, None]), axis=1)
        return [dual, primal]
    if kind == "training-runs":
        # the figure's data are the runs' relative gaps (layout.meta), drawn at max(gap, floor); NaN: diverged
        iw = [int(w) for w in params["widths"]].index(int(params["width"]))
        return [np.array([np.nan if v is None else max(v, params["floor"]) for v in per_width[iw]], dtype=float)
                for per_width in params["gaps"]]
    raise AssertionError(f"unknown interactive figure kind {kind!r}")


def test_expected_trace_values_match_hand_values():
    # rank 2, decay ln 2: sigma = (1, 1/2). L = 2: D = P = 3/2 (no gap at depth 2); L = 4: P^2 = 2 sqrt(3/2),
    # P^4 = 2 (1 + 2^(-1/2))
    params = {"rank": 2, "decay": np.log(2.0), "L": 4, "depths": [2, 4]}
    (stairs,) = _expected_trace_values("duality-stairs", params)
    np.testing.assert_allclose(stairs[[0, 2]], [2 * np.sqrt(1.5), 2 * (1 + 2**-0.5)], rtol=1e-14)
    dual, primal = _expected_trace_values("duality-gap-versus-depth", params)
    np.testing.assert_allclose(dual, [1.5, 2 * np.sqrt(1.5)], rtol=1e-14)
    np.testing.assert_allclose(primal, [1.5, 2 * (1 + 2**-0.5)], rtol=1e-14)
    runs = {"widths": [4, 16], "width": 16, "floor": 1e-12, "gaps": [[[0.5, None], [0.0, 2e-5]]]}
    (trace,) = _expected_trace_values("training-runs", runs)
    np.testing.assert_array_equal(trace, [1e-12, 2e-5])
    with pytest.raises(AssertionError, match="unknown"):
        _expected_trace_values("no-such-figure", params)


_FIGURE_STATE = """gd => ({
  y: gd.data.map(t => Array.from(t.y)),
  sliders: gd.layout.sliders.map(s => ({name: s.name, active: s.active || 0, labels: s.steps.map(st => st.label)})),
  depths: gd.layout.meta.depths,
  widths: gd.layout.meta.widths,
  gaps: gd.layout.meta.gaps,
  floor: gd.layout.meta.floor,
  title: gd.layout.title.text,
})"""


def _move_slider(page, figure, k: int, target: int) -> None:
    """Click step ``target`` of slider ``k`` on its rail, as a reader would."""
    group = figure.locator("g.slider-container > g.slider-group").nth(k)
    rail = group.locator("rect.slider-rail-touch-rect").bounding_box()
    label = group.locator("g.slider-label-group text").nth(target).bounding_box()
    page.mouse.click(label["x"] + label["width"] / 2, rail["y"] + rail["height"] / 2)


def _check_all_sliders(page, figure, kind: str, problems: list[str]) -> list[str]:
    figure.scroll_into_view_if_needed()
    page.wait_for_function("gd => gd._fullLayout", arg=figure.element_handle())
    before = figure.evaluate(_FIGURE_STATE)
    moved = []
    for k, slider in enumerate(before["sliders"]):
        target = (slider["active"] + (3 if len(slider["labels"]) > 3 else 1)) % len(slider["labels"])
        old_y = figure.evaluate(_FIGURE_STATE)["y"]
        _move_slider(page, figure, k, target)
        page.wait_for_function(
            "([gd, k, t]) => (gd.layout.sliders[k].active || 0) === t",
            arg=[figure.element_handle(), k, target],
        )
        state = figure.evaluate(_FIGURE_STATE)
        params = {s["name"]: float(s["labels"][s["active"]]) for s in state["sliders"]}
        params = {name: int(v) if name in ("L", "rank", "width") else v for name, v in params.items()}
        params.update(depths=state["depths"], widths=state["widths"], gaps=state["gaps"], floor=state["floor"])
        for i, expected in enumerate(_expected_trace_values(kind, params)):
            np.testing.assert_allclose(
                np.array([np.nan if v is None else v for v in state["y"][i]], dtype=float),
                expected,
                rtol=1e-12,
                err_msg=f"{kind}: trace {i} after moving {slider['name']}",
            )
        assert state["y"] != old_y, f"{kind}: moving slider {slider['name']} did not change the plot"
        moved.append(f"{slider['name']} -> {slider['labels'][target]}: {state['title']}")
    assert not problems, "\n".join(problems)
    return moved


def test_stairs_page_slider_redraws_the_closed_form_stairs(browser, site):
    assert STAIRS_PAGE in DOCNAMES, f"{STAIRS_PAGE} (the stairs chapter with the in-browser figure) is not in _toc.yml"
    context, page, problems = _new_page(browser, site)
    try:
        page.goto(site + STAIRS_PAGE + ".html", wait_until="load")
        figures = page.locator('.duality-interactive[data-kind="duality-stairs"]')
        figures.first.wait_for(state="attached")
        assert figures.count() >= 1, f"{STAIRS_PAGE} shows no utils.stairs_figure_interactive figure"
        moved = _check_all_sliders(page, figures.first, "duality-stairs", problems)
        figures.first.screenshot(path=str(SCREENSHOTS / f"{STAIRS_PAGE.replace('/', '_')}-after-sliders.png"))
    finally:
        context.close()
    assert len(moved) == 3


def test_every_interactive_figure_on_the_site_follows_its_sliders(browser, site, reports):
    checked = 0
    for docname in DOCNAMES:
        if not any(reports(docname)["plotly"]):
            continue
        context, page, problems = _new_page(browser, site)
        try:
            page.goto(site + docname + ".html", wait_until="load")
            figures = page.locator(".duality-interactive")
            for i in range(figures.count()):
                _check_all_sliders(page, figures.nth(i), figures.nth(i).get_attribute("data-kind"), problems)
                checked += 1
        finally:
            context.close()
    assert checked >= 2, f"the book should show at least two in-browser interactive figures, found {checked}"
