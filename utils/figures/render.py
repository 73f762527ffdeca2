"""One way to turn a matplotlib figure into PNG bytes, and a slider that redraws one with a text alternative.

Every widget of the book keeps one persistent figure, updates the artists that move and re-encodes the canvas
as a PNG (fast compression), which keeps a redraw well under 100 ms. On the website (no kernel) the widgets do
not run; each chapter shows a static or an in-browser figure next to them.

Accessibility: the picture of :func:`slider_figure_widget` is an ``<img>`` element with an ``alt`` attribute
that describes what it shows at the current slider value (inside a polite live region, so a screen reader
announces the new description when the slider moves), and the slider carries a visible label (its
``description``) and a longer description (its ``tooltip``). ipywidgets 8 draws the slider as a noUiSlider
handle (``role="slider"``) that its visible label does not name, and has no trait for an ARIA label; so the
picture's ``onload`` handler (:func:`picture_html`) gives every slider handle in its box its visible label
as ``aria-label`` (it runs wherever the widget is drawn: JupyterLab, Notebook, Colab, a page with saved widget
state). Other widgets that show a picture next to sliders can use :func:`picture_html` in an ``HTML`` widget.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Callable

import ipywidgets as widgets
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

__all__ = ["figure_png", "canvas_png", "picture_html", "slider_figure_widget", "SliderFigure"]


def canvas_png(canvas: FigureCanvasAgg) -> bytes:
    """The PNG bytes of what an Agg canvas holds now (no redraw: callers blit or draw first).

    Parameters
    ----------
    canvas : matplotlib ``FigureCanvasAgg``, already drawn.

    Returns
    -------
    bytes, an RGB PNG (fast compression: the widgets re-encode on every slider move).
    """
    rgba = np.asarray(canvas.buffer_rgba())
    buffer = io.BytesIO()
    Image.fromarray(rgba).convert("RGB").save(buffer, format="png", compress_level=1)
    return buffer.getvalue()


def figure_png(fig) -> bytes:
    """Draw ``fig`` completely and return its PNG bytes.

    Parameters
    ----------
    fig : matplotlib Figure (any canvas; an Agg canvas is attached when it has none).

    Returns
    -------
    bytes, an RGB PNG.

    Raises
    ------
    TypeError
        If ``fig`` is not a matplotlib Figure.
    """
    if not isinstance(fig, Figure):
        raise TypeError(f"fig must be a matplotlib Figure, got {type(fig).__name__}")
    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    canvas.draw()
    return canvas_png(canvas)


# Run by the picture's onload: give every slider handle in the nearest enclosing ipywidgets box that has sliders
# the text of its visible label as aria-label (retried for up to 2 s, as the box may attach the picture before
# the sliders are drawn).
_NAME_SLIDERS_JS = ("(function f(img, tries) {"
                    " var sel = '.widget-slider [role=slider]', box = img.closest('.widget-box'), named = 0;"
                    " while (box && !box.querySelector(sel)) {"
                    " box = box.parentElement && box.parentElement.closest('.widget-box'); }"
                    " (box ? box.querySelectorAll(sel) : []).forEach(function (h) {"
                    " var label = h.closest('.widget-slider').querySelector('.widget-label'),"
                    " name = label && (label.textContent.trim() || label.title);"
                    " if (name) { h.setAttribute('aria-label', name); named++; } });"
                    " if (!named && tries < 40) { setTimeout(function () { f(img, tries + 1); }, 50); }"
                    " })(this, 0)")


def picture_html(png: bytes, alt: str) -> str:
    """HTML for an ipywidgets ``HTML`` picture: ``png`` as a data-URI ``<img>`` with ``alt`` as its text alternative.

    The ``<img>`` sits in a polite live region (a screen reader announces a new ``alt`` after a redraw), and its
    ``onload`` names every slider handle (``role="slider"``) of the nearest enclosing ipywidgets box that has
    sliders (``VBox`` or ``HBox``) after the slider's visible label (``aria-label``), which ipywidgets 8 does
    not do.

    Parameters
    ----------
    png : bytes
        The picture (PNG).
    alt : str
        Its text alternative (escaped here).

    Returns
    -------
    str
        ``<div class="book-widget-figure" aria-live="polite"><img ...></div>``.
    """
    data = base64.b64encode(png).decode("ascii")
    return (f'<div class="book-widget-figure" aria-live="polite">'
            f'<img src="data:image/png;base64,{data}" alt="{html.escape(alt, quote=True)}" '
            f'onload="{html.escape(_NAME_SLIDERS_JS, quote=True)}" style="max-width:100%; height:auto"></div>')


class SliderFigure(widgets.VBox):
    """A slider above the picture of a matplotlib figure that it redraws; build it with :func:`slider_figure_widget`.

    Attributes
    ----------
    slider : the ipywidgets slider (first child).
    image : ipywidgets.HTML (second child) holding an ``<img>`` with the PNG as a data URI and ``alt`` text
        (its ``onload`` names the slider handle after the slider's description, see the module docstring).
    figure : the matplotlib Figure, updated in place.
    png : bytes, the PNG currently shown.
    alt : str, the text alternative currently shown.
    """

    def __init__(self, slider, fig, update, alt, slider_tooltip):
        self.slider, self.figure = slider, fig
        self._update, self._alt = update, alt
        if slider_tooltip is not None:
            slider.tooltip = slider_tooltip
        self.image = widgets.HTML()
        self.image.layout.max_width = "100%"
        self.png, self.alt = b"", ""
        super().__init__([slider, self.image])
        self.redraw(slider.value)
        slider.observe(self._on_change, names="value")

    def _on_change(self, change):
        self.redraw(change["new"])

    def redraw(self, value) -> None:
        """Call ``update(value)``, re-render the figure and the text alternative, and show them."""
        self._update(value)
        self.png = figure_png(self.figure)
        self.alt = self._alt(value) if callable(self._alt) else self._alt
        self.image.value = picture_html(self.png, self.alt)


def _check_text(name: str, value, *, allow_callable: bool = False) -> None:
    if allow_callable and callable(value):
        return
    if not isinstance(value, str):
        kind = "a non-empty string or a callable" if allow_callable else "a non-empty string"
        raise TypeError(f"{name} must be {kind}, got {type(value).__name__}")
    if not value.strip():
        raise ValueError(f"{name} must not be empty: it is read by screen readers")


def slider_figure_widget(slider: widgets.ValueWidget, fig, update: Callable[[object], None], *,
                         alt: str | Callable[[object], str], slider_tooltip: str | None = None) -> SliderFigure:
    """A slider above the PNG of ``fig``; moving the slider calls ``update(value)`` and re-renders the figure.

    Parameters
    ----------
    slider : ipywidgets slider (any ``ValueWidget`` with a ``description``)
        Its ``description`` is its visible label and the ``aria-label`` of its drawn handle; it must not be
        empty.
    fig : matplotlib Figure
        Kept and updated in place by ``update``; preferably a plain ``Figure`` (not made by pyplot, so that the
        notebook does not also show it as a static image).
    update : callable
        ``update(value)`` changes the figure's artists for the slider value ``value``.
    alt : str, or callable taking the slider value and returning a str
        The text alternative of the picture (what the figure shows); a callable describes the current value.
    slider_tooltip : str or None
        A longer description of what the slider controls, shown on hover over its label.

    Returns
    -------
    SliderFigure (an ``ipywidgets.VBox``)
        ``.children == (slider, image)``; ``.png`` and ``.alt`` hold what is shown now.

    Raises
    ------
    TypeError
        If ``slider`` is not a widget with a value and a description, ``fig`` not a Figure, ``update`` not
        callable, or ``alt`` / ``slider_tooltip`` of the wrong type.
    ValueError
        If the slider's description, ``alt`` or ``slider_tooltip`` is empty.
    """
    if not isinstance(slider, widgets.ValueWidget) or not hasattr(slider, "description"):
        raise TypeError(f"slider must be an ipywidgets slider with a description, got {type(slider).__name__}")
    _check_text("the slider's description", slider.description)
    if not isinstance(fig, Figure):
        raise TypeError(f"fig must be a matplotlib Figure, got {type(fig).__name__}")
    if not callable(update):
        raise TypeError(f"update must be callable, got {type(update).__name__}")
    _check_text("alt", alt, allow_callable=True)
    if slider_tooltip is not None:
        _check_text("slider_tooltip", slider_tooltip)
    return SliderFigure(slider, fig, update, alt, slider_tooltip)
