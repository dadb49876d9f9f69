#include "core/xor.h"

#include <algorithm>
#include <cassert>

namespace memoryfs {

void XorInto(Bytes& acc, const Bytes& other) {
  assert(acc.size() == other.size());
  const size_t n = std::min(acc.size(), other.size());
  for (size_t i = 0; i < n; ++i) acc[i] ^= other[i];
}

bool IsAllZero(const Bytes& data) {
  return std::all_of(data.begin(), data.end(), [](uint8_t b) { return b == 0; });
}

}  // namespace memoryfs
