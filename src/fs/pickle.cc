#include "fs/pickle.h"

#include <utility>

namespace memoryfs::fs {
namespace pickle {
namespace {

// Opcodes (pickletools names).
enum : uint8_t {
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

constexpr size_t kFrameSizeTarget = 64 * 1024;
constexpr size_t kFrameHeaderSize = 9;
constexpr size_t kFrameSizeMin = 4;
constexpr size_t kBatchSize = 1000;

Status Unpickling(const std::string& why) {
  return Status::Error(Code::kInvalidArgument, "UnpicklingError: " + why);
}

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

}  // namespace

Status Unpickler::Truncated() const { return Unpickling("pickle data was truncated"); }

bool Unpickler::Take(size_t n, const uint8_t** out) {
  if (n > data_.size() - pos_) return false;
  *out = data_.data() + pos_;
  pos_ += n;
  return true;
}

bool Unpickler::TakeLine(std::string* line) {
  for (size_t i = pos_; i < data_.size(); ++i) {
    if (data_[i] == '\n') {
      line->assign(data_.begin() + pos_, data_.begin() + i);
      pos_ = i + 1;
      return true;
    }
  }
  return false;
}

Result<ObjectPtr> Unpickler::Pop() {
  const size_t fence = marks_.empty() ? 0 : marks_.back();
  if (stack_.size() <= fence) return Unpickling("unpickling stack underflow");
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

Result<ObjectPtr> Unpickler::Call(const Object& callable, const Object& args) {
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
    if (a.size() == 2 && a[0]->kind == Object::Kind::kStr && a[1]->kind == Object::Kind::kStr) {
      std::string out;
      if (!EncodeText(a[0]->data, a[1]->data, out)) return Unpickling("cannot encode");
      return MakeData(kind, std::move(out));
    }
    return Unpickling("unsupported arguments for " + name);
  }
  if (name == "_codecs.encode") {
    if (a.size() == 2 && a[0]->kind == Object::Kind::kStr && a[1]->kind == Object::Kind::kStr) {
      std::string out;
      if (!EncodeText(a[0]->data, a[1]->data, out)) return Unpickling("cannot encode");
      return MakeData(Object::Kind::kBytes, std::move(out));
    }
    return Unpickling("unsupported arguments for _codecs.encode");
  }
  return Unpickling("refusing to call " + name);
}

Result<ObjectPtr> Unpickler::Load() {
  if (pos_ >= data_.size()) return Status::Error(Code::kOutOfRange, "EOFError: Ran out of input");
  stack_.clear();
  marks_.clear();
  memo_.clear();
  while (true) {
    const uint8_t* p = nullptr;
    if (!Take(1, &p)) return Truncated();
    const uint8_t opcode = *p;
    switch (opcode) {
      case kProto:
        if (!Take(1, &p)) return Truncated();
        if (*p > 5) return Unpickling("unsupported pickle protocol: " + std::to_string(*p));
        break;
      case kFrame:
        if (!Take(8, &p)) return Truncated();
        break;
      case kStop: {
        Result<ObjectPtr> top = Pop();
        if (!top.ok()) return top.status();
        return top;
      }
      case kMark:
        marks_.push_back(stack_.size());
        break;
      case kPop: {
        if (!marks_.empty() && marks_.back() == stack_.size()) {
          marks_.pop_back();
        } else {
          Result<ObjectPtr> top = Pop();
          if (!top.ok()) return top.status();
        }
        break;
      }
      case kPopMark: {
        Result<std::vector<ObjectPtr>> items = PopToMark();
        if (!items.ok()) return items.status();
        break;
      }
      case kDup:
        if (stack_.empty()) return Unpickling("unpickling stack underflow");
        stack_.push_back(stack_.back());
        break;
      case kNone:
        stack_.push_back(Make(Object::Kind::kNone));
        break;
      case kNewTrue:
      case kNewFalse:
        stack_.push_back(MakeInt(opcode == kNewTrue ? 1 : 0, Object::Kind::kBool));
        break;
      case kBinInt:
        if (!Take(4, &p)) return Truncated();
        stack_.push_back(MakeInt(static_cast<int32_t>(LittleEndian(p, 4))));
        break;
      case kBinInt1:
        if (!Take(1, &p)) return Truncated();
        stack_.push_back(MakeInt(*p));
        break;
      case kBinInt2:
        if (!Take(2, &p)) return Truncated();
        stack_.push_back(MakeInt(static_cast<int64_t>(LittleEndian(p, 2))));
        break;
      case kLong1: {
        if (!Take(1, &p)) return Truncated();
        const size_t n = *p;
        if (n > 8) return Unpickling("integer too large");
        if (!Take(n, &p)) return Truncated();
        uint64_t raw = LittleEndian(p, n);
        if (n > 0 && n < 8 && (p[n - 1] & 0x80)) raw |= ~uint64_t{0} << (8 * n);
        stack_.push_back(MakeInt(static_cast<int64_t>(raw)));
        break;
      }
      case kInt:
      case kLong: {
        std::string line;
        if (!TakeLine(&line)) return Truncated();
        if (opcode == kInt && (line == "00" || line == "01")) {
          stack_.push_back(MakeInt(line == "01", Object::Kind::kBool));
          break;
        }
        int64_t value;
        if (!ParseDecimal(line, &value)) return Unpickling("invalid literal for int");
        stack_.push_back(MakeInt(value));
        break;
      }
      case kBinUnicode:
      case kShortBinUnicode:
      case kBinUnicode8: {
        const size_t width = opcode == kShortBinUnicode ? 1 : opcode == kBinUnicode ? 4 : 8;
        if (!Take(width, &p)) return Truncated();
        const uint64_t n = LittleEndian(p, width);
        if (n > data_.size() - pos_) return Truncated();
        Take(static_cast<size_t>(n), &p);
        std::string text(reinterpret_cast<const char*>(p), static_cast<size_t>(n));
        if (!ValidUtf8(text)) return Unpickling("invalid UTF-8 in a str");
        stack_.push_back(MakeData(Object::Kind::kStr, std::move(text)));
        break;
      }
      case kUnicode: {
        std::string line, text;
        if (!TakeLine(&line)) return Truncated();
        if (!DecodeRawUnicodeEscape(line, text)) return Unpickling("bad raw-unicode-escape");
        stack_.push_back(MakeData(Object::Kind::kStr, std::move(text)));
        break;
      }
      case kShortBinBytes:
      case kBinBytes:
      case kBinBytes8:
      case kByteArray8: {
        const size_t width = opcode == kShortBinBytes ? 1 : opcode == kBinBytes ? 4 : 8;
        if (!Take(width, &p)) return Truncated();
        const uint64_t n = LittleEndian(p, width);
        if (n > data_.size() - pos_) return Truncated();
        Take(static_cast<size_t>(n), &p);
        stack_.push_back(
            MakeData(opcode == kByteArray8 ? Object::Kind::kByteArray : Object::Kind::kBytes,
                     std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(n))));
        break;
      }
      case kEmptyList:
        stack_.push_back(Make(Object::Kind::kList));
        break;
      case kEmptyTuple:
        stack_.push_back(Make(Object::Kind::kTuple));
        break;
      case kList:
      case kTuple: {
        Result<std::vector<ObjectPtr>> items = PopToMark();
        if (!items.ok()) return items.status();
        ObjectPtr object = Make(opcode == kList ? Object::Kind::kList : Object::Kind::kTuple);
        object->items = std::move(items).value();
        stack_.push_back(std::move(object));
        break;
      }
      case kTuple1:
      case kTuple2:
      case kTuple3: {
        const size_t n = opcode - kTuple1 + 1;
        const size_t fence = marks_.empty() ? 0 : marks_.back();
        if (stack_.size() < fence + n) return Unpickling("unpickling stack underflow");
        ObjectPtr object = Make(Object::Kind::kTuple);
        object->items.assign(stack_.end() - n, stack_.end());
        stack_.resize(stack_.size() - n);
        stack_.push_back(std::move(object));
        break;
      }
      case kAppend: {
        Result<ObjectPtr> value = Pop();
        if (!value.ok()) return value.status();
        const size_t fence = marks_.empty() ? 0 : marks_.back();
        if (stack_.size() <= fence || stack_.back()->kind != Object::Kind::kList) {
          return Unpickling("APPEND to a non-list");
        }
        stack_.back()->items.push_back(std::move(value).value());
        break;
      }
      case kAppends: {
        Result<std::vector<ObjectPtr>> items = PopToMark();
        if (!items.ok()) return items.status();
        const size_t fence = marks_.empty() ? 0 : marks_.back();
        if (stack_.size() <= fence || stack_.back()->kind != Object::Kind::kList) {
          return Unpickling("APPENDS to a non-list");
        }
        for (ObjectPtr& item : *items) stack_.back()->items.push_back(std::move(item));
        break;
      }
      case kGlobal: {
        std::string module, name;
        if (!TakeLine(&module) || !TakeLine(&name)) return Truncated();
        stack_.push_back(MakeData(Object::Kind::kGlobal, module + "." + name));
        break;
      }
      case kStackGlobal: {
        Result<ObjectPtr> name = Pop();
        if (!name.ok()) return name.status();
        Result<ObjectPtr> module = Pop();
        if (!module.ok()) return module.status();
        if ((*name)->kind != Object::Kind::kStr || (*module)->kind != Object::Kind::kStr) {
          return Unpickling("STACK_GLOBAL requires str");
        }
        stack_.push_back(MakeData(Object::Kind::kGlobal, (*module)->data + "." + (*name)->data));
        break;
      }
      case kReduce: {
        Result<ObjectPtr> args = Pop();
        if (!args.ok()) return args.status();
        Result<ObjectPtr> callable = Pop();
        if (!callable.ok()) return callable.status();
        Result<ObjectPtr> object = Call(**callable, **args);
        if (!object.ok()) return object.status();
        stack_.push_back(std::move(object).value());
        break;
      }
      case kMemoize:
        if (stack_.empty()) return Unpickling("unpickling stack underflow");
        memo_[memo_.size()] = stack_.back();
        break;
      case kBinPut:
      case kLongBinPut:
      case kPut: {
        uint64_t index;
        if (opcode == kPut) {
          std::string line;
          int64_t value;
          if (!TakeLine(&line)) return Truncated();
          if (!ParseDecimal(line, &value) || value < 0) return Unpickling("negative PUT argument");
          index = static_cast<uint64_t>(value);
        } else {
          const size_t width = opcode == kBinPut ? 1 : 4;
          if (!Take(width, &p)) return Truncated();
          index = LittleEndian(p, width);
        }
        if (stack_.empty()) return Unpickling("unpickling stack underflow");
        memo_[index] = stack_.back();
        break;
      }
      case kBinGet:
      case kLongBinGet:
      case kGet: {
        uint64_t index;
        if (opcode == kGet) {
          std::string line;
          int64_t value;
          if (!TakeLine(&line)) return Truncated();
          if (!ParseDecimal(line, &value) || value < 0) return Unpickling("bad GET argument");
          index = static_cast<uint64_t>(value);
        } else {
          const size_t width = opcode == kBinGet ? 1 : 4;
          if (!Take(width, &p)) return Truncated();
          index = LittleEndian(p, width);
        }
        auto found = memo_.find(index);
        if (found == memo_.end()) return Unpickling("memo key not found");
        stack_.push_back(found->second);
        break;
      }
      default: {
        static const char kHex[] = "0123456789abcdef";
        return Unpickling(std::string("invalid load key, '\\x") + kHex[opcode >> 4] +
                          kHex[opcode & 15] + "'");
      }
    }
  }
}

namespace {

// A protocol-4 pickler reproducing CPython's C implementation byte for byte for the few types
// we write: frames of at least 64 KiB, committed when a save() starts past the target; data
// payloads of 64 KiB or more written outside frames.
class Pickler {
 public:
  Pickler() {
    out_ = {kProto, 4};
    framing_ = true;
  }

  // The entry of every save() call of the C pickler.
  void Boundary() {
    if (framing_ && frame_start_ != kNoFrame &&
        out_.size() - frame_start_ - kFrameHeaderSize >= kFrameSizeTarget) {
      CommitFrame();
    }
  }

  void Write(const uint8_t* data, size_t n) {
    if (framing_ && frame_start_ == kNoFrame) {
      frame_start_ = out_.size();
      out_.insert(out_.end(), kFrameHeaderSize, 0);
    }
    out_.insert(out_.end(), data, data + n);
  }
  void Write(std::initializer_list<uint8_t> bytes) { Write(bytes.begin(), bytes.size()); }

  void Memoize() {
    Write({kMemoize});
    ++memo_count_;
  }

  void SaveStr(std::string_view text) {  // ASCII/UTF-8 text, as str
    Boundary();
    if (text.size() < 256) {
      WriteCounted(kShortBinUnicode, 1, text);
    } else if (text.size() <= 0xFFFFFFFFu) {
      WriteCounted(kBinUnicode, 4, text);
    } else {
      WriteCounted(kBinUnicode8, 8, text);
    }
    Memoize();
  }

  void SaveBytes(const Bytes& data) {
    Boundary();
    const std::string_view view(reinterpret_cast<const char*>(data.data()), data.size());
    if (data.size() < 256) {
      WriteCounted(kShortBinBytes, 1, view);
    } else if (data.size() <= 0xFFFFFFFFu) {
      WriteCounted(kBinBytes, 4, view);
    } else {
      WriteCounted(kBinBytes8, 8, view);
    }
    Memoize();
  }

  // bytearray under protocol 4: REDUCE(builtins.bytearray, (bytes(b),)).
  void SaveByteArray(const Bytes& data) {
    Boundary();
    // save(cls)
    Boundary();
    if (bytearray_memo_ < 0) {
      SaveStr("builtins");
      SaveStr("bytearray");
      Write({kStackGlobal});
      bytearray_memo_ = memo_count_;
      Memoize();
    } else if (bytearray_memo_ < 256) {
      Write({kBinGet, static_cast<uint8_t>(bytearray_memo_)});
    } else {
      const uint32_t m = static_cast<uint32_t>(bytearray_memo_);
      Write({kLongBinGet, static_cast<uint8_t>(m), static_cast<uint8_t>(m >> 8),
             static_cast<uint8_t>(m >> 16), static_cast<uint8_t>(m >> 24)});
    }
    // save(args)
    Boundary();
    if (data.empty()) {
      Write({kEmptyTuple});
    } else {
      SaveBytes(data);
      Write({kTuple1});
      Memoize();
    }
    Write({kReduce});
    Memoize();
  }

  Bytes Finish() {
    Write({kStop});
    CommitFrame();
    return std::move(out_);
  }

 private:
  static constexpr size_t kNoFrame = static_cast<size_t>(-1);

  void CommitFrame() {
    if (!framing_ || frame_start_ == kNoFrame) return;
    const size_t length = out_.size() - frame_start_ - kFrameHeaderSize;
    if (length >= kFrameSizeMin) {
      out_[frame_start_] = kFrame;
      for (size_t i = 0; i < 8; ++i) {
        out_[frame_start_ + 1 + i] = static_cast<uint8_t>(static_cast<uint64_t>(length) >> (8 * i));
      }
    } else {
      out_.erase(out_.begin() + frame_start_, out_.begin() + frame_start_ + kFrameHeaderSize);
    }
    frame_start_ = kNoFrame;
  }

  void WriteCounted(uint8_t opcode, size_t width, std::string_view payload) {
    uint8_t header[9] = {opcode};
    for (size_t i = 0; i < width; ++i) {
      header[1 + i] = static_cast<uint8_t>(static_cast<uint64_t>(payload.size()) >> (8 * i));
    }
    const auto* data = reinterpret_cast<const uint8_t*>(payload.data());
    if (payload.size() >= kFrameSizeTarget && framing_) {
      // Large payloads bypass the frame (CPython's _Pickler_write_bytes).
      CommitFrame();
      framing_ = false;
      Write(header, 1 + width);
      Write(data, payload.size());
      framing_ = true;
    } else {
      Write(header, 1 + width);
      Write(data, payload.size());
    }
  }

  Bytes out_;
  bool framing_ = false;
  size_t frame_start_ = kNoFrame;
  int64_t memo_count_ = 0;
  int64_t bytearray_memo_ = -1;
};

}  // namespace

Bytes DumpStr(std::string_view text) {
  Pickler pickler;
  pickler.SaveStr(text);
  return pickler.Finish();
}

Bytes DumpByteArrayList(const std::vector<Bytes>& items) {
  Pickler pickler;
  pickler.Boundary();
  pickler.Write({kEmptyList});
  pickler.Memoize();
  if (items.size() == 1) {
    pickler.SaveByteArray(items[0]);
    pickler.Write({kAppend});
  } else if (items.size() > 1) {
    size_t total = 0;
    while (total < items.size()) {
      pickler.Write({kMark});
      for (size_t batch = 0; batch < kBatchSize && total < items.size(); ++batch, ++total) {
        pickler.SaveByteArray(items[total]);
      }
      pickler.Write({kAppends});
    }
  }
  return pickler.Finish();
}

}  // namespace pickle
}  // namespace memoryfs::fs
