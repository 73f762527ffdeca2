"""Timing of the real-data experiments (diabetes and linnerud, bundled with scikit-learn).

Prints:

* the exact two-layer ReLU program with weight decay on the whole diabetes data (n = 442, the feature ``bmi``
  plus a bias column, all activation patterns), solved by the plain formulation
  (:func:`utils.two_layer_relu_convex`, ``n`` cone inequalities per pattern) and by the reduced one
  (:func:`utils.relu._reduced.two_layer_relu_convex_reduced`, two per pattern and prefix sums for the fit), with
  both optima and their difference; and the dual certificate of the reduced solution;
* the time of a chapter-sized set of training runs: two-layer ReLU networks (20 seeds x 3 widths x 2 optimisers on
  n = 442) and deep linear networks on linnerud (20 seeds x depths 2..5 x 2 architectures).

Run: ``python benchmarks/real_data.py`` (``--skip-plain`` skips the slow plain solve). Wall-clock and CPU times
are printed: on a shared machine the wall clock is inflated by other processes.
"""

from __future__ import annotations

import sys
import time

import numpy as np

from utils.data.real import load_real_dataset
from utils.linear.practical import (
    deep_linear_weight_decay_optimum,
    parallel_linear_power_optimum,
    train_linear_network,
)
from utils.relu._reduced import two_layer_relu_convex_reduced
from utils.relu.practical_training import relu_weight_decay_certificate, train_two_layer_practical
from utils.relu.two_layer import two_layer_relu_convex

BETA = 1.0
WIDTHS = (4, 16, 64)
RELU_STEPS = 3000
LINEAR_BETA, LINEAR_STEPS = 0.5, 5000


def timed(fn):
    """``(result, wall seconds, cpu seconds)`` of ``fn()``."""
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - wall, time.process_time() - cpu


def exact_program(skip_plain: bool) -> float:
    data = load_real_dataset("diabetes", "bmi", bias=True)
    X, y = data.X, data.y
    reduced, wall, cpu = timed(lambda: two_layer_relu_convex_reduced(X, y, beta=BETA))
    print(f"diabetes, bmi + bias, n = {len(y)}, beta = {BETA}, {len(reduced.patterns)} patterns")
    print(f"  reduced formulation: value {reduced.value:.10f}   wall {wall:6.2f} s   cpu {cpu:6.2f} s")
    if not skip_plain:
        plain, wall, cpu = timed(lambda: two_layer_relu_convex(X, y, beta=BETA))
        diff = abs(plain.value - reduced.value)
        print(f"  plain formulation:   value {plain.value:.10f}   wall {wall:6.2f} s   cpu {cpu:6.2f} s")
        print(f"  |difference| = {diff:.2e} (relative {diff / plain.value:.2e})")
    cert = relu_weight_decay_certificate(X, y, BETA, reduced.dual)
    print(f"  dual certificate: lower bound {cert.lower_bound:.10f}, max correlation {cert.max_correlation:.12f} "
          f"<= beta, optimum - bound = {reduced.value - cert.lower_bound:.2e}\n")
    return reduced.value


def relu_runs(optimum: float) -> None:
    data = load_real_dataset("diabetes", "bmi", bias=True)
    total_wall = total_cpu = 0.0
    for optimizer in ("gd", "adam"):
        for width in WIDTHS:
            res, wall, cpu = timed(lambda o=optimizer, m=width: train_two_layer_practical(
                data.X, data.y, m, BETA, optimizer=o, n_seeds=20, n_steps=RELU_STEPS))
            total_wall += wall
            total_cpu += cpu
            gaps = res.relative_gaps(optimum)
            print(f"  {optimizer:4s} width {width:3d}: wall {wall:5.2f} s  cpu {cpu:5.2f} s   relative gap min "
                  f"{gaps.min():.1e}  median {np.median(gaps):.1e}  max {gaps.max():.1e}")
    print(f"ReLU runs (20 seeds x {len(WIDTHS)} widths x 2 optimisers, {RELU_STEPS} steps): wall {total_wall:.1f} s, "
          f"cpu {total_cpu:.1f} s\n")


def linear_runs() -> None:
    data = load_real_dataset("linnerud", whiten=True)
    X, Y = data.X, data.y
    total_wall = total_cpu = 0.0
    parallel = parallel_linear_power_optimum(X, Y, LINEAR_BETA)
    for L in (2, 3, 4, 5):
        standard = deep_linear_weight_decay_optimum(X, Y, L, LINEAR_BETA)
        line = f"  L = {L}: optima standard {standard.value:.6f}, parallel {parallel.value:.6f};"
        for architecture, optimum in (("standard", standard.value), ("parallel", parallel.value)):
            res, wall, cpu = timed(lambda a=architecture, d=L: train_linear_network(
                X, Y, d, LINEAR_BETA, architecture=a, n_seeds=20, n_steps=LINEAR_STEPS))
            total_wall += wall
            total_cpu += cpu
            line += f" {architecture} median gap {np.median(res.relative_gaps(optimum)):.1e} ({wall:.2f} s)"
        print(line)
    print(f"linear runs (20 seeds x 4 depths x 2 architectures, {LINEAR_STEPS} steps): wall {total_wall:.1f} s, "
          f"cpu {total_cpu:.1f} s")


def main():
    optimum = exact_program(skip_plain="--skip-plain" in sys.argv)
    relu_runs(optimum)
    linear_runs()


if __name__ == "__main__":
    main()
