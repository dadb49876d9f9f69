// Bytes: the one type for block contents and any other raw data.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace memoryfs {

using Bytes = std::vector<uint8_t>;

inline Bytes ToBytes(std::string_view s) { return Bytes(s.begin(), s.end()); }
inline std::string ToString(const Bytes& b) { return std::string(b.begin(), b.end()); }

// Lower-case hex of every byte ("00ff...").
std::string HexEncode(const Bytes& data);
// The bytes of a hex string (either case); a trailing odd digit or a non-hex pair is skipped.
Bytes HexDecode(std::string_view hex);

// Returns data zero-padded (or left as is when already that long) to `size` bytes.
Bytes PadTo(Bytes data, size_t size);

}  // namespace memoryfs
