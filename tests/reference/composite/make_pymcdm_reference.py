"""Cross-check TOPSIS and entropy weights with pymcdm (an independent MCDA package).

Run from this folder: python make_pymcdm_reference.py  (needs pymcdm; writes pymcdm_reference.csv).
Input: r_reference_input.csv (made by make_r_reference.R).
"""

import importlib.metadata

import numpy as np
import pandas as pd
from pymcdm import normalizations, weights
from pymcdm.methods import TOPSIS

X = pd.read_csv("r_reference_input.csv")
types = np.array([1, 1, -1, 1, 1])
# pymcdm's entropy weights take proportions of the raw matrix: use the '+'-only columns
prop_cols = ["x1", "x2", "x4"]  # x5 has a zero, which pymcdm rejects
w_prop = weights.entropy_weights(X[prop_cols].to_numpy(dtype=float))
w_eq = np.full(5, 0.2)
vector = TOPSIS(normalization_function=normalizations.vector_normalization)
minmax = TOPSIS(normalization_function=normalizations.minmax_normalization)
out = pd.DataFrame({
    "closeness_vector_equal": vector(X.to_numpy(dtype=float), w_eq, types),
    "closeness_minmax_equal": minmax(X.to_numpy(dtype=float), w_eq, types),
})
out.to_csv("pymcdm_reference.csv", index=False, float_format="%.17g")
pd.DataFrame({"indicator": prop_cols, "weight_proportion": w_prop}).to_csv(
    "pymcdm_reference_entropy.csv", index=False, float_format="%.17g")
with open("pymcdm_version.txt", "w") as fh:
    fh.write(f"pymcdm {importlib.metadata.version('pymcdm')}\n")
