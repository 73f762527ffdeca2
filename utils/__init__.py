"""Helper package of the book *Convex duality for deep neural networks*.

The subpackages follow the book's parts; every public name is importable from ``utils`` directly:

* :mod:`utils.primer` - the duality primer (the partition problem, its dual and the SDP relaxation);
* :mod:`utils.linear` - deep linear networks: closed-form primal and dual values, the stairs, the scale form and
  optimal weights, cvxpy programs and reference trainers, the low-rank bias of depth;
* :mod:`utils.relu` - ReLU networks: hyperplane arrangements, the exact two-layer convex program and trainers,
  three-layer networks on rank-one data, the parallel three-layer program, deep trainers, column generation;
* :mod:`utils.data` - real data sets bundled with scikit-learn, loaded and standardised (the real-data chapter);
* :mod:`utils.figures` - the book's one figure style and renderer, static figures, widgets and in-browser figures;
* :mod:`utils.course` - automatic exercise checks, the student edition, the table of contents.

The mathematics subpackages (``primer``, ``linear``, ``relu``, ``data``) never import ``figures`` or ``course``.
Names are loaded lazily (PEP 562): ``from utils import check_exercise`` imports no solver or plotting library.
"""

from __future__ import annotations

import importlib

__version__ = "0.2.0"

#: Marks this package as the book's own ``utils`` (a local ``utils.py`` or folder can shadow it; the
#: notebooks' setup cell and :func:`check_exercise` test for this marker).
__book__ = "convex-duality-deep-networks"

#: Public name -> the module (relative to ``utils``) that defines it.
_EXPORTS: dict[str, str] = {
    # errors
    "SolverError": "errors",
    # primer.partition
    "PARTITION_MAX_BRUTE_FORCE_N": "primer.partition",
    "PartitionBounds": "primer.partition",
    "partition_problem_instance": "primer.partition",
    "partition_frustrated_instance": "primer.partition",
    "partition_objective": "primer.partition",
    "partition_objective_values": "primer.partition",
    "partition_brute_force": "primer.partition",
    "partition_dual_function": "primer.partition",
    "partition_eigenvalue_bound": "primer.partition",
    "partition_dual_value": "primer.partition",
    "partition_sdp_relaxation": "primer.partition",
    "partition_randomized_rounding": "primer.partition",
    "partition_bounds": "primer.partition",
    # primer.toolkit, primer.gauges (the duality toolkit appendix)
    "dual_norm": "primer.toolkit",
    "norm_dual_step": "primer.toolkit",
    "game_min_max": "primer.toolkit",
    "game_max_min": "primer.toolkit",
    "convex_combination_lp": "primer.toolkit",
    "caratheodory_reduce": "primer.toolkit",
    "von_neumann_bound": "primer.toolkit",
    "horn_partial_products": "primer.toolkit",
    "schatten_holder_sides": "primer.toolkit",
    "gauge_lp": "primer.gauges",
    "polar_vertices": "primer.gauges",
    "support_function": "primer.gauges",
    "atomic_norm_lp": "primer.gauges",
    "atomic_dual_norm": "primer.gauges",
    # linear.closed_forms
    "schatten_norm": "linear.closed_forms",
    "min_norm_target": "linear.closed_forms",
    "target_singular_values": "linear.closed_forms",
    "deep_linear_primal_value": "linear.closed_forms",
    "deep_linear_dual_value": "linear.closed_forms",
    "deep_linear_gap": "linear.closed_forms",
    "duality_gap_stairs": "linear.closed_forms",
    "parallel_linear_value": "linear.closed_forms",
    # linear.spectra
    "primal_value_from_singular_values": "linear.spectra",
    "dual_value_from_singular_values": "linear.spectra",
    "gap_from_singular_values": "linear.spectra",
    "stairs_from_singular_values": "linear.spectra",
    "parallel_value_from_singular_values": "linear.spectra",
    "decaying_spectrum": "linear.spectra",
    # linear.scale_form
    "deep_linear_primal_value_at_scale": "linear.scale_form",
    "deep_linear_dual_value_at_scale": "linear.scale_form",
    "optimal_scale": "linear.scale_form",
    "deep_linear_dual_certificate": "linear.scale_form",
    "deep_linear_optimal_weights": "linear.scale_form",
    # linear.solvers
    "DeepLinearFit": "linear.solvers",
    "train_deep_linear": "linear.solvers",
    "deep_linear_dual_cvxpy": "linear.solvers",
    "nuclear_norm_min_cvxpy": "linear.solvers",
    # linear.low_rank
    "LowRankFit": "linear.low_rank",
    "schatten_power_prox": "linear.low_rank",
    "schatten_prox_threshold": "linear.low_rank",
    "schatten_penalised_objective": "linear.low_rank",
    "factorised_objective": "linear.low_rank",
    "solve_schatten_penalised": "linear.low_rank",
    "train_factorised_linear": "linear.factorised",
    # linear.ranks
    "numerical_rank": "linear.ranks",
    "effective_rank": "linear.ranks",
    "ranks_from_singular_values": "linear.ranks",
    "low_rank_path": "linear.ranks",
    # relu.arrangements
    "hyperplane_patterns": "relu.arrangements",
    "arrangement_cells_2d": "relu.arrangements",
    "relu_max_correlation": "relu.arrangements",
    # relu.two_layer
    "relu_gauge_constraints": "relu.two_layer",
    "two_layer_relu_convex": "relu.two_layer",
    "TwoLayerConvexResult": "relu.two_layer",
    "TwoLayerReluPath": "relu.two_layer",
    "gauge_relu_features": "relu.two_layer",
    # relu.gauge
    "SampledReluGauge": "relu.gauge",
    "relu_feature_samples": "relu.gauge",
    "sampled_relu_gauge": "relu.gauge",
    "relu_gauge_polygons": "relu.gauge",
    # relu.two_layer_training
    "two_layer_forward": "relu.two_layer_training",
    "two_layer_weight_decay_objective": "relu.two_layer_training",
    "two_layer_weight_cost": "relu.two_layer_training",
    "train_two_layer_weight_decay": "relu.two_layer_training",
    "train_two_layer_min_norm": "relu.two_layer_training",
    "TwoLayerTrainingResult": "relu.two_layer_training",
    # relu.rank_one
    "rank_one_data": "relu.rank_one",
    "rank_one_labels": "relu.rank_one",
    "rank_one_relu3_values": "relu.rank_one",
    "rank_one_relu3_network": "relu.rank_one",
    "rank_one_dual_multiplier": "relu.rank_one",
    # relu.parallel_three_layer
    "MAX_SAMPLES_RELU3": "relu.parallel_three_layer",
    "ParallelRelu3Result": "relu.parallel_three_layer",
    "parallel_relu3_value": "relu.parallel_three_layer",
    # relu.deep_training
    "ReluFit": "relu.deep_training",
    "relu_network_forward": "relu.deep_training",
    "relu_network_penalty": "relu.deep_training",
    "relu_network_penalty_and_grad": "relu.deep_training",
    "relu_network_residual_and_vjp": "relu.deep_training",
    "random_relu_network": "relu.deep_training",
    "train_relu_network": "relu.deep_training",
    # relu.column_generation
    "ColumnGenerationResult": "relu.column_generation",
    "column_generation_parallel_relu": "relu.column_generation",
    "group_lasso_master": "relu.column_generation",
    # figures.render
    "figure_png": "figures.render",
    "canvas_png": "figures.render",
    "slider_figure_widget": "figures.render",
    # figures.stairs
    "plot_stairs": "figures.stairs",
    "plot_stairs_comparison": "figures.stairs",
    "stairs_values_from_axes": "figures.stairs",
    "stairs_explorer": "figures.stairs",
    "StairsExplorer": "figures.stairs",
    # figures.low_rank
    "plot_low_rank_spectra": "figures.low_rank",
    "plot_rank_versus_depth": "figures.low_rank",
    "low_rank_explorer": "figures.low_rank",
    "LowRankExplorer": "figures.low_rank",
    "low_rank_figure_interactive": "figures.low_rank",
    # figures.network
    "draw_network_architecture": "figures.network",
    # figures.interactive
    "InteractiveFigure": "figures.interactive",
    "stairs_figure_interactive": "figures.interactive",
    "gap_versus_depth_interactive": "figures.interactive",
    "training_runs_interactive": "figures.interactive",
    "precomputed_figure": "figures.precomputed",
    "show_interactive": "figures.interactive_html",
    "interactive_html": "figures.interactive_html",
    "interactive_grid": "figures.interactive_html",
    # course.checks
    "check_exercise": "course.checks",
    "registered_exercises": "course.checks",
    # course.toc
    "toc_docnames": "course.toc",
    "toc_notebooks": "course.toc",
    # course.student_edition
    "write_student_edition": "course.student_edition",
    "make_student_notebook": "course.student_notebook",
    # figures.primer
    "draw_partition_gap_curve": "figures.primer",
    "draw_partition_values": "figures.primer",
    "plot_partition_gap_path": "figures.primer",
    "partition_gap_widget": "figures.primer",
    # figures.toolkit
    "plot_gauge_polar": "figures.toolkit",
    # figures.primer (kernel-free twin of the partition widget)
    "partition_gap_figure": "figures.primer",
    # figures.norm_dual
    "plot_norm_dual_step": "figures.norm_dual",
    # figures.two_layer
    "plot_weight_decay_fits": "figures.two_layer",
    "weight_decay_fit_widget": "figures.two_layer",
    "weight_decay_fit_figure": "figures.two_layer",
    # figures.gauge
    "relu_gauge_figure": "figures.gauge",
    # data.real
    "REAL_DATASETS": "data.real",
    "RealDataset": "data.real",
    "standardise": "data.real",
    "load_real_dataset": "data.real",
    # relu._reduced
    "two_layer_relu_convex_reduced": "relu._reduced",
    # relu.practical_training
    "PracticalTrainingResult": "relu.practical_training",
    "train_two_layer_practical": "relu.practical_training",
    "ReluDualCertificate": "relu.practical_training",
    "relu_weight_decay_certificate": "relu.practical_training",
    # linear.practical
    "LinearOptimum": "linear.practical",
    "deep_linear_weight_decay_optimum": "linear.practical",
    "parallel_linear_power_optimum": "linear.practical",
    "LinearTrainingResult": "linear.practical",
    "train_linear_network": "linear.practical",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    try:
        module = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module 'utils' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
