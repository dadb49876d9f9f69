#include "core/bytes.h"

#include <doctest/doctest.h>

namespace memoryfs {

TEST_CASE("Bytes: ToBytes and ToString convert byte for byte, NULs and high bytes included") {
  CHECK(ToBytes("") == Bytes{});
  CHECK(ToBytes("AZ") == Bytes{0x41, 0x5a});
  const std::string with_nul("a\0b\xff", 4);
  const Bytes b = ToBytes(with_nul);
  CHECK(b == Bytes{0x61, 0x00, 0x62, 0xff});
  CHECK(ToString(b) == with_nul);
  CHECK(ToString(b).size() == 4);
  CHECK(ToString(Bytes{}).empty());

  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  Bytes expected(256);
  for (int i = 0; i < 256; ++i) expected[i] = static_cast<uint8_t>(i);
  CHECK(ToBytes(all) == expected);
  CHECK(ToString(expected) == all);
}

TEST_CASE("Bytes: HexEncode is lower-case, two digits per byte") {
  CHECK(HexEncode({}) == "");
  CHECK(HexEncode({0x00}) == "00");
  CHECK(HexEncode({0x0f}) == "0f");
  CHECK(HexEncode({0xf0}) == "f0");
  CHECK(HexEncode({0x00, 0xff, 0x10, 0xab, 0x09}) == "00ff10ab09");
  CHECK(HexEncode(ToBytes("hello")) == "68656c6c6f");
  Bytes all(256);
  for (int i = 0; i < 256; ++i) all[i] = static_cast<uint8_t>(i);
  const std::string hex = HexEncode(all);
  REQUIRE(hex.size() == 512);
  CHECK(hex.substr(0, 8) == "00010203");
  CHECK(hex.substr(508) == "feff");
  CHECK(hex.find_first_not_of("0123456789abcdef") == std::string::npos);
}

TEST_CASE("Bytes: HexDecode accepts either case and inverts HexEncode") {
  CHECK(HexDecode("") == Bytes{});
  CHECK(HexDecode("00ff10ab09") == Bytes{0x00, 0xff, 0x10, 0xab, 0x09});
  CHECK(HexDecode("ABCDEF") == Bytes{0xab, 0xcd, 0xef});
  CHECK(HexDecode("aBcD") == Bytes{0xab, 0xcd});
  CHECK(HexDecode("68656C6c6f") == ToBytes("hello"));
  Bytes all(256);
  for (int i = 0; i < 256; ++i) all[i] = static_cast<uint8_t>(255 - i);
  CHECK(HexDecode(HexEncode(all)) == all);
}

TEST_CASE("Bytes: HexDecode skips a trailing odd digit") {
  CHECK(HexDecode("a") == Bytes{});
  CHECK(HexDecode("abc") == Bytes{0xab});
  CHECK(HexDecode("01020") == Bytes{0x01, 0x02});
}

TEST_CASE("Bytes: HexDecode skips pairs that are not two hex digits, keeping the rest") {
  CHECK(HexDecode("zz") == Bytes{});
  CHECK(HexDecode("0g") == Bytes{});
  CHECK(HexDecode("g0") == Bytes{});
  // Pairs are taken at even offsets: "01", "xy", "02" -> 01 02.
  CHECK(HexDecode("01xy02") == Bytes{0x01, 0x02});
  // A bad character spoils only its own pair: "1-", "23" -> 23.
  CHECK(HexDecode("1-23") == Bytes{0x23});
  CHECK(HexDecode(" 0ff") == Bytes{0xff});
  CHECK(HexDecode("ff  ee") == Bytes{0xff, 0xee});
  CHECK(HexDecode(std::string_view("\0\0ab", 4)) == Bytes{0xab});
  // Characters next to the digit ranges.
  CHECK(HexDecode("/0:0@0`0G0g0") == Bytes{});
  CHECK(HexDecode("09af") == Bytes{0x09, 0xaf});
}

TEST_CASE("Bytes: PadTo zero-pads short data and leaves long enough data as it is") {
  CHECK(PadTo({}, 0) == Bytes{});
  CHECK(PadTo({}, 3) == Bytes{0, 0, 0});
  CHECK(PadTo({7, 8}, 5) == Bytes{7, 8, 0, 0, 0});
  CHECK(PadTo({7, 8}, 2) == Bytes{7, 8});
  // Longer than size: never truncated.
  CHECK(PadTo({1, 2, 3, 4}, 2) == Bytes{1, 2, 3, 4});
  CHECK(PadTo({1, 2, 3}, 0) == Bytes{1, 2, 3});
  // Existing zeros and high bytes are kept.
  CHECK(PadTo({0xff, 0, 0xff}, 4) == Bytes{0xff, 0, 0xff, 0});
  Bytes expected(4096, 0);
  for (int i = 0; i < 5; ++i) expected[i] = static_cast<uint8_t>("hello"[i]);
  CHECK(PadTo(ToBytes("hello"), 4096) == expected);
}

}  // namespace memoryfs
