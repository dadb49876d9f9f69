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

namespace {
int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

Bytes HexDecode(std::string_view hex) {
  Bytes out;
  out.reserve(hex.size() / 2);
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    const int hi = HexDigit(hex[i]);
    const int lo = HexDigit(hex[i + 1]);
    if (hi >= 0 && lo >= 0) out.push_back(static_cast<uint8_t>(hi * 16 + lo));
  }
  return out;
}

Bytes PadTo(Bytes data, size_t size) {
  if (data.size() < size) data.resize(size, 0);
  return data;
}

}  // namespace memoryfs
