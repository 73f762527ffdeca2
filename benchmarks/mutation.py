"""Mutation score and time of the targeted mutants of ``tests/mutants.py``.

Run by hand from the repository root (``tests/test_mutation.py`` runs the same mutants in the test suite):

    .venv/bin/python benchmarks/mutation.py                      # every mutant, with its own tests
    .venv/bin/python benchmarks/mutation.py per_t_depth_off_by_one stairs_index_off_by_one   # some mutants
    .venv/bin/python benchmarks/mutation.py --baseline           # also run all their tests on the unmutated copy
    .venv/bin/python benchmarks/mutation.py --tests tests/test_stairs.py   # other tests than the listed ones

Each mutant runs in a fresh temporary copy of ``utils`` and ``tests``, sequentially (one pytest process at a
time, stopping at the first failure). Printed per mutant: killed or survived, pytest's exit code and the wall
time; then the score (killed / total) and the total time. ``--baseline`` first checks that the union of the
mutants' tests passes on an unmutated copy (so a kill is the mutation's doing). The exit status is 1 if a
mutant survives or the baseline fails. Timings depend on the machine's load: say how busy it was.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from mutants import MUTANTS, copy_project, run_mutant, run_tests  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="mutants to run (default: all)")
    parser.add_argument("--baseline", action="store_true", help="first run all their tests without a mutation")
    parser.add_argument("--tests", nargs="+", help="run these tests (pytest node ids) instead of the listed ones")
    args = parser.parse_args(argv)
    known = {m.name: m for m in MUTANTS}
    unknown = [n for n in args.names if n not in known]
    if unknown:
        parser.error(f"unknown mutants {unknown}; known: {sorted(known)}")
    chosen = [known[n] for n in args.names] if args.names else list(MUTANTS)
    if args.tests:
        chosen = [replace(m, tests=tuple(args.tests)) for m in chosen]
    ok = True
    if args.baseline:
        tests = sorted({t for m in chosen for t in m.tests})
        with tempfile.TemporaryDirectory() as tmp:
            run = run_tests(copy_project(Path(tmp)), tests)
        passed = run.exit_code == 0
        ok &= passed
        print(f"baseline ({len(tests)} test ids, unmutated copy): exit {run.exit_code} "
              f"({'passed' if passed else 'FAILED'}) in {run.seconds:.1f} s", flush=True)
        if not passed:
            print("\n".join(run.output.splitlines()[-30:]))
    killed, start = 0, time.perf_counter()
    for mutant in chosen:
        with tempfile.TemporaryDirectory() as tmp:
            run = run_mutant(mutant, Path(tmp))
        killed += run.killed
        print(f"{mutant.name:48s} {'killed  ' if run.killed else 'SURVIVED'} exit {run.exit_code} "
              f"({run.failed} failed, {run.collection_errors} collection errors) {run.seconds:5.1f} s   "
              f"{mutant.description}", flush=True)
        if not run.killed:
            print("    " + "\n    ".join(run.output.splitlines()[-8:]))
    total = time.perf_counter() - start
    print(f"\nmutation score: {killed}/{len(chosen)} killed; {total:.0f} s for the mutants "
          f"({total / max(len(chosen), 1):.1f} s each)")
    return 0 if ok and killed == len(chosen) else 1


if __name__ == "__main__":
    sys.exit(main())
