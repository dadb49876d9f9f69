// A minimal Python pickle reader and writer: just what the dump files of the reference's
// save/load need (a str, then a list of bytes/bytearray), for every protocol CPython writes
// (0..5): str, bytes, bytearray (BYTEARRAY8, or a REDUCE of builtins.bytearray /
// _codecs.encode for protocols < 5), lists, tuples, small ints, None/True/False, the memo,
// marks and frames. No other callable is ever invoked: anything else is refused.
//
// pickle_reader.cc holds the Unpickler (one handler per opcode family, dispatched by a table
// from Load) and the text helpers it needs (UTF-8, raw-unicode-escape, str.encode, decimal
// ints); pickle_writer.cc holds DumpStr and DumpByteArrayList and the protocol-4 pickler they
// share. pickle_opcodes.h, private to both, names the opcodes.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "core/status.h"

namespace memoryfs::fs {
namespace pickle {

struct Object;
using ObjectPtr = std::shared_ptr<Object>;

struct Object {
  enum class Kind { kNone, kBool, kInt, kStr, kBytes, kByteArray, kList, kTuple, kGlobal };
  Kind kind = Kind::kNone;
  int64_t integer = 0;           // kBool, kInt
  std::string data;              // kStr: UTF-8; kBytes/kByteArray: raw; kGlobal: "module.name"
  std::vector<ObjectPtr> items;  // kList, kTuple

  bool is_bytes_like() const { return kind == Kind::kBytes || kind == Kind::kByteArray; }
};

// Reads consecutive pickles from one buffer, like successive pickle.load(file) calls.
class Unpickler {
 public:
  explicit Unpickler(const Bytes& data) : data_(data) {}

  // The next object. Errors: kOutOfRange "EOFError: Ran out of input" when no byte is left
  // (what pickle.load raises at end of file); kInvalidArgument "UnpicklingError: ..." for
  // truncated, malformed or unsupported data.
  Result<ObjectPtr> Load();

 private:
  // An opcode's handler: reads the opcode's argument, then applies it to the stack, the marks
  // and the memo. HandlerFor(opcode) is OnInvalid for an opcode we do not read.
  using Handler = Status (Unpickler::*)(uint8_t opcode);
  static Handler HandlerFor(uint8_t opcode);

  // Reading the data: each fails with "pickle data was truncated" when too little is left.
  Result<const uint8_t*> Take(uint64_t n);
  Result<uint64_t> TakeUint(size_t width);  // little-endian
  Result<std::string> TakeLine();           // up to '\n', which is consumed but not returned
  Result<std::string> TakeCounted(uint8_t opcode);  // a length of ArgWidth(opcode), then data
  // The memo index of a PUT/GET opcode: a decimal line, or a binary number for the BIN and
  // LONG_BIN forms; a bad line fails with bad_line.
  Result<uint64_t> TakeMemoIndex(uint8_t opcode, const char* bad_line);

  // The stack above the innermost mark, and the memo.
  size_t Fence() const { return marks_.empty() ? 0 : marks_.back(); }
  Status Push(ObjectPtr object);
  Result<ObjectPtr> Pop();
  Result<std::vector<ObjectPtr>> PopToMark();
  Status MemoizeTop(uint64_t index);

  // Opcode handlers, by family. Framing and protocol:
  Status OnProto(uint8_t opcode);
  Status OnFrame(uint8_t opcode);
  // Stack and marks:
  Status OnMark(uint8_t opcode);
  Status OnPop(uint8_t opcode);
  Status OnPopMark(uint8_t opcode);
  Status OnDup(uint8_t opcode);
  // Constants and ints:
  Status OnNone(uint8_t opcode);
  Status OnBool(uint8_t opcode);     // NEWTRUE, NEWFALSE
  Status OnBinInt(uint8_t opcode);   // BININT, BININT1, BININT2
  Status OnLong1(uint8_t opcode);    // LONG1
  Status OnDecimal(uint8_t opcode);  // INT, LONG
  // Strings and bytes:
  Status OnBinUnicode(uint8_t opcode);  // SHORT_BINUNICODE, BINUNICODE, BINUNICODE8
  Status OnUnicode(uint8_t opcode);     // UNICODE (raw-unicode-escape line)
  Status OnBinBytes(uint8_t opcode);    // SHORT_BINBYTES, BINBYTES, BINBYTES8, BYTEARRAY8
  // Containers:
  Status OnEmpty(uint8_t opcode);     // EMPTY_LIST, EMPTY_TUPLE
  Status OnFromMark(uint8_t opcode);  // LIST, TUPLE
  Status OnTupleN(uint8_t opcode);    // TUPLE1, TUPLE2, TUPLE3
  Status OnAppend(uint8_t opcode);    // APPEND, APPENDS
  // Globals and reduce:
  Status OnGlobal(uint8_t opcode);
  Status OnStackGlobal(uint8_t opcode);
  Status OnReduce(uint8_t opcode);
  // Memo:
  Status OnMemoize(uint8_t opcode);
  Status OnPut(uint8_t opcode);  // PUT, BINPUT, LONG_BINPUT
  Status OnGet(uint8_t opcode);  // GET, BINGET, LONG_BINGET
  // Anything else:
  Status OnInvalid(uint8_t opcode);

  const Bytes& data_;
  size_t pos_ = 0;
  std::vector<ObjectPtr> stack_;
  std::vector<size_t> marks_;
  std::map<uint64_t, ObjectPtr> memo_;
};

// What CPython 3.11's pickle.dumps(text) writes (protocol 4).
Bytes DumpStr(std::string_view text);
// What CPython 3.11's pickle.dumps([bytearray(b) for b in items]) writes (protocol 4), frames
// included.
Bytes DumpByteArrayList(const std::vector<Bytes>& items);

}  // namespace pickle
}  // namespace memoryfs::fs
