#!/usr/bin/python3
"""Writes paper2_regression.csv: a 2-D regression with correlated features (n = 64), so
that full-Fisher and diagonal-Fisher noise differ (docs/theory.md 3.2: paper 2's data are
unknown; these are ours). Columns: x1, x2, y. Deterministic (numpy seed 2)."""
import os

import numpy as np

rng = np.random.default_rng(2)
n = 64
c, s = np.cos(np.pi / 5), np.sin(np.pi / 5)
R = np.array([[c, -s], [s, c]])
X = rng.standard_normal((n, 2)) @ np.diag([2.0, 0.4]) @ R.T  # feature covariance R diag(4, 0.16) R^T
w = np.array([0.4, 0.6])
y = X @ w + 0.3 * rng.standard_normal(n)
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "paper2_regression.csv")
np.savetxt(out, np.column_stack([X, y]), delimiter=",", fmt="%.17g")
print(out)
