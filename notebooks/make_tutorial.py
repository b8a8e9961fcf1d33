#!/usr/bin/python3
"""Writes notebooks/tutorial.ipynb: a landscape defined in Python, GD and two noises of equal
trace on it, escape survival curves, and Tr(HC) against the escape rate. CI executes it
(.ci/figures); it takes well under a minute on 2 cores."""
import pathlib

import nbformat

CELLS = [
    ("md", """# sgdnoise tutorial: your own landscape, noise shape and escape

This notebook defines a landscape in Python, runs plain GD and SGD-like noise of two shapes
with **the same trace** on it, draws the escape survival curves, and compares the escape rate
with the indicator Tr(HC) (docs/theory.md; docs/python.md explains the module).
Everything runs through `import sgdnoise`, the C++ core underneath."""),
    ("code", """import numpy as np
import matplotlib.pyplot as plt
import sgdnoise
print("sgdnoise", sgdnoise.__version__)"""),
    ("md", """## 1. A landscape of our own

L(x, y) = (x² − 1)² + ½ κ y²: two wells at x = ±1 separated by a saddle at 0 with barrier
ΔL = 1, and a transverse curvature κ. The callables take the whole ensemble at once, an
(N, 2) array; the Hessian is optional (here exact), and the minima and saddle we name are
refined by Newton's method."""),
    ("code", """kappa = 2.0

def grad(X):
    x, y = X[:, 0], X[:, 1]
    return np.stack([4.0 * x * (x * x - 1.0), kappa * y], axis=1)

def value(X):
    x, y = X[:, 0], X[:, 1]
    return (x * x - 1.0) ** 2 + 0.5 * kappa * y * y

def hessian(X):
    H = np.zeros((len(X), 2, 2))
    H[:, 0, 0] = 12.0 * X[:, 0] ** 2 - 4.0
    H[:, 1, 1] = kappa
    return H

well = sgdnoise.Loss.from_python("tutorial_well", dim=2, grad=grad, value=value, hessian=hessian,
                                 minima=[[-1, 0], [1, 0]], saddles=[[0, 0]])
well"""),
    ("md", """## 2. GD and two noises of equal trace

Discrete dynamics θ ← θ − η∇L + ξ with Gaussian weight noise ξ of covariance Σ_step, from the
left minimum until x crosses the saddle (x > 0). Both noises have Tr Σ_step = 0.012: the
*aligned* one puts ¾ of it along x, the escape direction (where the curvature is 8), the
*transverse* one ¾ along y (curvature κ = 2). Escaped trajectories leave the batch."""),
    ("code", """def scenario(noise):
    return sgdnoise.Scenario.from_dict({
        "name": "tutorial",
        "seed": 11,
        "loss": well,
        "noise": noise,
        "dynamics": {"kind": "discrete", "eta": 0.01, "steps": 6000, "trajectories": 1000, "start": [-1.0, 0.0]},
        "observe": {"every": 20},
        "escape": {"region": "threshold", "coordinate": 0, "value": 0.0, "side": "above", "stop_escaped": True},
    })

noises = {
    "GD (no noise)": {"kind": "none"},
    "aligned (3/4 along x)": {"kind": "diagonal", "on": "weights", "variances": [0.009, 0.003]},
    "transverse (3/4 along y)": {"kind": "diagonal", "on": "weights", "variances": [0.003, 0.009]},
}
results = {label: sgdnoise.run(scenario(n), threads=2, progress=False) for label, n in noises.items()}
for label, r in results.items():
    e = r.escape
    print(f"{label:26s} escaped {e['counts']['escaped']:5d} / {e['counts']['n']}")"""),
    ("md", """## 3. Escape survival curves

Kaplan–Meier estimates of P(not escaped by step k), with their Greenwood standard errors,
from each run's summary."""),
    ("code", """fig, ax = plt.subplots(figsize=(6, 3.5))
for label, r in results.items():
    km = r.escape["kaplan_meier_steps"]
    k = np.array([0] + [row["k"] for row in km])
    s = np.array([1.0] + [row["survival"] for row in km])
    se = np.array([0.0] + [row["se"] for row in km])
    ax.step(k * 0.01, s, where="post", label=label)
    ax.fill_between(k * 0.01, s - 2 * se, s + 2 * se, step="post", alpha=0.2)
ax.set_xlabel("τ = kη"); ax.set_ylabel("survival"); ax.set_ylim(0, 1.05); ax.legend()
plt.show()"""),
    ("md", """## 4. Tr(HC) against the escape rate

At the minimum the indicator Tr(H Σ_step) weighs the noise by the curvature it meets. With
the same trace, the aligned noise puts its variance where the curvature (and the escape
direction) is: a larger Tr(HC) and a faster escape. In the escape direction the noise acts as
a temperature ε_x = Σ_xx / (2η), so Kramers' law predicts log rate ≈ −ΔL/ε_x + const."""),
    ("code", """rows = []
for label, r in results.items():
    if r.escape["counts"]["escaped"] == 0:
        continue
    rate = r.escape["rate_per_tau"]
    ind = r.summary["indicators"]
    rows.append((label, ind["trace_H_Sigma_step"], rate["value"], rate["se"]))
    print(f"{label:26s} Tr(H Sigma_step) = {ind['trace_H_Sigma_step']:.4f}   "
          f"rate = {rate['value']:.4g} ± {rate['se']:.2g} per unit τ")
fig, ax = plt.subplots(figsize=(5, 3.5))
for label, t, rate, se in rows:
    ax.errorbar(t, rate, yerr=2 * se, fmt="o", label=label)
ax.set_yscale("log"); ax.set_xlabel("Tr(H Σ_step) at the minimum"); ax.set_ylabel("escape rate per unit τ")
ax.legend(); plt.show()
(aligned, t_a, r_a, se_a), (transverse, t_t, r_t, se_t) = rows
z = (r_a - r_t) / np.hypot(se_a, se_t)
print(f"aligned escapes {r_a / r_t:.1f}x faster than transverse (z = {z:.1f}); Tr(HC) ratio {t_a / t_t:.2f}")
assert t_a > t_t and z > 5, "the noise along the escape direction must escape faster (5 standard errors)"
assert results["GD (no noise)"].escape["counts"]["escaped"] == 0, "GD never leaves the minimum"
"""),
]


def main():
    nb = nbformat.v4.new_notebook()
    cells = []
    for i, (kind, text) in enumerate(CELLS):
        c = nbformat.v4.new_markdown_cell(text) if kind == "md" else nbformat.v4.new_code_cell(text)
        c["id"] = f"tutorial-{i}"
        cells.append(c)
    nb["cells"] = cells
    nb["metadata"]["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = pathlib.Path(__file__).resolve().parent / "tutorial.ipynb"
    nbformat.write(nb, path)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
