// Status and Result<T>: errors as values. No exception ever crosses a layer boundary; the one
// place that talks to the network converts xmlrpc-c exceptions and socket errors into these.
#pragma once

#include <optional>
#include <string>
#include <utility>

namespace memoryfs {

enum class Code {
  kOk = 0,
  kInvalidArgument,  // a caller passed a bad value (block number, size, name...)
  kOutOfRange,       // a number outside the device / table
  kNotFound,         // a name or object does not exist
  kChecksumError,    // a server reported a corrupt block (CHECKSUM_ERROR or a legacy form)
  kUnavailable,      // a server is down, refused, reset, timed out, or already marked failed
  kFault,            // a server answered an XML-RPC fault other than a checksum error
  kProtocolError,    // malformed HTTP or XML-RPC
  kIOError,          // local I/O (files, sockets set-up)
  kNoSpace,          // the file system ran out of blocks or inodes
};

class Status {
 public:
  Status() = default;  // OK
  static Status Ok() { return Status(); }
  static Status Error(Code code, std::string message) { return Status(code, std::move(message)); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  // "OK" or "<code name>: <message>".
  std::string ToString() const;

 private:
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}
  Code code_ = Code::kOk;
  std::string message_;
};

const char* CodeName(Code code);

// A value or the Status that explains why there is none.
template <typename T>
class Result {
 public:
  Result(T value) : value_(std::move(value)) {}          // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {}  // NOLINT: must not be OK

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace memoryfs

// Propagates a non-OK Status out of the enclosing function.
#define MEMORYFS_RETURN_IF_ERROR(expr) \
  do {                                 \
    ::memoryfs::Status _st = (expr);   \
    if (!_st.ok()) return _st;         \
  } while (0)
