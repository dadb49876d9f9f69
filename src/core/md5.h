// 128-bit MD5 digests through OpenSSL's EVP interface.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "core/bytes.h"

namespace memoryfs {

using Md5Digest = std::array<uint8_t, 16>;

Md5Digest Md5(const uint8_t* data, size_t size);
inline Md5Digest Md5(const Bytes& data) { return Md5(data.data(), data.size()); }
std::string Md5Hex(const Md5Digest& digest);

}  // namespace memoryfs
