"""Three-layer ReLU networks on rank-one data: closed forms (utils.relu.rank_one) against trained networks."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from utils import (
    rank_one_data,
    rank_one_dual_multiplier,
    rank_one_labels,
    rank_one_relu3_network,
    rank_one_relu3_values,
    relu_network_forward,
    relu_network_penalty,
    train_relu_network,
)

C = np.array([1.0, 2.0, -1.0, -3.0])
A = np.array([1.0, 0.5, -0.3])


def test_values_match_the_worked_example_of_the_reference():
    P, D = rank_one_relu3_values(C, A, 1.0, -1.0)
    assert P == pytest.approx(2.72115, abs=5e-6)
    assert D == pytest.approx(2.15978, abs=5e-6)


def _instance(seed, gap):
    rng = np.random.default_rng(seed)
    c = np.concatenate([rng.uniform(0.3, 2.0, 2), -rng.uniform(0.3, 2.0, 2)])
    a = rng.standard_normal(3)
    y1, y2 = rng.uniform(0.3, 2.0, 2) * rng.choice([-1.0, 1.0])
    return c, a, y1, (-y2 if gap else y2)


@pytest.mark.parametrize("gap", [False, True], ids=["same_signs", "opposite_signs"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_closed_form_primal_equals_best_trained_standard_network(seed, gap):
    c, a, y1, y2 = _instance(seed, gap)
    P, D = rank_one_relu3_values(c, a, y1, y2)
    fit = train_relu_network(rank_one_data(c, a), rank_one_labels(c, y1, y2), 3, width=3, n_starts=4, seed=seed)
    assert fit.objective == pytest.approx(P, rel=1e-4)
    if gap:
        assert P > D * (1 + 1e-3), "opposite signs: a strict duality gap"
        assert np.nanmin(fit.objectives) > D * (1 + 1e-3), "no trained network gets down to the dual value"
    else:
        assert P == pytest.approx(D, rel=1e-12)


@pytest.mark.parametrize("gap", [False, True], ids=["same_signs", "opposite_signs"])
def test_trained_parallel_network_with_power_penalty_reaches_the_dual_value(gap):
    """Bi-dual [21]: the parallel network with 1/3 sum ||.||^3 has value D(1) (zero gap on that side)."""
    c, a, y1, y2 = _instance(5, gap)
    _, D1 = rank_one_relu3_values(c, a, y1, y2, t=1.0)
    _, D = rank_one_relu3_values(c, a, y1, y2)
    fit = train_relu_network(rank_one_data(c, a), rank_one_labels(c, y1, y2), 3, architecture="parallel",
                             penalty="power", width=2, n_branches=3, n_starts=3, seed=0)
    assert fit.objective == pytest.approx(D1, rel=1e-4)
    assert 1.5 * fit.objective ** (2 / 3) == pytest.approx(D, rel=1e-4)


@pytest.mark.parametrize("y1,y2", [(1.0, -1.0), (1.0, 2.0), (-0.3, -2.0), (0.0, 1.5), (2.0, 0.0)])
def test_constructed_networks_interpolate_at_the_closed_form_costs(y1, y2):
    X, y = rank_one_data(C, A), rank_one_labels(C, y1, y2)
    P, _ = rank_one_relu3_values(C, A, y1, y2)
    _, D1 = rank_one_relu3_values(C, A, y1, y2, t=1.0)
    W = rank_one_relu3_network(C, A, y1, y2)
    np.testing.assert_allclose(relu_network_forward(X, W)[:, 0], y, atol=1e-12)
    assert relu_network_penalty(W) == pytest.approx(P, rel=1e-12)
    norms = [np.linalg.norm(Wl) ** 2 for Wl in W]
    np.testing.assert_allclose(norms, norms[0], rtol=1e-12)  # balanced layers
    B = rank_one_relu3_network(C, A, y1, y2, architecture="parallel")
    np.testing.assert_allclose(relu_network_forward(X, B, "parallel")[:, 0], y, atol=1e-12)
    assert relu_network_penalty(B, "parallel", "power") == pytest.approx(D1, rel=1e-12)


def test_dual_multiplier_is_feasible_and_attains_the_dual_value():
    """|lambda^T ((X W1)_+ w2)_+| <= 1 on random unit-norm (W1, w2), = 1 on the optimal branches (Thm 7)."""
    y1, y2 = 1.0, -0.4
    X, y = rank_one_data(C, A), rank_one_labels(C, y1, y2)
    lam = rank_one_dual_multiplier(C, A, y1, y2)
    _, D1 = rank_one_relu3_values(C, A, y1, y2, t=1.0)
    assert lam @ y == pytest.approx(D1, rel=1e-12)
    rng = np.random.default_rng(0)
    W1 = rng.standard_normal((2000, 3, 4))
    W1 /= np.linalg.norm(W1, axis=(1, 2), keepdims=True)
    w2 = rng.standard_normal((2000, 4))
    w2 /= np.linalg.norm(w2, axis=1, keepdims=True)
    feats = np.maximum(np.einsum("bnm,bm->bn", np.maximum(X @ W1, 0), w2), 0)
    values = np.abs(feats @ lam)
    assert values.max() <= 1 + 1e-12
    for W1b, w2b, _ in rank_one_relu3_network(C, A, y1, y2, architecture="parallel"):  # optimal branches
        feat = np.maximum(np.maximum(X @ (W1b / np.linalg.norm(W1b)), 0) @ (w2b / np.linalg.norm(w2b)), 0)
        assert abs(feat @ lam) == pytest.approx(1.0, rel=1e-12)


@settings(max_examples=30, deadline=None)
@given(st.floats(-5, 5), st.floats(-5, 5), st.floats(0.1, 10))
def test_primal_is_at_least_dual_with_equality_iff_labels_share_a_sign(y1, y2, t):
    P, D = rank_one_relu3_values(C, A, y1, y2)
    Pt, Dt = rank_one_relu3_values(C, A, y1, y2, t=t)
    P1, D1 = rank_one_relu3_values(C, A, y1, y2, t=1.0)
    assert P >= D * (1 - 1e-12)
    assert Pt == pytest.approx(P1 / t, rel=1e-12) and Dt == pytest.approx(D1 / t, rel=1e-12)
    assert P == pytest.approx(1.5 * P1 ** (2 / 3), rel=1e-12)
    if y1 * y2 >= 0:
        assert P == pytest.approx(D, rel=1e-12)
    elif abs(y1) > 1e-3 and abs(y2) > 1e-3:
        assert P > D


def test_one_sided_c_ignores_the_absent_label_component():
    c = np.array([1.0, 3.0, 0.0])
    assert rank_one_relu3_values(c, A, 2.0, -7.0) == rank_one_relu3_values(c, A, 2.0, 0.0)
    np.testing.assert_array_equal(rank_one_labels(c, 2.0, -7.0), 2.0 * c)
    P, D = rank_one_relu3_values(c, A, 2.0, -7.0)
    assert P == D


def test_labels_are_the_two_part_combination():
    np.testing.assert_array_equal(rank_one_labels(C, 2.0, -1.0), [2.0, 4.0, -1.0, -3.0])
    np.testing.assert_array_equal(rank_one_data(C, A), np.outer(C, A))


@pytest.mark.parametrize("call,error,match", [
    (lambda: rank_one_relu3_values(np.zeros(3), A, 1.0, 1.0), ValueError, "c is zero"),
    (lambda: rank_one_relu3_values(C, np.zeros(3), 1.0, 1.0), ValueError, "a is zero"),
    (lambda: rank_one_relu3_values(C, A, np.nan, 1.0), ValueError, "y1"),
    (lambda: rank_one_relu3_values(C, A, 1.0, "1"), TypeError, "y2"),
    (lambda: rank_one_relu3_values(C, A, 1.0, 1.0, t=0.0), ValueError, "t must be > 0"),
    (lambda: rank_one_relu3_values([[1.0, 2.0], [3.0, 4.0]], A, 1.0, 1.0), ValueError, "1-D"),
    (lambda: rank_one_labels([], 1.0, 1.0), ValueError, "empty"),
    (lambda: rank_one_relu3_network(C, A, 1.0, 1.0, architecture="deep"), ValueError, "architecture"),
    (lambda: rank_one_dual_multiplier(C, [np.inf, 1.0], 1.0, 1.0), ValueError, "NaN or infinite"),
])
def test_bad_input_is_rejected(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_chapter_checks_accept_the_reference_and_reject_a_wrong_answer(capsys):
    from utils import check_exercise

    P, D = rank_one_relu3_values([3.0, 1.0, -2.0, -1.0, 0.5], [2.0, -1.0], 0.5, -2.0)
    assert check_exercise("06.2", (P - D) / D)
    assert not check_exercise("06.2", (P - D) / P)
    ratio = max(np.divide(*rank_one_relu3_values(C, A, 1.0, y2)) for y2 in np.linspace(-3, 3, 601))
    assert ratio == pytest.approx(2 ** (1 / 3), rel=1e-12)
    assert check_exercise("06.3", ratio)
    assert not check_exercise("06.3", 1.0)
    assert "not quite" in capsys.readouterr().out
