"""Kernel-free interactive figures (utils.figures.interactive): every slider position shows the closed-form values
(and, for the training-runs figure, the gaps it was given).

The expected values are written out here with numpy from ``sigma_i = exp(-decay (i - 1))`` and
``P^l = (L/2) ||A||_{S_{2/l}}^{2/L}``, ``||A||_{S_p} = (sum_i sigma_i^p)^(1/p)``, not with the ``utils``
functions the figures use. The browser side (the JavaScript that redraws on a slider move) is checked in
tests/test_website.py.
"""

from __future__ import annotations

import itertools
import json
import re

import numpy as np
import plotly.graph_objects as go
import pytest

import utils
from utils import (
    gap_versus_depth_interactive,
    interactive_grid,
    interactive_html,
    show_interactive,
    stairs_figure_interactive,
    training_runs_interactive,
)


def _spectrum(rank, decay) -> np.ndarray:
    """The figures' singular values ``exp(-decay (i - 1))``, i = 1..rank."""
    return np.exp(-decay * np.arange(rank))


def _stairs(sigma, L) -> np.ndarray:
    """``[P^2, ..., P^L]`` with ``P^l = (L/2) ||A||_{S_{2/l}}^{2/L} = (L/2) (sum_i sigma_i^(2/l))^(l/L)``."""
    s = np.asarray(sigma, dtype=float)
    return np.array([0.5 * L * np.sum(s ** (2.0 / l)) ** (l / L) for l in range(2, L + 1)])


def _dual(sigma, L) -> float:
    """``D_lin = P^2 = (L/2) (sum_i sigma_i)^(2/L)``."""
    return 0.5 * L * float(np.sum(sigma)) ** (2.0 / L)


def _primal(sigma, L) -> float:
    """``P_lin = P^L = (L/2) sum_i sigma_i^(2/L)``."""
    return 0.5 * L * float(np.sum(np.asarray(sigma, dtype=float) ** (2.0 / L)))


def test_closed_forms_of_this_file_match_hand_values():
    # sigma = (3, 2, 1), L = 4: D = 2 sqrt 6, P = 2 (sqrt 3 + sqrt 2 + 1); rank one: P = D = (L/2) sigma^(2/L)
    np.testing.assert_allclose(_stairs([3.0, 2.0, 1.0], 4)[[0, 2]], [2 * np.sqrt(6), 2 * (np.sqrt(3) + np.sqrt(2) + 1)],
                               rtol=1e-14)
    assert _dual([3.0, 2.0, 1.0], 4) == pytest.approx(2 * np.sqrt(6), rel=1e-14)
    assert _primal([3.0, 2.0, 1.0], 4) == pytest.approx(2 * (np.sqrt(3) + np.sqrt(2) + 1), rel=1e-14)
    np.testing.assert_allclose(_stairs([4.0], 5), [2.5 * 4 ** 0.4] * 4, rtol=1e-14)
    np.testing.assert_allclose(_spectrum(3, np.log(2)), [1.0, 0.5, 0.25], rtol=1e-15)


@pytest.fixture(scope="module")
def stairs_fig():
    return stairs_figure_interactive(L=4, rank=3, decay=0.5)


@pytest.fixture(scope="module")
def gap_fig():
    return gap_versus_depth_interactive(rank=3, decay=0.5)


def _slider_values(fig, name):
    """The parameter values of the slider called ``name``, read from its step labels."""
    (slider,) = [s for s in fig.layout.sliders if s.name == name]
    return [float(step.label) for step in slider.steps]


# ----------------------------------------------------------------------------------------- stairs figure
def test_stairs_sliders_span_depth_2_to_10_and_the_spectrum_grid(stairs_fig):
    grid = interactive_grid(stairs_fig)
    assert grid["sliders"] == ["L", "rank", "decay"]
    assert grid["depths"] == list(range(2, 11))
    assert _slider_values(stairs_fig, "L") == grid["depths"]
    assert _slider_values(stairs_fig, "rank") == grid["ranks"]
    assert _slider_values(stairs_fig, "decay") == pytest.approx(grid["decays"], abs=0)
    assert all(s.steps[0].method == "skip" for s in stairs_fig.layout.sliders)


def test_every_stairs_slider_step_holds_the_closed_form_stairs(stairs_fig):
    grid = interactive_grid(stairs_fig)
    for (iL, L), (ir, r), (ia, a) in itertools.product(
        enumerate(grid["depths"]), enumerate(grid["ranks"]), enumerate(grid["decays"])
    ):
        stored = grid["values"][iL][ir][ia]
        expected = _stairs(_spectrum(r, a), L)
        assert len(stored) == L - 1
        np.testing.assert_allclose(stored, expected, rtol=1e-12, atol=0, err_msg=f"L={L} r={r} a={a}")


def test_stairs_figure_initial_traces_are_the_stairs_of_the_initial_slider_position(stairs_fig):
    expected = _stairs(_spectrum(3, 0.5), 4)
    assert [s.active for s in stairs_fig.layout.sliders] == [2, 2, 2]  # L = 4, rank 3, decay 0.5
    assert list(stairs_fig.data[0].x) == [2, 3, 4]
    np.testing.assert_allclose(stairs_fig.data[0].y, expected, rtol=1e-12)
    np.testing.assert_allclose(stairs_fig.data[1].y, [expected[0]] * 2, rtol=1e-12)  # D = P^2
    np.testing.assert_allclose(stairs_fig.data[2].y, [expected[-1]] * 2, rtol=1e-12)  # P = P^L
    assert f"D = {expected[0]:.3f}" in stairs_fig.layout.title.text
    assert f"P = {expected[-1]:.3f}" in stairs_fig.layout.title.text


def test_stairs_figure_with_custom_grid_and_start():
    fig = stairs_figure_interactive(L=5, rank=2, decay=0.0, depths=[3, 5], ranks=[2, 4], decays=[0.0, 1.5])
    grid = interactive_grid(fig)
    assert [s.active for s in fig.layout.sliders] == [1, 0, 0]
    np.testing.assert_allclose(fig.data[0].y, _stairs([1.0, 1.0], 5), rtol=1e-12)
    np.testing.assert_allclose(grid["values"][0][1][1], _stairs(_spectrum(4, 1.5), 3), rtol=1e-12)


def test_stairs_of_equal_singular_values_still_rise_with_depth():
    # decay 0 = equal singular values: the paper's equality condition, which does not close the gap
    fig = stairs_figure_interactive(L=3, rank=3, decay=0.0)
    y = np.asarray(fig.data[0].y)
    assert y[-1] > y[0]


# ----------------------------------------------------------------------------------------- gap figure
def test_every_gap_slider_step_holds_d_and_p_for_each_depth(gap_fig):
    grid = interactive_grid(gap_fig)
    assert grid["sliders"] == ["rank", "decay"]
    assert _slider_values(gap_fig, "rank") == grid["ranks"]
    for (ir, r), (ia, a) in itertools.product(enumerate(grid["ranks"]), enumerate(grid["decays"])):
        for iL, L in enumerate(grid["depths"]):
            assert grid["dual"][ir][ia][iL] == pytest.approx(_dual(_spectrum(r, a), L), rel=1e-12)
            assert grid["primal"][ir][ia][iL] == pytest.approx(_primal(_spectrum(r, a), L), rel=1e-12)


def test_gap_figure_initial_traces_and_zero_gap_for_rank_one():
    fig = gap_versus_depth_interactive(rank=1, decay=0.0)
    np.testing.assert_allclose(fig.data[0].y, fig.data[1].y, rtol=1e-12)  # rank 1: P = D at every depth
    fig = gap_versus_depth_interactive(rank=3, decay=0.5)
    sigma = _spectrum(3, 0.5)
    np.testing.assert_allclose(fig.data[0].y, [_dual(sigma, L) for L in range(2, 11)], rtol=1e-12)
    np.testing.assert_allclose(fig.data[1].y, [_primal(sigma, L) for L in range(2, 11)], rtol=1e-12)


# ----------------------------------------------------------------------------------------- HTML output
def _spec_from_html(html):
    match = re.search(r"spec = (\{.*?\}), cdn = ", html, flags=re.S)
    assert match, "figure JSON not found in the HTML"
    return json.loads(match.group(1).replace("<\\/", "</"))


def test_html_draws_with_the_pages_plotly_and_embeds_the_grid(stairs_fig):
    html = interactive_html(stairs_fig, div_id="fig-1")
    assert html.startswith(
        '<div id="fig-1" class="plotly-graph-div duality-interactive" data-kind="duality-stairs"'
    )
    assert "if (window.Plotly) { draw(); }" in html
    assert "plotly_sliderchange" in html
    assert len(html) < 300_000  # plotly.js itself is not inlined
    assert html.count("</script>") == 1  # the figure JSON cannot close the script early
    spec = _spec_from_html(html)
    assert spec["layout"]["meta"] == json.loads(json.dumps(stairs_fig.layout.meta))
    assert spec["config"]["responsive"] is True


def test_html_escapes_script_end_tags_in_figure_text():
    fig = gap_versus_depth_interactive()
    fig.layout.yaxis.title.text = "</script><b>x</b>"
    html = interactive_html(fig)
    assert html.count("</script>") == 1
    assert _spec_from_html(html)["layout"]["yaxis"]["title"]["text"] == "</script><b>x</b>"


def test_notebook_display_is_the_offline_html(stairs_fig, monkeypatch):
    bundle = stairs_fig._repr_mimebundle_()
    assert set(bundle) == {"text/html", "text/plain"}
    assert 'data-kind="duality-stairs"' in bundle["text/html"]
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj))
    show_interactive(stairs_fig)
    stairs_fig._ipython_display_()
    assert len(shown) == 2 and all('data-kind="duality-stairs"' in obj.data for obj in shown)


def test_public_names_are_exported():
    for module in (utils.figures.interactive, utils.figures.interactive_html):
        for name in module.__all__:
            assert getattr(utils, name) is getattr(module, name)


# ----------------------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"L": 11}, ValueError, "not one of the slider positions"),
        ({"L": 1}, ValueError, "at least 2"),
        ({"L": 2.5}, TypeError, "integer"),
        ({"rank": 0}, ValueError, "not one of the slider positions"),
        ({"rank": "3"}, TypeError, "number"),
        ({"decay": -0.25}, ValueError, ">= 0"),
        ({"decay": 0.3}, ValueError, "not one of the slider positions"),
        ({"depths": [2, 2, 3]}, ValueError, "strictly increasing"),
        ({"depths": [1, 2]}, ValueError, ">= 2"),
        ({"depths": []}, ValueError, "empty"),
        ({"depths": "234"}, TypeError, "sequence of integers"),
        ({"depths": [2.0, 4.0]}, TypeError, "integers"),
        ({"ranks": [0, 3]}, ValueError, ">= 1"),
        ({"decays": [0.5, 0.25]}, ValueError, "strictly increasing"),
        ({"decays": [-1.0, 0.5]}, ValueError, ">= 0"),
        ({"decays": [0.5, np.nan]}, ValueError, "NaN"),
    ],
)
def test_stairs_figure_rejects_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        stairs_figure_interactive(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [({"rank": 9}, ValueError), ({"decay": None}, TypeError), ({"ranks": [3, 1]}, ValueError)],
)
def test_gap_figure_rejects_bad_input(kwargs, error):
    with pytest.raises(error):
        gap_versus_depth_interactive(**kwargs)


@pytest.mark.parametrize("fig", [go.Figure(), None, "figure"])
def test_only_figures_of_this_module_have_a_grid_or_html(fig):
    with pytest.raises(TypeError, match="not an interactive figure"):
        interactive_grid(fig)
    with pytest.raises(TypeError, match="not an interactive figure"):
        interactive_html(fig)


# ----------------------------------------------------------------------------------------- training runs
def _run_gaps() -> np.ndarray:
    """Gaps (2 optimizers, 3 widths, 5 seeds) with a zero gap, a diverged run (NaN) and values either side of 1e-4."""
    rng = np.random.default_rng(9)
    gaps = 10.0 ** rng.uniform(-7, -1, size=(2, 3, 5))
    gaps[0, 0, 1], gaps[1, 2, 3], gaps[1, 1, 0] = 0.0, np.nan, 1e-4
    return gaps


@pytest.fixture(scope="module")
def runs_fig():
    return training_runs_interactive(_run_gaps(), [4, 16, 64], ["GD", "Adam"])


def test_training_runs_meta_tables_equal_the_input_gaps(runs_fig):
    gaps, grid = _run_gaps(), interactive_grid(runs_fig)
    assert grid["kind"] == "training-runs" and grid["sliders"] == ["width"]
    assert grid["widths"] == [4, 16, 64] and grid["optimizers"] == ["GD", "Adam"]
    assert _slider_values(runs_fig, "width") == [4.0, 16.0, 64.0]
    stored = np.array(grid["gaps"], dtype=float)  # None (a diverged run) becomes NaN
    np.testing.assert_array_equal(stored, gaps)


def _counts(gaps, threshold=1e-4):
    return [f"{int(np.sum(g <= threshold))}/{g.size}" for g in gaps]


def test_training_runs_initial_traces_are_the_first_width(runs_fig):
    gaps = _run_gaps()
    assert runs_fig.layout.sliders[0].active == 0
    for k in range(2):
        drawn = np.array(runs_fig.data[k].y, dtype=float)
        np.testing.assert_array_equal(drawn, np.maximum(gaps[k, 0], 1e-12))  # zero gap drawn at the floor
    gd, adam = _counts(gaps[:, 0])
    assert runs_fig.layout.title.text == f"width 4: GD {gd} within 1e-4, Adam {adam}"
    assert runs_fig.layout.yaxis.type == "log"
    assert runs_fig.layout.shapes[0].y0 == 1e-4


def test_training_runs_start_width_and_title_count_diverged_runs():
    gaps = _run_gaps()
    fig = training_runs_interactive(gaps, [4, 16, 64], ["GD", "Adam"], width=64, title="beta = 1")
    assert fig.layout.sliders[0].active == 2
    assert fig.data[1].y[3] is None  # the diverged run is not drawn
    gd, adam = _counts(gaps[:, 2])
    assert fig.layout.title.text == f"beta = 1, width 64: GD {gd} within 1e-4, Adam {adam} (1 diverged)"
    fig = training_runs_interactive(gaps, [4, 16, 64], ["GD", "Adam"], width=16, threshold=1e-4)
    assert fig.layout.title.text.startswith(f"width 16: GD {_counts(gaps[:, 1])[0]} within 1e-4")
    assert "Adam " + _counts(gaps[:, 1])[1] in fig.layout.title.text  # a gap equal to the threshold counts


def test_training_runs_html_has_its_kind_and_update_function(runs_fig):
    html = interactive_html(runs_fig, div_id="runs")
    assert html.startswith('<div id="runs" class="plotly-graph-div duality-interactive" data-kind="training-')
    assert html.count('data-kind="training-runs"') == 1
    assert '"training-runs": function (m, i)' in html
    spec = _spec_from_html(html)
    assert spec["layout"]["meta"]["gaps"][1][2][3] is None


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "match"),
    [
        ((np.zeros((2, 3)), [4, 16, 64], ["GD", "Adam"]), {}, ValueError, "shape"),
        ((np.zeros((3, 3, 5)), [4, 16, 64], ["GD", "Adam"]), {}, ValueError, "shape"),
        ((np.zeros((2, 2, 5)), [4, 16, 64], ["GD", "Adam"]), {}, ValueError, "shape"),
        ((np.zeros((2, 3, 0)), [4, 16, 64], ["GD", "Adam"]), {}, ValueError, "shape"),
        ((-np.ones((2, 3, 5)) * 1e-9, [4, 16, 64], ["GD", "Adam"]), {}, ValueError, ">= 0"),
        ((np.full((2, 3, 5), np.inf), [4, 16, 64], ["GD", "Adam"]), {}, ValueError, "finite"),
        ((np.zeros((2, 3, 5)), [16, 4, 64], ["GD", "Adam"]), {}, ValueError, "strictly increasing"),
        ((np.zeros((2, 3, 5)), [4, 16, 64], ["GD", "GD"]), {}, ValueError, "distinct"),
        ((np.zeros((2, 3, 5)), [4, 16, 64], "GD"), {}, TypeError, "strings"),
        ((np.zeros((2, 3, 5)), [4, 16, 64], ["GD", "Adam"]), {"width": 8}, ValueError, "slider positions"),
        ((np.zeros((2, 3, 5)), [4, 16, 64], ["GD", "Adam"]), {"threshold": 0}, ValueError, "threshold"),
        ((np.zeros((2, 3, 5)), [4, 16, 64], ["GD", "Adam"]), {"title": 3}, TypeError, "title"),
    ],
)
def test_training_runs_figure_rejects_bad_input(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        training_runs_interactive(*args, **kwargs)
