#include "fs/fs_error.h"

#include <iterator>

namespace memoryfs::fs {
namespace {

// Indexed by FsErrorCode.
constexpr const char* kNames[] = {
    "",
    "ERROR_CREATE_INVALID_TYPE",
    "ERROR_CREATE_INODE_NOT_AVAILABLE",
    "ERROR_CREATE_INVALID_DIR",
    "ERROR_CREATE_DATA_BLOCK_NOT_AVAILABLE",
    "ERROR_CREATE_ALREADY_EXISTS",
    "ERROR_WRITE_NOT_FILE",
    "ERROR_WRITE_OFFSET_LARGER_THAN_SIZE",
    "ERROR_WRITE_EXCEEDS_FILE_SIZE",
    "ERROR_READ_NOT_FILE",
    "ERROR_READ_OFFSET_LARGER_THAN_SIZE",
    "ERROR_UNLINK_INVALID_DIR",
    "ERROR_UNLINK_DOESNOT_EXIST",
    "ERROR_UNLINK_NOT_FILE",
    "ERROR_LINK_TARGET_DOESNOT_EXIST",
    "ERROR_LINK_NOT_DIRECTORY",
    "ERROR_LINK_DATA_BLOCK_NOT_AVAILABLE",
    "ERROR_LINK_ALREADY_EXISTS",
    "ERROR_LINK_TARGET_NOT_FILE",
    "ERROR_SYMLINK_TARGET_DOESNOT_EXIST",
    "ERROR_SYMLINK_NOT_DIRECTORY",
    "ERROR_SYMLINK_DATA_BLOCK_NOT_AVAILABLE",
    "ERROR_SYMLINK_ALREADY_EXISTS",
    "ERROR_SYMLINK_INODE_NOT_AVAILABLE",
    "ERROR_SYMLINK_TARGET_EXCEEDS_BLOCK_SIZE",
    "ERROR_SLICE_NOT_FILE",
    "ERROR_SLICE_COUNT_OUT_BOUNDS",
    "ERROR_MIRROR_NOT_FILE",
    "ERROR_FILENAME_TOO_LONG",
    "ERROR_NO_FREE_BLOCKS",
    "ERROR_INODE_NUMBER_OUT_OF_RANGE",
    "ERROR_BLOCK_NUMBER_OUT_OF_RANGE",
    "ERROR_DIRECTORY_FULL",
    "ERROR_CORRUPT_INODE",
    "ERROR_BLOCK_BEYOND_BITMAP",
    "ERROR_INODE_BEYOND_TABLE",
    "ERROR_ENTRY_STRADDLES_BLOCK",
};
static_assert(std::size(kNames) == static_cast<size_t>(FsErrorCode::kCount));

}  // namespace

const char* FsErrorName(FsErrorCode error) {
  const auto index = static_cast<size_t>(error);
  return index < std::size(kNames) ? kNames[index] : "";
}

Status FsError(Code code, FsErrorCode error) {
  return Status::Error(code, FsErrorName(error), static_cast<int>(error));
}

FsErrorCode FsErrorOf(const Status& status) {
  const int subcode = status.ok() ? 0 : status.subcode();
  if (subcode <= 0 || subcode >= static_cast<int>(FsErrorCode::kCount)) return FsErrorCode::kNone;
  return static_cast<FsErrorCode>(subcode);
}

}  // namespace memoryfs::fs
