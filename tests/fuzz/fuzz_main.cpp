// AFL++ harness: sgdnoise_fuzz MODE FILE (modes: tests/fuzz/fuzz_targets.hpp); a lone FILE
// is a scenario. Success and InputError return 0; anything else aborts (a finding).
#include <cstdio>

#include "fuzz_targets.hpp"

int main(int argc, char** argv) {
  if (argc == 2) {
    sgdnoise::fuzz::fuzz_one("scenario", argv[1]);
  } else if (argc == 3) {
    sgdnoise::fuzz::fuzz_one(argv[1], argv[2]);
  } else {
    std::fprintf(stderr, "usage: sgdnoise_fuzz [scenario|sweep|matrix|checkpoint|cli] FILE\n");
    return 2;
  }
  return 0;
}
