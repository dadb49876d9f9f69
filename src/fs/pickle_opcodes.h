// Private to pickle_reader.cc and pickle_writer.cc: the pickle opcodes they know, and the width
// of each opcode's fixed-size argument.
#pragma once

#include <cstddef>
#include <cstdint>

namespace memoryfs::fs {
namespace pickle {

// Opcodes (pickletools names).
enum Opcode : uint8_t {
  kMark = '(',
  kStop = '.',
  kPop = '0',
  kPopMark = '1',
  kDup = '2',
  kInt = 'I',
  kBinInt = 'J',
  kBinInt1 = 'K',
  kLong = 'L',
  kBinInt2 = 'M',
  kNone = 'N',
  kReduce = 'R',
  kUnicode = 'V',
  kBinUnicode = 'X',
  kAppend = 'a',
  kGlobal = 'c',
  kAppends = 'e',
  kGet = 'g',
  kBinGet = 'h',
  kLongBinGet = 'j',
  kList = 'l',
  kPut = 'p',
  kBinPut = 'q',
  kLongBinPut = 'r',
  kTuple = 't',
  kEmptyList = ']',
  kEmptyTuple = ')',
  kBinBytes = 'B',
  kShortBinBytes = 'C',
  kProto = 0x80,
  kTuple1 = 0x85,
  kTuple2 = 0x86,
  kTuple3 = 0x87,
  kNewTrue = 0x88,
  kNewFalse = 0x89,
  kLong1 = 0x8a,
  kShortBinUnicode = 0x8c,
  kBinUnicode8 = 0x8d,
  kBinBytes8 = 0x8e,
  kStackGlobal = 0x93,
  kMemoize = 0x94,
  kFrame = 0x95,
  kByteArray8 = 0x96,
};

// The width in bytes of the little-endian unsigned number that follows the opcode (a protocol,
// an int, a length or a memo index); 0 for an opcode without one (none, or a text line).
constexpr size_t ArgWidth(uint8_t opcode) {
  switch (opcode) {
    case kProto:
    case kBinInt1:
    case kLong1:
    case kShortBinUnicode:
    case kShortBinBytes:
    case kBinGet:
    case kBinPut:
      return 1;
    case kBinInt2:
      return 2;
    case kBinInt:
    case kBinUnicode:
    case kBinBytes:
    case kLongBinGet:
    case kLongBinPut:
      return 4;
    case kFrame:
    case kBinUnicode8:
    case kBinBytes8:
    case kByteArray8:
      return 8;
    default:
      return 0;
  }
}

}  // namespace pickle
}  // namespace memoryfs::fs
