#include "analysis/batch_penalty.hpp"

#include <cmath>
#include <stdexcept>

namespace sgdnoise {

namespace {

void check_batch(Index n, Index b, SgdSampling::Scheme scheme) {
  if (b < 1) throw std::invalid_argument("batch size " + std::to_string(b) + " < 1");
  if (scheme == SgdSampling::Scheme::reshuffle)
    throw std::invalid_argument("random reshuffling: the batches of an epoch are dependent, give i.i.d. batches");
  if (scheme == SgdSampling::Scheme::without_replacement && b > n)
    throw std::invalid_argument("batch size " + std::to_string(b) + " > n = " + std::to_string(n) +
                                " without replacement");
}

double mean(const Vec& x) { return x.mean(); }

// Mean over ordered pairs of distinct samples of f(a) g(c): (n m_f m_g - m_fg) / (n - 1).
double distinct_pair(const Vec& f, const Vec& g) {
  const double n = static_cast<double>(f.size());
  return (n * mean(f) * mean(g) - f.cwiseProduct(g).mean()) / (n - 1.0);
}

// sum_{i != j} M_ij g_i g_j = g^T M g - sum_i M_ii g_i^2.
double cross_term(const Mat& M, const Vec& g) {
  return g.dot(M * g) - (M.diagonal().array() * g.array().square()).sum();
}

// The allowance adds to the largest remainder the rounding of the sums themselves (the loss
// differences are taken between values of order max |l_a|, so 1e-12 of that scale is far above
// their rounding and far below any penalty the figures show).
PenaltyEstimate compare(const Vec& measured, double predicted, double allowance, double scale, double sigmas) {
  PenaltyEstimate p;
  p.measured = mean_estimate(measured);
  p.predicted = predicted;
  p.allowance = allowance + 1e-12 * scale;
  const double diff = p.measured.value - predicted;
  p.z = p.measured.se > 0.0 ? diff / p.measured.se : (diff == 0.0 ? 0.0 : std::copysign(INFINITY, diff));
  p.passed = std::isfinite(p.measured.value) && std::abs(diff) <= sigmas * p.measured.se + allowance;
  return p;
}

}  // namespace

double batch_mean_moment2(const Vec& u, const Vec& v, Index b, SgdSampling::Scheme scheme) {
  if (u.size() != v.size() || u.size() < 1) throw std::invalid_argument("batch_mean_moment2: sizes differ or are 0");
  check_batch(u.size(), b, scheme);
  const double bb = static_cast<double>(b);
  const double one = u.cwiseProduct(v).mean();  // both positions on one sample
  double two = 0.0;                             // two distinct positions
  if (b > 1) two = scheme == SgdSampling::Scheme::with_replacement ? mean(u) * mean(v) : distinct_pair(u, v);
  return (bb * one + bb * (bb - 1.0) * two) / (bb * bb);
}

double batch_mean_moment3(const Vec& h, const Vec& u, const Vec& v, Index b, SgdSampling::Scheme scheme) {
  if (h.size() != u.size() || u.size() != v.size() || u.size() < 1)
    throw std::invalid_argument("batch_mean_moment3: sizes differ or are 0");
  check_batch(u.size(), b, scheme);
  const bool wr = scheme == SgdSampling::Scheme::with_replacement;
  const double bb = static_cast<double>(b), n = static_cast<double>(u.size());
  const Vec hu = h.cwiseProduct(u), hv = h.cwiseProduct(v), uv = u.cwiseProduct(v);
  const double one = hu.cwiseProduct(v).mean();
  double two = 0.0, three = 0.0;
  if (b > 1)
    two = wr ? hu.mean() * mean(v) + hv.mean() * mean(u) + uv.mean() * mean(h)
             : distinct_pair(hu, v) + distinct_pair(hv, u) + distinct_pair(uv, h);
  if (b > 2) {
    if (wr) {
      three = mean(h) * mean(u) * mean(v);
    } else {
      // sum over distinct (a, c, e) of h_a u_c v_e = all - the three coincidences + 2 (all equal).
      three = (n * n * mean(h) * mean(u) * mean(v) -
               n * (hu.mean() * mean(v) + hv.mean() * mean(u) + uv.mean() * mean(h)) + 2.0 * one) /
              ((n - 1.0) * (n - 2.0));
    }
  }
  return (bb * one + bb * (bb - 1.0) * two + bb * (bb - 1.0) * (bb - 2.0) * three) / (bb * bb * bb);
}

bool BatchPenaltyReport::all_passed() const {
  for (const auto& r : rows)
    for (const auto* p : {&r.current, &r.another, &r.full, &r.current_minus_another})
      if (!p->passed) return false;
  return true;
}

BatchPenaltyReport batch_penalty(const std::shared_ptr<const FiniteSumLoss>& loss, const Vec& theta, double eta,
                                 SgdSampling::Scheme scheme, const std::vector<Index>& batch_sizes, Index batches,
                                 std::uint64_t seed, double sigmas) {
  if (!loss) throw std::invalid_argument("batch_penalty: no loss");
  const Index n = loss->n_samples(), d = loss->dim();
  if (theta.size() != d)
    throw std::invalid_argument("theta has " + std::to_string(theta.size()) + " coordinates, the loss " +
                                std::to_string(d));
  if (!(std::isfinite(eta) && eta > 0.0)) throw std::invalid_argument("eta must be finite and > 0");
  if (batches < 2) throw std::invalid_argument("at least 2 batches are needed for a standard error");
  if (batch_sizes.empty()) throw std::invalid_argument("no batch size given");
  for (Index b : batch_sizes) check_batch(n, b, scheme);
  const auto v0 = loss->sample_values(theta);
  if (!v0 || !loss->sample_hessian(theta, 0))
    throw std::invalid_argument("the " + loss->kind() + " loss gives no per-sample losses and Hessians");

  BatchPenaltyReport rep;
  rep.theta = theta;
  rep.eta = eta;
  rep.sampling = scheme == SgdSampling::Scheme::with_replacement ? "with_replacement" : "without_replacement";
  rep.n = n;
  rep.d = d;
  rep.batches = batches;
  rep.seed = seed;
  rep.sigmas = sigmas;

  const Mat G = loss->sample_gradients(theta);  // d x n, column a: grad l_a(theta)
  std::vector<Mat> Hs;
  Hs.reserve(static_cast<std::size_t>(n));
  Mat Hbar = Mat::Zero(d, d);
  for (Index a = 0; a < n; ++a) {
    Hs.push_back(*loss->sample_hessian(theta, a));
    Hbar += Hs.back();
  }
  Hbar /= static_cast<double>(n);
  const double half_eta2 = 0.5 * eta * eta;

  for (Index b : batch_sizes) {
    BatchPenaltyRow row;
    row.batch = b;
    // The exact expectations (docs/theory.md 1.6 cross term; batch-mean moments above).
    double pred_current = 0.0, pred_another = 0.0;
    Vec h(n);
    for (Index i = 0; i < d; ++i)
      for (Index j = 0; j < d; ++j) {
        if (i == j) continue;
        for (Index a = 0; a < n; ++a) h[a] = Hs[static_cast<std::size_t>(a)](i, j);
        const Vec ui = G.row(i).transpose(), uj = G.row(j).transpose();
        pred_current += batch_mean_moment3(h, ui, uj, b, scheme);
        pred_another += Hbar(i, j) * batch_mean_moment2(ui, uj, b, scheme);
      }
    pred_current *= half_eta2;
    pred_another *= half_eta2;

    // B: the batch of SGD trajectory m at step 0; B': its batch at step 1 (independent).
    const SgdSampling sgd(loss, scheme, b);
    IndexBlock B, B2;
    sgd.draw_batch({seed, Purpose::sampling, 0}, 0, batches, B);
    sgd.draw_batch({seed, Purpose::sampling, 1}, 0, batches, B2);
    Vec cur(batches), oth(batches), ful(batches), diff(batches);
    double rem_cur = 0.0, rem_oth = 0.0, rem_ful = 0.0;
    const double inv_b = 1.0 / static_cast<double>(b);
    for (Index m = 0; m < batches; ++m) {
      Vec g = Vec::Zero(d);
      Mat HB = Mat::Zero(d, d), HB2 = Mat::Zero(d, d);
      for (Index k = 0; k < b; ++k) {
        g += G.col(B(m, k));
        HB += Hs[static_cast<std::size_t>(B(m, k))];
        HB2 += Hs[static_cast<std::size_t>(B2(m, k))];
      }
      g *= inv_b;
      HB *= inv_b;
      HB2 *= inv_b;
      // Per-sample penalties p_a = [l_a(w) - l_a(theta)] - sum_i [l_a(theta - eta g_i e_i) - l_a(theta)];
      // P_X is their mean over X, the loss being a mean over samples.
      Vec p = *loss->sample_values(theta - eta * g) - *v0;
      for (Index i = 0; i < d; ++i) {
        Vec t = theta;
        t[i] -= eta * g[i];
        p -= *loss->sample_values(t) - *v0;
      }
      double pb = 0.0, pb2 = 0.0;
      for (Index k = 0; k < b; ++k) {
        pb += p[B(m, k)];
        pb2 += p[B2(m, k)];
      }
      cur[m] = pb * inv_b;
      oth[m] = pb2 * inv_b;
      ful[m] = p.mean();
      diff[m] = cur[m] - oth[m];
      rem_cur = std::max(rem_cur, std::abs(cur[m] - half_eta2 * cross_term(HB, g)));
      rem_oth = std::max(rem_oth, std::abs(oth[m] - half_eta2 * cross_term(HB2, g)));
      rem_ful = std::max(rem_ful, std::abs(ful[m] - half_eta2 * cross_term(Hbar, g)));
    }
    const double scale = v0->cwiseAbs().maxCoeff();
    row.current = compare(cur, pred_current, rem_cur, scale, sigmas);
    row.another = compare(oth, pred_another, rem_oth, scale, sigmas);
    row.full = compare(ful, pred_another, rem_ful, scale, sigmas);
    row.current_minus_another = compare(diff, pred_current - pred_another, rem_cur + rem_oth, scale, sigmas);
    rep.rows.push_back(row);
  }
  return rep;
}

}  // namespace sgdnoise
