#pragma once
// The error-path check shared by the scenario tests: a build refused with an InputError
// that names the key (docs/conventions.md: bad input gets file, key and reason).
#include <gtest/gtest.h>

#include <string>

#include "scenario/scenario.hpp"

namespace sgdnoise::test {

/// Expects build() to be refused with an InputError that names `key` and gives a reason.
template <class Build>
void expect_input_error(const Build& build, const std::string& key) {
  try {
    (void)build();
    ADD_FAILURE() << "accepted; expected an error on " << key;
  } catch (const InputError& e) {
    EXPECT_EQ(e.key(), key) << e.reason();
    EXPECT_FALSE(e.reason().empty());
  }
}

}  // namespace sgdnoise::test
