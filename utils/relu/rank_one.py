"""Three-layer ReLU networks on rank-one data ``X = c a^T``: closed-form primal and dual values.

The book's appendix *Derivations and conventions*, section 5.2 (the paper's Theorem 5, corrected). With
``c_+ = max(c, 0)``, ``c_- = max(-c, 0)``, every hidden feature of a three-layer network without biases is
``((X W1)_+ w2)_+ = alpha c_+ + beta c_-`` with ``alpha, beta >= 0``, so the interpolable scalar labels are
``y = y1 c_+ + y2 c_-``. With ``T = t ||a||``:

* dual of the scale form ``D(t) = (|y1| + |y2|) / T`` always;
* primal ``P(t) = (|y1| + |y2|) / T`` when ``y1 y2 >= 0`` (strong duality), but
  ``P(t) = (|y1|^{2/3} + |y2|^{2/3})^{3/2} / T > D(t)`` when ``y1 y2 < 0`` (a duality gap): the shared first
  layer must split its norm between the neuron serving ``c_+`` and the one serving ``c_-``.

The full problem ``min 1/2 sum_l ||W_l||_F^2`` (appendix section 5) is the scale form optimised over
``t``: ``P = (3/2) P(1)^{2/3}`` and ``D = (3/2) D(1)^{2/3}``.
"""

from __future__ import annotations

import numbers

import numpy as np

from .._validation import as_vector, check_positive

__all__ = [
    "rank_one_data",
    "rank_one_labels",
    "rank_one_relu3_values",
    "rank_one_relu3_network",
    "rank_one_dual_multiplier",
]


def _real(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    return value


def _check_c(c) -> np.ndarray:
    c = as_vector("c", c)
    if not np.any(c != 0):
        raise ValueError("c is zero: the data X = c a^T would be zero")
    return c


def _check_a(a) -> np.ndarray:
    a = as_vector("a", a)
    if not np.any(a != 0):
        raise ValueError("a is zero: the data X = c a^T would be zero")
    return a


def _effective_labels(c: np.ndarray, y1, y2) -> tuple[float, float]:
    """(y1, y2), with the coefficient of an absent part (c_+ = 0 or c_- = 0) set to 0: it does not enter y."""
    y1, y2 = _real("y1", y1), _real("y2", y2)
    if not np.any(c > 0):
        y1 = 0.0
    if not np.any(c < 0):
        y2 = 0.0
    return y1, y2


def rank_one_data(c, a) -> np.ndarray:
    """Rank-one data ``X = c a^T``.

    Parameters
    ----------
    c : array_like, shape (n,)
    a : array_like, shape (d,)

    Returns
    -------
    ndarray, shape (n, d)
    """
    return np.outer(_check_c(c), _check_a(a))


def rank_one_labels(c, y1, y2) -> np.ndarray:
    """Labels ``y = y1 c_+ + y2 c_-`` (``c_+- = max(+-c, 0)``), the only ones a ReLU network can fit on
    ``X = c a^T`` (appendix section 5.2).

    Parameters
    ----------
    c : array_like, shape (n,)
    y1, y2 : float

    Returns
    -------
    ndarray, shape (n,)
    """
    c = _check_c(c)
    y1, y2 = _real("y1", y1), _real("y2", y2)
    return y1 * np.maximum(c, 0.0) + y2 * np.maximum(-c, 0.0)


def rank_one_relu3_values(c, a, y1, y2, *, t=None) -> tuple[float, float]:
    """Closed-form primal and dual values of the three-layer ReLU network on rank-one data (appendix section 5.2).

    Parameters
    ----------
    c : array_like, shape (n,)
        Data ``X = c a^T``; ``c`` must not be zero.
    a : array_like, shape (d,)
        Must not be zero.
    y1, y2 : float
        Labels ``y = y1 c_+ + y2 c_-``. When ``c`` has no positive (negative) entry, ``c_+`` (``c_-``) is
        zero, ``y1`` (``y2``) does not enter the labels, and it is treated as 0.
    t : float, optional
        When given, return the scale-form values ``(P(t), D(t))`` with ``||W1||_F <= t``:
        ``D(t) = (|y1| + |y2|) / T`` and ``P(t) = D(t)`` if ``y1 y2 >= 0``, else
        ``(|y1|^{2/3} + |y2|^{2/3})^{3/2} / T``, where ``T = t ||a||``.

    Returns
    -------
    (primal, dual) : tuple of float
        Without ``t``: the values of the full problem ``min 1/2 sum ||W_l||_F^2``,
        ``P = (3/2) P(1)^{2/3}`` and ``D = (3/2) D(1)^{2/3}``. Always ``primal >= dual``, with equality iff
        ``y1 y2 >= 0`` (the paper's Theorem 5 claims equality for all rank-one data).

    Homogeneity (exact, closed forms): scaling the data by ``s > 0`` (``a -> s a``) and the labels by a real
    ``k`` (``y1, y2 -> k y1, k y2``) multiplies ``P(t)``, ``D(t)`` by ``|k| / s`` and ``P``, ``D`` by
    ``(|k| / s)^{2/3}``.
    """
    c, a = _check_c(c), _check_a(a)
    y1, y2 = _effective_labels(c, y1, y2)
    T = float(np.linalg.norm(a)) * (1.0 if t is None else check_positive("t", t))
    dual = (abs(y1) + abs(y2)) / T
    primal = dual if y1 * y2 >= 0 else (abs(y1) ** (2 / 3) + abs(y2) ** (2 / 3)) ** 1.5 / T
    if t is None:
        return 1.5 * primal ** (2 / 3), 1.5 * dual ** (2 / 3)
    return primal, dual


def rank_one_relu3_network(c, a, y1, y2, *, architecture: str = "standard") -> list:
    """An optimal three-layer network interpolating ``y = y1 c_+ + y2 c_-`` on ``X = c a^T``.

    ``"standard"`` (weights ``[W1 (d, 2), W2 (2, m2), W3 (m2, 1)]``, layers balanced): its weight decay
    ``1/2 sum ||W_l||_F^2`` equals the closed-form primal of :func:`rank_one_relu3_values`. The first layer
    has one neuron along ``+a`` (feature ``c_+``) and one along ``-a`` (feature ``c_-``), norms ``r1, r2``
    with ``r1^2 + r2^2 = 1`` at t = 1; when ``y1 y2 >= 0`` one second-layer neuron mixes both features
    (``r_i^2 = |y_i| / (|y1| + |y2|)``), when ``y1 y2 < 0`` two second-layer neurons with output weights of
    opposite signs are needed and ``r_i`` is proportional to ``|y_i|^{1/3}``.

    ``"parallel"`` (a list of two branches ``[W1 (d, 1), w2 (1,), w3 (1,)]``, each balanced): its power
    penalty ``1/3 sum_j sum_l ||W_{l,j}||^3`` equals the dual value ``D(1) = (|y1| + |y2|) / ||a||`` of the
    scale form: each branch has its own first layer, so no norm is shared (the bi-dual of appendix section 5).

    Returns
    -------
    list
        Weights in the format of :func:`utils.relu_network_forward`.
    """
    c, a = _check_c(c), _check_a(a)
    y1, y2 = _effective_labels(c, y1, y2)
    if architecture not in ("standard", "parallel"):
        raise ValueError(f"architecture must be 'standard' or 'parallel', got {architecture!r}")
    T = float(np.linalg.norm(a))
    u = a / T
    if architecture == "parallel":
        branches = []
        for sign_dir, yi in ((1.0, y1), (-1.0, y2)):
            s = (abs(yi) / T) ** (1 / 3)
            branches.append([(sign_dir * s * u)[:, None], np.array([s]), np.array([np.sign(yi) * s])])
        return branches
    S = abs(y1) + abs(y2)
    if y1 * y2 >= 0:
        r = np.sqrt(np.array([abs(y1), abs(y2)]) / S) if S > 0 else np.array([np.sqrt(0.5)] * 2)
        W2 = r[:, None]                                     # one second-layer neuron, unit norm
        W3 = np.array([[np.sign(y1 + y2) * S / T]])
    else:
        q = np.array([abs(y1), abs(y2)]) ** (1 / 3)
        r = q / np.linalg.norm(q)
        W2 = np.eye(2)                                      # two second-layer neurons, unit norm each
        W3 = np.array([[y1 / (r[0] * T)], [y2 / (r[1] * T)]])
    W1 = np.column_stack([r[0] * u, -r[1] * u])            # ||W1||_F = 1 (t = 1)
    # balance each second-layer neuron (||w2_j|| = |w3_j|), then the three layers (each ||.||^2 = P(1)^{2/3})
    cost = np.linalg.norm(W2, axis=0) * np.abs(W3[:, 0])
    W2 = W2 * np.sqrt(cost)
    W3 = np.sign(W3) * np.sqrt(cost)[:, None]
    P1 = float(cost.sum())
    if P1 == 0:
        return [np.zeros_like(W1), np.zeros_like(W2), np.zeros_like(W3)]
    return [W1 * P1 ** (1 / 3), W2 * P1 ** (-1 / 6), W3 * P1 ** (-1 / 6)]


def rank_one_dual_multiplier(c, a, y1, y2) -> np.ndarray:
    """An optimal multiplier ``lambda`` of the scale-form dual (appendix section 5) at t = 1 on rank-one data.

    The set of features is ``A(1) = {alpha c_+ + beta c_- : alpha, beta >= 0, alpha + beta <= ||a||}``, so the
    dual constraint ``|lambda^T v| <= 1`` on ``A(1)`` reads ``|lambda^T c_+| <= 1/||a||`` and
    ``|lambda^T c_-| <= 1/||a||``. The multiplier
    ``lambda = sign(y1) c_+ / (||a|| ||c_+||^2) + sign(y2) c_- / (||a|| ||c_-||^2)`` meets both with equality
    and attains ``lambda^T y = (|y1| + |y2|) / ||a|| = D(1)``.

    Returns
    -------
    ndarray, shape (n,)
    """
    c, a = _check_c(c), _check_a(a)
    y1, y2 = _effective_labels(c, y1, y2)
    T = float(np.linalg.norm(a))
    lam = np.zeros_like(c)
    for part, yi in ((np.maximum(c, 0.0), y1), (np.maximum(-c, 0.0), y2)):
        if np.any(part > 0):
            lam += np.sign(yi) * part / (T * float(part @ part))
    return lam
