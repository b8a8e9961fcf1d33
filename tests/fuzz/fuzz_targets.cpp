// AFL++ harness for the scenario loader and the --set parser (issue 9).
//
// Input: a scenario file, optionally followed by a line "%%sets" and one --set
// assignment per line. The harness parses, validates and builds the experiment under a
// 64 MB memory limit (so sizes from the input are refused before allocation, as for the
// CLI), and accepts exactly two outcomes: success or an InputError. Anything else (a
// crash, another exception, a hang) is a finding.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "scenario/experiment.hpp"

int main(int argc, char** argv) {
  std::stringstream ss;
  if (argc > 1) {
    std::ifstream in(argv[1], std::ios::binary);
    ss << in.rdbuf();
  } else {
    ss << std::cin.rdbuf();
  }
  std::string text = ss.str(), sets_text;
  if (const auto at = text.find("\n%%sets\n"); at != std::string::npos) {
    sets_text = text.substr(at + 7);
    text.resize(at + 1);
  }
  std::vector<std::string> sets;
  std::istringstream ls(sets_text);
  for (std::string line; std::getline(ls, line);)
    if (!line.empty()) sets.push_back(line);
  try {
    const auto ex = sgdnoise::build_experiment(sgdnoise::Scenario::parse(text, "fuzz.toml", sets), 1, 64e6);
    (void)ex;
  } catch (const sgdnoise::InputError&) {
    return 0;  // a clear refusal is the expected answer to bad input
  }
  return 0;
}
