#include "core/status.h"

namespace memoryfs {

const char* CodeName(Code code) {
  switch (code) {
    case Code::kOk:
      return "OK";
    case Code::kInvalidArgument:
      return "INVALID_ARGUMENT";
    case Code::kOutOfRange:
      return "OUT_OF_RANGE";
    case Code::kNotFound:
      return "NOT_FOUND";
    case Code::kChecksumError:
      return "CHECKSUM_ERROR";
    case Code::kUnavailable:
      return "UNAVAILABLE";
    case Code::kDeadlineExceeded:
      return "DEADLINE_EXCEEDED";
    case Code::kFault:
      return "FAULT";
    case Code::kProtocolError:
      return "PROTOCOL_ERROR";
    case Code::kIOError:
      return "IO_ERROR";
    case Code::kNoSpace:
      return "NO_SPACE";
    case Code::kDataLoss:
      return "DATA_LOSS";
    case Code::kInternal:
      return "INTERNAL";
    case Code::kCancelled:
      return "CANCELLED";
    case Code::kUnimplemented:
      return "UNIMPLEMENTED";
    case Code::kFenced:
      return "FENCED";
    case Code::kAborted:
      return "ABORTED";
  }
  return "UNKNOWN";
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  return std::string(CodeName(code_)) + ": " + message_;
}

}  // namespace memoryfs
