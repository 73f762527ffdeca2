"""Visiting the website's pages in Chromium for ``tests/test_website.py``: one visit per page records what the
browser saw (errors, math, images, widgets, boxes, links, figures), what the in-browser figures drew when their
sliders moved (:mod:`website_sliders`), a screenshot, the layout (:data:`website_a11y.OVERFLOW_JS`) and the
axe-core results in light and dark mode. :func:`visit_all` visits the
pages ``WORKERS`` at a time, each worker with its own Chromium.
"""

from __future__ import annotations

import os
import threading
import time
import traceback
from pathlib import Path

from browser_support import chromium_browser
from website_a11y import (
    AXE_RUN_JS,
    DARK,
    DARK_MODE_JS,
    LIGHT,
    OPEN_HIDDEN_JS,
    OVERFLOW_JS,
    STRIP_MATH_JS,
    axe_context,
    known_findings,
    overflow_lines,
)
from website_sliders import check_all_sliders

WAIT_MS = 30_000
FULL_SCREENSHOTS = os.environ.get("DUALITY_SCREENSHOTS") == "full"  # else full-page only where something overflows
WORKERS = 2  # pages visited at once, each in its own Chromium (the machine has two cores)

# Console errors that come from the pinned upstream stack, not from the book. Each needs a reason.
KNOWN_UPSTREAM_ERRORS = {
    # Sphinx 7.4.7 writes an inline script that an extension adds after the builder started twice into
    # the page head (StandaloneHTMLBuilder.prepare_writing re-adds it with filename '' instead of None, so
    # the duplicate check misses it). sphinx-thebe 0.3.1 adds `const THEBE_JS_URL = ...` that way; the
    # second copy cannot redeclare the constant. Harmless: the first copy defines it, and Thebe is only
    # used after a click on "Live code".
    "Identifier 'THEBE_JS_URL' has already been declared",
}


def new_page(browser, site: str):
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
    interactive: document.querySelectorAll(".duality-interactive").length,
    codeInputs: main.querySelectorAll(".cell_input").length,
  };
}"""


def _move_every_slider(page, docname: str, screenshots: Path) -> list[dict]:
    """Move every slider of every in-browser figure (``website_sliders``); ``{kind, moved, error}`` per figure."""
    figures, results = page.locator(".duality-interactive"), []
    for i in range(figures.count()):
        figure, kind = figures.nth(i), figures.nth(i).get_attribute("data-kind")
        try:
            results.append({"kind": kind, "moved": check_all_sliders(page, figure, kind), "error": None})
            figure.screenshot(path=str(screenshots / f"{docname.replace('/', '_')}-figure{i + 1}-after-sliders.png"))
        except Exception:  # noqa: BLE001 - an assertion or a browser error, reported by the slider test
            results.append({"kind": kind, "moved": [], "error": traceback.format_exc(limit=-3)})
    return results


def visit(browser, site: str, docname: str, screenshots: Path, axe: Path | None, theme_page: str) -> dict:
    """Load one page, move its figures' sliders, measure its layout, screenshot it, run axe (light, then dark)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    context, page, problems = new_page(browser, site)
    seconds, start = {}, [time.perf_counter()]

    def lap(step: str) -> None:
        now = time.perf_counter()
        seconds[step], start[0] = now - start[0], now

    try:
        page.goto(site + docname + ".html", wait_until="load")
        page.evaluate(_WAIT_FOR_RENDERING)  # MathJax has typeset the page, images are loaded
        try:
            page.wait_for_function(_ALL_DRAWN, timeout=WAIT_MS)
        except PlaywrightTimeoutError:  # only a timeout: any other error fails the test as it is
            problems.append(f"figures or widgets not all drawn within {WAIT_MS} ms")
        report = page.evaluate(_REPORT)
        lap("load")
        report["sliders"] = _move_every_slider(page, docname, screenshots)
        lap("sliders")
        page.evaluate(OPEN_HIDDEN_JS)
        report["overflow"] = page.evaluate(OVERFLOW_JS)
        # the whole page (with its solutions open) when something overflows or FULL_SCREENSHOTS, else the
        # first screen: a full-page screenshot relays out and paints the whole page, seconds per chapter
        full = FULL_SCREENSHOTS or bool(overflow_lines(docname, report["overflow"]))
        page.screenshot(path=str(screenshots / f"{docname.replace('/', '_')}.png"), full_page=full)
        lap("layout and screenshot")
        if axe is not None:
            page.evaluate(STRIP_MATH_JS)
            page.add_script_tag(path=str(axe))
            where = axe_context(theme_page=docname == theme_page)
            report["axe"] = page.evaluate(AXE_RUN_JS, [where, LIGHT, known_findings()])
            lap("axe")
            report["darkBackground"] = page.evaluate(DARK_MODE_JS)
            report["axeDark"] = page.evaluate(AXE_RUN_JS, [where, DARK, known_findings()])
            lap("axe dark")
    finally:
        context.close()
    report["problems"] = problems
    report["seconds"] = seconds
    return report


def visit_all(site: str, site_dir: Path, docnames: list[str], screenshots: Path, axe: Path | None,
              theme_page: str) -> dict[str, dict]:
    """Visit every page, ``WORKERS`` at a time (largest first); a page whose visit raised gets ``error``."""
    def size(docname: str) -> int:  # a missing page is visited too: its test reports the 404
        page = site_dir / f"{docname}.html"
        return page.stat().st_size if page.exists() else 0

    pending = sorted(docnames, key=lambda d: -size(d))
    lock, reports, crashes = threading.Lock(), {}, []

    def work():
        try:
            with chromium_browser() as browser:
                while True:
                    with lock:
                        if not pending:
                            return
                        docname = pending.pop(0)
                    try:
                        reports[docname] = visit(browser, site, docname, screenshots, axe, theme_page)
                    except Exception:  # noqa: BLE001 - reported by the tests of that page
                        reports[docname] = {"error": traceback.format_exc()}
        except Exception:  # noqa: BLE001 - this worker's browser failed: the other one goes on
            crashes.append(traceback.format_exc())

    threads = [threading.Thread(target=work) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for docname in docnames:  # left when every worker's browser failed
        reports.setdefault(docname, {"error": "not visited: " + "\n".join(crashes)})
    return reports


def findings(reports: dict[str, dict]) -> dict:
    """Every overflow and axe violation per page (failing or not), for the record in ``findings.json``."""
    def axe_summary(violations):
        return [{"rule": v["id"], "impact": v["impact"],
                 "nodes": [n["target"] + (" (known, upstream)" if n["known"] >= 0 else "") for n in v["nodes"]]}
                for v in violations]  # fmt: skip

    return {d: {"error": r["error"]} if "error" in r else {
        "overflow": overflow_lines(d, r["overflow"]),
        "axe": axe_summary(r.get("axe", [])),
        "axe dark mode": axe_summary(r.get("axeDark", [])),
        "seconds": {k: round(v, 1) for k, v in r["seconds"].items()},
    } for d, r in reports.items()}
