#pragma once
// The version of sgdnoise and the git hash it was built from (defined in the generated
// version.cpp, see cmake/Version.cmake), recorded beside every output.
namespace sgdnoise {
extern const char* const kVersion;
extern const char* const kGitHash;
}  // namespace sgdnoise
