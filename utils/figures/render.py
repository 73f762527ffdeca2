"""One way to turn a matplotlib figure into the PNG of an ``ipywidgets.Image``, and a slider that redraws one.

Every widget of the book keeps one persistent figure, updates the artists that move and re-encodes the canvas
as a PNG (fast compression), which keeps a redraw well under 100 ms. On the website (no kernel) the widgets do
not run; each chapter shows a static or an in-browser figure next to them.
"""

from __future__ import annotations

import io
from collections.abc import Callable

import ipywidgets as widgets
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from PIL import Image

__all__ = ["figure_png", "canvas_png", "slider_figure_widget"]


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
    """
    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    canvas.draw()
    return canvas_png(canvas)


def slider_figure_widget(slider: widgets.ValueWidget, fig, update: Callable[[object], None], *,
                         alt: str) -> widgets.VBox:
    """A slider above the PNG of ``fig``; moving the slider calls ``update(value)`` and re-renders the figure.

    Parameters
    ----------
    slider : an ipywidgets slider (its ``description`` is its accessible name).
    fig : matplotlib Figure, kept and updated in place by ``update``.
    update : callable taking the slider's new value and changing the figure's artists.
    alt : str, the text alternative of the image (what the figure shows).

    Returns
    -------
    ipywidgets.VBox with ``.children == (slider, image)``.
    """
    update(slider.value)
    image = widgets.Image(value=figure_png(fig), format="png")
    image.add_class("book-widget-figure")
    image.layout.max_width = "100%"
    image.description = alt  # read by the accessibility test; the front end sets the alt attribute below
    image.alt = alt  # ipywidgets >= 8: rendered as the <img> alt text? (falls back to description)

    def on_change(change):
        update(change["new"])
        image.value = figure_png(fig)

    slider.observe(on_change, names="value")
    return widgets.VBox([slider, image])
