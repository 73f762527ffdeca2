"""Tests of utils.figures.stairs (stairs plot, explorer widget), utils.figures.network (architecture drawing)
and the checks of ch02/ch03.

Everything runs headless (Agg backend, widgets without a front end): the plotted values are read back from
the artists and compared with the closed form ``P^l = (L/2) ||A||_{S_{2/l}}^{2/L}``, written out here with numpy
(not with the ``utils`` function the figures use).
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from matplotlib.text import Text  # noqa: E402

from utils import (  # noqa: E402
    StairsExplorer,
    decaying_spectrum,
    draw_network_architecture,
    duality_gap_stairs,
    plot_stairs,
    plot_stairs_comparison,
    stairs_explorer,
    stairs_values_from_axes,
    train_deep_linear,
)
from utils.course.checks import check_exercise, registered_exercises  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _closed_form_stairs(sigma, L, t=None) -> np.ndarray:
    """``[P^2, ..., P^L]`` from the singular values, with ``||A||_{S_p} = (sum_i sigma_i^p)^(1/p)``.

    ``t=None``: ``P^l = (L/2) ||A||_{S_{2/l}}^{2/L} = (L/2) (sum_i sigma_i^(2/l))^(l/L)``;
    ``t > 0``: ``P^l(t) = t^{-(L-2)} ||A||_{S_{2/l}} = t^{-(L-2)} (sum_i sigma_i^(2/l))^(l/2)``.
    """
    s = np.asarray(sigma, dtype=float)
    s = s[s > 0]
    sums = np.array([np.sum(s ** (2.0 / l)) for l in range(2, L + 1)])
    powers = np.arange(2, L + 1) / 2.0
    if t is None:
        return 0.5 * L * sums ** (2.0 * powers / L)
    return t ** (2.0 - L) * sums**powers


def _spectrum(rank, decay) -> np.ndarray:
    """The explorer's singular values ``exp(-decay (i - 1))``, i = 1..rank."""
    return np.exp(-decay * np.arange(rank))


def test_closed_form_stairs_helper_matches_hand_values():
    # sigma = (3, 2, 1), L = 4: D = P^2 = 2 sqrt 6 and P = P^4 = 2 (sqrt 3 + sqrt 2 + 1); at t = 1, P^2 = 6
    stairs = _closed_form_stairs([3.0, 2.0, 1.0], 4)
    np.testing.assert_allclose(stairs[[0, 2]], [2 * np.sqrt(6), 2 * (np.sqrt(3) + np.sqrt(2) + 1)], rtol=1e-14)
    np.testing.assert_allclose(_closed_form_stairs([3.0, 2.0, 1.0], 4, t=1.0)[0], 6.0, rtol=1e-14)
    np.testing.assert_allclose(_closed_form_stairs([1.0, 1.0], 3, t=2.0), [2 / 2, 2**1.5 / 2], rtol=1e-14)


def _line(ax, gid):
    (line,) = [ln for ln in ax.get_lines() if ln.get_gid() == gid]
    return line


# ------------------------------------------------------------------------------------------ plot_stairs
@settings(max_examples=15, deadline=None)
@given(
    sigma=st.lists(st.floats(0.05, 20.0), min_size=1, max_size=6),
    L=st.integers(2, 9),
    t=st.one_of(st.none(), st.floats(0.2, 3.0)),
)
def test_plotted_stairs_equal_the_closed_form(sigma, L, t):
    fig = plot_stairs(sigma, L, t=t)
    ax = fig.axes[0]
    expected = _closed_form_stairs(sigma, L, t=t)
    np.testing.assert_allclose(stairs_values_from_axes(ax), expected, rtol=1e-12)
    points = _line(ax, "stairs-values")
    np.testing.assert_array_equal(points.get_xdata(), np.arange(2, L + 1))
    # the treads of the staircase are at the same heights, one per step
    np.testing.assert_allclose(_line(ax, "stairs-steps").get_ydata()[::2], expected, rtol=1e-12)
    np.testing.assert_allclose(_line(ax, "stairs-D").get_ydata(), [expected[0]] * 2, rtol=1e-12)
    np.testing.assert_allclose(_line(ax, "stairs-P").get_ydata(), [expected[-1]] * 2, rtol=1e-12)
    plt.close(fig)


def test_plot_stairs_labels_every_step_and_D_and_P():
    fig = plot_stairs([3.0, 2.0, 1.0], 5)
    ax = fig.axes[0]
    labels = [tl.get_text() for tl in ax.get_xticklabels()]
    assert labels == [f"l={l}\n{l - 2} shared" for l in range(2, 6)]
    texts = " | ".join(tx.get_text() for tx in ax.texts)
    values = _closed_form_stairs([3.0, 2.0, 1.0], 5)
    assert f"D = P\u00b2 = {values[0]:.4g}" in texts
    assert f"P = P\u2075 = {values[-1]:.4g}" in texts
    assert f"gap {values[-1] - values[0]:.4g}" in texts


def test_stacked_panels_can_leave_out_the_x_label_and_keep_the_tick_labels_and_values():
    fig, (top, bottom) = plt.subplots(2, 1)
    plot_stairs([3.0, 2.0, 1.0], 4, t=0.9, ax=top, xlabel=False)
    plot_stairs([3.0, 2.0, 1.0], 4, ax=bottom)
    assert top.get_xlabel() == ""
    assert bottom.get_xlabel().startswith("step l:")
    assert [tl.get_text() for tl in top.get_xticklabels()] == [f"l={l}\n{l - 2} shared" for l in range(2, 5)]
    np.testing.assert_allclose(stairs_values_from_axes(top), _closed_form_stairs([3.0, 2.0, 1.0], 4, t=0.9),
                               rtol=1e-12)
    plt.close(fig)


def test_plot_stairs_draws_on_given_axes_and_returns_its_figure():
    fig, (ax1, ax2) = plt.subplots(1, 2)
    assert plot_stairs([1.0, 0.5], 3, ax=ax2) is fig
    assert not ax1.get_lines()
    np.testing.assert_allclose(stairs_values_from_axes(ax2), _closed_form_stairs([1.0, 0.5], 3), rtol=1e-12)


def test_plot_stairs_ignores_order_of_singular_values():
    a = stairs_values_from_axes(plot_stairs([1.0, 3.0, 2.0], 4).axes[0])
    b = stairs_values_from_axes(plot_stairs([3.0, 2.0, 1.0], 4).axes[0])
    np.testing.assert_allclose(a, b, rtol=1e-14)


@pytest.mark.parametrize(
    ("sigma", "L", "t", "error"),
    [
        ([1.0, -0.5], 3, None, ValueError),
        ([0.0, 0.0], 3, None, ValueError),
        ([1.0, np.nan], 3, None, ValueError),
        ([[1.0, 2.0], [3.0, 4.0]], 3, None, ValueError),
        ([], 3, None, ValueError),
        ("1, 2", 3, None, TypeError),
        (None, 3, None, TypeError),
        ([1.0], 1, None, ValueError),
        ([1.0], 2.5, None, TypeError),
        ([1.0], "3", None, TypeError),
        ([1.0], 3, 0.0, ValueError),
        ([1.0], 3, -1.0, ValueError),
        ([1.0], 3, "1", TypeError),
    ],
)
def test_plot_stairs_rejects_bad_input(sigma, L, t, error):
    with pytest.raises(error):
        plot_stairs(sigma, L, t=t)


def test_stairs_values_from_axes_rejects_axes_without_stairs():
    _, ax = plt.subplots()
    with pytest.raises(ValueError, match="no stairs plot"):
        stairs_values_from_axes(ax)


# ------------------------------------------------------------------------------------------ comparison figure
_SPECTRA = {"flat": [1.0, 1.0, 1.0], "decaying": [2.0, 0.5, 0.1], "rank one": [3.0]}


def test_comparison_draws_each_staircase_relative_to_its_dual_value():
    depths = (2, 4, 7)
    fig = plot_stairs_comparison(_SPECTRA, depths)
    assert len(fig.axes) == len(depths)
    for ax, L in zip(fig.axes, depths, strict=True):
        assert ax.get_title() == f"L = {L}"
        for i, sigma in enumerate(_SPECTRA.values()):
            expected = _closed_form_stairs(sigma, L)
            line = _line(ax, f"stairs-ratios-{i}")
            np.testing.assert_array_equal(line.get_xdata(), np.arange(2, L + 1))
            np.testing.assert_allclose(line.get_ydata(), expected / expected[0], rtol=1e-12)
    # a rank-one target has no gap at any depth: its staircase is flat at 1
    np.testing.assert_allclose(_line(fig.axes[-1], "stairs-ratios-2").get_ydata(), 1.0, rtol=1e-12)


def test_comparison_fits_the_text_column_with_text_of_at_least_10_points():
    fig = plot_stairs_comparison(_SPECTRA, (3, 5, 8))
    fig.canvas.draw()
    assert fig.get_figwidth() <= 6.88  # the text column is 688 px wide: shown at 100 dpi, never shrunk
    texts = [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]
    assert len(texts) > 20
    assert min(t.get_fontsize() for t in texts) >= 10


@pytest.mark.parametrize(
    ("spectra", "depths", "error"),
    [
        ({}, (3,), ValueError),
        ({f"s{i}": [1.0] for i in range(5)}, (3,), ValueError),
        ({"a": [1.0]}, (), ValueError),
        ({"a": [1.0]}, (2, 3, 4, 5, 6), ValueError),
        ({"a": [1.0]}, (1,), ValueError),
        ({"a": [1.0]}, (2.5,), TypeError),
        ({"a": [-1.0, 2.0]}, (3,), ValueError),
        ({"a": [0.0]}, (3,), ValueError),
    ],
)
def test_comparison_rejects_bad_input(spectra, depths, error):
    with pytest.raises(error):
        plot_stairs_comparison(spectra, depths)


# ------------------------------------------------------------------------------------------ decaying_spectrum
def test_decaying_spectrum_is_exponential_and_flat_for_zero_decay():
    np.testing.assert_allclose(decaying_spectrum(4, 0.5), np.exp(-0.5 * np.arange(4)))
    np.testing.assert_array_equal(decaying_spectrum(3, 0.0), np.ones(3))


@pytest.mark.parametrize(("rank", "decay", "error"), [(0, 0.5, ValueError), (2.0, 0.5, TypeError),
                                                      (True, 0.5, TypeError), (3, -0.1, ValueError),
                                                      (3, np.inf, ValueError), (3, "a", TypeError)])
def test_decaying_spectrum_rejects_bad_input(rank, decay, error):
    with pytest.raises(error):
        decaying_spectrum(rank, decay)


# ------------------------------------------------------------------------------------------ explorer
def _plotted(explorer):
    return stairs_values_from_axes(explorer.ax)


def test_explorer_is_a_widget_showing_the_default_stairs():
    import ipywidgets

    ex = stairs_explorer()
    assert isinstance(ex, StairsExplorer) and isinstance(ex, ipywidgets.VBox)
    np.testing.assert_allclose(ex.sigma, _spectrum(3, 0.5), rtol=1e-15)
    np.testing.assert_allclose(_plotted(ex), _closed_form_stairs(_spectrum(3, 0.5), 4), rtol=1e-12)
    assert ex.image.value[:8] == b"\x89PNG\r\n\x1a\n"
    # the explorer's figure is not managed by pyplot (it is never displayed twice in a notebook)
    assert ex.figure not in [plt.figure(n) for n in plt.get_fignums()]


def test_explorer_depth_slider_redraws_the_right_values():
    ex = stairs_explorer([2.0, 1.0, 0.5], L=3)
    for L in (7, 10, 2, 5):
        before = ex.image.value
        ex.depth.value = L
        expected = _closed_form_stairs([2.0, 1.0, 0.5], L)
        np.testing.assert_allclose(_plotted(ex), expected, rtol=1e-12)
        np.testing.assert_allclose(ex.values, expected, rtol=1e-12)
        assert ex.ax.get_xlim()[1] == pytest.approx(L + 0.6)
        assert ex.image.value != before


def test_explorer_spectrum_sliders_set_the_singular_values_and_the_plot():
    ex = stairs_explorer(L=6)
    ex.rank.value = 5
    ex.decay.value = 1.2
    np.testing.assert_allclose(ex.sigma, _spectrum(5, 1.2), rtol=1e-15)
    np.testing.assert_allclose(_plotted(ex), _closed_form_stairs(_spectrum(5, 1.2), 6), rtol=1e-12)
    np.testing.assert_allclose([float(v) for v in ex.singular_values.value.split(",")], ex.sigma, rtol=1e-3)


def test_explorer_toggle_switches_between_per_t_and_optimised_values():
    sigma = [1.0, 0.7, 0.2]
    ex = stairs_explorer(sigma, L=5)
    assert ex.scale_mode.value == "optimised"
    ex.scale_mode.value = "per_t"
    np.testing.assert_allclose(_plotted(ex), _closed_form_stairs(sigma, 5, t=1.0), rtol=1e-12)
    assert "t = 1" in ex.ax.get_ylabel()
    ex.scale_mode.value = "optimised"
    np.testing.assert_allclose(_plotted(ex), _closed_form_stairs(sigma, 5), rtol=1e-12)
    assert "optimised over t" in ex.ax.get_ylabel()


def test_explorer_typed_singular_values_override_and_bad_text_is_reported():
    ex = stairs_explorer(L=4)
    ex.singular_values.value = "3, 2; 1"
    np.testing.assert_allclose(ex.sigma, [3.0, 2.0, 1.0])
    np.testing.assert_allclose(_plotted(ex), _closed_form_stairs([3.0, 2.0, 1.0], 4), rtol=1e-12)
    assert ex.status.value == ""
    for bad in ("1, x", "1, -2", "0, 0", ""):
        ex.singular_values.value = bad
        assert "could not use" in ex.status.value
        np.testing.assert_allclose(ex.sigma, [3.0, 2.0, 1.0])  # the last good values stay
        np.testing.assert_allclose(_plotted(ex), _closed_form_stairs([3.0, 2.0, 1.0], 4), rtol=1e-12)
    ex.rank.value = 2  # a slider move takes over again and clears the message
    assert ex.status.value == ""
    np.testing.assert_allclose(ex.sigma, _spectrum(2, ex.decay.value), rtol=1e-15)


def test_explorer_redraws_after_many_small_changes_stay_exact():
    ex = stairs_explorer(L=5)
    for a in np.linspace(0.0, 2.0, 9):
        ex.decay.value = float(a)
        np.testing.assert_allclose(ex.sigma, _spectrum(3, a), rtol=1e-15)
        np.testing.assert_allclose(_plotted(ex), _closed_form_stairs(_spectrum(3, a), 5), rtol=1e-12)
        lo, hi = ex.ax.get_ylim()
        assert lo <= _plotted(ex).min() and _plotted(ex).max() <= hi  # the stairs stay in view


@pytest.mark.parametrize(("sigma", "L", "error"), [(None, 11, ValueError), (None, 1, ValueError),
                                                   ([1.0, -1.0], 4, ValueError), (None, 3.5, TypeError),
                                                   ("abc", 4, TypeError)])
def test_explorer_rejects_bad_input(sigma, L, error):
    with pytest.raises(error):
        stairs_explorer(sigma, L=L)


# ------------------------------------------------------------------------------------------ architecture
def _count(ax, gid):
    return sum(1 for p in ax.patches if p.get_gid() == gid)


@pytest.mark.parametrize("L", [2, 3, 4, 6])
@pytest.mark.parametrize("n_branches", [1, 3])
def test_architecture_has_the_right_numbers_of_shared_and_branch_nodes(L, n_branches):
    for s in range(L - 1):
        fig = draw_network_architecture(L, s, n_branches)
        ax = fig.axes[0]
        assert _count(ax, "input-node") == 1 and _count(ax, "output-node") == 1
        assert _count(ax, "shared-node") == s
        assert _count(ax, "branch-node") == n_branches * (L - 1 - s)
        plt.close(fig)


def test_architecture_names_the_standard_and_the_fully_parallel_network():
    assert "standard" in draw_network_architecture(4, 2).axes[0].get_title()
    assert "fully parallel" in draw_network_architecture(4, 0).axes[0].get_title()
    assert "1 shared layer" in draw_network_architecture(4, 1).axes[0].get_title()
    ax = draw_network_architecture(3, 0, 4, ellipsis=True, title="parallel network").axes[0]
    assert ax.get_title() == "parallel network"
    assert sum(1 for tx in ax.texts if "vdots" in tx.get_text()) == 2  # one per branch layer column


def test_architecture_draws_on_given_axes():
    fig, axes = plt.subplots(1, 3)
    for s, ax in enumerate(axes):
        assert draw_network_architecture(4, s, ax=ax) is fig
    assert [_count(ax, "shared-node") for ax in axes] == [0, 1, 2]


@pytest.mark.parametrize(
    ("L", "s", "K", "error"),
    [(4, 3, 3, ValueError), (4, -1, 3, ValueError), (4, 1, 0, ValueError), (1, 0, 3, ValueError),
     (4, 1.0, 3, TypeError), (4, 1, 2.5, TypeError), ("4", 1, 3, TypeError), (4, True, 3, TypeError)],
)
def test_architecture_rejects_bad_input(L, s, K, error):
    with pytest.raises(error):
        draw_network_architecture(L, s, K)


# ------------------------------------------------------------------------------------------ the deepest step
@pytest.mark.slow
def test_step_l4_of_a_depth_five_network_matches_a_trained_partially_parallel_network():
    """The step l = 4 of L = 5 (two shared layers, the most shared partially parallel network; book appendix,
    section 3): a trained network with two shared layers and parallel layers 3..5 reaches the closed form."""
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((2, 3)), rng.standard_normal((2, 2))
    L, t = 5, 0.9
    stairs = duality_gap_stairs(X, Y, L, t=t)
    fit = train_deep_linear(X, Y, L, architecture="partial", n_shared=2, scale=t, n_branches=2, n_starts=2,
                            seed=0, tol=1e-8)
    assert fit.residual <= 1e-6
    assert fit.objective == pytest.approx(stairs[2], rel=1e-6)
    assert stairs[1] < fit.objective < stairs[3]  # strictly between its neighbours (rank 2)


# ------------------------------------------------------------------------------------------ exercise checks
_CHAPTER_CHECKS = ["02.2", "02.4", "03.2", "03.3"]


def test_chapter_checks_are_registered():
    assert set(_CHAPTER_CHECKS) <= set(registered_exercises())


@pytest.mark.parametrize("exercise_id", _CHAPTER_CHECKS)
def test_chapter_check_accepts_the_reference_and_rejects_a_wrong_answer(exercise_id, capsys):
    from utils.course.checks import _REGISTRY

    ref = _REGISTRY[exercise_id].compute_answer()
    assert check_exercise(exercise_id, ref)
    assert not check_exercise(exercise_id, np.asarray(ref, dtype=float) * 1.01 + 0.5)
    assert not check_exercise(exercise_id, None)
    assert "not answered yet" in capsys.readouterr().out
