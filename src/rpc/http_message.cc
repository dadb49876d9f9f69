#include "rpc/http_message.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace memoryfs::rpc {

namespace {

char LowerChar(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// ASCII lower case (header names and tokens are ASCII; no locale lookups).
std::string Lower(std::string_view s) {
  std::string out(s.size(), '\0');
  for (size_t i = 0; i < s.size(); ++i) out[i] = LowerChar(s[i]);
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

ParseOutcome Error(int status, std::string what) {
  ParseOutcome o;
  o.state = ParseState::kError;
  o.http_status = status;
  o.error = std::move(what);
  return o;
}

// Whether value contains token (lower case), ignoring the case of value.
bool HasToken(std::string_view value, std::string_view token) {
  if (token.size() > value.size()) return false;
  for (size_t at = 0; at + token.size() <= value.size(); ++at) {
    size_t i = 0;
    while (i < token.size() && LowerChar(value[at + i]) == token[i]) ++i;
    if (i == token.size()) return true;
  }
  return false;
}

// Splits the head (start line + headers) off buf. Returns the start line; fills headers.
// head_end is set to the offset just past the blank line, or 0 when incomplete.
ParseOutcome ParseHead(std::string_view buf, std::string_view* start_line, HttpMessage* out,
                       size_t* head_end) {
  *head_end = 0;
  size_t end = buf.find("\r\n\r\n");
  size_t sep = 4;
  if (end == std::string_view::npos) {
    end = buf.find("\n\n");
    sep = 2;
  }
  if (end == std::string_view::npos) {
    if (buf.size() > kMaxHeaderBytes) return Error(431, "header too large");
    return ParseOutcome{};
  }
  if (end > kMaxHeaderBytes) return Error(431, "header too large");
  std::string_view head = buf.substr(0, end);
  size_t pos = head.find('\n');
  *start_line = Trim(head.substr(0, pos));
  while (pos != std::string_view::npos) {
    size_t next = head.find('\n', pos + 1);
    std::string_view line =
        Trim(head.substr(pos + 1, next == std::string_view::npos ? next : next - pos - 1));
    pos = next;
    if (line.empty()) continue;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) return Error(400, "malformed header line");
    out->headers.insert_or_assign(Lower(Trim(line.substr(0, colon))),
                                  std::string(Trim(line.substr(colon + 1))));
  }
  *head_end = end + sep;
  ParseOutcome ok;
  ok.state = ParseState::kComplete;
  return ok;
}

// Reads Content-Length; -1 when absent, -2 when malformed.
long long ContentLength(const HttpMessage& m) {
  auto it = m.headers.find("content-length");
  if (it == m.headers.end()) return -1;
  long long n = 0;
  const std::string& v = it->second;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || p != v.data() + v.size() || n < 0) return -2;
  return n;
}

bool KeepAlive(const HttpMessage& m) {
  auto it = m.headers.find("connection");
  const std::string_view conn = it == m.headers.end() ? std::string_view() : it->second;
  if (m.version == "HTTP/1.1") return !HasToken(conn, "close");
  return HasToken(conn, "keep-alive");
}

}  // namespace

ParseOutcome ParseRequest(std::string_view buf, size_t max_body, HttpMessage* out) {
  *out = HttpMessage();
  std::string_view start;
  size_t head_end = 0;
  ParseOutcome head = ParseHead(buf, &start, out, &head_end);
  if (head.state != ParseState::kComplete) return head;
  size_t sp1 = start.find(' ');
  size_t sp2 = start.rfind(' ');
  if (sp1 == std::string_view::npos || sp2 == sp1) return Error(400, "malformed request line");
  out->method = start.substr(0, sp1);
  out->target = start.substr(sp1 + 1, sp2 - sp1 - 1);
  out->version = start.substr(sp2 + 1);
  if (out->version != "HTTP/1.1" && out->version != "HTTP/1.0") {
    return Error(505, "unsupported HTTP version");
  }
  out->keep_alive = KeepAlive(*out);
  if (out->headers.count("transfer-encoding")) {
    return Error(501, "transfer-encoding not supported");
  }
  long long length = ContentLength(*out);
  if (length == -2) return Error(400, "malformed Content-Length");
  if (length == -1) {
    if (out->method == "POST") return Error(411, "Content-Length required");
    length = 0;
  }
  if (static_cast<unsigned long long>(length) > max_body) return Error(413, "request too large");
  if (buf.size() - head_end < static_cast<size_t>(length)) return ParseOutcome{};
  out->body = std::string(buf.substr(head_end, static_cast<size_t>(length)));
  ParseOutcome done;
  done.state = ParseState::kComplete;
  done.consumed = head_end + static_cast<size_t>(length);
  return done;
}

ParseOutcome ParseResponse(std::string_view buf, size_t max_body, bool peer_closed,
                           HttpMessage* out) {
  *out = HttpMessage();
  std::string_view start;
  size_t head_end = 0;
  ParseOutcome head = ParseHead(buf, &start, out, &head_end);
  if (head.state == ParseState::kIncomplete && peer_closed) {
    return Error(502, "connection closed before a complete response");
  }
  if (head.state != ParseState::kComplete) return head;
  size_t sp1 = start.find(' ');
  if (sp1 == std::string_view::npos) return Error(502, "malformed status line");
  out->version = start.substr(0, sp1);
  int status = 0;
  std::string_view rest = start.substr(sp1 + 1);
  auto [p, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), status);
  if (ec != std::errc()) return Error(502, "malformed status line");
  out->status = status;
  out->reason = std::string(Trim(std::string_view(p, rest.data() + rest.size() - p)));
  out->keep_alive = KeepAlive(*out);
  if (out->headers.count("content-encoding") &&
      Lower(out->headers["content-encoding"]) != "identity") {
    return Error(502, "compressed response not supported");
  }
  long long length = ContentLength(*out);
  if (length == -2) return Error(502, "malformed Content-Length");
  size_t available = buf.size() - head_end;
  if (length == -1) {
    // No length: the body runs until the peer closes; the connection cannot be reused.
    out->keep_alive = false;
    if (available > max_body) return Error(502, "response too large");
    if (!peer_closed) return ParseOutcome{};
    length = static_cast<long long>(available);
  }
  if (static_cast<unsigned long long>(length) > max_body) return Error(502, "response too large");
  if (available < static_cast<size_t>(length)) {
    if (peer_closed) return Error(502, "connection closed inside the response body");
    return ParseOutcome{};
  }
  out->body = std::string(buf.substr(head_end, static_cast<size_t>(length)));
  ParseOutcome done;
  done.state = ParseState::kComplete;
  done.consumed = head_end + static_cast<size_t>(length);
  return done;
}

const char* ReasonPhrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 411:
      return "Length Required";
    case 413:
      return "Payload Too Large";
    case 431:
      return "Request Header Fields Too Large";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Error";
  }
}

std::string FormatResponse(int status, std::string_view content_type, std::string_view body,
                           bool keep_alive, bool http10, std::string_view extra_headers) {
  std::string out;
  out.reserve(body.size() + 160);
  out += "HTTP/1.1 ";
  out += std::to_string(status);
  out += ' ';
  out += ReasonPhrase(status);
  out += "\r\nContent-Type: ";
  out += content_type;
  out += "\r\nContent-Length: ";
  out += std::to_string(body.size());
  if (!keep_alive) {
    out += "\r\nConnection: close";
  } else if (http10) {
    out += "\r\nConnection: keep-alive";
  }
  out += "\r\n";
  out += extra_headers;
  out += "\r\n";
  out += body;
  return out;
}

std::string FormatPost(std::string_view host, std::string_view target, std::string_view body,
                       std::string_view extra_headers) {
  std::string out;
  out.reserve(body.size() + 160);
  out += "POST ";
  out += target;
  out += " HTTP/1.1\r\nHost: ";
  out += host;
  out += "\r\nUser-Agent: memoryfs\r\nContent-Type: text/xml\r\nContent-Length: ";
  out += std::to_string(body.size());
  out += "\r\n";
  out += extra_headers;
  out += "\r\n";
  out += body;
  return out;
}

}  // namespace memoryfs::rpc
