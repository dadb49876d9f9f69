#include "core/status.h"

#include <doctest/doctest.h>

namespace memoryfs {

TEST_CASE("Status: OK by default, errors carry code and message") {
  CHECK(Status().ok());
  Status s = Status::Error(Code::kNotFound, "no such file");
  CHECK_FALSE(s.ok());
  CHECK(s.code() == Code::kNotFound);
  CHECK(s.ToString() == "NOT_FOUND: no such file");
}

TEST_CASE("Result: holds a value or a status") {
  Result<int> good(7);
  REQUIRE(good.ok());
  CHECK(*good == 7);
  Result<int> bad(Status::Error(Code::kUnavailable, "down"));
  CHECK_FALSE(bad.ok());
  CHECK(bad.status().code() == Code::kUnavailable);
}

}  // namespace memoryfs
