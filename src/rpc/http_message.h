// HTTP/1.x message framing for XML-RPC: just enough of HTTP for POST requests with a body,
// shared by the server and the client transport. Parsing is incremental: feed it the bytes
// received so far and it says whether a whole message is there.
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace memoryfs::rpc {

struct HttpMessage {
  // Request: method ("POST"), target ("/RPC2"). Response: status (200), reason ("OK").
  std::string method;
  std::string target;
  int status = 0;
  std::string reason;
  std::string version;                         // "HTTP/1.1" or "HTTP/1.0"
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  bool keep_alive = false;  // whether the connection may carry another message afterwards
};

enum class ParseState { kIncomplete, kComplete, kError };

struct ParseOutcome {
  ParseState state = ParseState::kIncomplete;
  size_t consumed = 0;    // bytes of the buffer that form the message (kComplete)
  int http_status = 400;  // kError: the status to answer (400, 411, 413, 431, 501, 505)
  std::string error;      // kError: what was wrong
};

constexpr size_t kMaxHeaderBytes = 16 * 1024;

// Our headers, which the course's Python programs neither send nor look at (names lower-case,
// as HttpMessage::headers holds them):
// - the epoch of the lock grant a request is sent under (decimal; the server fences it,
//   server::RpcService::Handle);
// - the server's incarnation, in every reply of our server: 16 hex digits chosen at random
//   when the process starts, so that a client sees a restart in the first reply after it,
//   whatever proxy or connection sits between.
inline constexpr char kEpochHeader[] = "x-memoryfs-epoch";
inline constexpr char kIncarnationHeader[] = "x-memoryfs-incarnation";

// How many blocks one GetBlocks/PutBlocks call of our server carries at most (docs/protocol.md,
// "Batched block calls"): as many as fit in 256 KiB, between 1 and 256.
constexpr int MaxBatchBlocks(int block_size) {
  const int fit = (256 * 1024) / (block_size > 0 ? block_size : 1);
  return fit < 1 ? 1 : fit > 256 ? 256 : fit;
}

// The largest XML-RPC message body either side accepts for blocks of `block_size` bytes: a
// Put carries the block in base64 (4/3 of it, plus line breaks) in a small envelope, a batch
// call MaxBatchBlocks of them. The margin lets an over-long Put still reach the server and get
// its clear fault; anything larger is refused (413 on the server, kProtocolError on the
// client).
constexpr size_t MaxMessageBody(int block_size) {
  return static_cast<size_t>(block_size) * 2 * MaxBatchBlocks(block_size) + 64 * 1024;
}

// Parses one request from the start of buf. A body larger than max_body is an error (413).
ParseOutcome ParseRequest(std::string_view buf, size_t max_body, HttpMessage* out);

// Parses one response from the start of buf. peer_closed: the peer has closed the connection,
// so a response without Content-Length ends here.
ParseOutcome ParseResponse(std::string_view buf, size_t max_body, bool peer_closed,
                           HttpMessage* out);

// Serialises a response with Content-Length and as few headers as possible (every header
// costs a Python client parsing time): "Connection: close" when !keep_alive,
// "Connection: keep-alive" only for an HTTP/1.0 request that asked for it (http10).
// extra_headers: more header lines, each "Name: value\r\n".
std::string FormatResponse(int status, std::string_view content_type, std::string_view body,
                           bool keep_alive, bool http10 = false,
                           std::string_view extra_headers = {});

// Serialises a POST with Content-Length, keep-alive, and no Accept-Encoding (never gzip), and
// extra_headers (each "Name: value\r\n").
std::string FormatPost(std::string_view host, std::string_view target, std::string_view body,
                       std::string_view extra_headers = {});

// The standard reason phrase of a status code.
const char* ReasonPhrase(int status);

}  // namespace memoryfs::rpc
