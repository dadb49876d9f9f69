// HttpClient: POST requests to one server over one kept-alive HTTP/1.1 connection, with a
// precise deadline per request. Falls back to a connection per request with HTTP/1.0 servers
// (the course's Python server closes after each reply); never asks for gzip.
//
// At-most-once: a request is sent once. Its reply is waited for until the deadline, and at
// least 50 ms after the request was sent (a client that did not run until its deadline had
// passed does not take a healthy server for a dead one). Before a kept-alive connection is
// reused it is checked without blocking, so a connection the server closed while idle is
// replaced before anything is sent on it, never after.
//
// Errors, each message starting with "host:port: ":
//   kUnavailable       refused, reset, or closed before any reply byte (a failed server)
//   kDeadlineExceeded  no whole reply before the deadline
//   kProtocolError     a malformed reply, or an HTTP status other than 200
//
// Not thread-safe: one thread at a time per HttpClient.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "core/status.h"
#include "rpc/endpoint.h"
#include "rpc/socket.h"

namespace memoryfs::rpc {

class HttpClient {
 public:
  // max_reply: the largest reply body accepted (a larger one is kProtocolError).
  HttpClient(Endpoint endpoint, size_t max_reply);

  // The body of the 200 reply to a POST of `body` to `path`, sent with extra_headers (each
  // "Name: value\r\n").
  Result<std::string> Post(const std::string& path, const std::string& body, Deadline deadline,
                           std::string_view extra_headers = {});
  // A header of the last reply received (name lower-case); empty when it had none.
  std::string_view reply_header(const std::string& name) const;

  // Drops the connection; the next Post connects afresh.
  void Disconnect() { socket_.Close(); }

  const Endpoint& endpoint() const { return endpoint_; }

  // How many connections this client has opened (connected successfully) so far. Each one is
  // a new session with the server: 1 per call with an HTTP/1.0 server, and a change after the
  // first with a keep-alive server means the connection was lost (the server may have
  // restarted in between).
  uint64_t connections() const { return connections_; }

 private:
  Status EnsureConnected(Deadline deadline);
  // The error with this server's address in front; the connection is dropped.
  Status Fail(const Status& status);

  Endpoint endpoint_;
  size_t max_reply_;
  Socket socket_;
  uint64_t connections_ = 0;
  std::map<std::string, std::string> reply_headers_;  // of the last reply
};

}  // namespace memoryfs::rpc
