#include <array>
#include <cstdint>
#include <iterator>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fs/pickle.h"
#include "fs/pickle_opcodes.h"

namespace memoryfs::fs {
namespace pickle {
namespace {

Status Unpickling(const std::string& why) {
  return Status::Error(Code::kInvalidArgument, "UnpicklingError: " + why);
}

Status Truncated() { return Unpickling("pickle data was truncated"); }

Status Underflow() { return Unpickling("unpickling stack underflow"); }

ObjectPtr Make(Object::Kind kind) {
  auto object = std::make_shared<Object>();
  object->kind = kind;
  return object;
}

ObjectPtr MakeData(Object::Kind kind, std::string data) {
  ObjectPtr object = Make(kind);
  object->data = std::move(data);
  return object;
}

ObjectPtr MakeInt(int64_t value, Object::Kind kind = Object::Kind::kInt) {
  ObjectPtr object = Make(kind);
  object->integer = value;
  return object;
}

ObjectPtr MakeItems(Object::Kind kind, std::vector<ObjectPtr> items) {
  ObjectPtr object = Make(kind);
  object->items = std::move(items);
  return object;
}

uint64_t LittleEndian(const uint8_t* p, size_t n) {
  uint64_t value = 0;
  for (size_t i = n; i > 0; --i) value = (value << 8) | p[i - 1];
  return value;
}

void AppendUtf8(uint32_t cp, std::string& out) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// The code points of UTF-8 text (which our own decoders produced, so it is well formed).
std::vector<uint32_t> CodePoints(std::string_view text) {
  std::vector<uint32_t> out;
  for (size_t i = 0; i < text.size();) {
    const uint8_t lead = static_cast<uint8_t>(text[i]);
    int length = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
    uint32_t cp = length == 1   ? lead
                  : length == 2 ? lead & 0x1F
                  : length == 3 ? lead & 0x0F
                                : lead & 0x07;
    for (int k = 1; k < length && i + k < text.size(); ++k) {
      cp = (cp << 6) | (static_cast<uint8_t>(text[i + k]) & 0x3F);
    }
    out.push_back(cp);
    i += length;
  }
  return out;
}

bool ValidUtf8(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    const uint8_t lead = static_cast<uint8_t>(text[i]);
    int length;
    uint8_t low = 0x80, high = 0xBF;
    if (lead < 0x80) {
      ++i;
      continue;
    } else if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3;
      if (lead == 0xE0) low = 0xA0;  // surrogates (ED A0..BF) pass, as in pickle
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4;
      if (lead == 0xF0) low = 0x90;
      if (lead == 0xF4) high = 0x8F;
    } else {
      return false;
    }
    if (i + length > text.size()) return false;
    for (int k = 1; k < length; ++k) {
      const uint8_t c = static_cast<uint8_t>(text[i + k]);
      if (c < (k == 1 ? low : 0x80) || c > (k == 1 ? high : 0xBF)) return false;
    }
    i += length;
  }
  return true;
}

// raw-unicode-escape (protocol 0 str): latin-1 bytes with \uXXXX and \UXXXXXXXX escapes.
bool DecodeRawUnicodeEscape(std::string_view raw, std::string& out) {
  for (size_t i = 0; i < raw.size(); ++i) {
    const uint8_t c = static_cast<uint8_t>(raw[i]);
    if (c == '\\' && i + 1 < raw.size() && (raw[i + 1] == 'u' || raw[i + 1] == 'U')) {
      const size_t digits = raw[i + 1] == 'u' ? 4 : 8;
      if (i + 2 + digits > raw.size()) return false;
      uint32_t cp = 0;
      for (size_t k = 0; k < digits; ++k) {
        const char h = raw[i + 2 + k];
        int v = h >= '0' && h <= '9'   ? h - '0'
                : h >= 'a' && h <= 'f' ? h - 'a' + 10
                : h >= 'A' && h <= 'F' ? h - 'A' + 10
                                       : -1;
        if (v < 0) return false;
        cp = cp * 16 + static_cast<uint32_t>(v);
      }
      if (cp > 0x10FFFF) return false;
      AppendUtf8(cp, out);
      i += 1 + digits;
    } else {
      AppendUtf8(c, out);
    }
  }
  return true;
}

// str.encode(encoding) for the encodings old pickles use for bytes.
bool EncodeText(const std::string& text, const std::string& encoding, std::string& out) {
  if (encoding == "latin1" || encoding == "latin-1" || encoding == "iso-8859-1" ||
      encoding == "ascii") {
    const uint32_t limit = encoding == "ascii" ? 0x80 : 0x100;
    for (uint32_t cp : CodePoints(text)) {
      if (cp >= limit) return false;
      out.push_back(static_cast<char>(cp));
    }
    return true;
  }
  if (encoding == "utf-8" || encoding == "utf8") {
    out = text;
    return true;
  }
  return false;
}

bool ParseDecimal(const std::string& line, int64_t* value) {
  std::string text = line;
  if (!text.empty() && text.back() == 'L') text.pop_back();
  if (text.empty()) return false;
  size_t i = 0;
  bool negative = false;
  if (text[0] == '-' || text[0] == '+') {
    negative = text[0] == '-';
    i = 1;
  }
  if (i == text.size()) return false;
  int64_t v = 0;
  for (; i < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    if (v > (INT64_MAX - 9) / 10) return false;
    v = v * 10 + (text[i] - '0');
  }
  *value = negative ? -v : v;
  return true;
}

bool IsTwoStrs(const std::vector<ObjectPtr>& args) {
  return args.size() == 2 && args[0]->kind == Object::Kind::kStr &&
         args[1]->kind == Object::Kind::kStr;
}

// args (text, encoding) encoded, as an object of the given kind.
Result<ObjectPtr> Encode(Object::Kind kind, const std::vector<ObjectPtr>& args) {
  std::string out;
  if (!EncodeText(args[0]->data, args[1]->data, out)) return Unpickling("cannot encode");
  return MakeData(kind, std::move(out));
}

// REDUCE: calls one of the few callables a dump may hold: bytes and bytearray (under either
// module name) and _codecs.encode. Anything else is refused.
Result<ObjectPtr> Call(const Object& callable, const Object& args) {
  if (callable.kind != Object::Kind::kGlobal || args.kind != Object::Kind::kTuple) {
    return Unpickling("unsupported REDUCE");
  }
  const std::string& name = callable.data;
  const std::vector<ObjectPtr>& a = args.items;
  if (name == "builtins.bytearray" || name == "__builtin__.bytearray" || name == "builtins.bytes" ||
      name == "__builtin__.bytes") {
    const Object::Kind kind = name.find("bytearray") != std::string::npos ? Object::Kind::kByteArray
                                                                          : Object::Kind::kBytes;
    if (a.empty()) return MakeData(kind, "");
    if (a.size() == 1 && a[0]->is_bytes_like()) return MakeData(kind, a[0]->data);
    if (IsTwoStrs(a)) return Encode(kind, a);
  } else if (name == "_codecs.encode") {
    if (IsTwoStrs(a)) return Encode(Object::Kind::kBytes, a);
  } else {
    return Unpickling("refusing to call " + name);
  }
  return Unpickling("unsupported arguments for " + name);
}

}  // namespace

Result<ObjectPtr> Unpickler::Load() {
  if (pos_ >= data_.size()) return Status::Error(Code::kOutOfRange, "EOFError: Ran out of input");
  stack_.clear();
  marks_.clear();
  memo_.clear();
  while (true) {
    ASSIGN_OR_RETURN(const uint8_t* p, Take(1));
    const uint8_t opcode = *p;
    if (opcode == kStop) return Pop();  // the pickle's object: the top of the stack
    RETURN_IF_ERROR((this->*HandlerFor(opcode))(opcode));
  }
}

Unpickler::Handler Unpickler::HandlerFor(uint8_t opcode) {
  struct Route {
    std::vector<uint8_t> opcodes;
    Handler handler;
  };
  static const std::array<Handler, 256> kTable = [] {
    const Route routes[] = {
        {{kProto}, &Unpickler::OnProto},
        {{kFrame}, &Unpickler::OnFrame},
        {{kMark}, &Unpickler::OnMark},
        {{kPop}, &Unpickler::OnPop},
        {{kPopMark}, &Unpickler::OnPopMark},
        {{kDup}, &Unpickler::OnDup},
        {{kNone}, &Unpickler::OnNone},
        {{kNewTrue, kNewFalse}, &Unpickler::OnBool},
        {{kBinInt, kBinInt1, kBinInt2}, &Unpickler::OnBinInt},
        {{kLong1}, &Unpickler::OnLong1},
        {{kInt, kLong}, &Unpickler::OnDecimal},
        {{kShortBinUnicode, kBinUnicode, kBinUnicode8}, &Unpickler::OnBinUnicode},
        {{kUnicode}, &Unpickler::OnUnicode},
        {{kShortBinBytes, kBinBytes, kBinBytes8, kByteArray8}, &Unpickler::OnBinBytes},
        {{kEmptyList, kEmptyTuple}, &Unpickler::OnEmpty},
        {{kList, kTuple}, &Unpickler::OnFromMark},
        {{kTuple1, kTuple2, kTuple3}, &Unpickler::OnTupleN},
        {{kAppend, kAppends}, &Unpickler::OnAppend},
        {{kGlobal}, &Unpickler::OnGlobal},
        {{kStackGlobal}, &Unpickler::OnStackGlobal},
        {{kReduce}, &Unpickler::OnReduce},
        {{kMemoize}, &Unpickler::OnMemoize},
        {{kPut, kBinPut, kLongBinPut}, &Unpickler::OnPut},
        {{kGet, kBinGet, kLongBinGet}, &Unpickler::OnGet},
    };
    std::array<Handler, 256> table;
    table.fill(&Unpickler::OnInvalid);
    for (const Route& route : routes) {
      for (uint8_t op : route.opcodes) table[op] = route.handler;
    }
    return table;
  }();
  return kTable[opcode];
}

// Reading the data.

Result<const uint8_t*> Unpickler::Take(uint64_t n) {
  if (n > data_.size() - pos_) return Truncated();
  const uint8_t* taken = data_.data() + pos_;
  pos_ += static_cast<size_t>(n);
  return taken;
}

Result<uint64_t> Unpickler::TakeUint(size_t width) {
  ASSIGN_OR_RETURN(const uint8_t* p, Take(width));
  return LittleEndian(p, width);
}

Result<std::string> Unpickler::TakeLine() {
  for (size_t i = pos_; i < data_.size(); ++i) {
    if (data_[i] == '\n') {
      std::string line(data_.begin() + pos_, data_.begin() + i);
      pos_ = i + 1;
      return line;
    }
  }
  return Truncated();
}

Result<std::string> Unpickler::TakeCounted(uint8_t opcode) {
  ASSIGN_OR_RETURN(const uint64_t n, TakeUint(ArgWidth(opcode)));
  ASSIGN_OR_RETURN(const uint8_t* p, Take(n));
  return std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(n));
}

Result<uint64_t> Unpickler::TakeMemoIndex(uint8_t opcode, const char* bad_line) {
  if (ArgWidth(opcode) > 0) return TakeUint(ArgWidth(opcode));
  ASSIGN_OR_RETURN(const std::string line, TakeLine());
  int64_t value;
  if (!ParseDecimal(line, &value) || value < 0) return Unpickling(bad_line);
  return static_cast<uint64_t>(value);
}

// The stack and the memo.

Status Unpickler::Push(ObjectPtr object) {
  stack_.push_back(std::move(object));
  return Status::Ok();
}

Result<ObjectPtr> Unpickler::Pop() {
  if (stack_.size() <= Fence()) return Underflow();
  ObjectPtr top = std::move(stack_.back());
  stack_.pop_back();
  return top;
}

Result<std::vector<ObjectPtr>> Unpickler::PopToMark() {
  if (marks_.empty()) return Unpickling("could not find MARK");
  const size_t mark = marks_.back();
  marks_.pop_back();
  std::vector<ObjectPtr> items(std::make_move_iterator(stack_.begin() + mark),
                               std::make_move_iterator(stack_.end()));
  stack_.resize(mark);
  return items;
}

Status Unpickler::MemoizeTop(uint64_t index) {
  if (stack_.empty()) return Underflow();
  memo_[index] = stack_.back();
  return Status::Ok();
}

// Framing and protocol.

Status Unpickler::OnProto(uint8_t opcode) {
  ASSIGN_OR_RETURN(const uint64_t protocol, TakeUint(ArgWidth(opcode)));
  if (protocol > 5) return Unpickling("unsupported pickle protocol: " + std::to_string(protocol));
  return Status::Ok();
}

// The frame's length is not needed: frames only group the opcodes that follow.
Status Unpickler::OnFrame(uint8_t opcode) { return Take(ArgWidth(opcode)).status(); }

// Stack and marks.

Status Unpickler::OnMark(uint8_t) {
  marks_.push_back(stack_.size());
  return Status::Ok();
}

// POP of a mark at the top of the stack drops the mark.
Status Unpickler::OnPop(uint8_t) {
  if (!marks_.empty() && marks_.back() == stack_.size()) {
    marks_.pop_back();
    return Status::Ok();
  }
  return Pop().status();
}

Status Unpickler::OnPopMark(uint8_t) { return PopToMark().status(); }

Status Unpickler::OnDup(uint8_t) {
  if (stack_.empty()) return Underflow();
  return Push(stack_.back());
}

// Constants and ints.

Status Unpickler::OnNone(uint8_t) { return Push(Make(Object::Kind::kNone)); }

Status Unpickler::OnBool(uint8_t opcode) {
  return Push(MakeInt(opcode == kNewTrue ? 1 : 0, Object::Kind::kBool));
}

// BININT is signed, BININT1 and BININT2 unsigned.
Status Unpickler::OnBinInt(uint8_t opcode) {
  ASSIGN_OR_RETURN(const uint64_t raw, TakeUint(ArgWidth(opcode)));
  return Push(MakeInt(opcode == kBinInt ? static_cast<int32_t>(raw) : static_cast<int64_t>(raw)));
}

// A length byte, then that many bytes of two's complement.
Status Unpickler::OnLong1(uint8_t opcode) {
  ASSIGN_OR_RETURN(const uint64_t n, TakeUint(ArgWidth(opcode)));
  if (n > 8) return Unpickling("integer too large");
  ASSIGN_OR_RETURN(const uint8_t* p, Take(n));
  uint64_t raw = LittleEndian(p, n);
  if (n > 0 && n < 8 && (p[n - 1] & 0x80)) raw |= ~uint64_t{0} << (8 * n);
  return Push(MakeInt(static_cast<int64_t>(raw)));
}

// A decimal line; INT's "00" and "01" are protocol 0's False and True.
Status Unpickler::OnDecimal(uint8_t opcode) {
  ASSIGN_OR_RETURN(const std::string line, TakeLine());
  const std::string_view text = line;  // (std::string == "00" draws a false GCC 12 warning)
  if (opcode == kInt && (text == "00" || text == "01")) {
    return Push(MakeInt(text == "01", Object::Kind::kBool));
  }
  int64_t value;
  if (!ParseDecimal(line, &value)) return Unpickling("invalid literal for int");
  return Push(MakeInt(value));
}

// Strings and bytes.

Status Unpickler::OnBinUnicode(uint8_t opcode) {
  ASSIGN_OR_RETURN(std::string text, TakeCounted(opcode));
  if (!ValidUtf8(text)) return Unpickling("invalid UTF-8 in a str");
  return Push(MakeData(Object::Kind::kStr, std::move(text)));
}

Status Unpickler::OnUnicode(uint8_t) {
  ASSIGN_OR_RETURN(const std::string line, TakeLine());
  std::string text;
  if (!DecodeRawUnicodeEscape(line, text)) return Unpickling("bad raw-unicode-escape");
  return Push(MakeData(Object::Kind::kStr, std::move(text)));
}

Status Unpickler::OnBinBytes(uint8_t opcode) {
  ASSIGN_OR_RETURN(std::string data, TakeCounted(opcode));
  return Push(MakeData(opcode == kByteArray8 ? Object::Kind::kByteArray : Object::Kind::kBytes,
                       std::move(data)));
}

// Containers.

Status Unpickler::OnEmpty(uint8_t opcode) {
  return Push(Make(opcode == kEmptyList ? Object::Kind::kList : Object::Kind::kTuple));
}

Status Unpickler::OnFromMark(uint8_t opcode) {
  ASSIGN_OR_RETURN(std::vector<ObjectPtr> items, PopToMark());
  return Push(
      MakeItems(opcode == kList ? Object::Kind::kList : Object::Kind::kTuple, std::move(items)));
}

Status Unpickler::OnTupleN(uint8_t opcode) {
  const size_t n = opcode - kTuple1 + 1;
  if (stack_.size() < Fence() + n) return Underflow();
  std::vector<ObjectPtr> items(stack_.end() - n, stack_.end());
  stack_.resize(stack_.size() - n);
  return Push(MakeItems(Object::Kind::kTuple, std::move(items)));
}

// APPEND pops one item, APPENDS all those above the mark; then a list must be on top.
Status Unpickler::OnAppend(uint8_t opcode) {
  std::vector<ObjectPtr> items;
  if (opcode == kAppend) {
    ASSIGN_OR_RETURN(ObjectPtr item, Pop());
    items.push_back(std::move(item));
  } else {
    ASSIGN_OR_RETURN(items, PopToMark());
  }
  if (stack_.size() <= Fence() || stack_.back()->kind != Object::Kind::kList) {
    return Unpickling(std::string(opcode == kAppend ? "APPEND" : "APPENDS") + " to a non-list");
  }
  for (ObjectPtr& item : items) stack_.back()->items.push_back(std::move(item));
  return Status::Ok();
}

// Globals and reduce.

Status Unpickler::OnGlobal(uint8_t) {
  ASSIGN_OR_RETURN(const std::string module, TakeLine());
  ASSIGN_OR_RETURN(const std::string name, TakeLine());
  return Push(MakeData(Object::Kind::kGlobal, module + "." + name));
}

Status Unpickler::OnStackGlobal(uint8_t) {
  ASSIGN_OR_RETURN(const ObjectPtr name, Pop());
  ASSIGN_OR_RETURN(const ObjectPtr module, Pop());
  if (name->kind != Object::Kind::kStr || module->kind != Object::Kind::kStr) {
    return Unpickling("STACK_GLOBAL requires str");
  }
  return Push(MakeData(Object::Kind::kGlobal, module->data + "." + name->data));
}

Status Unpickler::OnReduce(uint8_t) {
  ASSIGN_OR_RETURN(const ObjectPtr args, Pop());
  ASSIGN_OR_RETURN(const ObjectPtr callable, Pop());
  ASSIGN_OR_RETURN(ObjectPtr object, Call(*callable, *args));
  return Push(std::move(object));
}

// Memo.

Status Unpickler::OnMemoize(uint8_t) { return MemoizeTop(memo_.size()); }

Status Unpickler::OnPut(uint8_t opcode) {
  ASSIGN_OR_RETURN(const uint64_t index, TakeMemoIndex(opcode, "negative PUT argument"));
  return MemoizeTop(index);
}

Status Unpickler::OnGet(uint8_t opcode) {
  ASSIGN_OR_RETURN(const uint64_t index, TakeMemoIndex(opcode, "bad GET argument"));
  auto found = memo_.find(index);
  if (found == memo_.end()) return Unpickling("memo key not found");
  return Push(found->second);
}

Status Unpickler::OnInvalid(uint8_t opcode) {
  static const char kHex[] = "0123456789abcdef";
  return Unpickling(std::string("invalid load key, '\\x") + kHex[opcode >> 4] + kHex[opcode & 15] +
                    "'");
}

}  // namespace pickle
}  // namespace memoryfs::fs
