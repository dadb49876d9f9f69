#include "core/md5.h"

#include <openssl/evp.h>

#include <cstdlib>
#include <memory>

namespace memoryfs {

namespace {

// OpenSSL 3 looks the algorithm up on every EVP_md5()/EVP_Digest call; fetch it once, and keep
// one context per thread, so that a digest costs only the hashing.
const EVP_MD* Md5Algorithm() {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "MD5", nullptr);
  return md;
}

struct ContextFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

}  // namespace

Md5Digest Md5(const uint8_t* data, size_t size) {
  thread_local std::unique_ptr<EVP_MD_CTX, ContextFree> ctx(EVP_MD_CTX_new());
  Md5Digest digest{};
  unsigned int len = 0;
  // These fail only on allocation failure or a missing MD5 provider: nothing to recover.
  if (!ctx || EVP_DigestInit_ex(ctx.get(), Md5Algorithm(), nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), data, size) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), digest.data(), &len) != 1 || len != 16) {
    std::abort();
  }
  return digest;
}

std::string Md5Hex(const Md5Digest& digest) {
  return HexEncode(Bytes(digest.begin(), digest.end()));
}

}  // namespace memoryfs
