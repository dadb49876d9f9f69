// A minimal Python pickle reader and writer: just what the dump files of the reference's
// save/load need (a str, then a list of bytes/bytearray), for every protocol CPython writes
// (0..5): str, bytes, bytearray (BYTEARRAY8, or a REDUCE of builtins.bytearray /
// _codecs.encode for protocols < 5), lists, tuples, small ints, None/True/False, the memo,
// marks and frames. No other callable is ever invoked: anything else is refused.
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
  Status Truncated() const;
  bool Take(size_t n, const uint8_t** out);
  bool TakeLine(std::string* line);
  Result<ObjectPtr> Pop();
  Result<std::vector<ObjectPtr>> PopToMark();
  Result<ObjectPtr> Call(const Object& callable, const Object& args);

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
