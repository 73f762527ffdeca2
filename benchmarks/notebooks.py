"""Execution budgets of the book's notebooks: wall time and peak memory, each in a fresh kernel.

Run by hand from the repository root (not part of the tests):

    .venv/bin/python benchmarks/notebooks.py                 # every notebook listed in _toc.yml
    .venv/bin/python benchmarks/notebooks.py book/03_stairs  # only some (docnames or paths)
    .venv/bin/python benchmarks/notebooks.py --full-build    # also time a clean full jupyter-book build

Each notebook runs in its own Python process that starts a fresh kernel (nbclient), with the notebook's
folder as working directory, as the book build does. Reported per notebook:

* wall time from kernel start to the end of the last cell (kernel start-up included);
* peak memory: the largest resident set size (RSS) of the kernel's process tree (kernel plus any
  processes it starts), sampled every 20 ms with psutil, and the kernel's own peak RSS from the operating
  system (``getrusage``, exact, read after the kernel exits). The larger of the two is compared to the budget.

Budgets (issue 8): <= 30 s per notebook, <= 60 s for the ReLU chapters (06-08), <= 1 GiB each, and
<= 5 minutes for a clean full build (on 2 cores). The exit status is 1 if any budget is missed or a
notebook fails. Timings depend on the machine's load: say how busy it was when quoting them.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from utils.course.toc import toc_notebooks

ROOT = Path(__file__).resolve().parents[1]
TIME_BUDGET_S = 30.0
RELU_TIME_BUDGET_S = 60.0
RELU_CHAPTERS = ("06_", "07_", "08_", "09_")
MEMORY_BUDGET_MIB = 1024.0
BUILD_BUDGET_S = 300.0
SAMPLE_EVERY_S = 0.02
CELL_TIMEOUT_S = 600


def time_budget(path: Path) -> float:
    return RELU_TIME_BUDGET_S if path.name.startswith(RELU_CHAPTERS) else TIME_BUDGET_S


# --------------------------------------------------------------------------------------------- one notebook
def _tree_rss(pid: int) -> int:
    import psutil

    try:
        proc = psutil.Process(pid)
        procs = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return 0
    total = 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total


def run_one(path: Path) -> dict:
    """Execute one notebook in a fresh kernel (call in a fresh process); return timings and memory."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT_S,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    peak = {"tree_rss": 0}
    done = threading.Event()

    def sample():
        pid = None
        while not done.is_set():
            if pid is None:
                km = getattr(client, "km", None)
                provisioner = getattr(km, "provisioner", None) if km is not None else None
                pid = getattr(provisioner, "pid", None)
            if pid is not None:
                peak["tree_rss"] = max(peak["tree_rss"], _tree_rss(pid))
            time.sleep(SAMPLE_EVERY_S)

    sampler = threading.Thread(target=sample, daemon=True)
    error = None
    start = time.perf_counter()
    sampler.start()
    try:
        client.execute()
    except Exception as exc:  # report, do not crash the table
        error = f"{type(exc).__name__}: {str(exc).strip().splitlines()[-1] if str(exc).strip() else ''}"
    wall = time.perf_counter() - start
    done.set()
    sampler.join()
    # ru_maxrss of waited-for children (the kernel, after it exited), in KiB on Linux
    kernel_maxrss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    return {"wall_s": wall, "tree_rss": peak["tree_rss"], "kernel_maxrss": kernel_maxrss, "error": error}


def run_in_fresh_process(path: Path) -> dict:
    proc = subprocess.run(
        [sys.executable, __file__, "--one", str(path)], cwd=ROOT, capture_output=True, text=True, check=False
    )
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        return {
            "wall_s": float("nan"),
            "tree_rss": 0,
            "kernel_maxrss": 0,
            "error": f"runner failed: {tail[0]}",
        }
    return json.loads(lines[-1])


# --------------------------------------------------------------------------------------------- full build
def time_full_build() -> tuple[float, int]:
    """Clean ``jupyter-book build`` of the repository into a new temporary folder: (seconds, exit code)."""
    exe = Path(sys.executable).with_name("jupyter-book")
    cmd = [
        str(exe) if exe.exists() else "jupyter-book",
        "build",
        str(ROOT),
        "--warningiserror",
        "--keep-going",
    ]
    with tempfile.TemporaryDirectory(prefix="book-build-") as out:
        start = time.perf_counter()
        proc = subprocess.run([*cmd, "--path-output", out], capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - start
        if proc.returncode != 0:
            print("\n".join((proc.stdout + proc.stderr).splitlines()[-30:]), file=sys.stderr)
    return seconds, proc.returncode


# --------------------------------------------------------------------------------------------- main
def _resolve(names: list[str]) -> list[Path]:
    paths = []
    for name in names:
        path = Path(name)
        path = path if path.is_absolute() else ROOT / path
        if path.suffix != ".ipynb":
            path = path.with_suffix(".ipynb")
        if not path.exists():
            sys.exit(f"no notebook {path}")
        paths.append(path)
    return paths


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "notebooks", nargs="*", help="docnames or paths (default: every notebook of _toc.yml)"
    )
    parser.add_argument("--full-build", action="store_true", help="also time a clean full jupyter-book build")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: run one notebook, print JSON
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(run_one(Path(args.one))))
        return 0

    paths = _resolve(args.notebooks) if args.notebooks else toc_notebooks(ROOT)
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} (timings grow with the load)\n")
    header = f"{'notebook':<34} {'wall s':>7} {'budget s':>8} {'peak MiB':>9} {'budget MiB':>10}  result"
    print(header)
    print("-" * len(header))
    failures = 0
    for path in paths:
        r = run_in_fresh_process(path)
        peak_mib = max(r["tree_rss"], r["kernel_maxrss"]) / 2**20
        budget = time_budget(path)
        problems = []
        if r["error"]:
            problems.append(r["error"])
        if not r["wall_s"] <= budget:
            problems.append("too slow")
        if peak_mib > MEMORY_BUDGET_MIB:
            problems.append("too much memory")
        failures += bool(problems)
        result = "ok" if not problems else "FAIL: " + "; ".join(problems)
        name = str(path.relative_to(ROOT))
        print(
            f"{name:<34} {r['wall_s']:>7.1f} {budget:>8.0f} {peak_mib:>9.0f} {MEMORY_BUDGET_MIB:>10.0f}  {result}"
        )
    if args.full_build:
        if (
            shutil.which("jupyter-book") is None
            and not Path(sys.executable).with_name("jupyter-book").exists()
        ):
            sys.exit("jupyter-book is not installed")
        seconds, code = time_full_build()
        ok = code == 0 and seconds <= BUILD_BUDGET_S
        failures += not ok
        status = "ok" if ok else ("FAIL: build failed" if code else "FAIL: too slow")
        print(f"\nclean full build: {seconds:.0f} s (budget {BUILD_BUDGET_S:.0f} s)  {status}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
