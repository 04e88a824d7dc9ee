"""Reading models nnsize did not build: one file per source, reading only, no formulas."""
