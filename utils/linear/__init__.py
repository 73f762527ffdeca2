"""Deep linear networks: closed-form values (``closed_forms``, ``spectra``), the scale form and optimal weights
(``scale_form``), cvxpy programs and reference trainers (``solvers``), the low-rank bias (``low_rank``, ``ranks``)."""
