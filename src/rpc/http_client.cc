#include "rpc/http_client.h"

#include <algorithm>
#include <chrono>

#include "rpc/http_message.h"

namespace memoryfs::rpc {

namespace {
constexpr std::chrono::milliseconds kReplyFloor(50);
}  // namespace

HttpClient::HttpClient(Endpoint endpoint, size_t max_reply)
    : endpoint_(std::move(endpoint)), max_reply_(max_reply) {}

Status HttpClient::Fail(const Status& status) {
  socket_.Close();
  return Status::Error(status.code(), endpoint_.ToString() + ": " + status.message());
}

Status HttpClient::EnsureConnected(Deadline deadline) {
  if (socket_.valid() && PeerClosed(socket_)) socket_.Close();  // idle keep-alive ended
  if (socket_.valid()) return Status::Ok();
  Result<Socket> connected = Connect(endpoint_.host, endpoint_.port, deadline);
  if (!connected.ok()) return Fail(connected.status());
  socket_ = std::move(connected).value();
  ++connections_;
  return Status::Ok();
}

Result<std::string> HttpClient::Post(const std::string& path, const std::string& body,
                                     Deadline deadline, std::string_view extra_headers) {
  RETURN_IF_ERROR(EnsureConnected(deadline));
  Status sent =
      SendAll(socket_, FormatPost(endpoint_.ToString(), path, body, extra_headers), deadline);
  if (!sent.ok()) return Fail(sent);
  // The reply cannot be there yet: wait for it rather than try a read first (a system call
  // saved per call; within a FiberLoop, the other lanes run meanwhile). The server gets at
  // least kReplyFloor from the moment the request was sent: a client that was not running
  // (stopped, descheduled) until its deadline had passed must not call a healthy server dead.
  deadline = std::max(deadline, Clock::now() + kReplyFloor);
  Status readable = WaitReadable(socket_, deadline);
  if (!readable.ok()) return Fail(readable);
  std::string buf;
  HttpMessage reply;
  for (;;) {
    Result<size_t> got = ReceiveSome(socket_, &buf, deadline);
    if (!got.ok()) return Fail(got.status());
    ParseOutcome parsed = ParseResponse(buf, max_reply_, *got == 0, &reply);
    if (parsed.state == ParseState::kComplete) break;
    if (parsed.state == ParseState::kError) {
      // A connection closed before any reply byte is a failed server (reset / crash).
      if (buf.empty()) return Fail(Status::Error(Code::kUnavailable, "connection closed"));
      return Fail(Status::Error(Code::kProtocolError, parsed.error));
    }
  }
  if (!reply.keep_alive) socket_.Close();
  reply_headers_ = std::move(reply.headers);
  if (reply.status != 200) {
    return Status::Error(
        Code::kProtocolError,
        endpoint_.ToString() + ": HTTP " + std::to_string(reply.status) + " " + reply.reason);
  }
  return std::move(reply.body);
}

std::string_view HttpClient::reply_header(const std::string& name) const {
  const auto it = reply_headers_.find(name);
  return it == reply_headers_.end() ? std::string_view() : std::string_view(it->second);
}

}  // namespace memoryfs::rpc
