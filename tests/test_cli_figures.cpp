// `sgdnoise figures`: the manifest is validated (file, line, key, reason; exit 2), each
// figure's status combines its runs' checks, and a failing command is an error (exit 3)
// named in gallery.json, which is written whatever happens.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "test_util.hpp"

using namespace sgdnoise;

namespace {

std::string write_manifest(const std::filesystem::path& dir, const std::string& text) {
  std::filesystem::create_directories(dir / "plots");
  std::ofstream(dir / "plots" / "figures.toml") << text;
  return (dir / "plots" / "figures.toml").string();
}

}  // namespace

TEST(CliFigures, BadManifestExitsTwoNamingTheKey) {
  const auto dir = test::fresh_dir("figures-bad");
  const std::string unknown = write_manifest(
      dir,
      "[[figure]]\nname = \"a\"\npaper = \"p\"\ntitle = \"t\"\ncaption = \"c\"\ncommands = [[\"true\"]]\nbogus = 1\n");
  auto r = test::run_cli("figures --manifest " + unknown + " --out " + (dir / "out").string());
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("figure.0.bogus"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("figures.toml:7"), std::string::npos) << r.output;
  EXPECT_FALSE(std::filesystem::exists(dir / "out" / "gallery.json"));

  const std::string dup = write_manifest(dir,
                                         "[[figure]]\nname = \"a\"\npaper = \"p\"\ntitle = \"t\"\ncaption = \"c\"\n"
                                         "commands = [[\"true\"]]\n[[figure]]\nname = \"a\"\npaper = \"p\"\n"
                                         "title = \"t\"\ncaption = \"c\"\ncommands = [[\"true\"]]\n");
  r = test::run_cli("figures --manifest " + dup + " --out " + (dir / "out").string());
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("duplicate figure name"), std::string::npos) << r.output;

  r = test::run_cli("figures --manifest " + dup + " --only nosuch");
  EXPECT_EQ(r.code, 2) << r.output;
}

TEST(CliFigures, StatusFromTheRunsChecksAndFailingCommands) {
  const auto dir = test::fresh_dir("figures-run");
  std::filesystem::create_directories(dir / "scenarios");
  std::filesystem::copy_file(test::source_path("scenarios/quadratic_isotropic.toml"),
                             dir / "scenarios" / "quadratic_isotropic.toml");
  const std::string m = write_manifest(
      dir,
      "[[figure]]\nname = \"ok\"\npaper = \"p\"\ntitle = \"t\"\ncaption = \"c\"\n"
      "commands = [[\"{sgdnoise}\", \"run\", \"scenarios/quadratic_isotropic.toml\", \"--out\", \"{runs}/q\"]]\n"
      "quick_set = [\"dynamics.trajectories=512\"]\n"
      "[[figure]]\nname = \"broken\"\npaper = \"p\"\ntitle = \"t\"\ncaption = \"c\"\n"
      "commands = [[\"{python}\", \"-c\", \"import sys; sys.exit(4)\"]]\n");
  const auto out = dir / "out";
  const auto r = test::run_cli("figures --quick --manifest " + m + " --out " + out.string());
  EXPECT_EQ(r.code, 3) << r.output;
  std::ifstream in(out / "gallery.json");
  ASSERT_TRUE(in) << r.output;
  const auto g = nlohmann::json::parse(in);
  EXPECT_EQ(g["figures"]["ok"]["status"], "passed") << g.dump(1);
  EXPECT_GT(g["figures"]["ok"]["checks"].get<int>(), 0);
  EXPECT_EQ(g["figures"]["broken"]["status"], "error");
  EXPECT_NE(g["figures"]["broken"]["reason"].get<std::string>().find("exited 4"), std::string::npos);
  // The quick size reached the run.
  std::ifstream s(out / "runs" / "q" / "summary.json");
  ASSERT_TRUE(s);
  EXPECT_EQ(nlohmann::json::parse(s)["scenario"]["dynamics"]["trajectories"], 512);
  EXPECT_TRUE(std::filesystem::exists(out / "gallery.md"));
}
