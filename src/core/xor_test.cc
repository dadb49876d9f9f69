#include "core/xor.h"

#include <doctest/doctest.h>

namespace memoryfs {

TEST_CASE("XorInto is its own inverse") {
  Bytes a = {1, 2, 3, 250};
  const Bytes b = {255, 2, 0, 5};
  Bytes acc = a;
  XorInto(acc, b);
  CHECK(acc == Bytes{254, 0, 3, 255});
  XorInto(acc, b);
  CHECK(acc == a);
  CHECK(IsAllZero(Bytes(9, 0)));
  CHECK_FALSE(IsAllZero(a));
}

}  // namespace memoryfs
