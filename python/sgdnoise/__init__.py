"""sgdnoise from Python: scenarios, runs and user-defined losses over the C++ core.

    import sgdnoise
    sc = sgdnoise.Scenario.from_file("scenarios/double_well_escape.toml").set("dynamics.eta", 0.05)
    r = sgdnoise.run(sc, threads=2, seed=1)
    r.tau, r["dist2"], r.se("dist2"), r.summary["escape"], r.final_states

A loss of your own is a batched gradient, X of shape (N, d) to (N, d):

    well = sgdnoise.Loss.from_python("my_well", dim=1, grad=lambda X: 4 * X * (X**2 - 1),
                                     value=lambda X: ((X**2 - 1)**2)[:, 0])
    sc = sgdnoise.Scenario.from_dict({"name": "w", "loss": well, "dynamics": {...}})

docs/python.md is the guide; every scenario key is documented in docs/scenarios.md.
"""
import json
import os
import sys
import tomllib

from . import _sgdnoise
from ._toml import dumps as _dumps, literal as _literal
from .errors import InputError, LossError, OutputError

__version__ = _sgdnoise.__version__
__all__ = ["Scenario", "Loss", "Result", "run", "check", "sweep", "indicators", "predict", "fokker_planck", "kinds",
           "InputError",
           "OutputError", "LossError"]


def kinds():
    """The registered loss, noise and dynamics kinds, as lists of names."""
    return _sgdnoise.kinds()


class Loss:
    """A loss written in Python (scenario kind "python"). Build it with Loss.from_python."""

    def __init__(self, name, dim):
        self.name, self.dim = name, dim

    @classmethod
    def from_python(cls, name, dim, grad, value=None, hessian=None, minima=(), saddles=(), minimizer=None,
                    n_samples=0, sample_grad=None):
        """Defines the loss `name` of dimension `dim` in this process.

        grad(X) -> (N, d): the gradient at each row of X (N, d). Required.
        value(X) -> (N,): the loss (optional; without it there is no `loss` observable).
        hessian(X) -> (N, d, d) (optional; without it the Hessian is the central difference
            of grad, with error O(h^2), h ~ 6e-6 max(1, |theta|)).
        minima, saddles: approximate locations of minima and index-1 saddles, refined by
            Newton's method; they make basin escape regions and Kramers/Eyring-Kramers
            predictions available, as for the built-in landscapes.
        minimizer: a known global minimizer (the centre of `dist2`).
        n_samples, sample_grad: a finite sum L = (1/n) sum_i l_i: sample_grad(X, idx) with idx
            an (N, b) int64 array of sample indices returns (N, b, d), the gradients of
            l_idx[t, j] at X[t]. With them the sampling noises (sgd, multiplicative, ...) apply.

        The callables are called with the whole block of live trajectories at once, on one
        thread; a run's results do not depend on `threads`. An exception, a wrong shape or a
        NaN at a finite point stops the run and is raised from run().
        """
        def points(v, key):
            out = []
            for p in v:
                p = [float(x) for x in (p.tolist() if hasattr(p, "tolist") else p)]
                if len(p) != dim:
                    raise InputError(f"Loss.from_python(name={name!r}): key '{key}': a point has {len(p)} "
                                     f"coordinates, not dim = {dim}", f"Loss.from_python(name={name!r})", key,
                                     f"a point has {len(p)} coordinates, not dim = {dim}")
                out.append(p)
            return out

        if not isinstance(dim, int) or isinstance(dim, bool):
            raise InputError(f"Loss.from_python(name={name!r}): key 'dim': must be an integer",
                             f"Loss.from_python(name={name!r})", "dim", "must be an integer")
        mz = None if minimizer is None else points([minimizer], "minimizer")[0]
        _sgdnoise.define_loss(str(name), dim, grad, value, hessian, points(minima, "minima"),
                              points(saddles, "saddles"), mz, int(n_samples), sample_grad)
        return cls(str(name), dim)

    def table(self):
        """The scenario's [loss] table that names this loss."""
        return {"kind": "python", "name": self.name, "dim": self.dim}

    def __repr__(self):
        return f"sgdnoise.Loss(name={self.name!r}, dim={self.dim})"


def _expand_losses(d):
    d = dict(d)
    loss = d.get("loss")
    if isinstance(loss, Loss):
        d["loss"] = loss.table()
    elif isinstance(loss, dict) and isinstance(loss.get("kind"), Loss):
        rest = {k: v for k, v in loss.items() if k != "kind"}
        d["loss"] = {**loss["kind"].table(), **rest}
    return d


class Scenario:
    """A validated scenario: the same schema, defaults and errors as the CLI's.

    Build one with from_file, from_toml or from_dict; override keys with set(). Invalid
    input raises sgdnoise.InputError naming the source, the key and the reason."""

    def __init__(self, text, file, sets=()):
        self._source, self._file, self._sets = text, file, list(sets)
        self._text = _sgdnoise.normalize(text, file, self._sets)

    @classmethod
    def from_file(cls, path):
        path = os.fspath(path)
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except OSError as e:
            raise InputError(f"{path}: cannot read the scenario: {e.strerror}", path, "", e.strerror) from None
        return cls(text, path)

    @classmethod
    def from_toml(cls, text, name="<toml>"):
        return cls(text, name)

    @classmethod
    def from_dict(cls, d, name="<dict>"):
        """From a dict of the scenario's tables ({"name": ..., "loss": {...}, "dynamics": {...}});
        a Loss object may stand for the [loss] table or for its kind."""
        try:
            text = _dumps(_expand_losses(d))
        except TypeError as e:
            raise InputError(f"{name}: {e}", name, "", str(e)) from None
        return cls(text, name)

    def set(self, key, value):
        """Overrides `key` (a dotted path such as "dynamics.eta") and validates; returns self."""
        if isinstance(value, (Loss, dict)):
            # A whole table (a Loss stands for the [loss] table): it replaces the old one, whose
            # keys may not belong to the new kind.
            d = self.to_dict()
            *path, last = key.split(".")
            node = d
            for part in path:
                node = node.setdefault(part, {})
            node[last] = value.table() if isinstance(value, Loss) else value
            text = _dumps(_expand_losses(d))
            self._text = _sgdnoise.normalize(text, self._file, [])
            self._source, self._sets = text, []
            return self
        assignment = f"{key}={_literal(value)}"
        self._text = _sgdnoise.normalize(self._source, self._file, self._sets + [assignment])
        self._sets.append(assignment)
        return self

    def copy(self):
        return Scenario(self._source, self._file, self._sets)

    @property
    def toml(self):
        """The validated scenario as TOML, defaults filled in."""
        return self._text

    @property
    def file(self):
        return self._file

    def to_dict(self):
        return tomllib.loads(self._text)

    def __getitem__(self, key):
        node = self.to_dict()
        for part in key.split("."):
            node = node[int(part)] if isinstance(node, list) else node[part]
        return node

    @property
    def name(self):
        return self["name"]

    def __repr__(self):
        return f"sgdnoise.Scenario({self.name!r}, file={self._file!r})"


class Result:
    """What a run gives: the series (k, tau and every observable with its standard error),
    the summary (the dict summary.json holds), the checks, the escape statistics and the
    final states (N, d)."""

    def __init__(self, raw):
        self._raw = raw
        self.summary = json.loads(raw["summary"])
        s = raw["series"]
        self.k, self.tau, self.n_alive = s["k"], s["tau"], s["n_alive"]
        self.series = {name: mean for name, (mean, se) in s["values"].items()}
        self._se = {name: se for name, (mean, se) in s["values"].items()}
        self.final_states = raw["final_states"]
        arrays = raw["arrays"]
        #: paths.npz of the run: k, tau, ids and theta (steps, ids, d); None without [observe] paths.
        self.paths = arrays.get("paths")
        d = arrays.get("distributions", {})
        #: per observable, the (steps, quantiles) array; probabilities in self.probabilities.
        self.quantiles = {n[len("quantiles_"):]: v for n, v in d.items() if n.startswith("quantiles_")}
        #: per observable, the (steps, bins + 2) counts: the bins, then below and above the range.
        self.histograms = {n[len("histogram_"):]: v for n, v in d.items() if n.startswith("histogram_")}
        self.probabilities, self.edges = d.get("probabilities"), d.get("edges")
        self.dir = raw["dir"]
        self.interrupted = bool(raw["interrupted"])
        self.resumable = bool(raw["resumable"])
        self.status = ("completed", "diverged", "interrupted")[raw["status"]]
        self.failure = raw["failure"]

    def __getitem__(self, name):
        """The mean of an observable along the series."""
        try:
            return self.series[name]
        except KeyError:
            raise KeyError(f"no observable {name!r}; this run has {sorted(self.series)}") from None

    def se(self, name):
        """The standard error of an observable's mean along the series."""
        return self._se[name]

    @property
    def names(self):
        return list(self.series)

    @property
    def checks(self):
        return self.summary.get("checks", [])

    @property
    def passed(self):
        """True when every check passed (and the run completed)."""
        return bool(self._raw["all_checks_passed"]) and self.status == "completed"

    @property
    def escape(self):
        return self.summary.get("escape")

    def __repr__(self):
        return (f"sgdnoise.Result({self.summary.get('scenario', {}).get('name', '?')!r}, status={self.status!r}, "
                f"steps={int(self.k[-1]) if len(self.k) else 0}, observables={self.names})")


def _progress(progress, name):
    """A progress callback: a tqdm bar when tqdm is installed, else a line on stderr."""
    if progress is False or progress is None and not (sys.stderr.isatty() or "ipykernel" in sys.modules):
        return None
    if callable(progress) and progress is not True:
        return progress
    try:
        if "ipykernel" in sys.modules:
            from tqdm.auto import tqdm
        else:
            from tqdm import tqdm
        bar = {}

        def update(k, steps):
            if "b" not in bar:
                bar["b"] = tqdm(total=steps, desc=name, unit="step", leave=True)
            bar["b"].update(k - bar["b"].n)
            if k >= steps:
                bar["b"].close()

        return update
    except ImportError:
        def line(k, steps):
            sys.stderr.write(f"\r{name}: step {k}/{steps}")
            if k >= steps:
                sys.stderr.write("\n")

        return line


def run(scenario=None, threads=1, seed=None, out=None, force=False, resume=False, save_states=False,
        progress=None, checkpoint_every=60.0, memory_limit_gb=None):
    """Runs a scenario and returns a Result.

    threads: OpenMP threads (results are identical for any number). seed: overrides the
    scenario's. out: a run directory to write as `sgdnoise run --out` does (summary.json,
    series.csv, final_states.npy with save_states); force replaces an earlier one; resume
    continues the checkpoint an interrupted run left in `out` (scenario and seed then come
    from the checkpoint). progress: None (a bar in notebooks and terminals), False, True or
    a callable f(k, steps). Ctrl-C stops the run after its next observation, leaves a
    resumable checkpoint in `out`, and raises KeyboardInterrupt.
    """
    if resume:
        if out is None:
            raise InputError("run(resume=True): key 'out': the run directory to resume is required", "run", "out",
                             "the run directory to resume is required")
        if scenario is not None or seed is not None:
            raise InputError("run(resume=True): a resumed run continues its checkpointed scenario: give neither "
                             "scenario nor seed", "run", "scenario", "not allowed with resume")
        text, file, name = "", "", os.fspath(out)
    else:
        if not isinstance(scenario, Scenario):
            if isinstance(scenario, (str, os.PathLike)):
                scenario = Scenario.from_file(scenario)
            elif isinstance(scenario, dict):
                scenario = Scenario.from_dict(scenario)
            else:
                raise TypeError("run() takes a Scenario, a scenario file's path or a dict")
        text = scenario.toml if seed is None else _sgdnoise.normalize(scenario.toml, scenario.file, [], int(seed))
        file, name = scenario.file, scenario.name
    limit = -1.0 if memory_limit_gb is None else float(memory_limit_gb) * 1e9
    command = f"python: sgdnoise.run({name!r}, threads={threads}, seed={seed})"
    raw = _sgdnoise.run(text, file, int(threads), limit, None if out is None else os.fspath(out), bool(force),
                        bool(resume), bool(save_states), float(checkpoint_every), _progress(progress, name), command)
    result = Result(raw)
    if result.interrupted:
        where = (f"; the checkpoint is in {os.fspath(out)}.partial: continue with "
                 f"sgdnoise.run(out={os.fspath(out)!r}, resume=True)") if result.resumable else ""
        raise KeyboardInterrupt(f"sgdnoise: run interrupted at step {int(result.k[-1])}{where}")
    return result


def check(scenario, threads=1, seed=None):
    """Runs a scenario and returns its checks (a list of dicts); see Result.checks."""
    return run(scenario, threads=threads, seed=seed, progress=False).checks


def _as_scenario(scenario):
    if isinstance(scenario, Scenario):
        return scenario
    if isinstance(scenario, (str, os.PathLike)):
        return Scenario.from_file(scenario)
    if isinstance(scenario, dict):
        return Scenario.from_dict(scenario)
    raise TypeError("expected a Scenario, a scenario file's path or a dict")


def indicators(scenario, at="start", top_k=3, slq_probes=16, slq_steps=30):
    """The indicators at one point, as `sgdnoise indicators` reports them: Tr(HC), the
    Frobenius norms, Hessian and noise spectra (top/bottom top_k), SLQ estimates. `at` is
    "start", "minimum" or a point (a sequence of d numbers)."""
    sc = _as_scenario(scenario)
    if not isinstance(at, str):
        at = ",".join(repr(float(x)) for x in (at.tolist() if hasattr(at, "tolist") else at))
    return _sgdnoise.indicators(sc.toml, sc.file, at, int(top_k), int(slq_probes), int(slq_steps))


def predict(scenario, result, k=None, which="exact"):
    """The exact prediction of `result` (an observable such as "loss", "dist2", "cov_trace")
    at step k (default: the run's last step) for the scenario's scheme: which = "exact",
    "discrete" or "continuous". Returns a dict: available, value, allowance, source, reason."""
    sc = _as_scenario(scenario)
    k = sc["dynamics.steps"] if k is None else int(k)
    return _sgdnoise.predict(sc.toml, sc.file, str(result), k, str(which))


class SweepResult:
    """A sweep's table (sweep.json: the points with their columns, the trends) and, per point,
    its summary."""

    def __init__(self, table, summaries, code, directory):
        self.table, self.summaries, self.code, self.dir = table, summaries, code, directory
        self.points = table.get("points", [])

    @property
    def passed(self):
        return self.code == 0

    def column(self, name):
        """One column of the table, in point order (None where a point lacks it)."""
        return [p.get("columns", {}).get(name) for p in self.points]

    def __repr__(self):
        return f"sgdnoise.SweepResult({len(self.points)} points, exit {self.code})"


def sweep(scenario, grid=None, points=None, trends=(), out=None, threads=1, seed=None, seeds="shared", force=False,
          save_states=False, allow_large=False, resume=False):
    """Runs a sweep as `sgdnoise sweep` does and returns a SweepResult.

    Ctrl-C stops the running points after their next observation and raises KeyboardInterrupt;
    with `out` given, the finished points and the running ones' checkpoints stay in OUT.partial,
    and the same call with resume=True continues it (refused if the plan changed) and ends as an
    uninterrupted sweep would, bit for bit.

    grid: {"dynamics.eta": [0.1, 0.05], ...} (crossed, the first key slowest); points: a list
    of {"label": ..., "key": value, ...} rows (the list file's lines); trends: "METRIC: A,B < C".
    seeds: "shared" (every point the scenario's seed) or "independent" (each its own, from the
    sweep's seed and the point's label). out: the sweep directory (default: a temporary one,
    removed after reading)."""
    import shutil
    import tempfile

    sc = _as_scenario(scenario)
    tmp = tempfile.mkdtemp(prefix="sgdnoise-sweep-")
    try:
        # The scenario as validated, in a file beside which relative data paths still resolve.
        base = os.path.dirname(os.path.abspath(sc.file)) if os.path.exists(sc.file) else tmp
        scenario_file = os.path.join(base if os.access(base, os.W_OK) else tmp, f".sgdnoise-sweep-{os.getpid()}.toml")
        with open(scenario_file, "w", encoding="utf-8") as f:
            f.write(sc.toml)
        grid_specs = [f"{k}=" + ",".join(_literal(v).strip('"') if isinstance(v, str) else _literal(v) for v in vals)
                      for k, vals in (grid or {}).items()]
        list_file = ""
        if points:
            list_file = os.path.join(tmp, "points.txt")
            with open(list_file, "w", encoding="utf-8") as f:
                for p in points:
                    p = dict(p)
                    label = p.pop("label", None)
                    f.write((f"{label}: " if label else "") + " ".join(f"{k}={_literal(v)}" for k, v in p.items()) + "\n")
        directory = os.fspath(out) if out is not None else os.path.join(tmp, "sweep")
        code = _sgdnoise.sweep(scenario_file, [], grid_specs, list_file, list(trends), directory, int(threads),
                               None if seed is None else int(seed), bool(force), bool(resume), bool(save_states),
                               seeds == "independent", bool(allow_large), f"python: sgdnoise.sweep({sc.name!r})")
        with open(os.path.join(directory, "sweep.json"), encoding="utf-8") as f:
            table = json.load(f)
        summaries = []
        for p in table.get("points", []):
            path = os.path.join(directory, p.get("dir", ""), "summary.json")
            summaries.append(json.load(open(path, encoding="utf-8")) if os.path.exists(path) else None)
        return SweepResult(table, summaries, code, os.fspath(out) if out is not None else None)
    finally:
        if "scenario_file" in locals() and os.path.exists(scenario_file):
            os.remove(scenario_file)
        shutil.rmtree(tmp, ignore_errors=True)


def fokker_planck(scenario, lo=-2.0, hi=2.0, cells=2000, ylo=-2.0, yhi=2.0, ycells=200, memory_limit_gb=None):
    """The stationary density of the scenario's SDE (d = 1 or 2), as `sgdnoise fokker-planck`
    computes it: a dict with x (cell centres), y (2-D), density ((cells,) or (cells, ycells)),
    source, max_cell_peclet, and ok/reason when the solver refuses."""
    sc = _as_scenario(scenario)
    limit = -1.0 if memory_limit_gb is None else float(memory_limit_gb) * 1e9
    return _sgdnoise.fokker_planck(sc.toml, sc.file, float(lo), float(hi), int(cells), float(ylo), float(yhi),
                                   int(ycells), limit)
