#pragma once
// NumPy .npy and .npz files, written without numpy: .npy format 1.0 (little-endian, C
// order) and .npz as a ZIP archive of .npy members, stored (no compression), with the CRC-32
// ZIP requires. numpy.load reads both.
#include <string>
#include <vector>

#include "dynamics/observer.hpp"

namespace sgdnoise {

/// One array as a .npy file: float64, or int64 when `integer` (values rounded).
std::string npy_array_bytes(const std::vector<Index>& shape, const std::vector<double>& data, bool integer);

/// The arrays of one file (ObserverArray::file) as a .npz archive, members NAME.npy in order.
std::string npz_bytes(const std::vector<ObserverArray>& arrays);

/// Every observer's arrays (Observer::arrays), grouped by file: (FILE.npz, its bytes).
std::vector<std::pair<std::string, std::string>> observer_npz_files(const std::vector<const Observer*>& observers);

}  // namespace sgdnoise
