"""Timings of the ReLU chapters' solvers: the reference trainers (and the exact SOCP, added separately).

Run by hand from the repository root (not part of the tests):

    .venv/bin/python benchmarks/relu.py

Every benchmark is a function in ``BENCHMARKS``, called in order by ``main()``; each prints its own table.
Timings depend on the machine's load: say how busy it was when quoting them. BLAS is limited to one thread
(``OPENBLAS_NUM_THREADS=1`` unless already set): on these tiny problems extra BLAS threads made L-BFGS about
ten times slower on a busy 2-core machine.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import time  # noqa: E402

import numpy as np  # noqa: E402

from utils import rank_one_data, rank_one_labels, train_relu_network  # noqa: E402


def _trainer_cases():
    """(label, X, Y, L, options) of typical instances of the chapters (seeded)."""
    c, a = np.array([1.0, 2.0, -1.0, -3.0]), np.array([1.0, 0.5, -0.3])
    X1 = rank_one_data(c, a)
    rng = np.random.default_rng(0)
    Xw = np.linalg.qr(rng.standard_normal((4, 2)))[0]          # column-whitened, n = 4, d = 2
    yw = rng.standard_normal(4)
    Xg, Yg = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
    return [
        ("rank-one, y1 y2 < 0, std L=3 w=3", X1, rank_one_labels(c, 1.0, -1.0), 3, dict(width=3)),
        ("rank-one, y1 y2 > 0, std L=3 w=3", X1, rank_one_labels(c, 1.0, 2.0), 3, dict(width=3)),
        ("rank-one, parallel L=3 power K=3", X1, rank_one_labels(c, 1.0, -1.0), 3,
         dict(architecture="parallel", penalty="power", width=2, n_branches=3)),
        ("whitened n=4 d=2, std L=3 w=5", Xw, yw, 3, dict(width=5)),
        ("whitened n=4 d=2, parallel L=3 K=5", Xw, yw, 3,
         dict(architecture="parallel", penalty="power", width=5, n_branches=5)),
        ("gaussian n=5 d=3 k=2, std L=3 w=6", Xg, Yg, 3, dict(width=6)),
        ("gaussian n=5 d=3 k=2, std L=4 w=6", Xg, Yg, 4, dict(width=6)),
        ("gaussian n=5 d=3 k=2, parallel L=4 K=11", Xg, Yg, 4,
         dict(architecture="parallel", penalty="power", width=4)),
    ]


def benchmark_trainers(n_starts: int = 4) -> None:
    """Wall time per start of :func:`utils.train_relu_network`, and how many starts interpolated."""
    print(f"train_relu_network: seconds per start ({n_starts} starts each)")
    print(f"{'instance':42s} {'s/start':>8s} {'interpolated':>12s} {'best value':>12s}")
    for label, X, Y, L, options in _trainer_cases():
        start = time.perf_counter()
        try:
            fit = train_relu_network(X, Y, L, n_starts=n_starts, seed=0, **options)
            ok, best = int(np.isfinite(fit.objectives).sum()), f"{fit.objective:12.6f}"
        except Exception as exc:  # noqa: BLE001 - a benchmark reports failures instead of stopping
            ok, best = 0, type(exc).__name__
        per_start = (time.perf_counter() - start) / n_starts
        print(f"{label:42s} {per_start:8.2f} {ok:>7d}/{n_starts:<4d} {best:>12s}")


def benchmark_relu3_socp(sizes=(4, 5, 6), repeats: int = 2) -> None:
    """Time of :func:`utils.parallel_relu3_value` (the SOCP of the book's appendix, section 5.1) for d = 2,
    and of column generation.

    Data: n evenly spaced 1-D inputs with a bias column (rank 2), seeded Gaussian labels. The SOCP time is
    building (cvxpy compilation) plus Clarabel; the best of ``repeats`` runs. Column generation: L = 3 with exact
    pricing (one SOCP per outer pattern and sign per iteration) and with gradient pricing.
    """
    from utils import column_generation_parallel_relu, parallel_relu3_value

    print("parallel_relu3_value (SOCP of appendix section 5.1), d = 2: seconds (build + solve), best of", repeats)
    print(f"{'n':>3s} {'blocks':>7s} {'seconds':>8s} {'clarabel s':>10s} {'value':>12s} {'branches':>8s}")
    rng = np.random.default_rng(0)
    cases = []
    for n in sizes:
        X = np.column_stack([np.linspace(-1.0, 1.0, n), np.ones(n)])
        y = rng.standard_normal(n)
        cases.append((n, X, y))
        times, solver = [], []
        for _ in range(repeats):
            res = parallel_relu3_value(X, y)
            times.append(res.seconds)
            solver.append(res.solver_seconds)
        print(f"{n:3d} {res.n_blocks:7d} {min(times):8.2f} {min(solver):10.3f} {res.value:12.6f} "
              f"{res.n_branches:8d}")
    print()
    print("column_generation_parallel_relu, L = 3, d = 2: seconds, iterations, final bounds vs the SOCP value")
    print(f"{'n':>3s} {'pricing':>8s} {'seconds':>8s} {'iters':>5s} {'upper':>12s} {'lower':>12s} {'SOCP':>12s}")
    for n, X, y in cases:
        exact = parallel_relu3_value(X, y).value
        for pricing in ("exact", "gradient"):
            start = time.perf_counter()
            res = column_generation_parallel_relu(X, y, 3, pricing=pricing, seed=0)
            seconds = time.perf_counter() - start
            print(f"{n:3d} {pricing:>8s} {seconds:8.2f} {res.n_iterations:5d} {res.upper_bound:12.6f} "
                  f"{res.lower_bound:12.6f} {exact:12.6f}")


BENCHMARKS = [benchmark_trainers, benchmark_relu3_socp]


def main() -> None:
    for bench in BENCHMARKS:
        bench()
        print()


if __name__ == "__main__":
    main()
