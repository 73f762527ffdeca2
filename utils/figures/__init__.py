"""Figures: the one style (``style``) and PNG renderer (``render``), static figures and widgets for the stairs
(``stairs``), the low-rank bias (``low_rank``), network drawings (``network``) and in-browser Plotly figures
(``interactive``). Only this subpackage imports matplotlib, ipywidgets and plotly."""
