#!/usr/bin/python3
"""Writes one notebook per paper from plots/figures.toml: for each of the paper's figures,
a sentence on what it shows and which claim it checks, and a cell that reads what
`sgdnoise figures` wrote (gallery.json, the run directories, NAME.json) and redraws it.
The notebooks never re-run a simulation. Rerun this script after editing the manifest:
    /usr/bin/python3 notebooks/make_notebooks.py
CI executes every notebook headless after `sgdnoise figures --quick` (.ci/notebooks)."""
import os
import tomllib

import nbformat

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# Notebook, the manifest's `paper` prefix, and the claims the paper's figures check
# (docs/theory.md sections; provenance tags there).
BOOKS = [
    ("foundations", "Foundations", "Foundations: quadratics and escape",
     "The exact moment recursions of docs/theory.md 1.4 and the 1-D first-passage theory that every other "
     "check builds on: simulation against exact prediction, with 5-sigma tolerances."),
    ("paper1_wu", "Paper 1", "Paper 1 -- Wu et al., On the Noisy Gradient Descent that Generalizes as SGD",
     "Claim (docs/theory.md 2.1-2.3): what matters for SGD-like generalization is the covariance of the noise, "
     "not its distribution class; multiplicative sampling noises with SGD's covariance behave like SGD."),
    ("paper2_wen", "Paper 2", "Paper 2 -- Wen et al., large-batch SGD with structured covariance noise",
     "Claim (docs/theory.md 3.1, 3.3): the structure of the noise covariance, not its variance (trace), decides "
     "the optimization behaviour; on a convex quadratic the one-step loss increase is 1/2 eta^2 Tr(HC)."),
    ("paper3_zhu", "Paper 3", "Paper 3 -- Zhu et al., The Anisotropic Noise in SGD",
     "Claim (docs/theory.md 4.1, 4.3): at equal trace, noise aligned with the Hessian (large Tr(HC)) escapes "
     "sharp minima faster; the indicator Tr(HC) orders the noises."),
    ("paper4_beneventano", "Paper 4", "Paper 4 -- Beneventano, On the Trajectories of SGD Without Replacement",
     "Claim (docs/theory.md 1.5, 5): sampling without replacement changes the mean trajectory when the per-sample "
     "Hessians differ; with replacement the mean iterate follows GD exactly on affine-gradient losses. And "
     "(docs/theory.md 5.3 item 3, qualitative): GD trains at the edge of stability, SGD is claimed not to."),
    ("paper5_gupta", "Paper 5", "Paper 5 -- Gupta, Inherent Noise in Gradient Based Methods",
     "Claim (docs/theory.md 1.6, 6): updating all weights simultaneously instead of sequentially costs a loss gap "
     "of about 1/2 eta^2 sum_{i != j} H_ij g_i g_j."),
]


def main():
    with open(os.path.join(ROOT, "plots", "figures.toml"), "rb") as f:
        figures = tomllib.load(f)["figure"]
    for stem, prefix, title, claim in BOOKS:
        mine = [fig for fig in figures if fig["paper"].startswith(prefix)]
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        cells = [nbformat.v4.new_markdown_cell(
            f"# {title}\n\n{claim}\n\nThis notebook reads what `sgdnoise figures` wrote (default `figures/`, or "
            "`$SGDNOISE_FIGURES`) and never re-runs a simulation. Build the figures first:\n\n"
            "```\n./build/sgdnoise figures --quick     # or without --quick for the full sizes\n```"),
            nbformat.v4.new_code_cell(
                "import os, sys\n%matplotlib inline\n"
                "sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath('')), 'plots'))\n"
                "import gallery\nprint('figures from', gallery.figures_dir())")]
        if not mine:
            cells.append(nbformat.v4.new_markdown_cell(
                "No figure of this paper is in the manifest yet (plots/figures.toml)."))
        for fig in mine:
            cells.append(nbformat.v4.new_markdown_cell(
                f"## {fig['title']}\n\n{fig['caption']}\n\nRebuild: `sgdnoise figures --only {fig['name']}`."))
            cells.append(nbformat.v4.new_code_cell(f"fig = gallery.show({fig['name']!r})"))
        # Cell ids from the notebook and the cell's position, not nbformat's random ones: the same
        # manifest writes the same bytes, so regenerating never touches an unchanged notebook.
        for i, cell in enumerate(cells):
            cell["id"] = f"{stem}-{i}"
        nb.cells = cells
        path = os.path.join(HERE, stem + ".ipynb")
        nbformat.write(nb, path)
        print(path, len(mine), "figures")


if __name__ == "__main__":
    main()
