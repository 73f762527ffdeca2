"""Time the redraws of the low-rank explorer widget of chapter 05 (budget: well under 100 ms).

Run:  .venv/bin/python benchmarks/low_rank_widget.py

Builds the explorer over a precomputed grid of solutions (the chapter's data set: ``low_rank_path``), then
moves its two sliders as a reader would, without a display, and prints the median and worst wall-clock and
CPU time per redraw. Nothing is solved in a callback, so a redraw is blitting plus PNG encoding.
"""

from __future__ import annotations

import time

import numpy as np

from utils import low_rank_explorer, low_rank_path


def main() -> None:
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((20, 8)), rng.standard_normal((20, 6))
    depths, betas = [2, 3, 4, 5, 6], [0.1, 0.3, 1.0, 3.0]
    t0 = time.perf_counter()
    sv, _ = low_rank_path(X, Y, depths, betas)
    print(f"precomputing the grid ({len(depths)} depths x {len(betas)} betas): {time.perf_counter() - t0:.2f} s")
    explorer = low_rank_explorer(sv, depths, betas)
    changes = [("depth", L) for L in [*depths, *depths[::-1]]] * 4 + [("beta", b) for b in [*betas, *betas[::-1]]] * 4
    wall, cpu = [], []
    for control, value in changes:
        if getattr(explorer, control).value == value:
            continue
        w0, c0 = time.perf_counter(), time.process_time()
        getattr(explorer, control).value = value
        wall.append(1e3 * (time.perf_counter() - w0))
        cpu.append(1e3 * (time.process_time() - c0))
    print(f"{len(wall)} redraws: wall median {np.median(wall):.1f} ms, max {np.max(wall):.1f} ms; "
          f"CPU median {np.median(cpu):.1f} ms, max {np.max(cpu):.1f} ms")


if __name__ == "__main__":
    main()
