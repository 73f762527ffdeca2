"""Targeted mutants of the mathematics in ``utils`` and a dependency-free runner for them.

A mutant is a deliberate, plausible mistake: a lost factor, a wrong exponent, an index off by one, a missing
constraint. Each names the exact snippet it replaces (which must occur exactly once in its file, so the list
stays in sync with the code) and the fast tests that must catch it. :func:`run_mutant` copies the package and
the tests into a temporary folder, applies the mutation there (never in the repository) and runs those tests
with pytest in a subprocess that imports ``utils`` from the copy. The mutant is *killed* when pytest reports
failed tests (exit code 1) and every test file was collected (an import error is not a kill).
``tests/test_mutation.py`` runs every mutant; ``benchmarks/mutation.py`` prints the score and the time.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUN_TIMEOUT_S = 600

#: What is copied: the package, the tests and the pytest configuration.
COPIED = ("utils", "tests", "pyproject.toml")

#: The subprocess prints where it imported ``utils`` from, runs pytest with the given arguments, and prints
#: how many tests failed (in setup, call or teardown) and how many files failed to be collected.
_RUNNER = """
import sys
import utils
print("mutation-run utils: " + utils.__file__, flush=True)
import pytest

class Outcome:
    failed = collection_errors = 0

    def pytest_runtest_logreport(self, report):
        self.failed += report.failed

    def pytest_collectreport(self, report):
        self.collection_errors += report.failed

outcome = Outcome()
code = pytest.main(sys.argv[1:], plugins=[outcome])
print(f"mutation-run outcome: {outcome.failed} failed, {outcome.collection_errors} collection errors", flush=True)
sys.exit(code)
"""
_OUTCOME = re.compile(r"^mutation-run outcome: (\d+) failed, (\d+) collection errors$", re.MULTILINE)
_PYTEST_OPTIONS = ("-q", "-x", "--tb=line", "--no-header", "-p", "no:cacheprovider", "-m", "not slow and not book")


@dataclass(frozen=True)
class Mutant:
    """A targeted mutation of one file of ``utils``.

    Attributes
    ----------
    name : str
        Short identifier (the test id).
    path : str
        File, relative to the repository root (``utils/...``).
    original : str
        Exact snippet of the current code; must occur exactly once in ``path``.
    replacement : str
        What the mutant puts in its place.
    tests : tuple of str
        Pytest node ids (``tests/test_x.py::test_y``) or test files that must fail on the mutant.
    description : str
        The mistake, in one line.
    """

    name: str
    path: str
    original: str
    replacement: str
    tests: tuple[str, ...]
    description: str


@dataclass(frozen=True)
class MutantRun:
    """Outcome of :func:`run_tests`: pytest's exit code, failed tests and collection errors (-1 when the run
    ended before reporting them), where ``utils`` was imported from, the output and the wall time."""

    exit_code: int
    failed: int
    collection_errors: int
    utils_file: str
    output: str
    seconds: float

    @property
    def killed(self) -> bool:
        """Pytest reported failed tests (exit code 1), and every test file was collected."""
        return self.exit_code == 1 and self.failed > 0 and self.collection_errors == 0


class MutantOutOfSync(AssertionError):
    """The snippet of a mutant does not occur exactly once in its file (the code changed: update the mutant)."""


def apply_mutant(mutant: Mutant, root: Path) -> None:
    """Replace ``mutant.original`` by ``mutant.replacement`` in ``root / mutant.path``.

    Parameters
    ----------
    mutant : Mutant
    root : Path
        The copy to mutate (never the repository).

    Raises
    ------
    MutantOutOfSync
        If the snippet occurs zero times or more than once.
    """
    path = Path(root) / mutant.path
    text = path.read_text()
    count = text.count(mutant.original)
    if count != 1:
        raise MutantOutOfSync(
            f"mutant {mutant.name!r}: the snippet {mutant.original!r} occurs {count} times in {mutant.path} "
            "(expected exactly once): update tests/mutants.py to the current code"
        )
    path.write_text(text.replace(mutant.original, mutant.replacement))


def copy_project(destination: Path, source: Path = ROOT) -> Path:
    """Copy the package, the tests and ``pyproject.toml`` (``COPIED``) from ``source`` into ``destination``.

    Parameters
    ----------
    destination : Path
        Folder to copy into (created if missing).
    source : Path
        The repository root (default: this checkout).

    Returns
    -------
    Path
        ``destination``.
    """
    destination = Path(destination)
    destination.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".hypothesis", ".pytest_cache")
    for name in COPIED:
        src = Path(source) / name
        if src.is_dir():
            shutil.copytree(src, destination / name, ignore=ignore)
        else:
            shutil.copy2(src, destination / name)
    return destination


def run_tests(root: Path, tests, timeout: float = RUN_TIMEOUT_S) -> MutantRun:
    """Run pytest on ``tests`` in a subprocess that imports ``utils`` from ``root``.

    The copy comes first on ``PYTHONPATH`` and is the working directory, ahead of the editable install of the
    repository (which Python consults after ``sys.path``). Fast tests only, stopping at the first failure.

    Parameters
    ----------
    root : Path
        A copy made by :func:`copy_project`.
    tests : sequence of str
        Pytest node ids or files, relative to ``root``.
    timeout : float
        Seconds before the run is abandoned (``subprocess.TimeoutExpired``).

    Returns
    -------
    MutantRun
    """
    root = Path(root)
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_ADDOPTS"}  # the options are the runner's
    env["PYTHONPATH"] = os.pathsep.join([str(root), *filter(None, [env.get("PYTHONPATH")])])
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", _RUNNER, *_PYTEST_OPTIONS, *tests], cwd=root, env=env,
                          capture_output=True, text=True, timeout=timeout, check=False)
    output = proc.stdout + proc.stderr
    marker = [ln for ln in output.splitlines() if ln.startswith("mutation-run utils: ")]
    utils_file = marker[0].removeprefix("mutation-run utils: ") if marker else ""
    counts = _OUTCOME.search(output)
    failed, errors = (int(counts[1]), int(counts[2])) if counts else (-1, -1)
    return MutantRun(proc.returncode, failed, errors, utils_file, output, time.perf_counter() - start)


def run_mutant(mutant: Mutant, workdir: Path, timeout: float = RUN_TIMEOUT_S) -> MutantRun:
    """Copy the project into ``workdir``, apply ``mutant`` there and run its tests.

    Parameters
    ----------
    mutant : Mutant
    workdir : Path
        An empty temporary folder.
    timeout : float
        As in :func:`run_tests`.

    Returns
    -------
    MutantRun
        ``killed`` is True when the mutant's tests failed.

    Raises
    ------
    MutantOutOfSync
        If the mutant's snippet does not occur exactly once.
    """
    root = copy_project(workdir)
    apply_mutant(mutant, root)
    return run_tests(root, mutant.tests, timeout)


# ---------------------------------------------------------------------------------------------- the mutants
_SPECTRA = "utils/linear/spectra.py"
_SCALE = "utils/linear/scale_form.py"
_LOW_RANK = "utils/linear/low_rank.py"
_RANK_ONE = "utils/relu/rank_one.py"
_RELU3 = "utils/relu/parallel_three_layer.py"
_PARTITION = "utils/primer/partition.py"

_LINEAR = "tests/test_linear_closed_forms.py"
_TRAINED_L3 = f"{_LINEAR}::test_primal_value_matches_trained_standard_network[3]"
_SCALE_FORM = f"{_LINEAR}::test_scale_form_minimised_over_t_gives_the_values_and_the_optimal_scale"
_CVXPY_DUAL = f"{_LINEAR}::test_dual_value_at_scale_matches_cvxpy_and_the_certificate"
_FROM_DATA = f"{_LINEAR}::test_values_from_data_equal_values_from_singular_values"
_ROBUSTNESS = "tests/test_linear_robustness.py"
_TRAINED_RANK_ONE = "tests/test_rank_one.py::test_closed_form_primal_equals_best_trained_standard_network[0-opposite_signs]"
_REBUILT_RELU3 = "tests/test_relu3.py::test_rebuilt_network_interpolates_with_penalty_equal_to_value"
_TRAINED_TWO_LAYER = "tests/test_two_layer.py::test_convex_value_equals_best_trained_network"
_WEAK_DUALITY = "tests/test_partition.py::test_weak_duality_chain_on_random_instances"
_REFS = "tests/test_exercise_references.py"

MUTANTS: tuple[Mutant, ...] = (
    # ---- deep linear networks: closed forms, stairs, scale form (chapters 02-04)
    Mutant("primal_drops_L_over_2", _SPECTRA,
           "math.log(L / 2) + q * l1, 1.0 + _tail(x, q)", "q * l1, 1.0 + _tail(x, q)",
           (_TRAINED_L3,), "P_lin = sum sigma_i^(2/L) without the factor L/2"),
    Mutant("primal_exponent_1_over_L", _SPECTRA,
           "    q = 2.0 / L\n    if t is None:  # (L/2) sigma_1^q", "    q = 1.0 / L\n    if t is None:  # (L/2) sigma_1^q",
           (_TRAINED_L3,), "P_lin = (L/2) sum sigma_i^(1/L): exponent 1/L instead of 2/L"),
    Mutant("underflowing_ratio_dropped", _SPECTRA,
           "np.power(np.where(normal, ratio, 1.0), p), np.exp(p * log_ratio))",
           "np.power(np.where(normal, ratio, 1.0), p), 0.0)",
           ("tests/test_linear_robustness.py::test_singular_value_ratio_below_the_smallest_float_still_counts_at_large_depth",),
           "singular values whose ratio to sigma_1 underflows are dropped from sum sigma_i^(2/L)"),
    Mutant("dual_exponent_1_over_L", _SPECTRA,
           "math.log(L / 2) + 2.0 / L * log_nuc", "math.log(L / 2) + 1.0 / L * log_nuc",
           (_SCALE_FORM,), "D_lin = (L/2) ||A||_*^(1/L): exponent 1/L instead of 2/L"),
    Mutant("primal_returns_the_dual", "utils/linear/closed_forms.py",
           "return _primal(_sigma_of(X, Y), L, None)", "return _dual(_sigma_of(X, Y), L, None)",
           (_TRAINED_L3,), "deep_linear_primal_value returns the dual value (no gap anywhere)"),
    Mutant("primal_from_singular_values_returns_the_dual", _SPECTRA,
           "return _primal(_as_sigma(sigma), L, _scale(t))", "return _dual(_as_sigma(sigma), L, _scale(t))",
           (_FROM_DATA,), "primal_value_from_singular_values returns the dual value"),
    Mutant("per_t_depth_off_by_one", _SPECTRA,
           "return -(L - 2) * math.log(t)", "return -(L - 1) * math.log(t)",
           (_CVXPY_DUAL,), "values at scale t carry t^-(L-1) instead of t^-(L-2)"),
    Mutant("gap_without_the_2_over_L_power_of_the_dual", _SPECTRA,
           "bracket = T - math.expm1(q * math.log1p(S))", "bracket = T - math.expm1(math.log1p(S))",
           (_FROM_DATA,), "the gap subtracts (L/2) ||A||_* instead of (L/2) ||A||_*^(2/L)"),
    Mutant("gap_at_scale_t_without_the_scale_factor", _SPECTRA,
           "_log_expm1(u) + _log_scale(L, t)", "_log_expm1(u)",
           (f"{_ROBUSTNESS}::test_values_at_scales_far_from_one_match_high_precision",),
           "the gap at scale t loses its factor t^-(L-2)"),
    Mutant("range_check_tolerance_too_loose", "utils/linear/_linalg.py",
           "RANGE_RTOL = 1e-8", "RANGE_RTOL = 1e-3",
           (f"{_ROBUSTNESS}::test_labels_along_a_tiny_singular_direction_are_in_range_and_others_are_not",),
           "labels 1e-6 outside range(X) (relative) are accepted as interpolable"),
    Mutant("stairs_index_off_by_one", _SPECTRA,
           "p = 2.0 / np.arange(2, L + 1)", "p = 2.0 / np.arange(1, L)",
           (f"{_LINEAR}::test_stairs_step_matches_trained_partially_parallel_network[4-1]",),
           "step l of the stairs uses the Schatten-2/(l-1) norm (inner steps only: the ends are P and D)"),
    Mutant("stairs_drop_L_over_2", _SPECTRA,
           "logs = math.log(L / 2) + 2.0 / L * log_norms", "logs = 2.0 / L * log_norms",
           (f"{_REFS}::test_03_2_one_shared_layer_is_step_three_of_depth_five",),
           "the inner steps optimised over t lose the factor L/2"),
    Mutant("dual_certificate_scale_off_by_one", _SCALE,
           "factor = _exp(-(L - 2) * math.log(t)", "factor = _exp(-(L - 1) * math.log(t)",
           (_CVXPY_DUAL,), "the dual certificate is scaled by t^-(L-1) instead of t^-(L-2)"),
    Mutant("optimal_weights_root_1_over_L_minus_1", _SCALE,
           "root = np.exp(np.log(s) / L)", "root = np.exp(np.log(s) / (L - 1))",
           (f"{_LINEAR}::test_optimal_weights_interpolate_are_balanced_and_attain_the_primal_value[3-None]",),
           "the optimal layers carry S^(1/(L-1)) instead of S^(1/L)"),
    Mutant("optimal_scale_square_root", _SCALE,
           'if problem == "primal" else 1.0) / L)', 'if problem == "primal" else 1.0) / 2)',
           (_SCALE_FORM,), "the optimal scale is ||A||^(1/2) instead of ||A||^(1/L)"),
    Mutant("parallel_power_value_is_frobenius", "utils/linear/closed_forms.py",
           '_exp(_log_schatten(s, 1.0), "the nuclear norm")', '_exp(_log_schatten(s, 2.0), "the nuclear norm")',
           (f"{_LINEAR}::test_parallel_power_value_is_the_nuclear_norm_program",),
           "the parallel network's value is ||A||_F instead of ||A||_*"),
    Mutant("trainer_weight_decay_without_one_half", "utils/linear/_networks.py",
           "f += 0.5 * float(np.sum(V * V))\n                grads.append(V)",
           "f += float(np.sum(V * V))\n                grads.append(2.0 * V)",
           (_TRAINED_L3,), "the reference trainer minimises sum ||W_l||_F^2 instead of 1/2 sum ||W_l||_F^2"),
    # ---- the low-rank bias (chapter 05)
    Mutant("low_rank_penalty_without_one_half", _LOW_RANK,
           "beta * L / 2 * float(np.sum(s ** (2.0 / L)))", "beta * L * float(np.sum(s ** (2.0 / L)))",
           ("tests/test_low_rank.py::test_objectives_agree_at_a_balanced_factorisation",),
           "the direct problem charges beta L sum sigma_i^(2/L): the weight decay's 1/2 is lost"),
    Mutant("low_rank_prox_keeps_the_local_minimum", _LOW_RANK,
           "out[cand] = np.where(h_root < 0.5 * sc ** 2, x, 0.0)", "out[cand] = x",
           ("tests/test_low_rank.py::test_prox_matches_fine_grid_search[0.7-3]",),
           "the prox returns the interior stationary point without comparing it with x = 0"),
    Mutant("low_rank_prox_threshold", _LOW_RANK,
           "return (L - 1) / (L - 2) * (2.0 * c", "return L / (L - 2) * (2.0 * c",
           ("tests/test_low_rank.py::test_prox_jumps_at_the_threshold[3]",),
           "the prox threshold has the factor L/(L-2) instead of (L-1)/(L-2)"),
    # ---- ReLU networks (chapters 01, 06, 07)
    Mutant("two_layer_program_without_the_w_cone", "utils/relu/two_layer.py",
           "cones = [cp.multiply(S, X @ V) >= 0, cp.multiply(S, X @ W) >= 0]", "cones = [cp.multiply(S, X @ V) >= 0]",
           (_TRAINED_TWO_LAYER,), "the two-layer convex program drops the cone constraints of the w_i blocks"),
    Mutant("rank_one_primal_without_the_3_over_2_power", _RANK_ONE,
           "(abs(y1) ** (2 / 3) + abs(y2) ** (2 / 3)) ** 1.5 / T", "(abs(y1) ** (2 / 3) + abs(y2) ** (2 / 3)) / T",
           (_TRAINED_RANK_ONE,), "P(t) = (|y1|^(2/3) + |y2|^(2/3)) / T without the power 3/2"),
    Mutant("rank_one_full_problem_without_three_halves", _RANK_ONE,
           "return 1.5 * primal ** (2 / 3), 1.5 * dual ** (2 / 3)", "return primal ** (2 / 3), dual ** (2 / 3)",
           (_TRAINED_RANK_ONE,), "the values optimised over t are P(1)^(2/3), D(1)^(2/3) without the factor 3/2"),
    Mutant("rank_one_dual_multiplier_ignores_the_label_signs", _RANK_ONE,
           "lam += np.sign(yi) * part / (T * float(part @ part))", "lam += part / (T * float(part @ part))",
           ("tests/test_rank_one.py::test_dual_multiplier_is_feasible_and_attains_the_dual_value",),
           "the rank-one dual multiplier drops sign(y_i)"),
    Mutant("parallel_relu3_without_the_outer_cone", _RELU3,
           "constraints += cons + [cp.multiply(2.0 * o - 1.0, z) >= 0]", "constraints += cons",
           (f"{_REBUILT_RELU3}[3-0]",), "the parallel three-layer SOCP drops (2 D_o - I) z >= 0 (the outer ReLU)"),
    Mutant("parallel_relu3_value_not_rescaled", _RELU3,
           "value=value_n * ratio", "value=value_n",
           (f"{_REBUILT_RELU3}[5-3]",), "the SOCP's value on normalised data is returned without rescaling"),
    # ---- the duality primer (chapter 00)
    Mutant("eigenvalue_bound_drops_n", _PARTITION,
           "return float(W.shape[0] * np.linalg.eigvalsh(W)[0])", "return float(np.linalg.eigvalsh(W)[0])",
           (_WEAK_DUALITY,), "the eigenvalue bound is lambda_min(W) instead of n lambda_min(W)"),
    Mutant("partition_dual_multiplier_not_made_feasible", _PARTITION,
           "    if lam_min < 0:\n        nu_value = nu_value - lam_min\n", "",
           ("tests/test_partition.py::test_solver_multiplier_is_shifted_to_exact_feasibility",),
           "the solver's multiplier is returned without the shift that makes it exactly feasible"),
    # ---- exercise references (utils/course/checks)
    Mutant("exercise_02_2_wrong_depth", "utils/course/checks/ch02.py",
           "gap_from_singular_values(_SIGMA_02_2, 4)", "gap_from_singular_values(_SIGMA_02_2, 3)",
           (f"{_REFS}::test_02_2_gap_is_2_sum_of_square_roots_minus_2_sqrt6",),
           "exercise 02.2's reference uses L = 3 instead of L = 4"),
    Mutant("exercise_03_2_index_off_by_one", "utils/course/checks/ch03.py",
           "stairs_from_singular_values([2.0, 1.0, 0.5], 5)[1]", "stairs_from_singular_values([2.0, 1.0, 0.5], 5)[2]",
           (f"{_REFS}::test_03_2_one_shared_layer_is_step_three_of_depth_five",),
           "exercise 03.2's reference takes step l = 4 instead of l = 3 (one shared layer)"),
    Mutant("exercise_07_2_drops_three_halves", "utils/course/checks/ch07.py",
           "return 1.5 * value ** (2.0 / 3.0)", "return value ** (2.0 / 3.0)",
           (f"{_REFS}::test_07_2_dual_value_is_three_halves_of_the_parallel_value_to_the_two_thirds",),
           "exercise 07.2's reference is D(1)^(2/3) without the factor 3/2"),
)
