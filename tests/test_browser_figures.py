"""The book's in-browser figure and widget markup in a real browser, on small pages made here (no book build).

* A ``utils.precomputed_figure`` drawn by the HTML of ``utils.interactive_html`` with the website's plotly.js:
  moving each slider draws the stored update of the new position (``website_sliders.check_all_sliders``, the
  check the website test runs on every chapter), and a figure whose tables are stored in the wrong order is
  caught by that check.
* A ``utils.slider_figure_widget`` rendered from its saved state by the website's widget manager (as myst-nb
  embeds it): the slider handle has the slider's description as its accessible name and the picture its text
  alternative.
* axe-core finds no violation on either page (WCAG 2.1 A and AA rules).

Needs Chromium, playwright and npm (axe-core), like ``tests/test_website.py``: skipped without them, failed under CI.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import ipywidgets as widgets
import numpy as np
import plotly.graph_objects as go
import pytest
from browser_support import axe_core_script, chromium_browser, require_browser, serve_directory
from ipywidgets.embed import embed_data
from matplotlib.figure import Figure
from website_a11y import AXE_RUN_JS, LIGHT
from website_sliders import check_all_sliders

from utils import interactive_html, precomputed_figure, slider_figure_widget

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
STATIC = ROOT / "book" / "_static"
X = np.linspace(0.0, 1.0, 6)

_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>{head}</head>
<body><main><h1>{title}</h1>{body}</main></body></html>
"""


def _update(i, j):
    return {"y": [X * (i + 1), X**2 + j]}, {"title.text": f"scale {i + 1}, shift {j}"}


def _figure():
    base = go.Figure([go.Scatter(x=X, name="scaled"), go.Scatter(x=X, name="shifted")])
    sliders = [("scale", ["1", "2", "3", "4", "5"], 0, "scale = "), ("shift", ["0", "1", "2"], 1, "shift = ")]
    return precomputed_figure(base, sliders, _update, alt="A line whose slope is the scale and a parabola shifted up.")


def _write_page(folder: Path, name: str, title: str, body: str, head: str = "") -> None:
    (folder / name).write_text(_PAGE.format(title=title, head=head, body=body))


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    """A folder with the website's ``_static`` and the test pages, served on localhost."""
    require_browser("the in-browser figure test")
    folder = tmp_path_factory.mktemp("pages")
    os.symlink(STATIC, folder / "_static")
    plotly = '<script src="_static/vendor/plotly/plotly-basic.min.js"></script>'
    fig = _figure()
    _write_page(folder, "figure.html", "A precomputed figure", interactive_html(fig, div_id="fig"), plotly)
    # the same figure with its tables stored column-major: the page then draws the wrong position
    shape = fig.layout.meta["shape"]
    wrong = fig.layout.meta["updates"]
    order = np.arange(len(wrong)).reshape(shape).ravel(order="F")
    fig.layout.meta = {**fig.layout.meta, "updates": [wrong[k] for k in order]}
    _write_page(folder, "wrong-order.html", "A figure with its tables in the wrong order",
                interactive_html(fig, div_id="fig"), plotly)  # fmt: skip
    _write_page(folder, "widget.html", "A slider widget", *_widget_page())
    with serve_directory(folder) as url:
        yield url


def _widget_page() -> tuple[str, str]:
    """Body and head of a page showing a ``slider_figure_widget`` from its saved state, as myst-nb embeds it."""
    picture = Figure(figsize=(2, 2), dpi=40)
    (point,) = picture.add_subplot().plot([0.5], [0.5], "o")
    slider = widgets.FloatSlider(value=0.2, min=0.0, max=1.0, description="position x")
    widget = slider_figure_widget(slider, picture, lambda v: point.set_xdata([v]), alt=lambda v: f"a point at x = {v:.1f}")
    data = embed_data(views=[widget])
    state = json.dumps(data["manager_state"]).replace("</", "<\\/")
    head = (f'<script type="application/vnd.jupyter.widget-state+json">{state}</script>'
            '<script src="_static/ipywidgets-setup.js"></script><script src="_static/vendor/requirejs/require.js">'
            '</script><script src="_static/vendor/jupyter-widgets-html-manager/embed-amd.js"></script>')  # fmt: skip
    view = json.dumps(data["view_specs"][0])
    return f'<script type="application/vnd.jupyter.widget-view+json">{view}</script>', head


@pytest.fixture(scope="module")
def browser(pages):
    with chromium_browser() as chromium:
        yield chromium


def _open(browser, url: str):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.goto(url, wait_until="load")
    return page, errors


def _axe_violations(page) -> list[dict]:
    page.add_script_tag(path=str(axe_core_script()))
    return page.evaluate(AXE_RUN_JS, [{"exclude": []}, LIGHT, []])


def test_precomputed_figure_draws_the_stored_update_of_every_slider_position(browser, pages):
    page, errors = _open(browser, pages + "figure.html")
    try:
        figure = page.locator(".duality-interactive")
        moved = check_all_sliders(page, figure, "precomputed")
        assert figure.get_attribute("role") == "figure" and "slope" in figure.get_attribute("aria-label")
        violations = _axe_violations(page)
    finally:
        page.close()
    assert moved == ["scale -> 4", "shift -> 2"], moved
    assert not errors, errors
    assert not violations, json.dumps(violations, indent=1)


def test_slider_check_catches_tables_stored_in_the_wrong_order(browser, pages):
    page, _ = _open(browser, pages + "wrong-order.html")
    try:
        with pytest.raises(AssertionError, match="precomputed: trace 0 y"):
            check_all_sliders(page, page.locator(".duality-interactive"), "precomputed")
    finally:
        page.close()


def test_rendered_slider_widget_names_its_handle_after_the_description(browser, pages):
    page, errors = _open(browser, pages + "widget.html")
    try:
        handle = page.locator('.widget-slider [role="slider"]')
        page.wait_for_function("() => { const h = document.querySelector('.widget-slider [role=slider]');"
                               " return h && h.getAttribute('aria-label'); }")  # fmt: skip
        name, alt = handle.get_attribute("aria-label"), page.locator(".book-widget-figure img").get_attribute("alt")
        violations = _axe_violations(page)
    finally:
        page.close()
    assert name == "position x"
    assert alt == "a point at x = 0.2"
    assert not errors, errors
    assert not violations, json.dumps(violations, indent=1)
