"""Benchmark: closed-form deep linear values against cvxpy (Clarabel) and the non-convex reference trainer.

Run by hand from the repository root:  python benchmarks/closed_forms.py

Instance: n = d = 50, k = 10, L = 3, X and Y Gaussian (seeded). Prints the time of the closed-form primal and
dual values, the time of the cvxpy dual with Clarabel, their ratio, and the time the augmented-Lagrangian trainer
needs to reach the closed-form primal value. OpenBLAS is limited to one thread unless OPENBLAS_NUM_THREADS is
already set: on a loaded machine multi-threaded BLAS slows the small L-BFGS-B steps down by an order of
magnitude.
"""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import time  # noqa: E402
import timeit  # noqa: E402

import numpy as np  # noqa: E402

from utils import (  # noqa: E402
    deep_linear_dual_cvxpy,
    deep_linear_dual_value,
    deep_linear_dual_value_at_scale,
    deep_linear_primal_value,
    dual_value_from_singular_values,
    primal_value_from_singular_values,
    target_singular_values,
    train_deep_linear,
)


def main(n=50, d=50, k=10, L=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    Y = rng.standard_normal((n, k))
    print(f"instance: n = {n}, d = {d}, k = {k}, L = {L} (seed {seed}); "
          f"OPENBLAS_NUM_THREADS = {os.environ['OPENBLAS_NUM_THREADS']}; os.cpu_count() = {os.cpu_count()}")
    print("note: timings taken on a shared CPU are inflated and noisy; compare ratios, not absolute times\n")

    def closed():
        return deep_linear_primal_value(X, Y, L), deep_linear_dual_value(X, Y, L)

    P, D = closed()
    reps = 200
    t_closed = min(timeit.repeat(closed, number=reps, repeat=5)) / reps
    print(f"closed form  P = {P:.10f}  D = {D:.10f}   time {t_closed * 1e3:.3f} ms "
          f"(two public calls, each one pseudo-inverse + one SVD; best of 5 x {reps})")

    def closed_one_svd():
        s = target_singular_values(X, Y)
        return primal_value_from_singular_values(s, L), dual_value_from_singular_values(s, L)

    t_one = min(timeit.repeat(closed_one_svd, number=reps, repeat=5)) / reps
    print(f"closed form via target_singular_values once: time {t_one * 1e3:.3f} ms")

    t0 = time.perf_counter()
    value, _ = deep_linear_dual_cvxpy(X, Y, bound=1.0)  # D_lin(t = 1) = ||A||_*
    t_cvx = time.perf_counter() - t0
    D1 = deep_linear_dual_value_at_scale(X, Y, L, 1.0)
    print(f"cvxpy + Clarabel  D(t=1) = {value:.10f}  closed form {D1:.10f}  rel. diff {abs(value - D1) / D1:.1e}"
          f"   time {t_cvx:.3f} s (one solve, incl. canonicalisation)")
    print(f"ratio cvxpy / closed form: {t_cvx / t_closed:,.0f}x (two calls), {t_cvx / t_one:,.0f}x (one SVD)\n")

    t0 = time.perf_counter()
    fit = train_deep_linear(X, Y, L, n_starts=1, seed=0)
    t_train = time.perf_counter() - t0
    print(f"non-convex AL trainer (standard network, width {max(d, k)}, 1 start): objective {fit.objective:.10f}"
          f"  rel. err vs closed form {abs(fit.objective - P) / P:.1e}  residual {fit.residual:.1e}"
          f"   time {t_train:.2f} s")
    print(f"ratio trainer / closed form: {t_train / t_closed:,.0f}x")


if __name__ == "__main__":
    main()
