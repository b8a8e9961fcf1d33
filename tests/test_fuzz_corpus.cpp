// The fuzz harness's seed corpus (tests/fuzz/corpus/MODE/) replayed through the same
// targets as the AFL++ harness (tests/fuzz/fuzz_targets.hpp): every seed ends in success or
// an InputError, every mode has seeds, and .ci/fuzz fuzzes every mode.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "fuzz/fuzz_targets.hpp"
#include "test_util.hpp"

namespace fs = std::filesystem;

TEST(FuzzCorpus, EverySeedOfEveryModeIsAcceptedOrRefusedCleanly) {
  const fs::path corpus = sgdnoise::test::source_path("tests/fuzz/corpus");
  for (const auto& mode : sgdnoise::fuzz::modes()) {
    SCOPED_TRACE(mode);
    ASSERT_TRUE(fs::is_directory(corpus / mode)) << "no seed corpus for mode " << mode;
    int seeds = 0;
    for (const auto& e : fs::directory_iterator(corpus / mode)) {
      ++seeds;
      EXPECT_LE(fs::file_size(e.path()), 16u * 1024u) << e.path() << ": keep seeds small";
      EXPECT_NO_THROW(sgdnoise::fuzz::fuzz_one(mode, e.path().string())) << e.path();
    }
    EXPECT_GE(seeds, 3) << mode;
  }
  // Every corpus directory is a mode (.ci/fuzz fuzzes one run per directory).
  for (const auto& e : fs::directory_iterator(corpus)) {
    const std::string name = e.path().filename().string();
    EXPECT_NE(std::find(sgdnoise::fuzz::modes().begin(), sgdnoise::fuzz::modes().end(), name),
              sgdnoise::fuzz::modes().end())
        << name;
  }
}

TEST(FuzzCorpus, UnknownModeIsAnError) {
  EXPECT_THROW(sgdnoise::fuzz::fuzz_one("nope", "/dev/null"), std::invalid_argument);
}
