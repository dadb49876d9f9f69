#include "fs/fs_error.h"

namespace memoryfs::fs {

Status FsError(Code code, const char* error_code) { return Status::Error(code, error_code); }

bool IsFsError(const Status& status) {
  return !status.ok() && status.message().rfind("ERROR_", 0) == 0;
}

}  // namespace memoryfs::fs
