"""What several public operations share: levels and dtypes, binning, layouts,
method records, plans, targets and argument checks. Imports no numba."""
