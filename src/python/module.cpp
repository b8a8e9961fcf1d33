// The Python module's extension, sgdnoise._sgdnoise (pybind11). It exposes the scenario
// loader, the runs and the callback losses at a low level; python/sgdnoise/ builds the user
// API on it (docs/python.md).
//
// The GIL. A run releases it; a Python loss's callables and the progress callback take it
// back for each call. The ensemble calls them on one thread (LossCapabilities::callback), so
// one call at a time holds it.
//
// Errors. InputError and IoError become sgdnoise.InputError / sgdnoise.OutputError (defined
// in python/sgdnoise/errors.py, with where, key and reason). A failure inside a Python loss's
// callable (its exception, a wrong shape, a NaN) is kept (losses/callback_loss.hpp) and
// raised once the run has returned: the Python exception itself when the callable raised
// one, else sgdnoise.LossError.
//
// Ctrl-C. The progress callback checks for a pending KeyboardInterrupt at every
// observation, and a callable that the interrupt reaches mid-call is called again, so that
// the step completes with the right gradient; either way the run stops after its next
// observation, leaves a resumable checkpoint when it has a run directory, and the module
// raises KeyboardInterrupt.
#include <pybind11/functional.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <cmath>
#include <memory>
#include <limits>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "app/run_job.hpp"
#include "app/stationary_density.hpp"
#include "app/sweep.hpp"
#include "io/point_report.hpp"
#include "scenario/point_indicators.hpp"
#include "core/errors.hpp"
#include "core/version.hpp"
#include "io/checkpoint.hpp"
#include "io/summary.hpp"
#include "losses/callback_loss.hpp"
#include "scenario/experiment.hpp"
#include "scenario/registry.hpp"
#include "scenario/runner.hpp"
#include "scenario/schema.hpp"

namespace py = pybind11;
using namespace sgdnoise;

namespace {

// What the module keeps of one Python loss: its callables and the first Python exception
// they raised during a run. Held by shared_ptr in the table's std::functions; released at
// interpreter exit (the atexit hook below), while the GIL can still be taken.
struct PyLossState {
  py::object grad, value, hessian, sample_grad;
  std::optional<py::error_already_set> error;
  std::atomic<bool>* interrupted = nullptr;  // the running call's interrupt flag
};

std::atomic<bool> g_interrupted{false};

// A block (or a matrix) as a new C-ordered numpy array.
py::array_t<double> to_numpy(ConstBlockRef X) {
  py::array_t<double> a({X.rows(), X.cols()});
  auto m = a.mutable_unchecked<2>();
  for (Index i = 0; i < X.rows(); ++i)
    for (Index j = 0; j < X.cols(); ++j) m(i, j) = X(i, j);
  return a;
}

// Calls f(args...); a KeyboardInterrupt that reaches it mid-call is noted and the call made
// again, so the step completes. Any other Python exception is kept (the first one) and
// rethrown as a C++ exception that CallbackLoss turns into the run's failure.
template <class... A>
py::object call(PyLossState& st, const char* what, const py::object& f, A&&... args) {
  for (int attempt = 0;; ++attempt) {
    try {
      return f(std::forward<A>(args)...);
    } catch (py::error_already_set& e) {
      if (e.matches(PyExc_KeyboardInterrupt) && attempt < 3) {
        g_interrupted.store(true);
        continue;
      }
      std::string msg = std::string(what) + " raised " + e.what();
      if (!st.error) st.error.emplace(std::move(e));
      throw std::runtime_error(msg);
    }
  }
}

py::array_t<double, py::array::c_style | py::array::forcecast> as_array(const py::object& r, const char* what,
                                                                        const std::vector<Index>& shape) {
  std::ostringstream want;
  want << "(";
  for (std::size_t i = 0; i < shape.size(); ++i) want << (i ? ", " : "") << shape[i];
  want << (shape.size() == 1 ? ",)" : ")");
  py::array_t<double, py::array::c_style | py::array::forcecast> a;
  try {
    a = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(r);
  } catch (py::error_already_set&) {
  }
  if (!a)
    throw std::runtime_error(std::string(what) + " returned " + std::string(py::str(py::type::of(r).attr("__name__"))) +
                             ", not an array of numbers of shape " + want.str());
  bool ok = a.ndim() == static_cast<py::ssize_t>(shape.size());
  for (std::size_t i = 0; ok && i < shape.size(); ++i) ok = a.shape(static_cast<py::ssize_t>(i)) == shape[i];
  if (!ok) {
    std::ostringstream got;
    got << "(";
    for (py::ssize_t i = 0; i < a.ndim(); ++i) got << (i ? ", " : "") << a.shape(i);
    got << (a.ndim() == 1 ? ",)" : ")");
    throw std::runtime_error(std::string(what) + " returned an array of shape " + got.str() + "; expected " +
                             want.str() + " (one row per trajectory of the block)");
  }
  return a;
}

void define_loss(const std::string& name, Index dim, py::object grad, py::object value, py::object hessian,
                 const std::vector<std::vector<double>>& minima, const std::vector<std::vector<double>>& saddles,
                 std::optional<std::vector<double>> minimizer, Index n_samples, py::object sample_grad) {
  if (name.empty()) throw InputError("Loss.from_python", "name", "must not be empty");
  if (dim < 1) throw InputError("Loss.from_python(name=\"" + name + "\")", "dim", "must be >= 1");
  if (!PyCallable_Check(grad.ptr()))
    throw InputError("Loss.from_python(name=\"" + name + "\")", "grad", "must be callable");
  for (const auto& [obj, key] :
       {std::pair{&value, "value"}, std::pair{&hessian, "hessian"}, std::pair{&sample_grad, "sample_grad"}})
    if (!obj->is_none() && !PyCallable_Check(obj->ptr()))
      throw InputError("Loss.from_python(name=\"" + name + "\")", key, "must be callable or None");
  auto st = std::make_shared<PyLossState>();
  st->grad = std::move(grad);
  st->value = std::move(value);
  st->hessian = std::move(hessian);
  st->sample_grad = std::move(sample_grad);
  if (st->sample_grad.is_none() != (n_samples == 0))
    throw InputError("Loss.from_python(name=\"" + name + "\")", "n_samples",
                     "give n_samples > 0 together with sample_grad (a finite sum), or neither");
  if (n_samples < 0 || n_samples > std::numeric_limits<std::int32_t>::max())
    throw InputError("Loss.from_python(name=\"" + name + "\")", "n_samples", "out of range");
  CallbackLossSpec spec;
  spec.name = name;
  spec.dim = dim;
  spec.gradient = [st, dim](ConstBlockRef X, BlockRef G) {
    py::gil_scoped_acquire gil;
    const py::object r = call(*st, "grad", st->grad, to_numpy(X));
    const auto a = as_array(r, "grad", {X.rows(), dim});
    const auto v = a.unchecked<2>();
    for (Index i = 0; i < X.rows(); ++i)
      for (Index j = 0; j < dim; ++j) G(i, j) = v(i, j);
  };
  if (!st->value.is_none())
    spec.value = [st](ConstBlockRef X, Eigen::Ref<Vec> out) {
      py::gil_scoped_acquire gil;
      const py::object r = call(*st, "value", st->value, to_numpy(X));
      const auto a = as_array(r, "value", {X.rows()});
      const auto v = a.unchecked<1>();
      for (Index i = 0; i < X.rows(); ++i) out(i) = v(i);
    };
  if (!st->hessian.is_none())
    spec.hessian = [st, dim](const Vec& theta) {
      py::gil_scoped_acquire gil;
      const py::object r = call(*st, "hessian", st->hessian, to_numpy(theta.transpose()));
      const auto a = as_array(r, "hessian", {1, dim, dim});
      const auto v = a.unchecked<3>();
      Mat H(dim, dim);
      for (Index i = 0; i < dim; ++i)
        for (Index j = 0; j < dim; ++j) H(i, j) = v(0, i, j);
      return H;
    };
  spec.n_samples = n_samples;
  if (!st->sample_grad.is_none())
    spec.sample_gradient = [st, dim](ConstBlockRef X, const IndexBlock& idx, Mat& out) {
      py::gil_scoped_acquire gil;
      py::array_t<std::int64_t> ids({idx.rows(), idx.cols()});
      auto m = ids.mutable_unchecked<2>();
      for (Index t = 0; t < idx.rows(); ++t)
        for (Index j = 0; j < idx.cols(); ++j) m(t, j) = idx(t, j);
      const py::object r = call(*st, "sample_grad", st->sample_grad, to_numpy(X), ids);
      const auto a = as_array(r, "sample_grad", {X.rows(), idx.cols(), dim});
      const auto v = a.unchecked<3>();
      for (Index t = 0; t < X.rows(); ++t)
        for (Index j = 0; j < idx.cols(); ++j)
          for (Index c = 0; c < dim; ++c) out(t * idx.cols() + j, c) = v(t, j, c);
    };
  auto to_vec = [](const std::vector<double>& v) {
    return Eigen::Map<const Vec>(v.data(), static_cast<Index>(v.size())).eval();
  };
  for (const auto& m : minima) spec.minima.push_back(to_vec(m));
  for (const auto& s : saddles) spec.saddles.push_back(to_vec(s));
  if (minimizer) spec.minimizer = to_vec(*minimizer);
  auto status = std::make_shared<CallbackStatus>();
  // Building once checks the critical points now, at definition (InputError).
  CallbackLoss probe(spec, status);
  (void)probe;
  if (status->failed()) throw InputError("Loss.from_python(name=\"" + name + "\")", "", status->failure());
  CallbackLossTable::instance().define(std::move(spec), std::move(status));
  // Keep the state reachable for the error lookup after a run.
  py::module_::import("sgdnoise._sgdnoise").attr("_loss_states")[py::str(name)] = py::capsule(
      new std::shared_ptr<PyLossState>(st), [](void* p) { delete static_cast<std::shared_ptr<PyLossState>*>(p); });
}

Scenario load_scenario(const std::string& text, const std::string& file, const std::vector<std::string>& sets,
                       std::optional<std::uint64_t> seed) {
  return Scenario::parse(text, file, sets, seed);
}

std::string scenario_text(const Scenario& s) {
  std::ostringstream o;
  o << toml::toml_formatter{s.table()};
  return o.str();
}

py::dict series_dict(const RunRecord& rec) {
  py::dict out;
  const auto n = static_cast<py::ssize_t>(rec.series.size());
  py::array_t<std::int64_t> k(n);
  py::array_t<double> tau(n);
  py::array_t<std::int64_t> alive(n);
  for (py::ssize_t i = 0; i < n; ++i) {
    k.mutable_at(i) = rec.series[static_cast<std::size_t>(i)].k;
    tau.mutable_at(i) = rec.series[static_cast<std::size_t>(i)].tau;
    alive.mutable_at(i) = rec.series[static_cast<std::size_t>(i)].n_alive;
  }
  out["k"] = k;
  out["tau"] = tau;
  out["n_alive"] = alive;
  // Every observable named in any row; NaN where a row lacks it.
  std::vector<std::string> names;
  for (const auto& row : rec.series)
    for (const auto& o : row.values)
      if (std::find(names.begin(), names.end(), o.name) == names.end()) names.push_back(o.name);
  py::dict values;
  for (const auto& name : names) {
    py::array_t<double> mean(n), se(n);
    for (py::ssize_t i = 0; i < n; ++i) {
      const Observation* o = rec.series[static_cast<std::size_t>(i)].find(name);
      mean.mutable_at(i) = o ? o->est.value : std::numeric_limits<double>::quiet_NaN();
      se.mutable_at(i) = o ? o->est.se : std::numeric_limits<double>::quiet_NaN();
    }
    values[py::str(name)] = py::make_tuple(mean, se);
  }
  out["values"] = values;
  return out;
}

// Every observer's arrays (paths, quantiles, histograms) as {file: {name: ndarray}}.
py::dict arrays_dict(const Experiment& ex) {
  std::vector<ObserverArray> all;
  for (const Observer* o : ex.observer_ptrs()) o->arrays(all);
  py::dict out;
  for (const auto& a : all) {
    const py::str file(a.file);
    if (!out.contains(file)) out[file] = py::dict();
    std::vector<py::ssize_t> shape(a.shape.begin(), a.shape.end());
    py::object arr;
    if (a.integer) {
      py::array_t<std::int64_t> v(shape);
      std::int64_t* p = v.mutable_data();
      for (std::size_t i = 0; i < a.data.size(); ++i) p[i] = static_cast<std::int64_t>(std::llround(a.data[i]));
      arr = v;
    } else {
      py::array_t<double> v(shape);
      std::copy(a.data.begin(), a.data.end(), v.mutable_data());
      arr = v;
    }
    py::dict members = out[file];
    members[py::str(a.name)] = arr;
  }
  return out;
}

// The Python loss the experiment uses, if any: its status and its module-side state.
struct LossHandles {
  CallbackStatus* status = nullptr;
  std::shared_ptr<PyLossState> state;
};

LossHandles handles_of(const Experiment& ex, py::module_& m) {
  LossHandles h;
  if (auto cl = std::dynamic_pointer_cast<const CallbackLoss>(ex.loss)) {
    h.status = &cl->status();
    py::dict states = m.attr("_loss_states");
    const py::str key(cl->spec().name);
    if (states.contains(key))
      h.state = *static_cast<std::shared_ptr<PyLossState>*>(py::capsule(states[key]).get_pointer());
  }
  return h;
}

// Raises the failure of a Python loss's callable, if there was one.
void raise_callback_failure(const LossHandles& h) {
  if (!h.status || !h.status->failed()) return;
  if (h.state && h.state->error) {
    py::error_already_set e = std::move(*h.state->error);
    h.state->error.reset();
    h.status->clear();
    e.restore();
    throw py::error_already_set();
  }
  const std::string what = h.status->failure();
  h.status->clear();
  py::object cls = py::module_::import("sgdnoise.errors").attr("LossError");
  PyErr_SetObject(cls.ptr(), cls(what).ptr());
  throw py::error_already_set();
}

py::dict run(const std::string& text, const std::string& file, int threads, double memory_limit_bytes,
             std::optional<std::string> out, bool force, bool resume, bool save_states, double checkpoint_every,
             py::object progress, const std::string& command) {
  py::module_ m = py::module_::import("sgdnoise._sgdnoise");
  std::optional<Experiment> fresh;
  LossHandles h;
  if (!resume) {
    fresh.emplace(build_experiment(Scenario::parse(text, file), threads, memory_limit_bytes));
    h = handles_of(*fresh, m);
    raise_callback_failure(h);  // a callable that failed while the experiment was built
  }
  std::atomic<bool> local_stop{false};
  std::atomic<bool>* stop = h.status ? &h.status->stop_flag() : &local_stop;
  g_interrupted.store(false);
  ProgressFn on_progress = [&progress, stop](std::int64_t k, std::int64_t steps) {
    py::gil_scoped_acquire gil;
    if (PyErr_CheckSignals() != 0) {
      // Only KeyboardInterrupt (or another exception from a signal handler) lands here.
      PyErr_Clear();
      g_interrupted.store(true);
    }
    if (g_interrupted.load()) stop->store(true);
    if (!progress.is_none()) {
      try {
        progress(k, steps);
      } catch (py::error_already_set& e) {
        if (e.matches(PyExc_KeyboardInterrupt)) {
          g_interrupted.store(true);
          stop->store(true);
        }
        // a failing progress display does not stop the run
      }
    }
  };
  py::dict result;
  if (out) {
    RunJobOptions job;
    job.out_dir = *out;
    job.resume = resume;
    job.force = force;
    job.save_states = save_states;
    job.checkpoint_every = checkpoint_every;
    job.threads = threads;
    job.memory_limit_bytes = memory_limit_bytes;
    job.command = command;
    job.progress = on_progress;
    job.stop = stop;
    std::ostringstream log;
    std::optional<RunJobOutcome> o;
    {
      py::gil_scoped_release release;
      o.emplace(run_into_directory(std::move(fresh), job));
    }
    if (!h.status) h = handles_of(o->experiment, m);
    if (h.status && h.status->failed()) {
      // A failed callable: the states are not worth resuming.
      discard_checkpoints(*out);
      raise_callback_failure(h);
    }
    result["summary"] = o->summary.dump();
    result["series"] = series_dict(o->result.record);
    result["final_states"] = to_numpy(o->result.record.final_state);
    result["arrays"] = arrays_dict(o->experiment);
    result["interrupted"] = o->interrupted || g_interrupted.load();
    result["resumable"] = o->resumable;
    result["dir"] = o->dir.string();
    result["all_checks_passed"] = o->result.all_checks_passed();
    result["status"] = static_cast<int>(o->result.record.status);
    result["failure"] = o->result.record.failure;
  } else {
    RunHooks hooks;
    hooks.progress = on_progress;
    hooks.stop = stop;
    std::optional<RunResult> r;
    {
      py::gil_scoped_release release;
      r.emplace(run_experiment(*fresh, hooks));
    }
    raise_callback_failure(h);
    result["summary"] = summary_json(*fresh, *r, {fresh->spec.threads, command}).dump();
    result["series"] = series_dict(r->record);
    result["final_states"] = to_numpy(r->record.final_state);
    result["arrays"] = arrays_dict(*fresh);
    result["interrupted"] = r->record.status == RunStatus::interrupted || g_interrupted.load();
    result["resumable"] = false;
    result["dir"] = py::none();
    result["all_checks_passed"] = r->all_checks_passed();
    result["status"] = static_cast<int>(r->record.status);
    result["failure"] = r->record.failure;
  }
  return result;
}

// Exceptions of the C++ core as the module's Python exceptions (python/sgdnoise/errors.py).
void translate(std::exception_ptr p) {
  auto raise = [](const char* cls_name, py::tuple args) {
    py::object cls = py::module_::import("sgdnoise.errors").attr(cls_name);
    PyErr_SetObject(cls.ptr(), cls(*args).ptr());
  };
  try {
    if (p) std::rethrow_exception(p);
  } catch (const InputError& e) {
    raise("InputError", py::make_tuple(e.what(), e.where(), e.key(), e.reason()));
  } catch (const IoError& e) {
    raise("OutputError", py::make_tuple(e.what(), e.path(), e.reason()));
  }
}

}  // namespace

int sweep(const std::string& scenario_file, const std::vector<std::string>& sets, const std::vector<std::string>& grid,
          const std::string& list, const std::vector<std::string>& trends, const std::string& out, int threads,
          std::optional<std::uint64_t> seed, bool force, bool resume, bool save_states, bool independent_seeds,
          bool allow_large, const std::string& command) {
  SweepOptions o;
  o.scenario = scenario_file;
  o.sets = sets;
  o.grid = grid;
  o.list = list;
  o.trends = trends;
  o.out = out;
  o.threads = threads;
  o.seed = seed;
  o.force = force;
  o.resume = resume;
  o.save_states = save_states;
  o.independent_seeds = independent_seeds;
  o.allow_large = allow_large;
  o.command = command;
  std::atomic<bool> stop{false};
  o.stop = &stop;
  std::ostringstream table, progress;
  // The sweep runs on a thread of its own while this one, holding the GIL a moment every 0.1 s,
  // looks for Ctrl-C: the running points then stop after their next observation, their
  // checkpoints and every finished point are kept, and KeyboardInterrupt says how to go on.
  auto job = std::async(std::launch::async, [&] { return run_sweep(o, table, progress); });
  bool interrupted = false;
  for (;;) {
    {
      py::gil_scoped_release release;
      if (job.wait_for(std::chrono::milliseconds(100)) == std::future_status::ready) break;
    }
    if (PyErr_CheckSignals() != 0) {
      PyErr_Clear();
      interrupted = true;
      stop.store(true);
    }
  }
  const int rc = job.get();  // rethrows the sweep's own error
  if (interrupted && rc != 0) {
    PyErr_SetString(PyExc_KeyboardInterrupt,
                    ("sweep interrupted: the finished points and the running points' checkpoints are kept in " + out +
                     ".partial; continue with sgdnoise.sweep(..., out=" + out + ", resume=True)")
                        .c_str());
    throw py::error_already_set();
  }
  return rc;
}

py::dict indicators(const std::string& text, const std::string& file, const std::string& at, Index top_k,
                    Index slq_probes, Index slq_steps) {
  const Experiment ex = build_experiment(Scenario::parse(text, file), 1);
  PointOptions o;
  o.at = at;
  o.top_k = top_k;
  o.slq_probes = slq_probes;
  o.slq_steps = slq_steps;
  const std::string j = point_report_json(point_indicators(ex, o)).dump();
  return py::module_::import("json").attr("loads")(j);
}

py::dict predict_one(const std::string& text, const std::string& file, const std::string& result, std::int64_t k,
                     const std::string& which) {
  const Experiment ex = build_experiment(Scenario::parse(text, file), 1);
  const Prediction p = predict(prediction_context(ex), result, k, which);
  py::dict d;
  d["available"] = p.available;
  d["value"] = p.available ? py::cast(p.value) : py::none();
  d["allowance"] = p.allowance;
  d["source"] = p.source;
  d["reason"] = p.reason;
  return d;
}

py::dict fokker_planck(const std::string& text, const std::string& file, double lo, double hi, Index cells, double ylo,
                       double yhi, Index ycells, double memory_limit_bytes) {
  const Experiment ex = build_experiment(Scenario::parse(text, file), 1);
  DensityGrid g;
  g.lo = lo, g.hi = hi, g.ylo = ylo, g.yhi = yhi, g.cells = cells, g.ycells = ycells;
  g.memory_limit_bytes = memory_limit_bytes;
  StationaryDensity r;
  {
    py::gil_scoped_release release;
    r = stationary_density(ex, g);
  }
  py::dict d;
  d["ok"] = r.ok;
  d["source"] = r.source;
  d["reason"] = r.reason;
  d["max_cell_peclet"] = r.max_cell_peclet;
  auto vec = [](const Vec& v) {
    py::array_t<double> a(v.size());
    std::copy(v.data(), v.data() + v.size(), a.mutable_data());
    return a;
  };
  d["x"] = vec(r.x);
  if (r.y.size() > 0) {
    d["y"] = vec(r.y);
    d["density"] = to_numpy(r.density);
  } else {
    d["density"] = vec(r.density.col(0));
  }
  return d;
}

PYBIND11_MODULE(_sgdnoise, m) {
  m.doc() = "sgdnoise's C++ core (use the package sgdnoise, not this module)";
  m.attr("__version__") = std::string(kVersion);
  m.attr("__git_hash__") = std::string(kGitHash);
  m.attr("_loss_states") = py::dict();
  py::register_exception_translator(&translate);
  // Release the Python losses while the interpreter can still take their references.
  py::module_::import("atexit").attr("register")(py::cpp_function([]() {
    py::module_ mod = py::module_::import("sgdnoise._sgdnoise");
    mod.attr("_loss_states") = py::dict();
    CallbackLossTable::instance().clear();
  }));

  m.def(
      "normalize",
      [](const std::string& text, const std::string& file, const std::vector<std::string>& sets,
         std::optional<std::uint64_t> seed) { return scenario_text(load_scenario(text, file, sets, seed)); },
      py::arg("text"), py::arg("file"), py::arg("sets") = std::vector<std::string>{}, py::arg("seed") = py::none(),
      "Validates a scenario (TOML text; `file` names it in messages) with overrides and returns it as TOML, "
      "defaults filled in.");
  m.def("define_loss", &define_loss, py::arg("name"), py::arg("dim"), py::arg("grad"), py::arg("value"),
        py::arg("hessian"), py::arg("minima"), py::arg("saddles"), py::arg("minimizer"), py::arg("n_samples"),
        py::arg("sample_grad"));
  m.def("run", &run, py::arg("text"), py::arg("file"), py::arg("threads"), py::arg("memory_limit_bytes"),
        py::arg("out"), py::arg("force"), py::arg("resume"), py::arg("save_states"), py::arg("checkpoint_every"),
        py::arg("progress"), py::arg("command"));
  m.def("sweep", &sweep, py::arg("scenario_file"), py::arg("sets"), py::arg("grid"), py::arg("list"), py::arg("trends"),
        py::arg("out"), py::arg("threads"), py::arg("seed"), py::arg("force"), py::arg("resume"),
        py::arg("save_states"), py::arg("independent_seeds"), py::arg("allow_large"), py::arg("command"));
  m.def("indicators", &indicators, py::arg("text"), py::arg("file"), py::arg("at"), py::arg("top_k"),
        py::arg("slq_probes"), py::arg("slq_steps"));
  m.def("predict", &predict_one, py::arg("text"), py::arg("file"), py::arg("result"), py::arg("k"), py::arg("which"));
  m.def("fokker_planck", &fokker_planck, py::arg("text"), py::arg("file"), py::arg("lo"), py::arg("hi"),
        py::arg("cells"), py::arg("ylo"), py::arg("yhi"), py::arg("ycells"), py::arg("memory_limit_bytes"));
  m.def("kinds", []() {
    py::dict d;
    py::list losses, noises, dynamics;
    for (const auto& k : kind_registry().losses()) losses.append(k.schema.name);
    for (const auto& k : kind_registry().noises()) noises.append(k.schema.name);
    for (const auto& k : kind_registry().dynamics()) dynamics.append(k.schema.name);
    d["loss"] = losses;
    d["noise"] = noises;
    d["dynamics"] = dynamics;
    return d;
  });
}
