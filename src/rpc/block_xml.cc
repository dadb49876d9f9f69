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

// Writes the base64 of data[0, n) (n a multiple of 3, or the last bytes) at out; returns the end.
char* EncodeQuads(const uint8_t* data, size_t n, char* out) {
  size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    const uint32_t v = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
    out[0] = kAlphabet[v >> 18];
    out[1] = kAlphabet[(v >> 12) & 63];
    out[2] = kAlphabet[(v >> 6) & 63];
    out[3] = kAlphabet[v & 63];
    out += 4;
  }
  if (i < n) {
    const uint32_t v = (data[i] << 16) | (i + 1 < n ? data[i + 1] << 8 : 0);
    out[0] = kAlphabet[v >> 18];
    out[1] = kAlphabet[(v >> 12) & 63];
    out[2] = i + 1 < n ? kAlphabet[(v >> 6) & 63] : '=';
    out[3] = '=';
    out += 4;
  }
  return out;
}

// <value><base64>, the lines, </base64></value>.
void AppendBase64Value(const Bytes& data, std::string* out) {
  constexpr std::string_view kOpen = "<value><base64>\r\n";
  constexpr std::string_view kClose = "</base64></value>";
  const size_t lines = data.empty() ? 1 : (data.size() + kLineBytes - 1) / kLineBytes;
  const size_t start = out->size();
  const size_t text = (data.size() + 2) / 3 * 4 + lines * 2;
  out->resize(start + kOpen.size() + text + kClose.size());
  char* at = out->data() + start;
  at = std::copy(kOpen.begin(), kOpen.end(), at);
  for (size_t from = 0; from < data.size(); from += kLineBytes) {
    at = EncodeQuads(data.data() + from, std::min(kLineBytes, data.size() - from), at);
    *at++ = '\r';
    *at++ = '\n';
  }
  if (data.empty()) {
    *at++ = '\r';
    *at++ = '\n';
  }
  std::copy(kClose.begin(), kClose.end(), at);
}

void AppendIntValue(int value, std::string* out) {
  *out += "<value><i4>";
  *out += std::to_string(value);
  *out += "</i4></value>";
}

// Decodes base64 text of the accepted subset (see block_xml.h) into out from *n on, one
// character at a time; false when the text is outside the subset.
bool DecodeBase64Tail(std::string_view text, uint8_t* out, size_t* n) {
  uint32_t quad = 0;
  int filled = 0;  // characters in quad
  int pad = 0;     // '=' seen
  for (char ch : text) {
    if (ch == '\r' || ch == '\n') continue;
    const uint8_t v = kDecode.value[static_cast<uint8_t>(ch)];
    if (v == 255) return false;
    if (v == 64) {
      if (filled < 2) return false;  // "=" in the first two places of a quad
      ++pad;
    } else if (pad > 0) {
      return false;  // data after padding
    }
    quad = (quad << 6) | (v & 63);
    if (++filled < 4) continue;
    if ((pad == 1 && (quad & 0xff) != 0) || (pad == 2 && (quad & 0xffff) != 0)) {
      return false;  // unused bits set
    }
    out[(*n)++] = static_cast<uint8_t>(quad >> 16);
    if (pad < 2) out[(*n)++] = static_cast<uint8_t>(quad >> 8);
    if (pad < 1) out[(*n)++] = static_cast<uint8_t>(quad);
    if (pad > 0) pad = 3;  // padding ends the data: any later character is refused above
    quad = 0;
    filled = 0;
  }
  return filled == 0;
}

// Decodes base64 text of the accepted subset; nullopt otherwise. Whole quads of the alphabet
// are decoded four characters at a time, the rest (padding, a line break inside a quad,
// refused characters) by DecodeBase64Tail from the quad where they start.
std::optional<Bytes> DecodeBase64(std::string_view text) {
  Bytes out(text.size() / 4 * 3 + 3);
  size_t n = 0;
  size_t i = 0;
  const auto* p = reinterpret_cast<const uint8_t*>(text.data());
  while (i < text.size()) {
    if (p[i] == '\r' || p[i] == '\n') {
      ++i;
      continue;
    }
    if (i + 4 > text.size()) break;
    const uint8_t a = kDecode.value[p[i]], b = kDecode.value[p[i + 1]];
    const uint8_t c = kDecode.value[p[i + 2]], d = kDecode.value[p[i + 3]];
    if ((a | b | c | d) >= 64) break;
    out[n] = static_cast<uint8_t>((a << 2) | (b >> 4));
    out[n + 1] = static_cast<uint8_t>((b << 4) | (c >> 2));
    out[n + 2] = static_cast<uint8_t>((c << 6) | d);
    n += 3;
    i += 4;
  }
  if (!DecodeBase64Tail(text.substr(i), out.data(), &n)) return std::nullopt;
  out.resize(n);
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
  out.reserve(kResponseHead.size() + kResponseTail.size() + data.size() * 4 / 3 + data.size() / 28 +
              64);
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
