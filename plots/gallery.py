"""What the notebooks use to read what `sgdnoise figures` wrote, without re-running it.

figures_dir(): the output of `sgdnoise figures` ($SGDNOISE_FIGURES, default figures/).
show(name): the figure's status and check, the checks of every run directory its
  commands wrote (from their summary.json), and the figure redrawn from the numbers in
  NAME.json (every plotted series).
"""
import json
import os
import tomllib

import matplotlib.pyplot as plt

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def figures_dir():
    return os.environ.get("SGDNOISE_FIGURES", os.path.join(ROOT, "figures"))


def manifest():
    with open(os.path.join(ROOT, "plots", "figures.toml"), "rb") as f:
        return {fig["name"]: fig for fig in tomllib.load(f)["figure"]}


def run_dirs(name):
    """The run and sweep directories the figure's commands write (their --out)."""
    out = []
    for cmd in manifest()[name]["commands"]:
        if cmd[0] == "{sgdnoise}" and "--out" in cmd:
            out.append(cmd[cmd.index("--out") + 1].replace("{runs}", os.path.join(figures_dir(), "runs")))
    return out


def _num(v):
    return f"{v:.6g}" if isinstance(v, (int, float)) else str(v)


def checks_table(name):
    """One line per check of the figure's runs: run, result, step, measured, predicted, pass."""
    lines = []
    for d in run_dirs(name):
        for fname in ("summary.json", "sweep.json"):
            p = os.path.join(d, fname)
            if not os.path.exists(p):
                continue
            with open(p) as f:
                s = json.load(f)
            for c in s.get("checks", []):
                m, pred = c.get("measured", {}), c.get("prediction", {})
                lines.append(f"{os.path.basename(d):28s} {c['result']:>14s} k={c.get('k', '?'):<6} "
                             f"measured {_num(m.get('mean'))} +- {_num(m.get('se'))}  "
                             f"predicted {_num(pred.get('value', pred.get('status')))}  "
                             f"{'pass' if c.get('passed') else 'FAIL'}")
            for t in s.get("trends", []):
                lines.append(f"{os.path.basename(d):28s} trend {t.get('trend', '?')}: "
                             f"{'pass' if t.get('passed') else 'FAIL'} {t.get('reason', '')}")
    return lines


def redraw(name):
    """The figure drawn again from NAME.json: every line, bar and band per axes."""
    with open(os.path.join(figures_dir(), name + ".json")) as f:
        doc = json.load(f)
    axes_data = doc["axes"]
    fig, axes = plt.subplots(1, len(axes_data), figsize=(5 * len(axes_data), 3.8), squeeze=False)
    for ax, a in zip(axes[0], axes_data):
        for band in a.get("bands", []):
            for poly in band:
                xs = [p[0] for p in poly if None not in p]
                ys = [p[1] for p in poly if None not in p]
                ax.fill(xs, ys, alpha=0.2, lw=0)
        for line in a["lines"]:
            label = line["label"] if not line["label"].startswith("_") else None
            ax.plot(line["x"], line["y"], lw=1, label=label)
        for bar in a.get("bars", []):
            ax.bar(bar["x"], bar["height"], width=0.6, alpha=0.7)
        ax.set_title(a["title"], fontsize=8)
        ax.set_xlabel(a["xlabel"])
        ax.set_ylabel(a["ylabel"])
        for axis, scale in (("x", a.get("xscale", "linear")), ("y", a.get("yscale", "linear"))):
            try:
                getattr(ax, f"set_{axis}scale")(scale)
            except ValueError:
                pass
        if any(line["label"] and not line["label"].startswith("_") for line in a["lines"]):
            ax.legend(fontsize=6)
    fig.tight_layout()
    return fig, doc


def show(name):
    with open(os.path.join(figures_dir(), "gallery.json")) as f:
        entry = json.load(f)["figures"].get(name)
    if entry is None:
        print(f"{name}: not built yet (run: sgdnoise figures --only {name})")
        return None
    print(f"{entry['title']} -- {entry['paper']}")
    print(f"status: {entry['status']}" + (f" ({entry['reason']})" if entry.get("reason") else "")
          + f"; {entry['checks']} checks, built with: {entry['command']}")
    for line in checks_table(name):
        print("  " + line)
    fig, doc = redraw(name)
    if "check" in doc:
        print("figure check:", doc["check"])
    if "numbers" in doc:
        print("numbers:", json.dumps(doc["numbers"])[:1500])
    return fig
