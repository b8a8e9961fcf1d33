"""Shared helpers for the plot scripts: read a run directory written by `sgdnoise run`,
and save a figure as PNG, PDF and the JSON of the numbers behind it."""
import csv
import json
import math
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


def _finite(values):
    """Floats for JSON: non-finite values become None (JSON has no NaN)."""
    out = []
    for v in values:
        try:
            f = float(v)
        except (TypeError, ValueError):
            out.append(None)
            continue
        out.append(f if math.isfinite(f) else None)
    return out


def figure_numbers(fig):
    """Every plotted series of the figure: lines (x, y, label), bars, error-bar segments
    and filled bands, per axes with its title and axis labels."""
    from matplotlib.collections import LineCollection, PolyCollection
    from matplotlib.container import BarContainer

    axes = []
    for ax in fig.get_axes():
        entry = {"title": ax.get_title(), "xlabel": ax.get_xlabel(), "ylabel": ax.get_ylabel(),
                 "xscale": ax.get_xscale(), "yscale": ax.get_yscale(), "lines": [], "bars": [],
                 "errorbars": [], "bands": []}
        for line in ax.get_lines():
            x, y = line.get_xdata(), line.get_ydata()
            if len(x) == 0:
                continue
            entry["lines"].append({"label": str(line.get_label()), "x": _finite(x), "y": _finite(y)})
        for c in ax.containers:
            if isinstance(c, BarContainer):
                entry["bars"].append({"label": str(c.get_label()),
                                      "x": _finite(p.get_x() + p.get_width() / 2 for p in c.patches),
                                      "height": _finite(p.get_height() for p in c.patches)})
        for coll in ax.collections:
            if isinstance(coll, LineCollection):
                entry["errorbars"].append([[_finite(pt) for pt in seg] for seg in coll.get_segments()])
            elif isinstance(coll, PolyCollection):
                entry["bands"].append([[_finite(pt) for pt in path.vertices] for path in coll.get_paths()])
        axes.append(entry)
    return axes


def save(fig, out_png, numbers=None, check=None):
    """Writes the figure as PNG and PDF beside it, and NAME.json with the numbers behind
    it (every plotted series, plus `numbers` from the script) and the script's `check`
    ({"passed": bool, "reason": str}) where it makes one; all through temporary files."""
    os.makedirs(os.path.dirname(os.path.abspath(out_png)), exist_ok=True)
    base, _ = os.path.splitext(out_png)
    for ext in (".png", ".pdf"):
        tmp = base + ".tmp" + ext
        fig.savefig(tmp, dpi=150, bbox_inches="tight")
        os.replace(tmp, base + ext)
    doc = {"figure": os.path.basename(base), "axes": figure_numbers(fig)}
    if numbers is not None:
        doc["numbers"] = numbers
    if check is not None:
        doc["check"] = check
    tmp = base + ".tmp.json"
    with open(tmp, "w") as f:
        json.dump(doc, f, indent=1, allow_nan=False,
                  default=lambda o: o.item() if hasattr(o, "item") else str(o))
        f.write("\n")
    os.replace(tmp, base + ".json")
    return out_png


def sweep_args(doc):
    """The command line of a plot over one sweep: SWEEP_DIR --out FIGURE.png."""
    import argparse

    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("sweep")
    ap.add_argument("--out", required=True)
    return ap.parse_args()


def read_sweep(sweep_dir):
    """Returns (sweep.json dict, [(point dict, the point's summary.json dict), ...]) of a
    directory written by `sgdnoise sweep`, in the sweep's order."""
    with open(os.path.join(sweep_dir, "sweep.json")) as f:
        sw = json.load(f)
    points = []
    for p in sw["points"]:
        with open(os.path.join(sweep_dir, p["dir"], "summary.json")) as f:
            points.append((p, json.load(f)))
    return sw, points


def landscape(loss):
    """L(x) on arrays (..., d) for the scenario table of a double_well or polynomial loss (as in
    summary.json's "scenario"), for contour plots; None for other kinds."""
    import numpy as np

    kind = loss.get("kind")
    if kind == "double_well":
        dl, a, c = loss.get("barrier", 1.0), loss.get("a", 1.0), loss.get("tilt", 0.0)
        kappa = np.array(loss.get("transverse", []), dtype=float)

        def L(x):
            x = np.asarray(x, dtype=float)
            return (dl * (x[..., 0] ** 2 / a**2 - 1.0) ** 2 + c * x[..., 0]
                    + 0.5 * np.sum(kappa * x[..., 1:] ** 2, axis=-1))
        return L
    if kind == "polynomial":
        coef = np.array(loss["coefficients"], dtype=float)
        expo = np.array(loss["exponents"], dtype=float)

        def L(x):
            x = np.asarray(x, dtype=float)
            return sum(cm * np.prod(x ** em, axis=-1) for cm, em in zip(coef, expo))
        return L
    return None


def mark_path_ends(ax, path, legend_loc="best", start_color="C0"):
    """Marks a 2-D minimum-action path's minimum (first point) and saddle (last point) on `ax`,
    labels the axes theta_1, theta_2 and draws the legend."""
    ax.plot(*path[0], "o", color=start_color, label="minimum")
    ax.plot(*path[-1], "X", color="C1", ms=9, label="saddle")
    ax.set_xlabel("theta_1")
    ax.set_ylabel("theta_2")
    ax.legend(fontsize=7, loc=legend_loc)
