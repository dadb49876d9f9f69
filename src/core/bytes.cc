#include "core/bytes.h"

namespace memoryfs {

std::string HexEncode(const Bytes& data) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(data.size() * 2);
  for (uint8_t b : data) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 15]);
  }
  return out;
}

Bytes PadTo(Bytes data, size_t size) {
  if (data.size() < size) data.resize(size, 0);
  return data;
}

}  // namespace memoryfs
