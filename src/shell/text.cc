#include "shell/text.h"

#include <cstdint>

namespace memoryfs::shell {
namespace {

// Length of the whitespace character starting at line[i], or 0.
size_t WhitespaceAt(std::string_view line, size_t i) {
  const auto at = [&](size_t k) -> int {
    return i + k < line.size() ? static_cast<uint8_t>(line[i + k]) : -1;
  };
  const int c = at(0);
  if (c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f)) return 1;
  if (c == 0xC2 && (at(1) == 0x85 || at(1) == 0xA0)) return 2;
  if (c == 0xE1 && at(1) == 0x9A && at(2) == 0x80) return 3;
  if (c == 0xE2 && at(1) == 0x80 &&
      ((at(2) >= 0x80 && at(2) <= 0x8A) || at(2) == 0xA8 || at(2) == 0xA9 || at(2) == 0xAF)) {
    return 3;
  }
  if (c == 0xE2 && at(1) == 0x81 && at(2) == 0x9F) return 3;
  if (c == 0xE3 && at(1) == 0x80 && at(2) == 0x80) return 3;
  return 0;
}

}  // namespace

std::vector<std::string> PySplit(std::string_view line) {
  std::vector<std::string> words;
  std::string word;
  for (size_t i = 0; i < line.size();) {
    const size_t space = WhitespaceAt(line, i);
    if (space > 0) {
      if (!word.empty()) words.push_back(std::move(word));
      word.clear();
      i += space;
    } else {
      word.push_back(line[i]);
      ++i;
    }
  }
  if (!word.empty()) words.push_back(std::move(word));
  return words;
}

std::string Utf8DecodeIgnore(const Bytes& data) {
  std::string out;
  const size_t n = data.size();
  for (size_t i = 0; i < n;) {
    const uint8_t lead = data[i];
    if (lead < 0x80) {
      out.push_back(static_cast<char>(lead));
      ++i;
      continue;
    }
    size_t length = 0;
    uint8_t low = 0x80, high = 0xBF;  // allowed range of the second byte
    if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3;
      if (lead == 0xE0) low = 0xA0;
      if (lead == 0xED) high = 0x9F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4;
      if (lead == 0xF0) low = 0x90;
      if (lead == 0xF4) high = 0x8F;
    } else {
      ++i;  // not a start byte
      continue;
    }
    // Count the bytes of the longest valid prefix of the sequence.
    size_t valid = 1;
    while (valid < length && i + valid < n) {
      const uint8_t c = data[i + valid];
      const uint8_t lo = valid == 1 ? low : 0x80;
      const uint8_t hi = valid == 1 ? high : 0xBF;
      if (c < lo || c > hi) break;
      ++valid;
    }
    if (valid == length) out.append(data.begin() + i, data.begin() + i + length);
    i += valid;  // a maximal ill-formed subpart is dropped as a whole
  }
  return out;
}

}  // namespace memoryfs::shell
