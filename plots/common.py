"""Shared helpers for the plot scripts: read a run directory written by `sgdnoise run`."""
import csv
import json
import os

import matplotlib

matplotlib.use("Agg")  # headless: figures are files


def read_run(run_dir):
    """Returns (summary dict, series dict of column name -> list of floats or None)."""
    with open(os.path.join(run_dir, "summary.json")) as f:
        summary = json.load(f)
    cols = {}
    with open(os.path.join(run_dir, summary.get("series_file", "series.csv"))) as f:
        for row in csv.DictReader(f):
            for k, v in row.items():
                cols.setdefault(k, []).append(float(v) if v != "" else None)
    return summary, cols


def save(fig, out_png):
    """Writes the figure as PNG and PDF beside it, through temporary files."""
    os.makedirs(os.path.dirname(os.path.abspath(out_png)), exist_ok=True)
    base, _ = os.path.splitext(out_png)
    for ext in (".png", ".pdf"):
        tmp = base + ".tmp" + ext
        fig.savefig(tmp, dpi=150, bbox_inches="tight")
        os.replace(tmp, base + ext)
    return out_png
