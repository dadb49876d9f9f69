// Python string behaviours the shell's output depends on, over raw bytes.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.h"

namespace memoryfs::shell {

// str.split() with no argument: splits on runs of Unicode whitespace (ASCII \t \n \v \f \r
// space, \x1c-\x1f, and the UTF-8 encodings of U+0085, U+00A0, U+1680, U+2000-U+200A, U+2028,
// U+2029, U+202F, U+205F, U+3000) and drops empty pieces.
std::vector<std::string> PySplit(std::string_view line);

// bytes.decode('utf-8', errors='ignore') re-encoded as UTF-8: the bytes of every well-formed
// UTF-8 sequence, with each maximal ill-formed subpart dropped, as CPython does.
std::string Utf8DecodeIgnore(const Bytes& data);

}  // namespace memoryfs::shell
