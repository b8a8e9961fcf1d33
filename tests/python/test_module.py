"""The Python module (python/sgdnoise): the same results as the CLI, bit for bit; Python
losses equal to the built-in losses they copy; errors for every bad-input class; Ctrl-C
leaving a resumable run directory."""
import json
import os
import math
import subprocess

import numpy as np
import pytest

import sgdnoise

ESCAPE = "scenarios/double_well_escape.toml"


def strip_meta(summary):
    return {k: v for k, v in summary.items() if k not in ("metadata", "sgdnoise")}  # the build and command


def double_well(name="py_double_well", **extra):
    # L = (x^2 - 1)^2, written as the built-in double_well computes it.
    return sgdnoise.Loss.from_python(name, 1, grad=lambda X: 4.0 * X * (X * X - 1.0),
                                     value=lambda X: ((X * X - 1.0) ** 2)[:, 0], **extra)


def test_run_equals_cli_bit_for_bit(root, cli, tmp_path):
    out = tmp_path / "cli"
    subprocess.run([cli, "run", str(root / ESCAPE), "--out", str(out), "--save-states", "--threads", "2",
                    "--set", "dynamics.steps=800"], check=True, capture_output=True)
    cli_summary = json.loads((out / "summary.json").read_text())
    cli_states = np.load(out / "final_states.npy")
    sc = sgdnoise.Scenario.from_file(root / ESCAPE).set("dynamics.steps", 800)
    r = sgdnoise.run(sc, threads=1, progress=False)
    assert strip_meta(r.summary) == strip_meta(cli_summary)
    assert r.final_states.shape == cli_states.shape
    assert np.array_equal(r.final_states, cli_states)
    # The series as arrays, aligned with k and tau.
    assert r.k[0] == 0 and r.k[-1] == 800 and len(r.tau) == len(r.k)
    assert np.allclose(r.tau, r.k * sc["dynamics.eta"])
    assert r["escaped_fraction"].shape == r.k.shape and r.se("loss").shape == r.k.shape
    assert r.escape["counts"]["escaped"] >= 0


def test_run_writes_the_same_directory_as_the_cli(root, tmp_path):
    sc = sgdnoise.Scenario.from_file(root / ESCAPE).set("dynamics.steps", 300)
    r = sgdnoise.run(sc, out=tmp_path / "py", save_states=True, progress=False)
    assert r.dir == str(tmp_path / "py")
    assert strip_meta(json.loads((tmp_path / "py" / "summary.json").read_text())) == strip_meta(r.summary)
    assert np.array_equal(np.load(tmp_path / "py" / "final_states.npy"), r.final_states)
    with pytest.raises(sgdnoise.InputError):  # an existing run directory is not replaced without force
        sgdnoise.run(sc, out=tmp_path / "py", progress=False)


def test_python_loss_equals_builtin_bit_for_bit(root):
    sc = sgdnoise.Scenario.from_file(root / ESCAPE).set("dynamics.steps", 1000)
    builtin = sgdnoise.run(sc, progress=False)
    py = sgdnoise.run(sc.copy().set("loss", double_well(minimizer=[1.0])), threads=2, progress=False)
    assert np.array_equal(builtin.final_states, py.final_states)
    for name in builtin.names:
        assert np.array_equal(builtin[name], py[name]), name
        assert np.array_equal(builtin.se(name), py.se(name)), name
    assert builtin.escape["counts"] == py.escape["counts"]


def test_python_loss_is_called_once_per_evaluation_with_the_whole_block(root):
    shapes = []

    def grad(X):
        shapes.append(X.shape)
        return 4.0 * X * (X * X - 1.0)

    loss = sgdnoise.Loss.from_python("counted", 1, grad=grad)
    sc = sgdnoise.Scenario.from_file(root / ESCAPE).set("loss", loss).set("dynamics.steps", 50)
    sc.set("escape.stop_escaped", False)
    sgdnoise.run(sc, threads=2, progress=False)
    steps = [s for s in shapes if s[0] == 500]
    assert len(steps) == 50  # one call per step, every trajectory at once


def test_unknown_key_names_the_key():
    with pytest.raises(sgdnoise.InputError) as e:
        sgdnoise.Scenario.from_dict({"name": "x", "loss": {"kind": "quadratic", "dim": 1, "hesian": [1.0]}})
    assert e.value.key == "loss.hesian" and "unknown" in e.value.reason
    sc = sgdnoise.Scenario.from_dict({"name": "x", "loss": {"kind": "quadratic", "dim": 1},
                                      "dynamics": {"kind": "discrete", "eta": 0.1, "steps": 10, "trajectories": 4, "start": [1.0]}})
    with pytest.raises(sgdnoise.InputError) as e:
        sc.set("dynamics.eta", -1.0)
    assert e.value.key == "dynamics.eta"


def test_wrong_shape_from_the_callable(root):
    loss = sgdnoise.Loss.from_python("flat", 1, grad=lambda X: X[:, 0])
    sc = sgdnoise.Scenario.from_file(root / ESCAPE).set("loss", loss)
    with pytest.raises(sgdnoise.LossError, match=r"shape \(\d+,\); expected \(\d+, 1\)"):
        sgdnoise.run(sc, progress=False)


def test_nan_from_the_callable(root):
    loss = sgdnoise.Loss.from_python("nan", 1, grad=lambda X: np.where(X > 0.3, np.nan, X))
    sc = sgdnoise.Scenario.from_file(root / ESCAPE).set("loss", loss).set("dynamics.start", [0.5])
    with pytest.raises(sgdnoise.LossError, match="non-finite"):
        sgdnoise.run(sc, progress=False)


def test_exception_in_the_callable_is_raised_as_itself(root):
    def grad(X):
        raise ZeroDivisionError("user bug")

    sc = sgdnoise.Scenario.from_file(root / ESCAPE).set("loss", sgdnoise.Loss.from_python("bug", 1, grad=grad))
    with pytest.raises(ZeroDivisionError, match="user bug"):
        sgdnoise.run(sc, progress=False)
    # The loss table and the module are still usable afterwards.
    sgdnoise.run(sgdnoise.Scenario.from_file(root / ESCAPE).set("dynamics.steps", 10), progress=False)


def test_missing_capability_is_refused_at_build_time(root):
    # Sampling noise needs a finite sum (per-sample gradients), which a Python loss lacks.
    sc = sgdnoise.Scenario.from_file(root / ESCAPE).set("loss", double_well("dw_cap"))
    with pytest.raises(sgdnoise.InputError) as e:
        sc.set("noise", {"kind": "sgd", "batch": 2})
        sgdnoise.run(sc, progress=False)
    assert "finite" in str(e.value)
    # A saddle that is not a saddle.
    with pytest.raises(sgdnoise.InputError, match="saddle"):
        double_well("dw_bad", saddles=[[0.9]])


def test_undefined_python_loss(root):
    sc = sgdnoise.Scenario.from_file(root / ESCAPE)
    with pytest.raises(sgdnoise.InputError) as e:
        sc.set("loss", {"kind": "python", "name": "never_defined", "dim": 1})
        sgdnoise.run(sc, progress=False)
    assert e.value.key == "loss.name"


def test_keyboard_interrupt_leaves_a_resumable_directory(root, tmp_path):
    sc = sgdnoise.Scenario.from_file(root / ESCAPE).set("dynamics.steps", 600)
    sc.set("observe.every", 50).set("observe.paths", [4, 2]).set("observe.distribution", "loss, dist2")
    sc.set("observe.quantiles", [0.25, 0.5]).set("observe.histogram_bins", 3).set("observe.histogram_range", [0, 1])
    whole = sgdnoise.run(sc, progress=False)

    def interrupt(k, steps):
        if k >= 200:
            raise KeyboardInterrupt

    out = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt, match="resume=True"):
        sgdnoise.run(sc, out=out, progress=interrupt, checkpoint_every=0)
    assert (tmp_path / "run.partial").is_dir() and not out.exists()
    resumed = sgdnoise.run(out=out, resume=True, progress=False)
    assert np.array_equal(resumed.final_states, whole.final_states)
    assert strip_meta(resumed.summary) == strip_meta(whole.summary)
    for name in ("k", "ids", "theta"):
        assert np.array_equal(resumed.paths[name], whole.paths[name], equal_nan=True), name
    for obs in ("loss", "dist2"):
        assert np.array_equal(resumed.quantiles[obs], whole.quantiles[obs]), obs
        assert np.array_equal(resumed.histograms[obs], whole.histograms[obs]), obs


def test_paths_equal_the_trajectories_replayed_alone(root, tmp_path):
    sc = sgdnoise.Scenario.from_file(root / ESCAPE).set("dynamics.steps", 300).set("observe.every", 50)
    sc.set("observe.paths", [7, 3]).set("observe.paths_first", 1)
    r = sgdnoise.run(sc, out=tmp_path / "run", threads=2, progress=False)
    z = np.load(tmp_path / "run" / "paths.npz")  # readable by numpy alone
    assert list(z["ids"]) == [0, 7, 3] and z["theta"].shape == (7, 3, 1)
    assert np.array_equal(z["theta"], r.paths["theta"]) and np.array_equal(z["k"], np.arange(0, 301, 50))
    # Each trajectory draws from its own stream: 8 trajectories run to step k alone end where
    # the big run's paths were at k.
    for i, k in enumerate(z["k"]):
        alone = sgdnoise.run(sc.copy().set("dynamics.trajectories", 8).set("dynamics.steps", int(max(k, 1)))
                             .set("observe.paths", []).set("observe.paths_first", 0), progress=False)
        if k == 0:
            continue
        assert np.array_equal(alone.final_states[[0, 7, 3]], z["theta"][i]), int(k)


def test_quantiles_and_histograms(root):
    sc = sgdnoise.Scenario.from_file(root / ESCAPE).set("dynamics.steps", 100).set("observe.every", 100)
    sc.set("escape.stop_escaped", False).set("observe.distribution", "theta_0")
    sc.set("observe.quantiles", [0.0, 0.3, 1.0]).set("observe.histogram_bins", 5).set("observe.histogram_range", [-1.5, -0.5])
    r = sgdnoise.run(sc, progress=False)
    x = np.sort(r.final_states[:, 0])
    assert np.allclose(r.quantiles["theta_0"][-1], np.quantile(x, [0.0, 0.3, 1.0]), rtol=0, atol=1e-15)
    counts, _ = np.histogram(x, bins=5, range=(-1.5, -0.5))
    h = r.histograms["theta_0"][-1]
    assert h.sum() == len(x) and h[5] == np.sum(x < -1.5) and h[6] == np.sum(x > -0.5)
    assert np.array_equal(h[:5], counts)
    with pytest.raises(sgdnoise.InputError) as e:
        sgdnoise.run(sc.set("observe.distribution", "theta_3"), progress=False)
    assert e.value.key == "observe.distribution"


def test_sweep_equals_the_cli_sweep(root, cli, tmp_path):
    subprocess.run([cli, "sweep", str(root / ESCAPE), "--grid", "dynamics.eta=0.01,0.02", "--set",
                    "dynamics.steps=200", "--seeds", "independent", "--out", str(tmp_path / "cli")],
                   check=True, capture_output=True)
    cli_table = json.loads((tmp_path / "cli" / "sweep.json").read_text())
    sc = sgdnoise.Scenario.from_file(root / ESCAPE).set("dynamics.steps", 200)
    s = sgdnoise.sweep(sc, grid={"dynamics.eta": [0.01, 0.02]}, seeds="independent")
    assert s.passed and s.dir is None and len(s.points) == 2
    assert [p["columns"] for p in s.points] == [p["columns"] for p in cli_table["points"]]
    assert [p["seed"] for p in s.points] == [p["seed"] for p in cli_table["points"]]
    assert s.column("escape_escaped") == [p["columns"]["escape_escaped"] for p in cli_table["points"]]
    assert all(x is not None for x in s.summaries)


def test_indicators_and_predict(root):
    q = sgdnoise.Scenario.from_file(root / "scenarios/indicator_isotropic.toml")
    ind = sgdnoise.indicators(q, at="start")
    assert ind["indicators"]["trace_H_C"] > 0
    p = sgdnoise.predict(q, "dist2")
    assert p["available"] and p["value"] > 0 and "exact" in p["source"]
    r = sgdnoise.run(q, progress=False)
    # The run's own exact prediction of dist2 at the last step is the same number.
    last = [c for c in r.checks if c.get("result") == "dist2"]
    if last and isinstance(last[-1].get("predicted"), dict) and "value" in last[-1]["predicted"]:
        assert last[-1]["predicted"]["value"] == pytest.approx(p["value"], rel=1e-12)
    with pytest.raises(sgdnoise.InputError):
        sgdnoise.indicators(q, at=[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0])


def test_fokker_planck_equals_the_cli(root, cli, tmp_path):
    f = root / "scenarios/fp_double_well_1d.toml"
    subprocess.run([cli, "fokker-planck", str(f), "--out", str(tmp_path / "fp.csv"), "--cells", "400"], check=True,
                   capture_output=True)
    ref = np.loadtxt(tmp_path / "fp.csv", delimiter=",", skiprows=1)
    d = sgdnoise.fokker_planck(f, cells=400)
    assert d["ok"] and np.array_equal(d["x"], ref[:, 0]) and np.array_equal(d["density"], ref[:, 1])
    h = d["x"][1] - d["x"][0]
    assert abs(d["density"].sum() * h - 1.0) < 1e-12


def test_python_finite_sum_takes_sampling_noise(root):
    # l_i = h_i (theta - c_i)^2 / 2 in 1-D: the built-in sum_of_quadratics with explicit data,
    # and the same finite sum in Python with per-sample gradients, under SGD noise (batch 2).
    h = np.array([1.0, 3.0, 0.5, 2.0])
    c = np.array([0.3, -1.0, 2.0, 0.0])
    base = {"name": "fs", "seed": 4,
            "loss": {"kind": "sum_of_quadratics", "dim": 1, "samples": 4, "test_samples": 0,
                     "hessians": [[x] for x in h], "centres": [[x] for x in c]},
            "noise": {"kind": "sgd", "batch": 2},
            "dynamics": {"kind": "discrete", "eta": 0.1, "steps": 200, "trajectories": 300, "start": [1.0]}}
    builtin = sgdnoise.run(sgdnoise.Scenario.from_dict(base), progress=False)

    def sample_grad(X, idx):
        return (h[idx] * (X[:, :1] - c[idx]))[:, :, None]

    loss = sgdnoise.Loss.from_python("fs_py", 1, grad=lambda X: (h * (X - c)).mean(axis=1, keepdims=True),
                                     value=lambda X: (0.5 * h * (X - c) ** 2).mean(axis=1), n_samples=4,
                                     sample_grad=sample_grad)
    py = sgdnoise.run(sgdnoise.Scenario.from_dict({**base, "loss": loss}), progress=False)
    # Same draws, same per-sample gradients, summed in the same order: equal to rounding.
    assert np.allclose(py.final_states, builtin.final_states, rtol=1e-12, atol=1e-12)
    with pytest.raises(sgdnoise.InputError) as e:
        sgdnoise.Loss.from_python("fs_bad", 1, grad=lambda X: X, sample_grad=sample_grad)
    assert e.value.key == "n_samples"


def test_a_python_double_well_with_its_critical_points_gets_the_escape_predictions(root):
    sc = sgdnoise.Scenario.from_file(root / ESCAPE).set("dynamics.steps", 200)
    builtin = sgdnoise.run(sc, progress=False).escape["predictions"]
    loss = double_well("dw_points", minima=[[-0.9], [1.1]], saddles=[[0.05]],
                       hessian=lambda X: (12.0 * X * X - 4.0)[:, :, None])
    py = sgdnoise.run(sc.copy().set("loss", loss), progress=False).escape["predictions"]
    assert py["barrier_over_eps"] == pytest.approx(builtin["barrier_over_eps"], rel=1e-12)
    # The same quadrature of the same potential (evaluated by numpy instead of C++).
    assert py["mfpt_tau"]["value"] == pytest.approx(builtin["mfpt_tau"]["value"], rel=1e-9)
    assert py["kramers_rate_tau"]["value"] == pytest.approx(builtin["kramers_rate_tau"]["value"], rel=1e-12)


def test_sgd_noise_on_a_python_finite_sum_gets_the_state_dependent_quasi_potential():
    # L_i(x, y) = (x^2 - 1)^2 + y^2 + a_i (x + x^3/3) + b_i y with centred a, b: SGD noise with
    # batch 1 has Sigma_1 = diag((1 + x^2)^2, 1), so D(theta) = eta Sigma_1 depends on x. The x
    # motion decouples (dx = -U' dtau + sqrt(eta) (1 + x^2) dW), and its quasi-potential barrier is
    # the 1-D integral dV/eps = int_{-1}^{0} 2 |U'(x)| / D_xx(x) dx = 4 (1 - ln 2) / eta
    # (docs/theory.md 8.7, state-dependent diffusion).
    a = np.array([1.0, -1.0, 1.0, -1.0])
    b = np.array([1.0, 1.0, -1.0, -1.0])

    def grad(X):
        x, y = X[:, 0], X[:, 1]
        return np.stack([4 * x * (x * x - 1), 2 * y], axis=1)

    def sample_grad(X, idx):
        x = X[:, :1]
        g = np.empty(idx.shape + (2,))
        g[..., 0] = 4 * x * (x * x - 1) + a[idx] * (1 + x * x)
        g[..., 1] = 2 * X[:, 1:2] + b[idx]
        return g

    loss = sgdnoise.Loss.from_python("fs_2d", 2, grad=grad,
                                     value=lambda X: (X[:, 0] ** 2 - 1) ** 2 + X[:, 1] ** 2,
                                     minima=[[-1.0, 0.0], [1.0, 0.0]], saddles=[[0.0, 0.0]],
                                     n_samples=4, sample_grad=sample_grad)
    eta = 0.01
    sc = sgdnoise.Scenario.from_dict({
        "name": "fs_2d", "seed": 3, "loss": loss,
        "noise": {"kind": "sgd", "batch": 1},
        "dynamics": {"kind": "discrete", "eta": eta, "steps": 20, "trajectories": 8, "start": [-1.0, 0.0]},
        "escape": {"region": "ball", "centre": [1.0, 0.0], "radius": 0.5}})
    pr = sgdnoise.run(sc, progress=False).escape["predictions"]["eyring_kramers"]
    assert pr["status"] == "exponent only: state-dependent noise", pr
    exact = 4 * (1 - math.log(2)) / eta
    # gMAM's own discretisation error estimate, 3 times, plus the Hessian's finite differences.
    tol = 3 * pr["gmam"]["discretisation_error"] / pr["eps"] + 1e-6 * exact
    assert abs(pr["barrier_over_eps"] - exact) <= tol, (pr["barrier_over_eps"], exact, tol)
    assert "state-dependent" in pr["note"]


def test_ctrl_c_keeps_a_python_sweep_resumable(root, tmp_path):
    # SIGINT to this process while the sweep runs (what Ctrl-C sends): KeyboardInterrupt, the
    # finished points and the running one's checkpoint kept in OUT.partial; resume=True then ends
    # bitwise identical to an uninterrupted sweep.
    import signal
    import threading
    import time

    # About 0.5 s a point here (escaped trajectories stay in the batch), 2 s in all: the signal
    # at 0.8 s lands while a point runs, on a faster machine too.
    sc = (sgdnoise.Scenario.from_file(root / ESCAPE).set("dynamics.trajectories", 400)
          .set("dynamics.steps", 20000).set("escape.stop_escaped", False))
    grid = {"noise.variance": [0.004, 0.005, 0.006, 0.007]}
    t0 = time.perf_counter()
    ref = sgdnoise.sweep(sc, grid=grid, out=tmp_path / "ref", threads=1)
    assert time.perf_counter() - t0 > 1.0  # else the signal below could come after the end
    out = tmp_path / "cut"
    timer = threading.Timer(0.8, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt) as e:
            sgdnoise.sweep(sc, grid=grid, out=out, threads=1)
    finally:
        timer.cancel()
    assert "resume=True" in str(e.value)
    assert (tmp_path / "cut.partial" / "sweep-plan.json").exists()
    with pytest.raises(sgdnoise.InputError):  # a different plan is refused
        sgdnoise.sweep(sc, grid={"noise.variance": [0.004]}, out=out, threads=1, resume=True)
    done = sgdnoise.sweep(sc, grid=grid, out=out, threads=1, resume=True)
    assert [strip_meta(s) for s in done.summaries] == [strip_meta(s) for s in ref.summaries]
