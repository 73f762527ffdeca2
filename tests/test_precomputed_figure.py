"""The general kernel-free slider figure: every position precomputed in Python, looked up by JavaScript."""

import numpy as np
import plotly.graph_objects as go
import pytest

from utils import interactive_grid, interactive_html, precomputed_figure

X = np.linspace(0.0, 1.0, 5)


def _update(i, j):
    return {"x": [X, X], "y": [X * (i + 1), X + j]}, {"title.text": f"i = {i}, j = {j}"}


@pytest.fixture
def fig():
    base = go.Figure([go.Scatter(name="scaled"), go.Scatter(name="shifted")])
    sliders = [("i", ["1", "2", "3"], 1, "i = "), ("j", ["0", "1"], 0, "j = ")]
    return precomputed_figure(base, sliders, _update, alt="Two lines that scale with i and shift with j.")


def test_updates_are_stored_in_row_major_order_of_the_slider_indices(fig):
    meta = interactive_grid(fig)
    assert meta["kind"] == "precomputed" and meta["shape"] == [3, 2] and meta["sliders"] == ["i", "j"]
    for flat, (i, j) in enumerate((i, j) for i in range(3) for j in range(2)):
        restyle, relayout = meta["updates"][flat]
        np.testing.assert_array_equal(restyle["y"][0], X * (i + 1))
        np.testing.assert_array_equal(restyle["y"][1], X + j)
        assert relayout == {"title.text": f"i = {i}, j = {j}"}


def test_initial_traces_are_those_of_the_initial_slider_positions(fig):
    np.testing.assert_array_equal(fig.data[0].y, X * 2)
    np.testing.assert_array_equal(fig.data[1].y, X)
    assert fig.layout.title.text == "i = 1, j = 0"
    assert [s.active for s in fig.layout.sliders] == [1, 0]


def test_html_has_the_lookup_rule_and_the_text_alternative(fig):
    html = interactive_html(fig, div_id="pre")
    assert 'data-kind="precomputed"' in html and 'role="figure"' in html
    assert 'aria-label="Two lines that scale with i and shift with j."' in html
    assert "flat = flat * m.shape[k] + i[k]" in html


def test_non_finite_values_are_stored_as_gaps():
    base = go.Figure([go.Scatter()])
    f = precomputed_figure(base, [("k", ["a", "b"], 0, "")], lambda k: ({"y": [[1.0, np.nan, np.inf]]}, {}),
                           alt="gaps")  # fmt: skip
    assert interactive_grid(f)["updates"][1][0]["y"] == [[1.0, None, None]]


@pytest.mark.parametrize(
    "sliders, update, alt, match",
    [
        ([], _update, "a", "at least one slider"),
        ([("i", [], 0, "")], _update, "a", "no positions"),
        ([("i", ["1"], 1, "")], _update, "a", "initial position"),
        ([("i", ["1"], 0, "")], _update, " ", "text alternative"),
        ([("i", [str(k) for k in range(50)], 0, ""), ("j", [str(k) for k in range(50)], 0, "")], _update, "a",
         "tabulate fewer"),
        ([("i", ["1"], 0, "")], lambda i: ({"y": [X]}, {}), "a", "1 values for 2 traces"),
    ],
)
def test_bad_sliders_updates_or_alt_text_are_rejected(sliders, update, alt, match):
    base = go.Figure([go.Scatter(), go.Scatter()])
    with pytest.raises(ValueError, match=match):
        precomputed_figure(base, sliders, update, alt=alt)


def test_base_must_be_a_figure_and_update_callable():
    with pytest.raises(TypeError, match="plotly"):
        precomputed_figure({"data": []}, [("i", ["1"], 0, "")], _update, alt="a")
    with pytest.raises(TypeError, match="callable"):
        precomputed_figure(go.Figure(), [("i", ["1"], 0, "")], None, alt="a")
