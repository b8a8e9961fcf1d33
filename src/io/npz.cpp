#include "io/npz.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <sstream>
#include <stdexcept>

#include "core/checksum.hpp"

namespace sgdnoise {

std::string npy_array_bytes(const std::vector<Index>& shape, const std::vector<double>& data, bool integer) {
  std::ostringstream hdr;
  hdr << "{'descr': '" << (integer ? "<i8" : "<f8") << "', 'fortran_order': False, 'shape': (";
  Index n = 1;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    hdr << shape[i] << (shape.size() == 1 ? "," : (i + 1 < shape.size() ? ", " : ""));
    n *= shape[i];
  }
  hdr << "), }";
  if (static_cast<std::size_t>(n) != data.size()) throw std::logic_error("npy: the data does not fit the shape");
  std::string h = hdr.str();
  // Magic (6) + version (2) + header length (2) + header, padded with spaces to a multiple of
  // 64, ending in '\n'.
  const std::size_t total = 10 + h.size() + 1;
  h.append((64 - total % 64) % 64, ' ');
  h += '\n';
  std::string out("\x93NUMPY\x01\x00", 8);
  const auto len = static_cast<std::uint16_t>(h.size());
  out += static_cast<char>(len & 0xff);
  out += static_cast<char>(len >> 8);
  out += h;
  if (integer) {
    for (const double v : data) {
      const auto i = static_cast<std::int64_t>(std::llround(v));
      out.append(reinterpret_cast<const char*>(&i), sizeof i);
    }
  } else {
    out.append(reinterpret_cast<const char*>(data.data()), sizeof(double) * data.size());
  }
  return out;
}

namespace {

void put16(std::string& s, std::uint32_t v) {
  s += static_cast<char>(v & 0xff);
  s += static_cast<char>((v >> 8) & 0xff);
}
void put32(std::string& s, std::uint32_t v) {
  put16(s, v & 0xffff);
  put16(s, v >> 16);
}

}  // namespace

std::string npz_bytes(const std::vector<ObserverArray>& arrays) {
  // ZIP (APPNOTE 6.3): a local header and the data per member, then the central directory
  // and its end record. Method 0 (stored); sizes below 4 GiB (no ZIP64).
  std::string out, central;
  std::uint16_t count = 0;
  for (const auto& a : arrays) {
    const std::string name = a.name + ".npy";
    const std::string data = npy_array_bytes(a.shape, a.data, a.integer);
    if (data.size() >= 0xffffffffULL || out.size() >= 0xffffffffULL)
      throw std::runtime_error("npz: an archive member over 4 GiB");
    const std::uint32_t crc = crc32(data);
    const auto offset = static_cast<std::uint32_t>(out.size());
    const auto size = static_cast<std::uint32_t>(data.size());
    put32(out, 0x04034b50);
    put16(out, 20);    // version needed
    put16(out, 0);     // flags
    put16(out, 0);     // stored
    put16(out, 0);     // time
    put16(out, 0x21);  // date: 1980-01-01
    put32(out, crc);
    put32(out, size);
    put32(out, size);
    put16(out, static_cast<std::uint32_t>(name.size()));
    put16(out, 0);
    out += name;
    out += data;
    put32(central, 0x02014b50);
    put16(central, 20);  // version made by
    put16(central, 20);
    put16(central, 0);
    put16(central, 0);
    put16(central, 0);
    put16(central, 0x21);
    put32(central, crc);
    put32(central, size);
    put32(central, size);
    put16(central, static_cast<std::uint32_t>(name.size()));
    put16(central, 0);  // extra
    put16(central, 0);  // comment
    put16(central, 0);  // disk
    put16(central, 0);  // internal attributes
    put32(central, 0);  // external attributes
    put32(central, offset);
    central += name;
    ++count;
  }
  const auto cd_offset = static_cast<std::uint32_t>(out.size());
  const auto cd_size = static_cast<std::uint32_t>(central.size());
  out += central;
  put32(out, 0x06054b50);
  put16(out, 0);
  put16(out, 0);
  put16(out, count);
  put16(out, count);
  put32(out, cd_size);
  put32(out, cd_offset);
  put16(out, 0);
  return out;
}

std::vector<std::pair<std::string, std::string>> observer_npz_files(const std::vector<const Observer*>& observers) {
  std::vector<ObserverArray> all;
  for (const Observer* o : observers) o->arrays(all);
  std::vector<std::string> files;
  for (const auto& a : all)
    if (std::find(files.begin(), files.end(), a.file) == files.end()) files.push_back(a.file);
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& f : files) {
    std::vector<ObserverArray> members;
    for (const auto& a : all)
      if (a.file == f) members.push_back(a);
    out.emplace_back(f + ".npz", npz_bytes(members));
  }
  return out;
}

}  // namespace sgdnoise
