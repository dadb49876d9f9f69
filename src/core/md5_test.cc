#include "core/md5.h"

#include <doctest/doctest.h>

namespace memoryfs {

TEST_CASE("Md5 matches Python's hashlib.md5") {
  CHECK(Md5Hex(Md5(Bytes(128, 0))) == "f09f35a5637839458e462e6350ecbce4");
  CHECK(Md5Hex(Md5(Bytes())) == "d41d8cd98f00b204e9800998ecf8427e");
  CHECK(Md5Hex(Md5(ToBytes("abc"))) == "900150983cd24fb0d6963f7d28e17f72");
}

TEST_CASE("HexEncode and HexDecode are inverses") {
  const Bytes data = {0, 1, 0x7f, 0x80, 0xff};
  CHECK(HexEncode(data) == "00017f80ff");
  CHECK(HexDecode("00017f80ff") == data);
  CHECK(HexDecode("00017F80FF") == data);
}

}  // namespace memoryfs
