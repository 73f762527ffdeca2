"""Timing of the two-layer ReLU convex program (utils.relu.two_layer).

Prints, for n = 100, d = 10 and 50 / 200 sampled activation patterns (the same patterns for every method):
* the cold-solve time of ``two_layer_relu_convex`` against the same problem written directly in cvxpy
  with Clarabel (the wrapper's overhead: validation, the interpolability check, building the result);
* the re-solve time along a path of ``beta`` values with ``TwoLayerReluPath`` (compiled once, ``beta`` a
  cvxpy Parameter) against cold solves at the same ``beta``.

Run: ``python benchmarks/two_layer.py``. Times are the median of ``REPEATS`` runs (wall clock).
"""

from __future__ import annotations

import time

import cvxpy as cp
import numpy as np

from utils import TwoLayerReluPath, hyperplane_patterns, two_layer_relu_convex

N, D, REPEATS = 100, 10, 5
BETAS = [1.0, 0.3, 0.1, 0.03, 0.01]


def direct_cvxpy(X, y, patterns, beta=None):
    """The same program written directly in cvxpy (vectorised), solved with Clarabel; returns its value."""
    Dm = patterns.T.astype(float)
    V = cp.Variable((X.shape[1], len(patterns)))
    W = cp.Variable((X.shape[1], len(patterns)))
    fit = cp.sum(cp.multiply(Dm, X @ (V - W)), axis=1)
    penalty = cp.sum(cp.norm(V, 2, axis=0)) + cp.sum(cp.norm(W, 2, axis=0))
    cons = [cp.multiply(2 * Dm - 1, X @ V) >= 0, cp.multiply(2 * Dm - 1, X @ W) >= 0]
    if beta is None:
        prob = cp.Problem(cp.Minimize(penalty), [fit == y] + cons)
    else:
        prob = cp.Problem(cp.Minimize(0.5 * cp.sum_squares(fit - y) + beta * penalty), cons)
    prob.solve(solver="CLARABEL")
    assert prob.status == "optimal", prob.status
    return prob.value


def interleaved_medians(fn_a, fn_b, repeats=REPEATS):
    """Median wall times of two functions run alternately (so a load spike hits both), and their outputs."""
    times = ([], [])
    outs = [None, None]
    for _ in range(repeats):
        for i, fn in enumerate((fn_a, fn_b)):
            t = time.perf_counter()
            outs[i] = fn()
            times[i].append(time.perf_counter() - t)
    return float(np.median(times[0])), float(np.median(times[1])), outs


def small_path_demo():
    """The widget's case: 1-D inputs with a bias column, all patterns; compile time dominates."""
    x = np.linspace(-1, 1, 12)
    X, y = np.c_[x, np.ones_like(x)], np.sin(3 * x)
    path = TwoLayerReluPath(X, y)
    path.solve(1.0)
    warm, cold = [], []
    for beta in BETAS[1:]:
        t0 = time.perf_counter()
        path.solve(beta)
        warm.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        two_layer_relu_convex(X, y, beta=beta)
        cold.append(time.perf_counter() - t0)
    print(f"1-D slider instance (n = 12, {len(path.patterns)} exact patterns): re-solve {1e3 * np.median(warm):.1f} ms"
          f" vs cold {1e3 * np.median(cold):.1f} ms per beta\n")


def main():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((N, D))
    y = np.maximum(X @ rng.standard_normal(D), 0) - np.maximum(X @ rng.standard_normal(D), 0) \
        + 0.1 * rng.standard_normal(N)
    small_path_demo()
    print(f"n = {N}, d = {D}; median of {REPEATS} wall-clock runs (shared machine: absolute times inflated)\n")
    for n_pat in (50, 200):
        patterns = hyperplane_patterns(X, "sample", n_samples=n_pat, seed=1)
        P = len(patterns)
        print(f"--- {P} sampled patterns ---")
        for beta in (None, 0.1):
            label = "min-norm" if beta is None else f"beta={beta}"
            t_ours, t_direct, (ours, direct) = interleaved_medians(
                lambda b=beta, p=patterns: two_layer_relu_convex(X, y, p, beta=b),
                lambda b=beta, p=patterns: direct_cvxpy(X, y, p, beta=b))
            print(f"cold {label:9s}: wrapper {t_ours:6.3f} s   direct cvxpy {t_direct:6.3f} s   "
                  f"overhead {100 * (t_ours / t_direct - 1):+5.1f}%   values {ours.value:.8f} / {direct:.8f}")
        path = TwoLayerReluPath(X, y, patterns)
        t0 = time.perf_counter()
        path.solve(BETAS[0])
        t_first = time.perf_counter() - t0
        compile_time = path.problem.compilation_time
        warm, cold = [], []
        for beta in BETAS[1:]:
            t0 = time.perf_counter()
            a = path.solve(beta)
            warm.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            b = two_layer_relu_convex(X, y, patterns, beta=beta)
            cold.append(time.perf_counter() - t0)
            assert abs(a.value - b.value) <= 1e-6 * max(1.0, abs(b.value))
        print(f"beta path {BETAS}: first solve (compiles) {t_first:.3f} s, then re-solve "
              f"{np.mean(warm):.3f} s per beta vs cold {np.mean(cold):.3f} s ({np.mean(cold) / np.mean(warm):.2f}x); "
              f"compile time saved per re-solve {compile_time:.3f} s, interior-point solve "
              f"{path.problem.solver_stats.solve_time:.3f} s\n")


if __name__ == "__main__":
    main()
