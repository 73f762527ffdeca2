"""The book's one figure style, shared by the matplotlib figures and the in-browser (Plotly) figures.

Colours follow matplotlib's default cycle, so a quantity has the same colour in a static figure, a widget
and an in-browser figure: the stairs (and the values between D and P) in blue, the dual value D in green,
the primal value P in red.
"""

from __future__ import annotations

__all__: list[str] = []

#: Colour of the stairs ``P^l`` (and of "the solution" in general).
STEP_COLOR = "#1f77b4"
#: Colour of the dual value ``D`` (and of lower bounds).
DUAL_COLOR = "#2ca02c"
#: Colour of the primal value ``P`` (and of upper bounds).
PRIMAL_COLOR = "#d62728"
#: The primal colour as a translucent fill (the gap between D and P).
GAP_FILL = "rgba(214, 39, 40, 0.15)"
#: Node colours of the network drawings: shared layers, branch layers, a branch's last neuron.
SHARED_NODE_COLOR = "#9ecae1"
BRANCH_NODE_COLOR = "#fdd0a2"
BRANCH_OUTPUT_COLOR = "#fdae6b"
#: Dots per inch of the PNG images the widgets send to the notebook.
WIDGET_DPI = 80
