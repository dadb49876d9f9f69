#include "core/py_int.h"

#include <doctest/doctest.h>

#include <string>

namespace memoryfs {
namespace {

TEST_CASE("PyInt parses what Python's int() accepts, and only that") {
  CHECK(PyInt::Parse("0")->ToString() == "0");
  CHECK(PyInt::Parse("42")->ToString() == "42");
  CHECK(PyInt::Parse("-1")->ToString() == "-1");
  CHECK(PyInt::Parse("+7")->ToString() == "7");
  CHECK(PyInt::Parse("007")->ToString() == "7");
  CHECK(PyInt::Parse("-0")->ToString() == "0");
  CHECK(PyInt::Parse("1_000")->ToString() == "1000");
  CHECK(PyInt::Parse("99999999999999999999999")->ToString() == "99999999999999999999999");
  for (const char* bad :
       {"", "-", "+", "abc", "1.5", "0x10", "1_", "_1", "1__0", "--1", "1e3", "12a", " 1"}) {
    CAPTURE(bad);
    CHECK_FALSE(PyInt::Parse(bad).has_value());
  }
  // CPython refuses more than 4300 digits.
  CHECK(PyInt::Parse(std::string(4300, '9')).has_value());
  CHECK_FALSE(PyInt::Parse(std::string(4301, '9')).has_value());
}

TEST_CASE("PyInt range checks never overflow") {
  CHECK(PyInt::Parse("255")->InRange(0, 255));
  CHECK_FALSE(PyInt::Parse("256")->InRange(0, 255));
  CHECK_FALSE(PyInt::Parse("-1")->InRange(0, 255));
  CHECK_FALSE(PyInt::Parse("99999999999999999999999")->InRange(0, 255));
  CHECK_FALSE(PyInt::Parse("-99999999999999999999999")->InRange(-5, 5));
  CHECK(PyInt::Parse("9223372036854775806")->Clamped() == INT64_MAX - 1);
  CHECK(PyInt::Parse("99999999999999999999999")->Clamped() == INT64_MAX);
  CHECK(PyInt::Parse("-99999999999999999999999")->Clamped() == INT64_MIN);
}

}  // namespace
}  // namespace memoryfs
