// [observe] paths / distribution / quantiles / histogram_* (analysis/distribution_observer.hpp)
// and the .npz writer (io/npz.hpp): the same arrays for any thread count and block size
// (docs/conventions.md, determinism), type-7 quantiles, counts that add up, a ZIP archive
// with one stored member per array, and bad keys refused with the key named.
#include <gtest/gtest.h>

#include <cstring>

#include "analysis/distribution_observer.hpp"
#include "expect_input_error.hpp"
#include "io/npz.hpp"
#include "scenario/experiment.hpp"
#include "scenario/runner.hpp"
#include "test_util.hpp"

using namespace sgdnoise;

namespace {

const std::vector<std::string> kSets = {"observe.paths=[5, 1]",
                                        "observe.paths_first=2",
                                        "observe.distribution=\"loss, dist2, theta_1\"",
                                        "observe.quantiles=[0.1, 0.5, 0.95]",
                                        "observe.histogram_bins=4",
                                        "observe.histogram_range=[0.0, 2.0]"};

std::vector<ObserverArray> arrays_of(int threads, Index block) {
  Experiment ex = build_experiment(Scenario::parse(test::kSmallQuadratic, "t.toml", kSets), threads);
  ex.spec.block = block;
  run_experiment(ex);
  std::vector<ObserverArray> out;
  for (const Observer* o : ex.observer_ptrs()) o->arrays(out);
  return out;
}

}  // namespace

TEST(DistributionObserver, SameArraysForAnyThreadCountAndBlockSize) {
  const auto a = arrays_of(1, 256), b = arrays_of(2, 5);
  ASSERT_EQ(a.size(), b.size());
  ASSERT_EQ(a.size(), 4u + 4u + 6u);  // paths: k tau ids theta; k tau probabilities edges + 2 per observable
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].file + "/" + a[i].name, b[i].file + "/" + b[i].name);
    EXPECT_EQ(a[i].shape, b[i].shape);
    ASSERT_EQ(a[i].data.size(), b[i].data.size());
    EXPECT_EQ(0, std::memcmp(a[i].data.data(), b[i].data.data(), sizeof(double) * a[i].data.size())) << a[i].name;
  }
  // theta: 11 observations x 4 trajectories (0, 1, 5: ids deduplicated, first K first) x d = 2.
  const auto& theta = a[3];
  EXPECT_EQ(theta.name, "theta");
  EXPECT_EQ(theta.shape, (std::vector<Index>{11, 3, 2}));
  // Every histogram row counts every trajectory once (the bins plus below and above).
  for (const auto& arr : a)
    if (arr.name.rfind("histogram_", 0) == 0)
      for (Index r = 0; r < arr.shape[0]; ++r) {
        double total = 0.0;
        for (Index c = 0; c < arr.shape[1]; ++c) total += arr.data[static_cast<std::size_t>(r * arr.shape[1] + c)];
        EXPECT_EQ(total, 64.0) << arr.name << " row " << r;
      }
}

TEST(DistributionObserver, Type7Quantiles) {
  const std::vector<double> x = {1.0, 2.0, 4.0, 8.0};
  EXPECT_EQ(sorted_quantile(x, 0.0), 1.0);
  EXPECT_EQ(sorted_quantile(x, 1.0), 8.0);
  EXPECT_DOUBLE_EQ(sorted_quantile(x, 0.5), 3.0);  // h = 1.5: 2 + 0.5 (4 - 2)
  EXPECT_DOUBLE_EQ(sorted_quantile(x, 0.9), 6.8);  // h = 2.7: 4 + 0.7 (8 - 4)
  EXPECT_TRUE(std::isnan(sorted_quantile({}, 0.5)));
}

TEST(DistributionObserver, NpzIsAZipOfStoredNpyMembers) {
  const std::string z = npz_bytes({{"f", "a", {2}, {1.0, 2.0}, false}, {"f", "b", {1, 2}, {3.0, 4.0}, true}});
  ASSERT_GT(z.size(), 22u);
  EXPECT_EQ(z.substr(0, 4), std::string("PK\x03\x04", 4));
  EXPECT_EQ(z.substr(z.size() - 22, 4), std::string("PK\x05\x06", 4));
  EXPECT_EQ(z[z.size() - 12], 2);  // two members in the central directory
  EXPECT_NE(z.find("a.npy"), std::string::npos);
  EXPECT_NE(z.find("'descr': '<i8'"), std::string::npos);
  EXPECT_NE(z.find("'shape': (2,)"), std::string::npos);
}

TEST(DistributionObserver, BadKeysNameTheKey) {
  auto build = [](const std::vector<std::string>& sets) {
    build_experiment(Scenario::parse(test::kSmallQuadratic, "t.toml", sets), 1);
  };
  test::expect_input_error([&] { build({"observe.paths=[64]"}); }, "observe.paths");
  test::expect_input_error([&] { build({"observe.paths=[1.5]"}); }, "observe.paths");
  test::expect_input_error(
      [&] {
        build({"observe.distribution=\"theta_2\"", "observe.quantiles=[0.5]"});
      },
      "observe.distribution");
  test::expect_input_error(
      [&] {
        build({"observe.distribution=\"energy\"", "observe.quantiles=[0.5]"});
      },
      "observe.distribution");
  test::expect_input_error([&] { build({"observe.distribution=\"loss\""}); }, "observe.distribution");
  test::expect_input_error([&] { build({"observe.quantiles=[0.5]"}); }, "observe.distribution");
  test::expect_input_error(
      [&] {
        build({"observe.distribution=\"loss\"", "observe.quantiles=[1.5]"});
      },
      "observe.quantiles");
  test::expect_input_error(
      [&] {
        build({"observe.distribution=\"loss\"", "observe.histogram_bins=3"});
      },
      "observe.histogram_range");
}
