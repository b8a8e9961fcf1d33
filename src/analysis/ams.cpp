#include "analysis/ams.hpp"

#include <algorithm>
#include <cmath>
#include <exception>
#include <limits>
#include <sstream>
#include <stdexcept>

#include "core/openmp_env.hpp"
#include "core/rng.hpp"

namespace sgdnoise {

namespace {

std::string num(double x) {
  std::ostringstream s;
  s.precision(6);
  s << x;
  return s.str();
}

// SplitMix64's finaliser (Steele, Lea & Flood 2014): a bijection of 64-bit words.
std::uint64_t mix64(std::uint64_t z) {
  z += 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/// One replica: its stored path (states of `width` doubles, then their scores), from step 0
/// to the step at which it entered A or B.
struct Replica {
  std::vector<double> states;
  std::vector<double> scores;
  double max_score = 0.0;
  std::uint64_t id = 0;
  bool done = false;
  Index length() const { return static_cast<Index>(scores.size()) - 1; }  // steps
};

struct Limits {
  double za, zb;
  Index width, dim;
  std::int64_t max_segment_steps;
  Index max_states;  // stored states per replica (the memory limit)
};

/// Advances the replicas `active` from their last stored state, each with its own stream id
/// and steps k = 0, 1, ..., until each is in A or B; appends every state. Blocks of rows run
/// on threads in any order; each replica is one row of one block. Returns the steps computed.
double advance_segments(const Stepper& stepper, const ScoreFunction& score, std::uint64_t key, const Limits& lim,
                        Index block, int threads, std::vector<Replica>& reps, const std::vector<Index>& active) {
  const auto n_active = static_cast<Index>(active.size());
  if (n_active == 0) return 0.0;
  block = std::max<Index>(block, 1);
  const Index nblocks = (n_active + block - 1) / block;
  std::vector<std::string> errors(static_cast<std::size_t>(nblocks));
  std::vector<double> steps(static_cast<std::size_t>(nblocks), 0.0);
#pragma omp parallel for schedule(dynamic, 1) num_threads(nblocks > 1 ? threads : 1)
  for (Index b = 0; b < nblocks; ++b) {
    const Index r0 = b * block, rows = std::min(block, n_active - r0);
    Mat X(rows, lim.width);
    Vec sc(rows);
    std::vector<Index> idx(static_cast<std::size_t>(rows));
    std::vector<std::uint64_t> ids(static_cast<std::size_t>(rows));
    for (Index r = 0; r < rows; ++r) {
      const Replica& rep = reps[static_cast<std::size_t>(active[static_cast<std::size_t>(r0 + r)])];
      idx[static_cast<std::size_t>(r)] = active[static_cast<std::size_t>(r0 + r)];
      ids[static_cast<std::size_t>(r)] = rep.id;
      const double* last = rep.states.data() + rep.states.size() - static_cast<std::size_t>(lim.width);
      for (Index j = 0; j < lim.width; ++j) X(r, j) = last[j];
    }
    Index live = rows;
    std::string& err = errors[static_cast<std::size_t>(b)];
    for (std::int64_t k = 0; live > 0 && err.empty(); ++k) {
      if (k >= lim.max_segment_steps) {
        err = "AMS: a replica segment was in neither A nor B after max_segment_steps = " +
              std::to_string(lim.max_segment_steps) + " steps; raise the limit or check the levels";
        break;
      }
      auto Xl = X.topRows(live);
      stepper.advance(key, static_cast<std::uint64_t>(k), RowIds::mapped(ids.data()), Xl);
      steps[static_cast<std::size_t>(b)] += static_cast<double>(live);
      score.evaluate(Xl.leftCols(lim.dim), sc.head(live));
      for (Index r = 0; r < live; ++r) {
        Replica& rep = reps[static_cast<std::size_t>(idx[static_cast<std::size_t>(r)])];
        const double s = sc[r];
        if (!std::isfinite(s)) {
          err = "AMS: a replica's score is not finite (the chain diverged) at step " + std::to_string(k + 1) +
                " of a segment";
          break;
        }
        if (static_cast<Index>(rep.scores.size()) >= lim.max_states) {
          err = "AMS: a replica path longer than " + std::to_string(lim.max_states - 1) +
                " steps would exceed the memory limit for stored paths (replicas x (steps + 1) x (columns + 1) "
                "doubles); raise the memory limit or use fewer replicas";
          break;
        }
        for (Index j = 0; j < lim.width; ++j) rep.states.push_back(X(r, j));
        rep.scores.push_back(s);
        rep.max_score = std::max(rep.max_score, s);
        rep.done = s <= lim.za || s >= lim.zb;
      }
      // Keep the rows still running, in order (each row's arithmetic does not depend on its block).
      Index w = 0;
      for (Index r = 0; r < live; ++r) {
        if (reps[static_cast<std::size_t>(idx[static_cast<std::size_t>(r)])].done) continue;
        if (w != r) {
          X.row(w) = X.row(r);
          idx[static_cast<std::size_t>(w)] = idx[static_cast<std::size_t>(r)];
          ids[static_cast<std::size_t>(w)] = ids[static_cast<std::size_t>(r)];
        }
        ++w;
      }
      live = w;
    }
  }
  for (const auto& e : errors)
    if (!e.empty()) throw std::runtime_error(e);
  double total = 0.0;
  for (const double s : steps) total += s;
  return total;
}

Limits limits_for(const Stepper& stepper, const ScoreFunction& score, const AmsSpec& spec) {
  Limits lim{};
  lim.za = spec.level_a;
  lim.zb = spec.level_b;
  lim.dim = score.dim();
  lim.width = lim.dim + stepper.extra_columns();
  lim.max_segment_steps = spec.max_segment_steps;
  const double per_state = static_cast<double>(spec.replicas) * static_cast<double>(lim.width + 1) * 8.0;
  lim.max_states = static_cast<Index>(std::min(spec.memory_limit_bytes / per_state, 9.0e15));
  return lim;
}

Vec initial_state(const Stepper& stepper, const Vec& theta) {
  Vec x(theta.size() + stepper.extra_columns());
  x.head(theta.size()) = theta;
  x.tail(stepper.extra_columns()) = stepper.initial_extra(theta);
  return x;
}

struct MeanSe {
  double mean = 0.0, se = 0.0;
};

MeanSe mean_se(const std::vector<double>& v) {
  MeanSe r;
  if (v.empty()) return r;
  const auto n = static_cast<double>(v.size());
  for (const double x : v) r.mean += x;
  r.mean /= n;
  if (v.size() < 2) return r;
  double ss = 0.0;
  for (const double x : v) ss += (x - r.mean) * (x - r.mean);
  r.se = std::sqrt(ss / (n - 1.0) / n);
  return r;
}

}  // namespace

// ---- ScoreFunction ----

ScoreFunction ScoreFunction::coordinate(Index dim, Index i) {
  if (dim < 1 || i < 0 || i >= dim)
    throw std::invalid_argument("AMS score: coordinate " + std::to_string(i) + " is not in 0.." +
                                std::to_string(dim - 1));
  Vec u = Vec::Zero(dim);
  u[i] = 1.0;
  ScoreFunction f = projection(u, Vec::Zero(dim));
  f.coordinate_ = i;
  return f;
}

ScoreFunction ScoreFunction::projection(Vec u, Vec origin) {
  if (u.size() < 1 || u.size() != origin.size())
    throw std::invalid_argument("AMS score: the direction and the origin must have the same, positive, dimension");
  if (!u.allFinite() || !origin.allFinite() || u.squaredNorm() == 0.0)
    throw std::invalid_argument("AMS score: the direction must be finite and non-zero, the origin finite");
  ScoreFunction f;
  f.kind_ = Kind::projection;
  f.u_ = std::move(u);
  f.c_ = std::move(origin);
  return f;
}

ScoreFunction ScoreFunction::distance(Vec center) {
  if (center.size() < 1 || !center.allFinite())
    throw std::invalid_argument("AMS score: the center must be a finite point");
  ScoreFunction f;
  f.kind_ = Kind::distance;
  f.c_ = std::move(center);
  return f;
}

ScoreFunction ScoreFunction::loss_value(std::shared_ptr<const Loss> loss) {
  if (!loss) throw std::invalid_argument("AMS score: no loss");
  ScoreFunction f;
  f.kind_ = Kind::loss;
  f.loss_ = std::move(loss);
  return f;
}

Index ScoreFunction::dim() const { return kind_ == Kind::loss ? loss_->dim() : c_.size(); }

void ScoreFunction::evaluate(ConstBlockRef theta, Eigen::Ref<Vec> out) const {
  switch (kind_) {
    case Kind::projection:
      out.noalias() = (theta.rowwise() - c_.transpose()) * u_;
      return;
    case Kind::distance:
      out = (theta.rowwise() - c_.transpose()).rowwise().norm();
      return;
    case Kind::loss:
      loss_->value(theta, out);
      return;
  }
}

double ScoreFunction::at(const Vec& theta) const {
  Mat X = theta.transpose();
  Vec out(1);
  evaluate(X, out);
  return out[0];
}

std::string ScoreFunction::describe() const {
  switch (kind_) {
    case Kind::projection:
      return coordinate_ >= 0 ? "coordinate theta[" + std::to_string(coordinate_) + "]" : "projection u . (theta - c)";
    case Kind::distance:
      return "distance |theta - c|";
    case Kind::loss:
      return "loss value L(theta)";
  }
  return "";
}

// ---- validation ----

void validate_ams(const Stepper& stepper, const ScoreFunction& score, const AmsSpec& spec) {
  auto bad = [](const std::string& what) { throw std::invalid_argument("AMS: " + what); };
  if (spec.replicas < 2) bad("replicas must be at least 2 (got " + std::to_string(spec.replicas) + ")");
  if (spec.kill < 1 || spec.kill >= spec.replicas)
    bad("kill (k) must satisfy 1 <= k < replicas (got k = " + std::to_string(spec.kill) +
        ", replicas = " + std::to_string(spec.replicas) + ")");
  if (!std::isfinite(spec.level_a) || !std::isfinite(spec.level_b)) bad("level_a and level_b must be finite");
  if (!(spec.level_a < spec.level_b))
    bad("level_a (z_A = " + num(spec.level_a) + ") must be below level_b (z_B = " + num(spec.level_b) + ")");
  if (spec.max_iterations < 1) bad("max_iterations must be positive");
  if (spec.max_segment_steps < 1) bad("max_segment_steps must be positive");
  if (!(spec.memory_limit_bytes > 0.0)) bad("the memory limit must be positive");
  if (spec.threads < 1) bad("threads must be positive");
  if (spec.start.size() != score.dim())
    bad("the start point has " + std::to_string(spec.start.size()) + " coordinates, the score expects " +
        std::to_string(score.dim()));
  if (!spec.start.allFinite()) bad("the start point must be finite");
  const double xi0 = score.at(spec.start);
  if (!std::isfinite(xi0)) bad("the score of the start point is not finite");
  if (xi0 >= spec.level_b)
    bad("the start point is in B: its score " + num(xi0) + " is at or above level_b = " + num(spec.level_b));
  const Limits lim = limits_for(stepper, score, spec);
  if (spec.starts.size() != 0) {
    if (spec.starts.cols() != lim.width)
      bad("the start states have " + std::to_string(spec.starts.cols()) + " columns, the stepper's state has " +
          std::to_string(lim.width));
    Vec sc(spec.starts.rows());
    score.evaluate(spec.starts.leftCols(lim.dim), sc);
    for (Index i = 0; i < sc.size(); ++i)
      if (!(sc[i] < spec.level_b))
        bad("start state " + std::to_string(i) + " is in B or not finite (score " + num(sc[i]) + ")");
  }
  if (lim.max_states < 2)
    bad("the memory limit (" + num(spec.memory_limit_bytes) + " bytes) cannot hold one step of every replica");
}

std::uint64_t ams_run_key(std::uint64_t seed, std::int64_t run) {
  return mix64(seed ^ mix64(static_cast<std::uint64_t>(run) + 0x414D5300ull));  // "AMS"
}

// ---- one run ----

AmsRunResult ams_run(const Stepper& stepper, const ScoreFunction& score, const AmsSpec& spec, std::int64_t run) {
  validate_ams(stepper, score, spec);
  const Limits lim = limits_for(stepper, score, spec);
  const std::uint64_t key = ams_run_key(spec.seed, run);
  const Index n = spec.replicas;
  const Vec x0 = initial_state(stepper, spec.start);

  std::vector<Replica> reps(static_cast<std::size_t>(n));
  std::vector<Index> active(static_cast<std::size_t>(n));
  const Index n_starts = spec.starts.rows();
  Mat first(n, lim.width);
  for (Index i = 0; i < n; ++i) {
    if (n_starts == 0) {
      first.row(i) = x0.transpose();
    } else {
      const std::uint64_t row =
          (static_cast<std::uint64_t>(run) * static_cast<std::uint64_t>(n) + static_cast<std::uint64_t>(i)) %
          static_cast<std::uint64_t>(n_starts);
      first.row(i) = spec.starts.row(static_cast<Index>(row));
    }
  }
  Vec first_score(n);
  score.evaluate(first.leftCols(lim.dim), first_score);
  for (Index i = 0; i < n; ++i) {
    Replica& r = reps[static_cast<std::size_t>(i)];
    for (Index j = 0; j < lim.width; ++j) r.states.push_back(first(i, j));
    r.scores.assign(1, first_score[i]);
    r.max_score = first_score[i];
    r.id = static_cast<std::uint64_t>(i);
    active[static_cast<std::size_t>(i)] = i;
  }
  AmsRunResult res;
  res.trajectory_steps += advance_segments(stepper, score, key, lim, spec.block, spec.threads, reps, active);

  std::uint64_t next_id = static_cast<std::uint64_t>(n);
  std::vector<double> maxes(static_cast<std::size_t>(n));
  std::vector<Index> survivors, killed;
  for (std::int64_t q = 0;; ++q) {
    for (Index i = 0; i < n; ++i) maxes[static_cast<std::size_t>(i)] = reps[static_cast<std::size_t>(i)].max_score;
    auto kth = maxes.begin() + (spec.kill - 1);
    std::nth_element(maxes.begin(), kth, maxes.end());
    const double level = *kth;
    if (level >= spec.level_b) break;
    if (q >= spec.max_iterations)
      throw std::runtime_error("AMS: the level " + num(level) + " is still below level_b = " + num(spec.level_b) +
                               " after max_iterations = " + std::to_string(spec.max_iterations) + " iterations");
    survivors.clear();
    killed.clear();
    for (Index i = 0; i < n; ++i)
      (reps[static_cast<std::size_t>(i)].max_score <= level ? killed : survivors).push_back(i);
    const auto K = static_cast<Index>(killed.size());
    res.iterations = q + 1;
    res.killed += K;
    if (K == n) {
      res.extinct = true;
      res.log_weight = -std::numeric_limits<double>::infinity();
      break;
    }
    res.log_weight += std::log1p(-static_cast<double>(K) / static_cast<double>(n));
    const auto S = static_cast<double>(survivors.size());
    active.clear();
    for (const Index i : killed) {
      // The survivor to copy: uniform, from Philox at (key, ams_clone, trajectory i, step q).
      std::uint32_t out[4];
      philox_block(StreamCoords{key, Purpose::ams_clone, static_cast<std::uint64_t>(q)}, static_cast<std::uint64_t>(i),
                   0, out);
      const double u = u01_open(out[0], out[1]);
      const auto pick = std::min(static_cast<std::size_t>(u * S), survivors.size() - 1);
      const Replica& parent = reps[static_cast<std::size_t>(survivors[pick])];
      std::size_t j = 0;
      while (!(parent.scores[j] > level)) ++j;  // exists: the parent's maximum is above the level
      Replica& r = reps[static_cast<std::size_t>(i)];
      r.states.assign(parent.states.begin(), parent.states.begin() + static_cast<std::ptrdiff_t>((j + 1) * lim.width));
      r.scores.assign(parent.scores.begin(), parent.scores.begin() + static_cast<std::ptrdiff_t>(j + 1));
      r.max_score = parent.scores[j];
      if (next_id > 0xFFFFFFFFull)
        throw std::runtime_error("AMS: more than 2^32 segments in one run (the stream ids are 32-bit)");
      r.id = next_id++;
      // A restart state already in A or B (possible only at j >= 1) ends the clone there.
      r.done = j >= 1 && (parent.scores[j] <= spec.level_a || parent.scores[j] >= spec.level_b);
      if (!r.done) active.push_back(i);
    }
    res.trajectory_steps += advance_segments(stepper, score, key, lim, spec.block, spec.threads, reps, active);
  }
  double t_b = 0.0;
  for (const Replica& r : reps) {
    res.longest_path = std::max(res.longest_path, r.length());
    if (!res.extinct && r.max_score >= spec.level_b) {
      ++res.reached_b;
      t_b += static_cast<double>(r.length());
    }
  }
  const double w = res.extinct ? 0.0 : std::exp(res.log_weight);
  res.p = w * static_cast<double>(res.reached_b) / static_cast<double>(n);
  res.reactive_sum = w * t_b / static_cast<double>(n);
  return res;
}

// ---- independent runs ----

AmsEstimate ams_estimate(const Stepper& stepper, const ScoreFunction& score, const AmsSpec& spec, Index runs) {
  if (runs < 1) throw std::invalid_argument("AMS: runs must be at least 1");
  validate_ams(stepper, score, spec);
  AmsEstimate est;
  est.runs.resize(static_cast<std::size_t>(runs));
  std::vector<std::exception_ptr> errors(static_cast<std::size_t>(runs));
  const bool across_runs = spec.threads > 1 && runs >= spec.threads;
  AmsSpec inner = spec;
  if (across_runs) inner.threads = 1;
#pragma omp parallel for schedule(dynamic, 1) num_threads(across_runs ? spec.threads : 1)
  for (Index r = 0; r < runs; ++r) {
    try {
      est.runs[static_cast<std::size_t>(r)] = ams_run(stepper, score, inner, r);
    } catch (...) {
      errors[static_cast<std::size_t>(r)] = std::current_exception();
    }
  }
  for (const auto& e : errors)
    if (e) std::rethrow_exception(e);
  std::vector<double> ps, ys;
  for (const auto& r : est.runs) {
    ps.push_back(r.p);
    ys.push_back(r.reactive_sum);
    est.iterations += r.iterations;
    est.trajectory_steps += r.trajectory_steps;
  }
  const MeanSe p = mean_se(ps), y = mean_se(ys);
  est.p = p.mean;
  est.p_se = p.se;
  est.reactive = y.mean;
  est.reactive_se = y.se;
  if (runs >= 2) {
    double c = 0.0;
    for (Index r = 0; r < runs; ++r)
      c += (ps[static_cast<std::size_t>(r)] - p.mean) * (ys[static_cast<std::size_t>(r)] - y.mean);
    est.cov_p_reactive = c / static_cast<double>(runs - 1) / static_cast<double>(runs);
  }
  est.reactive_time = est.p > 0.0 ? est.reactive / est.p : 0.0;
  return est;
}

// ---- brute-force loop times ----

LoopStats ams_loop_times(const Stepper& stepper, const ScoreFunction& score, const AmsSpec& spec, Index loops,
                         const Vec& from, Index burn_in) {
  validate_ams(stepper, score, spec);
  if (loops < 2) throw std::invalid_argument("AMS: at least 2 brute-force loops are needed for a standard error");
  if (burn_in < 0) throw std::invalid_argument("AMS rate: the burn-in cycles must be >= 0");
  const double xi0 = score.at(spec.start);
  if (!(xi0 > spec.level_a))
    throw std::invalid_argument("AMS rate: the start point's score (" + num(xi0) + ") must be above level_a = " +
                                num(spec.level_a) + ": loops return from A to {score >= score(start)}");
  const bool entries = from.size() != 0;
  if (entries && from.size() != score.dim())
    throw std::invalid_argument("AMS rate: the point the transition starts from has the wrong dimension");
  if (entries && !(score.at(from) < xi0))
    throw std::invalid_argument("AMS rate: the point the transition starts from must lie below Sigma (score < " +
                                num(xi0) + ")");
  const std::uint64_t key = ams_run_key(spec.seed, -1);
  const Index d = score.dim(), width = d + stepper.extra_columns();
  // Phases: 5 towards Sigma from `from`; 0 an excursion towards A or B; 1 from A back to Sigma;
  // 2 the recorded loop completed; 3 an excursion reached B first. cycles[t] counts the
  // entrances into Sigma after a visit to A; the loop that starts at entrance number burn_in
  // is the one recorded (burn_in = 0: the first excursion).
  enum : int { kExcursion = 0, kBack = 1, kLoop = 2, kSuccess = 3, kEntry = 5 };
  const auto nl = static_cast<std::size_t>(loops);
  std::vector<int> phase(nl, entries ? kEntry : kExcursion);
  std::vector<std::int64_t> t_first(nl, 0), t_entry(nl, 0), t_end(nl, 0);
  std::vector<Index> cycles(nl, 0);
  std::vector<char> recording(nl, burn_in == 0 ? 1 : 0);
  Mat first_in(entries || burn_in > 0 ? loops : 0, width), back_in(loops, width);
  const Vec x_start = initial_state(stepper, entries ? Vec(from) : spec.start);
  const Index block = std::max<Index>(spec.block, 1);
  const Index nblocks = (loops + block - 1) / block;
  std::vector<std::string> errors(static_cast<std::size_t>(nblocks));
  std::vector<double> computed(static_cast<std::size_t>(nblocks), 0.0);
#pragma omp parallel for schedule(dynamic, 1) num_threads(nblocks > 1 ? spec.threads : 1)
  for (Index b = 0; b < nblocks; ++b) {
    const Index r0 = b * block, rows = std::min(block, loops - r0);
    Mat X(rows, width);
    Vec sc(rows);
    std::vector<Index> idx(static_cast<std::size_t>(rows));
    std::vector<std::uint64_t> ids(static_cast<std::size_t>(rows));
    for (Index r = 0; r < rows; ++r) {
      idx[static_cast<std::size_t>(r)] = r0 + r;
      ids[static_cast<std::size_t>(r)] = static_cast<std::uint64_t>(r0 + r);
      X.row(r) = x_start.transpose();
    }
    Index live = rows;
    std::string& err = errors[static_cast<std::size_t>(b)];
    for (std::int64_t k = 0; live > 0; ++k) {
      if (k >= spec.max_segment_steps) {
        err = "AMS rate: a brute-force loop was not back in Sigma after max_segment_steps = " +
              std::to_string(spec.max_segment_steps) + " steps";
        break;
      }
      auto Xl = X.topRows(live);
      stepper.advance(key, static_cast<std::uint64_t>(k), RowIds::mapped(ids.data()), Xl);
      computed[static_cast<std::size_t>(b)] += static_cast<double>(live);
      score.evaluate(Xl.leftCols(d), sc.head(live));
      Index w = 0;
      for (Index r = 0; r < live; ++r) {
        const auto t = static_cast<std::size_t>(idx[static_cast<std::size_t>(r)]);
        const double s = sc[r];
        if (!std::isfinite(s)) {
          err = "AMS rate: a brute-force trajectory diverged";
          break;
        }
        int& ph = phase[t];
        if (ph == kEntry) {
          if (s >= xi0) {
            t_first[t] = t_entry[t] = k + 1;
            if (recording[t]) first_in.row(static_cast<Index>(t)) = X.row(r);
            ph = s >= spec.level_b ? kSuccess : kExcursion;
          }
        } else if (ph == kExcursion) {
          if (s >= spec.level_b)
            ph = kSuccess;
          else if (s <= spec.level_a)
            ph = kBack;
        } else if (ph == kBack && s >= xi0) {
          if (recording[t]) {
            t_end[t] = k + 1;
            back_in.row(static_cast<Index>(t)) = X.row(r);
            ph = kLoop;
          } else {  // a burn-in cycle ended; the loop starting at entrance burn_in is recorded
            ph = s >= spec.level_b ? kSuccess : kExcursion;
            if (++cycles[t] == burn_in) {
              recording[t] = 1;
              t_entry[t] = k + 1;
              first_in.row(static_cast<Index>(t)) = X.row(r);
            }
          }
        }
        if (ph == kLoop || ph == kSuccess) continue;
        if (w != r) {
          X.row(w) = X.row(r);
          idx[static_cast<std::size_t>(w)] = idx[static_cast<std::size_t>(r)];
          ids[static_cast<std::size_t>(w)] = ids[static_cast<std::size_t>(r)];
        }
        ++w;
      }
      if (!err.empty()) break;
      live = w;
    }
  }
  for (const auto& e : errors)
    if (!e.empty()) throw std::runtime_error(e);
  LoopStats st;
  std::vector<double> lt, et;
  std::vector<Index> first_rows, back_rows;
  for (Index t = 0; t < loops; ++t) {
    const auto u = static_cast<std::size_t>(t);
    if (entries && phase[u] != kEntry) et.push_back(static_cast<double>(t_first[u]));
    if (recording[u] && (entries || burn_in > 0)) first_rows.push_back(t);
    if (phase[u] == kLoop) {
      lt.push_back(static_cast<double>(t_end[u] - t_entry[u]));
      back_rows.push_back(t);
    }
    if (phase[u] == kSuccess) ++st.successes;
  }
  for (const double c : computed) st.trajectory_steps += c;
  st.loops = static_cast<Index>(lt.size());
  const MeanSe l = mean_se(lt), e = mean_se(et);
  st.mean = l.mean;
  st.se = l.se;
  st.entries = static_cast<Index>(et.size());
  st.entry_mean = e.mean;
  st.entry_se = e.se;
  st.entrance_states.resize(static_cast<Index>(first_rows.size() + back_rows.size()), width);
  Index row = 0;
  for (const Index t : first_rows) st.entrance_states.row(row++) = first_in.row(t);
  for (const Index t : back_rows) st.entrance_states.row(row++) = back_in.row(t);
  return st;
}

// ---- the rate ----

AmsRate ams_rate(const AmsEstimate& est, const LoopStats& loops, double eta) {
  AmsRate r;
  const double p = est.p;
  if (!(p > 0.0)) {
    r.reason = "the AMS estimate of p is 0 (every run went extinct): no rate";
    return r;
  }
  if (loops.loops < 2) {
    r.reason = "fewer than 2 failed brute-force loops";
    return r;
  }
  const double Tl = loops.mean, Y = est.reactive, T0 = loops.entry_mean;
  // E[T] = T0 + (1/p - 1) Tl + Y/p (Cerou, Guyader, Lelievre & Pommier 2011; docs/theory.md 8.8).
  const double T = T0 + (1.0 / p - 1.0) * Tl + Y / p;
  // Delta method: d/dp = -(Tl + Y)/p^2, d/dY = 1/p, d/dTl = 1/p - 1, d/dT0 = 1.
  const double gp = -(Tl + Y) / (p * p), gy = 1.0 / p, gl = 1.0 / p - 1.0;
  const double var = gp * gp * est.p_se * est.p_se + gy * gy * est.reactive_se * est.reactive_se +
                     2.0 * gp * gy * est.cov_p_reactive + gl * gl * loops.se * loops.se +
                     loops.entry_se * loops.entry_se;
  r.available = true;
  r.mean_time_steps = T;
  r.mean_time_steps_se = std::sqrt(std::max(var, 0.0));
  r.mean_time = T * eta;
  r.mean_time_se = r.mean_time_steps_se * eta;
  r.rate = 1.0 / r.mean_time;
  r.rate_se = r.mean_time_se / (r.mean_time * r.mean_time);
  r.loop_time = Tl * eta;
  r.reactive_time = est.reactive_time * eta;
  r.entry_time = T0 * eta;
  return r;
}

}  // namespace sgdnoise
