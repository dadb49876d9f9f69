// Status and Result<T>: errors as values. No exception ever crosses a layer boundary; the
// adapters that talk to the network (rpc/, client/wire, server/rpc_service) convert xmlrpc-c
// exceptions, socket errors and peers' faults into these, classified by Code there. Above the
// adapters, code branches on code() and subcode() only; message() is text for people.
//
// Both types are [[nodiscard]]: a dropped error is a compile warning. Ignoring one on purpose
// is written `(void)expr;` with a comment saying why.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>

namespace memoryfs {

enum class Code {
  kOk = 0,
  kInvalidArgument,   // a caller passed a bad value (block number, size, name...)
  kOutOfRange,        // a number outside the device / table
  kNotFound,          // a name or object does not exist
  kChecksumError,     // a stored block failed its checksum (any peer's convention)
  kUnavailable,       // a server is down, refused, reset, timed out, or already marked failed
  kDeadlineExceeded,  // a socket operation ran out of time (rpc/); the client reports it upward
                      // as kUnavailable, the device contract's code for a server that is gone
  kFault,             // a server answered an XML-RPC fault that no wire rule classifies
  kProtocolError,     // malformed HTTP or XML-RPC
  kIOError,           // local I/O (files, sockets set-up)
  kNoSpace,           // the file system ran out of blocks or inodes
  kDataLoss,          // a block cannot be read or written: too many faults in its stripe
  kInternal,          // a broken invariant of this program (a bug)
  kCancelled,         // the user asked to stop (Ctrl-C, SIGTERM) before the work began
  kUnimplemented,     // the peer has no such method (the Python server has no metadata)
  kAborted,           // a compare-and-set or lock precondition no longer held (another client
                      // changed the record, or broke our lock)
  kFenced,            // a server refused a request sent under a lock grant that is no longer
                      // current there (another client took the lock over): nothing was done
};

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  static Status Ok() { return Status(); }
  // subcode: a finer code chosen by the layer that raises the error, 0 for none. Only the
  // file system uses it today (fs::FsErrorCode, see fs/fs_error.h).
  static Status Error(Code code, std::string message, int subcode = 0) {
    return Status(code, std::move(message), subcode);
  }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  int subcode() const { return subcode_; }
  const std::string& message() const { return message_; }
  // "OK" or "<code name>: <message>".
  std::string ToString() const;

 private:
  Status(Code code, std::string message, int subcode)
      : code_(code), subcode_(subcode), message_(std::move(message)) {}
  Code code_ = Code::kOk;
  int subcode_ = 0;
  std::string message_;
};

const char* CodeName(Code code);

// A value or the Status that explains why there is none.
//
// Contract: a Result is built from a value or from a non-OK Status. Building one from an OK
// Status is a bug: it asserts in debug builds, and in release builds the Result holds a
// kInternal error instead (so ok() is never true without a value). value(), operator* and
// operator-> require ok(): on an error they assert in debug builds and are undefined in
// release builds.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}         // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {  // NOLINT: implicit by design
    assert(!status_.ok() && "Result built from an OK Status");
    if (status_.ok()) status_ = Status::Error(Code::kInternal, "Result built from an OK Status");
  }

  bool ok() const { return status_.ok(); }
  const Status& status() const& { return status_; }
  Status status() && { return std::move(status_); }
  T& value() & { return Checked(); }
  const T& value() const& { return Checked(); }
  T&& value() && { return std::move(Checked()); }
  T* operator->() { return &Checked(); }
  const T* operator->() const { return &Checked(); }
  T& operator*() & { return Checked(); }
  const T& operator*() const& { return Checked(); }

 private:
  T& Checked() {
    assert(value_.has_value() && "value() of an error Result");
    return *value_;
  }
  const T& Checked() const {
    assert(value_.has_value() && "value() of an error Result");
    return *value_;
  }

  Status status_;
  std::optional<T> value_;
};

namespace internal {
inline const Status& StatusOf(const Status& status) { return status; }
template <typename T>
const Status& StatusOf(const Result<T>& result) {
  return result.status();
}
}  // namespace internal

}  // namespace memoryfs

#define MEMORYFS_CONCAT_INNER(a, b) a##b
#define MEMORYFS_CONCAT(a, b) MEMORYFS_CONCAT_INNER(a, b)

// RETURN_IF_ERROR(expr): expr is a Status or a Result; when it is an error, the enclosing
// function returns its Status (which converts to any Result<T>).
#define RETURN_IF_ERROR(expr)                                          \
  do {                                                                 \
    ::memoryfs::Status _status = ::memoryfs::internal::StatusOf(expr); \
    if (!_status.ok()) return _status;                                 \
  } while (0)

// ASSIGN_OR_RETURN(lhs, expr): expr is a Result<T>; on success its value is moved into lhs (a
// declaration such as `Inode inode` or an existing variable), otherwise the enclosing function
// returns the error. Expands to several statements: not for an unbraced if/else body.
#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL_(MEMORYFS_CONCAT(_result_, __LINE__), lhs, expr)
#define ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr)   \
  auto tmp = (expr);                             \
  if (!tmp.ok()) return std::move(tmp).status(); \
  lhs = std::move(tmp).value()
