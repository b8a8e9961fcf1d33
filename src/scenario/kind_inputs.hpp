#pragma once
// Reading the values that several kinds share from a scenario, each refused with the key
// and the reason (InputError): vectors and matrices of the loss dimension, matrix files, the
// sampling scheme of the sampling noises.
#include <string>

#include "core/types.hpp"
#include "noise/sampling.hpp"
#include "scenario/scenario.hpp"

namespace sgdnoise {

/// The vector at key, which must hold d numbers.
Vec vector_of_dim(const Scenario& sc, const std::string& key, Index d);
/// m (read from key), which must be d x d.
Mat square_matrix(const Scenario& sc, const std::string& key, Mat m, Index d);
/// The CSV matrix file named at key (relative to the scenario file).
Mat matrix_from_file(const Scenario& sc, const std::string& key);
/// The CSV file at loss.data_file: n rows of d features then the label.
Mat labelled_data_file(const Scenario& sc, Index d);
/// The sampling scheme at key: "with_replacement", "without_replacement" or "reshuffle".
SgdSampling::Scheme sampling_scheme(const Scenario& sc, const std::string& key);

}  // namespace sgdnoise
