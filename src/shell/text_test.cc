#include "shell/text.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace memoryfs::shell {
namespace {

using Words = std::vector<std::string>;

TEST_CASE("PySplit splits like str.split()") {
  CHECK(PySplit("") == Words{});
  CHECK(PySplit("   \t ") == Words{});
  CHECK(PySplit("ls") == Words{"ls"});
  CHECK(PySplit("  append  f1 \t hello\r") == Words{"append", "f1", "hello"});
  // Python's whitespace beyond ASCII: \x1c..\x1f, U+0085, U+2028, U+3000 ... but not U+200B.
  CHECK(PySplit("a\x1c"
                "b\xc2\x85"
                "c\xe2\x80\xa8"
                "d\xe3\x80\x80"
                "e f\tg\xe2\x80\x8bh") == Words{"a", "b", "c", "d", "e", "f", "g\xe2\x80\x8bh"});
  CHECK(PySplit(std::string("a\0b c", 5)) == Words{std::string("a\0b", 3), "c"});
}

TEST_CASE("Utf8DecodeIgnore matches bytes.decode('utf-8', 'ignore') of CPython") {
  // Expected values computed with CPython 3.11.
  struct Case {
    std::string in, out;
  };
#define S(literal) std::string(literal, sizeof(literal) - 1)
  const Case cases[] = {
      {S("\x61\x62\x63"), S("\x61\x62\x63")},
      {S("\x61\xff\x62"), S("\x61\x62")},
      {S("\xc3\xa9\x78"), S("\xc3\xa9\x78")},
      {S("\xc3\x78"), S("\x78")},
      {S("\xe2\x82\xac\x7a"), S("\xe2\x82\xac\x7a")},
      {S("\xe2\x82\x7a"), S("\x7a")},
      {S("\xe2\x7a"), S("\x7a")},
      {S("\xed\xa0\x80\x71"), S("\x71")},
      {S("\xf0\x9f\x98\x80\x21"), S("\xf0\x9f\x98\x80\x21")},
      {S("\xf0\x9f\x98"), S("")},
      {S("\xf4\x90\x80\x80\x77"), S("\x77")},
      {S("\xc0\xaf\x6b"), S("\x6b")},
      {S("\xe0\x80\x80\x6d"), S("\x6d")},
      {S("\x80\x80"), S("")},
      {S("\xf0\x9f"), S("")},
      {S("\x61\x00\x62"), S("\x61\x00\x62")},
      {S("\xf8\x88\x80\x80\x80\x7a"), S("\x7a")},
      {S("\xe0\xa0"), S("")},
  };
#undef S
  for (const Case& c : cases) {
    CAPTURE(c.in);
    CHECK(Utf8DecodeIgnore(Bytes(c.in.begin(), c.in.end())) == c.out);
  }
}

}  // namespace
}  // namespace memoryfs::shell
