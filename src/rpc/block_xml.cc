#include "rpc/block_xml.h"

#include <algorithm>
#include <climits>

namespace memoryfs::rpc::blockxml {

namespace {

const char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr size_t kLineBytes = 57;  // 76 base64 characters per line, as xmlrpc-c writes

constexpr std::string_view kCallHead =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n<methodCall>\r\n<methodName>";
constexpr std::string_view kResponseHead =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n<methodResponse>\r\n<params>\r\n<param>";
constexpr std::string_view kResponseTail = "</param>\r\n</params>\r\n</methodResponse>\r\n";

// The value of each base64 character, 64 for '=', 255 for any other byte.
struct DecodeTable {
  uint8_t value[256];
  constexpr DecodeTable() : value() {
    for (int i = 0; i < 256; ++i) value[i] = 255;
    for (int i = 0; i < 64; ++i)
      value[static_cast<uint8_t>(kAlphabet[i])] = static_cast<uint8_t>(i);
    value[static_cast<uint8_t>('=')] = 64;
  }
};
constexpr DecodeTable kDecode;

// <value><base64>, the lines, </base64></value>.
void AppendBase64Value(const Bytes& data, std::string* out) {
  *out += "<value><base64>\r\n";
  const size_t lines = data.empty() ? 1 : (data.size() + kLineBytes - 1) / kLineBytes;
  out->reserve(out->size() + data.size() * 4 / 3 + lines * 2 + 64);
  for (size_t at = 0; at < data.size(); at += kLineBytes) {
    const size_t end = std::min(data.size(), at + kLineBytes);
    size_t i = at;
    for (; i + 2 < end; i += 3) {
      const uint32_t v = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
      const char quad[4] = {kAlphabet[v >> 18], kAlphabet[(v >> 12) & 63], kAlphabet[(v >> 6) & 63],
                            kAlphabet[v & 63]};
      out->append(quad, 4);
    }
    if (i + 1 == end) {
      const uint32_t v = data[i] << 16;
      const char quad[4] = {kAlphabet[v >> 18], kAlphabet[(v >> 12) & 63], '=', '='};
      out->append(quad, 4);
    } else if (i + 2 == end) {
      const uint32_t v = (data[i] << 16) | (data[i + 1] << 8);
      const char quad[4] = {kAlphabet[v >> 18], kAlphabet[(v >> 12) & 63], kAlphabet[(v >> 6) & 63],
                            '='};
      out->append(quad, 4);
    }
    *out += "\r\n";
  }
  if (data.empty()) *out += "\r\n";
  *out += "</base64></value>";
}

void AppendIntValue(int value, std::string* out) {
  *out += "<value><i4>";
  *out += std::to_string(value);
  *out += "</i4></value>";
}

// Decodes base64 text of the accepted subset (see block_xml.h); nullopt otherwise.
std::optional<Bytes> DecodeBase64(std::string_view text) {
  Bytes out;
  out.reserve(text.size() / 4 * 3);
  uint32_t quad = 0;
  int filled = 0;  // characters in quad
  int pad = 0;     // '=' seen
  for (char ch : text) {
    if (ch == '\r' || ch == '\n') continue;
    const uint8_t v = kDecode.value[static_cast<uint8_t>(ch)];
    if (v == 255) return std::nullopt;
    if (v == 64) {
      if (filled < 2) return std::nullopt;  // "=" in the first two places of a quad
      ++pad;
    } else if (pad > 0) {
      return std::nullopt;  // data after padding
    }
    quad = (quad << 6) | (v & 63);
    if (++filled < 4) continue;
    out.push_back(static_cast<uint8_t>(quad >> 16));
    if (pad < 2) out.push_back(static_cast<uint8_t>(quad >> 8));
    if (pad < 1) out.push_back(static_cast<uint8_t>(quad));
    if ((pad == 1 && (quad & 0xff) != 0) || (pad == 2 && (quad & 0xffff) != 0)) {
      return std::nullopt;  // unused bits set
    }
    if (pad > 0) pad = 3;  // padding ends the data: any later character is refused above
    quad = 0;
    filled = 0;
  }
  if (filled != 0) return std::nullopt;
  return out;
}

// An optional sign and 1..18 digits, within int32.
std::optional<int> DecodeInt(std::string_view text) {
  bool negative = false;
  if (!text.empty() && (text[0] == '-' || text[0] == '+')) {
    negative = text[0] == '-';
    text.remove_prefix(1);
  }
  if (text.empty() || text.size() > 18) return std::nullopt;
  int64_t n = 0;
  for (char ch : text) {
    if (ch < '0' || ch > '9') return std::nullopt;
    n = n * 10 + (ch - '0');
  }
  if (negative) n = -n;
  if (n < INT_MIN || n > INT_MAX) return std::nullopt;
  return static_cast<int>(n);
}

// One typed value: an int or base64 bytes.
struct Value {
  bool is_int = false;
  int n = 0;
  Bytes bytes;
};

// A recogniser over the document: each step consumes what it matched or fails.
class Cursor {
 public:
  explicit Cursor(std::string_view text) : rest_(text) {}

  bool Eat(std::string_view literal) {
    if (rest_.substr(0, literal.size()) != literal) return false;
    rest_.remove_prefix(literal.size());
    return true;
  }

  void SkipSpace() {
    size_t n = 0;
    while (n < rest_.size() &&
           (rest_[n] == ' ' || rest_[n] == '\t' || rest_[n] == '\r' || rest_[n] == '\n')) {
      ++n;
    }
    rest_.remove_prefix(n);
  }

  // The text up to the next '<' (not consumed).
  std::string_view Text() {
    const size_t n = std::min(rest_.find('<'), rest_.size());
    std::string_view text = rest_.substr(0, n);
    rest_.remove_prefix(n);
    return text;
  }

  bool AtEnd() const { return rest_.empty(); }

  // Optional XML declaration of a known form, then optional space.
  void Declaration() {
    (void)(Eat("<?xml version=\"1.0\" encoding=\"UTF-8\"?>") || Eat("<?xml version=\"1.0\"?>") ||
           Eat("<?xml version='1.0'?>"));
    SkipSpace();
  }

  // <value><i4|int>N</i4|int></value> or <value><base64>...</base64></value>.
  std::optional<Value> ParseValue() {
    if (!Eat("<value><")) return std::nullopt;
    Value v;
    if (Eat("base64>")) {
      std::optional<Bytes> bytes = DecodeBase64(Text());
      if (!bytes || !Eat("</base64></value>")) return std::nullopt;
      v.bytes = std::move(*bytes);
      return v;
    }
    const bool i4 = Eat("i4>");
    if (!i4 && !Eat("int>")) return std::nullopt;
    std::optional<int> n = DecodeInt(Text());
    if (!n || !Eat(i4 ? "</i4></value>" : "</int></value>")) return std::nullopt;
    v.is_int = true;
    v.n = *n;
    return v;
  }

  // <param> value </param>, with space around the value.
  std::optional<Value> ParseParam() {
    SkipSpace();
    if (!Eat("<param>")) return std::nullopt;
    SkipSpace();
    std::optional<Value> v = ParseValue();
    SkipSpace();
    if (!v || !Eat("</param>")) return std::nullopt;
    return v;
  }

 private:
  std::string_view rest_;
};

// The one value of a non-fault response document.
std::optional<Value> ParseResponseValue(std::string_view xml) {
  Cursor c(xml);
  c.Declaration();
  if (!c.Eat("<methodResponse>")) return std::nullopt;
  c.SkipSpace();
  if (!c.Eat("<params>")) return std::nullopt;
  std::optional<Value> v = c.ParseParam();
  c.SkipSpace();
  if (!v || !c.Eat("</params>")) return std::nullopt;
  c.SkipSpace();
  if (!c.Eat("</methodResponse>")) return std::nullopt;
  c.SkipSpace();
  if (!c.AtEnd()) return std::nullopt;
  return v;
}

}  // namespace

std::string FormatCall(std::string_view method, int block, const Bytes* data) {
  std::string out;
  out.reserve(256 + (data ? data->size() * 4 / 3 + data->size() / 28 : 0));
  out += kCallHead;
  out += method;
  out += "</methodName>\r\n<params>\r\n<param>";
  AppendIntValue(block, &out);
  out += "</param>\r\n";
  if (data != nullptr) {
    out += "<param>";
    AppendBase64Value(*data, &out);
    out += "</param>\r\n";
  }
  out += "</params>\r\n</methodCall>\r\n";
  return out;
}

std::string FormatBytesResponse(const Bytes& data) {
  std::string out;
  out += kResponseHead;
  AppendBase64Value(data, &out);
  out += kResponseTail;
  return out;
}

std::string FormatIntResponse(int value) {
  std::string out;
  out.reserve(kResponseHead.size() + kResponseTail.size() + 40);
  out += kResponseHead;
  AppendIntValue(value, &out);
  out += kResponseTail;
  return out;
}

std::optional<BlockCall> ParseCall(std::string_view xml) {
  Cursor c(xml);
  c.Declaration();
  if (!c.Eat("<methodCall>")) return std::nullopt;
  c.SkipSpace();
  if (!c.Eat("<methodName>")) return std::nullopt;
  const std::string_view name = c.Text();
  BlockCall call;
  if (name == "Get") {
    call.method = BlockMethod::kGet;
  } else if (name == "RSM") {
    call.method = BlockMethod::kRsm;
  } else if (name == "Put") {
    call.method = BlockMethod::kPut;
  } else {
    return std::nullopt;
  }
  if (!c.Eat("</methodName>")) return std::nullopt;
  c.SkipSpace();
  if (!c.Eat("<params>")) return std::nullopt;
  std::optional<Value> first = c.ParseParam();
  if (!first || !first->is_int) return std::nullopt;
  call.block = first->n;
  if (call.method == BlockMethod::kPut) {
    std::optional<Value> data = c.ParseParam();
    if (!data || data->is_int) return std::nullopt;
    call.data = std::move(data->bytes);
  }
  c.SkipSpace();
  if (!c.Eat("</params>")) return std::nullopt;
  c.SkipSpace();
  if (!c.Eat("</methodCall>")) return std::nullopt;
  c.SkipSpace();
  if (!c.AtEnd()) return std::nullopt;
  return call;
}

std::optional<Bytes> ParseBytesResponse(std::string_view xml) {
  std::optional<Value> v = ParseResponseValue(xml);
  if (!v || v->is_int) return std::nullopt;
  return std::move(v->bytes);
}

std::optional<int> ParseIntResponse(std::string_view xml) {
  std::optional<Value> v = ParseResponseValue(xml);
  if (!v || !v->is_int) return std::nullopt;
  return v->n;
}

}  // namespace memoryfs::rpc::blockxml
