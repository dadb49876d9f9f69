// PyInt: a number typed in the shell, parsed the way Python's int(token) does it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace memoryfs {

class PyInt {
 public:
  // int(token) for base 10: an optional sign, ASCII digits, single underscores between digits;
  // nullopt where int() raises ValueError (including CPython's 4300-digit limit). Any size.
  static std::optional<PyInt> Parse(std::string_view token);

  // str(int(token)): no sign for positives, no leading zeros, no underscores.
  std::string ToString() const;
  // Whether lo <= value <= hi.
  bool InRange(int64_t lo, int64_t hi) const;
  // The value, clamped into the int64_t range.
  int64_t Clamped() const;

 private:
  bool negative_ = false;
  std::string digits_;  // no leading zeros; "0" for zero
};

}  // namespace memoryfs
