#include "core/process_group.hpp"

#include <algorithm>
#include <stdexcept>

#include "core/errors.hpp"

namespace sgdnoise {

std::pair<Index, Index> slice_of(Index n, int rank, int size) {
  if (size < 1 || rank < 0 || rank >= size) throw std::invalid_argument("slice_of: rank outside the group");
  const auto share = [n, size](int r) { return n / size * r + std::min<Index>(r, n % size); };
  return {share(rank), share(rank + 1)};
}

namespace {

// An error as one string: its kind, then its fields, separated by a unit separator (never in
// a message sgdnoise writes).
constexpr char kSep = '\x1f';

std::string encode(char kind, const std::vector<std::string>& fields) {
  std::string s(1, kind);
  for (const auto& f : fields) s += kSep + f;
  return s;
}

std::vector<std::string> fields_of(const std::string& s) {
  std::vector<std::string> out;
  std::size_t at = 1;
  while (at < s.size() && s[at] == kSep) {
    const std::size_t next = s.find(kSep, at + 1);
    out.push_back(s.substr(at + 1, next == std::string::npos ? std::string::npos : next - at - 1));
    if (next == std::string::npos) break;
    at = next;
  }
  return out;
}

[[noreturn]] void rethrow(const std::string& s, int rank) {
  const auto f = fields_of(s);
  if (s[0] == 'I' && f.size() == 3) throw InputError(f[0], f[1], f[2]);
  if (s[0] == 'O' && f.size() == 2) throw IoError(f[0], f[1]);
  throw std::runtime_error("rank " + std::to_string(rank) + ": " + (f.empty() ? std::string("failed") : f[0]));
}

}  // namespace

void on_every_process(const ProcessGroup* group, const std::function<void()>& work) {
  if (!group || group->size() == 1) {
    work();
    return;
  }
  std::string mine;
  try {
    work();
  } catch (const InputError& e) {
    mine = encode('I', {e.where(), e.key(), e.reason()});
  } catch (const IoError& e) {
    mine = encode('O', {e.path(), e.reason()});
  } catch (const std::exception& e) {
    mine = encode('E', {e.what()});
  }
  const auto all = group->all_gather_strings(mine);
  for (std::size_t r = 0; r < all.size(); ++r)
    if (!all[r].empty()) rethrow(all[r], static_cast<int>(r));
}

}  // namespace sgdnoise
