#include "core/py_int.h"

#include <limits>

namespace memoryfs {

std::optional<PyInt> PyInt::Parse(std::string_view token) {
  constexpr size_t kMaxDigits = 4300;  // sys.get_int_max_str_digits() default
  size_t i = 0;
  PyInt value;
  if (i < token.size() && (token[i] == '+' || token[i] == '-')) {
    value.negative_ = token[i] == '-';
    ++i;
  }
  std::string digits;
  bool previous_was_digit = false;
  for (; i < token.size(); ++i) {
    const char c = token[i];
    if (c >= '0' && c <= '9') {
      digits.push_back(c);
      previous_was_digit = true;
    } else if (c == '_' && previous_was_digit && i + 1 < token.size()) {
      previous_was_digit = false;
    } else {
      return std::nullopt;
    }
  }
  if (digits.empty() || !previous_was_digit || digits.size() > kMaxDigits) return std::nullopt;
  const size_t first = digits.find_first_not_of('0');
  value.digits_ = first == std::string::npos ? "0" : digits.substr(first);
  if (value.digits_ == "0") value.negative_ = false;
  return value;
}

std::string PyInt::ToString() const { return (negative_ ? "-" : "") + digits_; }

int64_t PyInt::Clamped() const {
  // 19 digits always fit below 2^63 once 9223372036854775807 is excluded by the check below.
  constexpr uint64_t kLimit = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  uint64_t magnitude = 0;
  for (char c : digits_) {
    if (magnitude > (kLimit - (c - '0')) / 10) {
      return negative_ ? std::numeric_limits<int64_t>::min() : std::numeric_limits<int64_t>::max();
    }
    magnitude = magnitude * 10 + static_cast<uint64_t>(c - '0');
  }
  return negative_ ? -static_cast<int64_t>(magnitude) : static_cast<int64_t>(magnitude);
}

bool PyInt::InRange(int64_t lo, int64_t hi) const {
  // Values beyond int64 are clamped to its ends, which are outside any range we test.
  const int64_t v = Clamped();
  if (v == std::numeric_limits<int64_t>::min() || v == std::numeric_limits<int64_t>::max()) {
    return false;
  }
  return v >= lo && v <= hi;
}

}  // namespace memoryfs
