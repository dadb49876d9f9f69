#include "core/md5.h"

#include <openssl/evp.h>

#include <cstdlib>

namespace memoryfs {

Md5Digest Md5(const uint8_t* data, size_t size) {
  Md5Digest digest{};
  unsigned int len = 0;
  // EVP_Digest is the one-shot EVP call; it only fails on allocation failure.
  if (EVP_Digest(data, size, digest.data(), &len, EVP_md5(), nullptr) != 1 || len != 16) {
    std::abort();
  }
  return digest;
}

std::string Md5Hex(const Md5Digest& digest) {
  return HexEncode(Bytes(digest.begin(), digest.end()));
}

}  // namespace memoryfs
