#include "client/remote_device.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include "rpc/http_message.h"

namespace memoryfs::client {

RemoteDevice::RemoteDevice(rpc::Endpoint endpoint, int num_blocks, int block_size, int timeout_ms,
                           TimeoutPolicy policy)
    : num_blocks_(num_blocks),
      block_size_(block_size),
      timeout_ms_(timeout_ms),
      policy_(std::move(policy)),
      http_(std::move(endpoint), rpc::MaxMessageBody(block_size)) {
  wire::AllowDocumentsOf(rpc::MaxMessageBody(block_size));
}

Result<wire::Reply> RemoteDevice::Call(wire::Method method, const wire::Args& args) {
  ASSIGN_OR_RETURN(const std::string request, wire::EncodeCall(method, args));
  Result<std::string> body =
      http_.Post("/RPC2", request, rpc::DeadlineIn(timeout_ms_), epoch_header_);
  while (policy_.retry && !body.ok() && body.status().code() == Code::kDeadlineExceeded) {
    if (policy_.on_timeout) policy_.on_timeout();
    std::this_thread::sleep_for(std::chrono::milliseconds(policy_.retry_wait_ms));
    if (policy_.stop_requested && policy_.stop_requested()) {
      return Status::Error(Code::kCancelled,
                           endpoint().ToString() + ": stopped while the server did not answer");
    }
    body = http_.Post("/RPC2", request, rpc::DeadlineIn(timeout_ms_), epoch_header_);
  }
  if (!body.ok()) {
    if (body.status().code() != Code::kDeadlineExceeded) return body.status();
    // A server that does not answer in time is, for the device contract, a failed server.
    return Status::Error(Code::kUnavailable, endpoint().ToString() + ": timed out after " +
                                                 std::to_string(timeout_ms_) + " ms");
  }
  if (std::string_view seen = http_.reply_header(rpc::kIncarnationHeader);
      !seen.empty() && seen != incarnation_) {
    incarnation_ = seen;
    ++incarnations_;
  }
  Result<wire::Reply> reply = wire::DecodeReply(method, *body, args.block, block_size_);
  if (reply.ok()) return reply;
  const Status& error = reply.status();
  if (error.code() == Code::kChecksumError) ++sent_.checksum_errors;
  if (error.code() != Code::kProtocolError) return reply;
  return Status::Error(error.code(), endpoint().ToString() + ": " + error.message());
}

Result<Bytes> RemoteDevice::Get(int block) {
  ++sent_.gets;
  ASSIGN_OR_RETURN(wire::Reply reply, Call(wire::Method::kGet, {block}));
  return std::move(reply.block);
}

Result<Bytes> RemoteDevice::RSM(int block) {
  ++sent_.rsms;
  ASSIGN_OR_RETURN(wire::Reply reply, Call(wire::Method::kRsm, {block}));
  return std::move(reply.block);
}

Status RemoteDevice::Put(int block, const Bytes& data) {
  ++sent_.puts;
  if (static_cast<int>(data.size()) > block_size_) {
    return Status::Error(Code::kInvalidArgument, "data longer than the block size");
  }
  const Bytes padded = PadTo(data, block_size_);
  return Call(wire::Method::kPut, {block, &padded}).status();
}

Result<Bytes> RemoteDevice::GetMeta(const std::string& key) {
  ++sent_.meta;
  ASSIGN_OR_RETURN(wire::Reply reply, Call(wire::Method::kGetMeta, {.key = &key}));
  return std::move(reply.value);
}

Result<Bytes> RemoteDevice::PutMeta(const std::string& key, const Bytes& expected,
                                    const Bytes& value) {
  ++sent_.meta;
  ASSIGN_OR_RETURN(wire::Reply reply, Call(wire::Method::kPutMeta,
                                           {.key = &key, .expected = &expected, .value = &value}));
  return std::move(reply.value);
}

Result<LockReply> RemoteDevice::Lock(int block, const Bytes& holder, int lease_ms) {
  ++sent_.meta;
  ASSIGN_OR_RETURN(
      wire::Reply reply,
      Call(wire::Method::kLock, {.block = block, .holder = &holder, .lease_ms = lease_ms}));
  return std::move(reply.lock);
}

Status RemoteDevice::Unlock(int block, const Bytes& holder, const Bytes& note) {
  ++sent_.meta;
  return Call(wire::Method::kUnlock, {.block = block, .value = &note, .holder = &holder}).status();
}

Result<LockReply> RemoteDevice::Claim(const Bytes& holder, int lease_ms,
                                      const std::string& read_key, bool take_over) {
  ++sent_.meta;
  ASSIGN_OR_RETURN(
      wire::Reply reply,
      Call(wire::Method::kClaim,
           {.key = &read_key, .holder = &holder, .lease_ms = lease_ms, .take_over = take_over}));
  return std::move(reply.lock);
}

Status RemoteDevice::Release(const Bytes& holder, const Bytes& note) {
  ++sent_.meta;
  return Call(wire::Method::kRelease, {.value = &note, .holder = &holder}).status();
}

void RemoteDevice::set_epoch(int64_t epoch) {
  epoch_header_ = epoch > 0 ? "X-Memoryfs-Epoch: " + std::to_string(epoch) + "\r\n" : "";
}

Result<ServerInfo> RemoteDevice::Stats() {
  ASSIGN_OR_RETURN(wire::Reply reply, Call(wire::Method::kStats, {}));
  batch_blocks_ = std::clamp(reply.info.batch_blocks, 1, rpc::MaxBatchBlocks(block_size_));
  return reply.info;
}

Result<std::vector<Result<Bytes>>> RemoteDevice::GetBlocks(int first, int count) {
  if (batch_blocks_ <= 1) return BlockDevice::GetBlocks(first, count);
  std::vector<Result<Bytes>> blocks;
  for (int at = first; at < first + count; at += batch_blocks_) {
    const int n = std::min(batch_blocks_, first + count - at);
    ++sent_.gets;
    Result<wire::Reply> answer = Call(wire::Method::kGetBlocks, {.block = at, .count = n});
    if (answer.status().code() == Code::kUnimplemented) {  // not our server any more
      batch_blocks_ = 1;
      ASSIGN_OR_RETURN(std::vector<Result<Bytes>> rest,
                       BlockDevice::GetBlocks(at, first + count - at));
      for (Result<Bytes>& block : rest) blocks.push_back(std::move(block));
      return blocks;
    }
    ASSIGN_OR_RETURN(wire::Reply reply, std::move(answer));
    if (static_cast<int>(reply.blocks.size()) != n) {
      return Status::Error(Code::kProtocolError, endpoint().ToString() + ": GetBlocks answered " +
                                                     std::to_string(reply.blocks.size()) +
                                                     " blocks, not " + std::to_string(n));
    }
    for (Result<Bytes>& block : reply.blocks) {
      if (!block.ok()) ++sent_.checksum_errors;
      blocks.push_back(std::move(block));
    }
  }
  return blocks;
}

Status RemoteDevice::PutBlocks(int first, const std::vector<Bytes>& blocks) {
  if (batch_blocks_ <= 1) return BlockDevice::PutBlocks(first, blocks);
  for (size_t at = 0; at < blocks.size(); at += batch_blocks_) {
    const size_t n = std::min(blocks.size() - at, static_cast<size_t>(batch_blocks_));
    std::vector<Bytes> batch;
    for (size_t i = at; i < at + n; ++i) {
      if (static_cast<int>(blocks[i].size()) > block_size_) {
        return Status::Error(Code::kInvalidArgument, "data longer than the block size");
      }
      batch.push_back(PadTo(blocks[i], block_size_));
    }
    ++sent_.puts;
    const int from = first + static_cast<int>(at);
    Status put = Call(wire::Method::kPutBlocks, {.block = from, .blocks = &batch}).status();
    if (put.code() == Code::kUnimplemented) {  // not our server any more: block by block
      batch_blocks_ = 1;
      return BlockDevice::PutBlocks(from, {blocks.begin() + at, blocks.end()});
    }
    if (!put.ok()) {
      return Status::Error(put.code(), "writing blocks " + std::to_string(from) + ".." +
                                           std::to_string(from + static_cast<int>(n) - 1) + ": " +
                                           put.message());
    }
  }
  return Status::Ok();
}

}  // namespace memoryfs::client
