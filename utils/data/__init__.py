"""Real data sets for the book's experiments: small regression sets that ship inside scikit-learn (no download at
run time), loaded and standardised by :mod:`utils.data.real`. scikit-learn is imported only when a data set is
loaded."""
