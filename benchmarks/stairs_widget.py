"""Time the redraws of the stairs explorer widget (target: every redraw under 50 ms).

Run:  .venv/bin/python benchmarks/stairs_widget.py

Drives the widget exactly as a reader would (changing its controls, no display needed) and prints the median
and worst time per redraw for each kind of change, with the number of full redraws (the background of axes,
ticks and labels re-rendered; otherwise only the changed artists are drawn over a cached background). The
"[no cache]" rows empty the background cache before every change: the cost of a redraw never seen before.
A plain ``plot_stairs`` + ``savefig`` is timed as the reference that the artist reuse improves on.
Timings on a shared machine are inflated: compare the rows with each other.
"""

from __future__ import annotations

import io
import time

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from utils import plot_stairs, stairs_explorer  # noqa: E402


def _time(explorer, changes, cold=False):
    """Apply each (control, value) change; return wall and CPU times (s) and the number of full redraws.

    ``cold=True`` empties the explorer's background cache before every change (every redraw is a full one).
    """
    before = explorer.full_redraws
    wall, cpu = [], []
    for control, value in changes:
        if cold:
            explorer._backgrounds.clear()
        t0, c0 = time.perf_counter(), time.process_time()
        getattr(explorer, control).value = value
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return np.array(wall), np.array(cpu), explorer.full_redraws - before


def main() -> None:
    warm = stairs_explorer()
    for L in range(2, 11):  # warm matplotlib's font and glyph caches once (as after the first redraw)
        warm.depth.value = L
    decays = np.round(np.concatenate([np.arange(0.5, 1.5, 0.01), np.arange(1.5, 0.5, -0.01)]), 2)
    cases = {
        "decay slider drag (step 0.01)": [("decay", float(a)) for a in decays],
        "depth L 2..10 and back": [("depth", int(L)) for L in [*range(2, 11), *range(9, 1, -1)]] * 2,
        "rank r 1..8 and back": [("rank", int(r)) for r in [*range(1, 9), *range(7, 0, -1)]] * 2,
        "scale-mode toggle": [("scale_mode", m) for m in ["per_t", "optimised"] * 10],
    }
    print("wall-clock and CPU (process) time per redraw, in ms; CPU time is the better estimate on a busy machine")
    print(f"{'change':44s} {'n':>4s} {'wall median':>12s} {'wall max':>9s} {'CPU median':>11s} {'CPU max':>8s} "
          f"{'full redraws':>13s}")
    for cold in (False, True):
        for name, changes in cases.items():
            explorer = stairs_explorer()  # a fresh widget: its background cache starts empty
            wall, cpu, full = _time(explorer, changes, cold=cold)
            label = name + (" [no cache]" if cold else "")
            print(f"{label:44s} {len(wall):4d} {1e3 * np.median(wall):12.1f} {1e3 * wall.max():9.1f} "
                  f"{1e3 * np.median(cpu):11.1f} {1e3 * cpu.max():8.1f} {full:13d}")

    wall, cpu = [], []
    for L in [*range(2, 11)] * 2:
        t0, c0 = time.perf_counter(), time.process_time()
        fig = plot_stairs(warm.sigma, L)
        fig.savefig(io.BytesIO(), format="png", dpi=80)
        plt.close(fig)
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    wall, cpu = np.array(wall), np.array(cpu)
    print(f"{'reference: new plot_stairs + savefig':44s} {len(wall):4d} {1e3 * np.median(wall):12.1f} "
          f"{1e3 * wall.max():9.1f} {1e3 * np.median(cpu):11.1f} {1e3 * cpu.max():8.1f}")


if __name__ == "__main__":
    main()
