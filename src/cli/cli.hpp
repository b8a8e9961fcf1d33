#pragma once
// The `sgdnoise` command. It parses arguments, loads scenarios, calls the
// library and prints; it holds no numerics (ARCHITECTURE.md).
// Exit codes (docs/conventions.md): 0 success, 1 a check failed, 2 bad input or
// usage (nothing written), 3 a run failed numerically.
namespace sgdnoise {
int cli_main(int argc, char** argv);
}
