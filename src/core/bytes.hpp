#pragma once
// Raw little-endian bytes of plain values, for checkpoints: doubles keep their exact bits,
// so a resumed run continues bit for bit. ByteReader throws BytesError on a read past the end.
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <type_traits>

namespace sgdnoise {

struct BytesError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class ByteWriter {
 public:
  template <class T>
  void pod(const T& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    out_.append(reinterpret_cast<const char*>(&v), sizeof(T));
  }
  void str(const std::string& s) {
    pod<std::uint64_t>(s.size());
    out_ += s;
  }
  void doubles(const double* p, std::size_t n) { out_.append(reinterpret_cast<const char*>(p), n * sizeof(double)); }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

class ByteReader {
 public:
  explicit ByteReader(const std::string& b) : b_(b) {}
  template <class T>
  T pod() {
    static_assert(std::is_trivially_copyable_v<T>);
    need(sizeof(T));
    T v;
    std::memcpy(&v, b_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }
  std::string str() {
    const auto n = pod<std::uint64_t>();
    need(n);
    std::string s = b_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  void doubles(double* p, std::size_t n) {
    if (n > (b_.size() - pos_) / sizeof(double)) throw BytesError("truncated");
    std::memcpy(p, b_.data() + pos_, n * sizeof(double));
    pos_ += n * sizeof(double);
  }
  /// A count of items of at least `item_bytes` each that the remaining bytes can hold.
  std::uint64_t count(std::size_t item_bytes) {
    const auto n = pod<std::uint64_t>();
    if (item_bytes > 0 && n > (b_.size() - pos_) / item_bytes) throw BytesError("bad count");
    return n;
  }
  bool done() const { return pos_ == b_.size(); }

 private:
  void need(std::size_t n) const {
    if (n > b_.size() - pos_) throw BytesError("truncated");
  }
  const std::string& b_;
  std::size_t pos_ = 0;
};

}  // namespace sgdnoise
