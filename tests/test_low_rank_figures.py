"""The in-browser explorer of the low-rank chapter (05_low_rank): its precomputed tables are the path's arrays at
every slider position, its ranks agree with a direct computation, and it shows what the ipywidgets explorer shows."""

import numpy as np
import pytest

from utils import interactive_grid, interactive_html, low_rank_explorer, low_rank_figure_interactive

DEPTHS, BETAS = [2, 3, 4, 6], [0.5, 2.0, 7.0]


def _path(seed=0, r=4):
    """Singular values shaped like a path (decreasing along the last axis), some exactly zero, some tiny."""
    rng = np.random.default_rng(seed)
    sv = np.sort(rng.random((len(DEPTHS), len(BETAS), r)), axis=-1)[..., ::-1].copy()
    sv[2, 1, 2:] = 0.0  # rank two
    sv[3, 2, 1:] = 1e-9 * sv[3, 2, 0]  # numerically rank one
    return sv


def _direct_ranks(s, rtol=1e-6):
    """Numerical rank (#{s_i > rtol s_1}) and exp-entropy effective rank of one spectrum, from the definitions."""
    s = np.asarray(s, dtype=float)
    p = s[s > 0] / s.sum()
    return int(np.count_nonzero(s > rtol * s.max())), float(np.exp(-np.sum(p * np.log(p))))


@pytest.fixture
def path():
    return _path()


@pytest.fixture
def fig(path):
    return low_rank_figure_interactive(path, DEPTHS, BETAS, reference=1.1 * path[0, 0], depth=3, beta=2.0)


def test_tables_equal_the_path_arrays_at_every_slider_position(fig, path):
    meta = interactive_grid(fig)
    assert meta["kind"] == "precomputed" and meta["shape"] == [len(DEPTHS), len(BETAS)]
    assert meta["sliders"] == ["depth", "beta"]
    index = np.arange(1, path.shape[2] + 1)
    for flat, (i, j) in enumerate((i, j) for i in range(len(DEPTHS)) for j in range(len(BETAS))):
        restyle, relayout = meta["updates"][flat]
        direct = [_direct_ranks(path[a, j]) for a in range(len(DEPTHS))]
        np.testing.assert_array_equal(restyle["x"][0], index)
        np.testing.assert_array_equal(restyle["y"][0], 1.1 * path[0, 0])
        np.testing.assert_array_equal(restyle["x"][1], index)
        np.testing.assert_array_equal(restyle["y"][1], path[i, j])
        np.testing.assert_array_equal(restyle["x"][2], DEPTHS)
        np.testing.assert_array_equal(restyle["y"][2], [d[0] for d in direct])
        np.testing.assert_allclose(restyle["y"][3], [d[1] for d in direct], rtol=1e-12)
        assert restyle["x"][4] == [DEPTHS[i]] and restyle["y"][4] == [direct[i][0]]
        assert relayout["title.text"] == (f"L = {DEPTHS[i]}, beta = {BETAS[j]:g}: rank {direct[i][0]}, "
                                          f"effective rank {direct[i][1]:.2f}")


def test_exact_zeros_and_tiny_singular_values_lower_the_rank(fig):
    updates = interactive_grid(fig)["updates"]
    assert updates[2 * len(BETAS) + 1][0]["y"][4] == [2]
    assert updates[3 * len(BETAS) + 2][0]["y"][4] == [1]


def test_initial_figure_shows_the_initial_slider_positions(fig, path):
    np.testing.assert_array_equal(fig.data[1].y, path[1, 1])
    assert [s.active for s in fig.layout.sliders] == [1, 1]
    assert fig.layout.title.text.startswith("L = 3, beta = 2:")


def test_in_browser_figure_shows_what_the_widget_shows(fig, path):
    widget = low_rank_explorer(path, DEPTHS, BETAS, reference=1.1 * path[0, 0])
    updates = interactive_grid(fig)["updates"]
    for i, j in [(0, 0), (2, 1), (3, 2)]:
        widget.depth.value, widget.beta.value = DEPTHS[i], BETAS[j]
        restyle, relayout = updates[i * len(BETAS) + j]
        np.testing.assert_array_equal(widget.spectrum_line.get_ydata(), restyle["y"][1])
        assert widget.axes[0].get_title() == relayout["title.text"]


def test_without_a_reference_the_grey_trace_is_empty_and_hidden(path):
    f = low_rank_figure_interactive(path, DEPTHS, BETAS)
    restyle, _ = interactive_grid(f)["updates"][0]
    assert restyle["x"][0] == [] and restyle["y"][0] == [] and f.data[0].showlegend is False
    assert "grey circles" not in interactive_grid(f)["alt"]


def test_html_carries_the_text_alternative(fig):
    html = interactive_html(fig, div_id="low-rank")
    assert 'data-kind="precomputed"' in html and "numerical rank and the effective rank" in html


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"reference": [1.0, 2.0]}, "one singular value per index"),
        ({"depth": 5}, "not one of the slider positions"),
        ({"beta": 3.0}, "not one of the slider positions"),
        ({"rtol": 1.5}, "rtol"),
    ],
)
def test_bad_reference_initial_position_or_tolerance_is_rejected(path, kwargs, match):
    with pytest.raises(ValueError, match=match):
        low_rank_figure_interactive(path, DEPTHS, BETAS, **kwargs)


def test_path_of_the_wrong_shape_is_rejected(path):
    with pytest.raises(ValueError, match="shape"):
        low_rank_figure_interactive(path[:, :2], DEPTHS, BETAS)
