#include "cli/cli.hpp"

int main(int argc, char** argv) { return sgdnoise::cli_main(argc, argv); }
