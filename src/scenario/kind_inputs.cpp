#include "scenario/kind_inputs.hpp"

#include <sstream>

#include "core/matrix_file.hpp"

namespace sgdnoise {

Vec vector_of_dim(const Scenario& sc, const std::string& key, Index d) {
  Vec v = sc.get_vector(key);
  if (v.size() != d) {
    std::ostringstream m;
    m << "expected " << d << " numbers (the loss dimension), got " << v.size();
    sc.fail(key, m.str());
  }
  return v;
}

Mat square_matrix(const Scenario& sc, const std::string& key, Mat m, Index d) {
  if (m.rows() != d || m.cols() != d) {
    std::ostringstream msg;
    msg << "expected a " << d << " x " << d << " matrix (the loss dimension), got " << m.rows() << " x " << m.cols();
    sc.fail(key, msg.str());
  }
  return m;
}

Mat matrix_from_file(const Scenario& sc, const std::string& key) {
  if (sc.get_string(key).empty()) sc.fail(key, "a file name is required for this form");
  try {
    return read_matrix_csv(sc.resolve_path(key));
  } catch (const InputError& e) {
    sc.fail(key, e.where() + ": " + e.reason());
  }
}

Mat labelled_data_file(const Scenario& sc, Index d) {
  Mat data;
  try {
    data = read_matrix_csv(sc.resolve_path("loss.data_file"));
  } catch (const InputError& e) {
    sc.fail("loss.data_file", e.where() + ": " + e.reason());
  }
  if (data.cols() != d + 1)
    sc.fail("loss.data_file", "expected " + std::to_string(d + 1) + " columns (dim features, then the label), got " +
                                  std::to_string(data.cols()));
  return data;
}

SgdSampling::Scheme sampling_scheme(const Scenario& sc, const std::string& key) {
  const std::string v = sc.get_string(key);
  return v == "with_replacement"      ? SgdSampling::Scheme::with_replacement
         : v == "without_replacement" ? SgdSampling::Scheme::without_replacement
                                      : SgdSampling::Scheme::reshuffle;
}

}  // namespace sgdnoise
