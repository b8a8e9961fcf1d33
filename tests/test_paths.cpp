// The source tree and the CLI binary the tests use. Their absolute paths are compiled into this
// one small file only, so that a clone in another folder recompiles it alone and a compiler
// cache (with CCACHE_BASEDIR, see .ci/ccache) serves every other test object.
#include "test_util.hpp"

namespace sgdnoise::test {
const char* source_dir() { return SGDNOISE_SOURCE_DIR; }
const char* cli_path() { return SGDNOISE_CLI; }
}  // namespace sgdnoise::test
