"""Chapter 00 and the duality toolkit appendix: the partition problem, its Lagrange dual, the eigenvalue bound and
the SDP relaxation (``partition``); dual norms, matrix games, Carathéodory, von Neumann's and Horn's inequalities
(``toolkit``); gauges, polars and support functions (``gauges``)."""
