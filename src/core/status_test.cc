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

namespace memoryfs {
namespace {

Result<int> Half(int n) {
  if (n % 2 != 0) return Status::Error(Code::kInvalidArgument, "odd", 7);
  return n / 2;
}

Result<int> Quarter(int n) {
  ASSIGN_OR_RETURN(const int half, Half(n));
  ASSIGN_OR_RETURN(int quarter, Half(half));
  return quarter;
}

Status Check(int n) {
  RETURN_IF_ERROR(Half(n));                                                           // a Result
  RETURN_IF_ERROR(n > 100 ? Status::Error(Code::kOutOfRange, "big") : Status::Ok());  // a Status
  return Status::Ok();
}

}  // namespace

TEST_CASE("ASSIGN_OR_RETURN and RETURN_IF_ERROR propagate the first error, code and subcode") {
  CHECK(*Quarter(8) == 2);
  const Result<int> odd = Quarter(6);  // 6 -> 3 -> odd
  REQUIRE_FALSE(odd.ok());
  CHECK(odd.status().code() == Code::kInvalidArgument);
  CHECK(odd.status().subcode() == 7);
  CHECK(odd.status().message() == "odd");
  CHECK(Check(4).ok());
  CHECK(Check(5).code() == Code::kInvalidArgument);
  CHECK(Check(102).code() == Code::kOutOfRange);
}

TEST_CASE("Status: subcode defaults to 0, every code has a name") {
  CHECK(Status::Error(Code::kDataLoss, "x").subcode() == 0);
  CHECK(Status::Error(Code::kDataLoss, "lost").ToString() == "DATA_LOSS: lost");
  for (Code code = Code::kOk; code <= Code::kCancelled; code = static_cast<Code>(int(code) + 1)) {
    CHECK(std::string(CodeName(code)) != "UNKNOWN");
  }
}

#ifdef NDEBUG
TEST_CASE("Result built from an OK Status holds kInternal in release builds") {
  const Result<int> wrong{Status::Ok()};
  CHECK_FALSE(wrong.ok());
  CHECK(wrong.status().code() == Code::kInternal);
}
#endif

}  // namespace memoryfs
