// The file system's own errors. Their message is an error code in the reference's style
// ("ERROR_CREATE_ALREADY_EXISTS", "ERROR_NO_FREE_BLOCKS"...), which the shell prints as
// "Error: <code>". Every other non-OK Status seen by the shell came from the block device.
#pragma once

#include <string>

#include "core/status.h"

namespace memoryfs::fs {

// Codes the reference returns as values (it prints them and goes on).
inline constexpr char kErrCreateInvalidType[] = "ERROR_CREATE_INVALID_TYPE";
inline constexpr char kErrCreateInodeNotAvailable[] = "ERROR_CREATE_INODE_NOT_AVAILABLE";
inline constexpr char kErrCreateInvalidDir[] = "ERROR_CREATE_INVALID_DIR";
inline constexpr char kErrCreateDataBlockNotAvailable[] = "ERROR_CREATE_DATA_BLOCK_NOT_AVAILABLE";
inline constexpr char kErrCreateAlreadyExists[] = "ERROR_CREATE_ALREADY_EXISTS";
inline constexpr char kErrWriteNotFile[] = "ERROR_WRITE_NOT_FILE";
inline constexpr char kErrWriteOffsetLargerThanSize[] = "ERROR_WRITE_OFFSET_LARGER_THAN_SIZE";
inline constexpr char kErrWriteExceedsFileSize[] = "ERROR_WRITE_EXCEEDS_FILE_SIZE";
inline constexpr char kErrReadNotFile[] = "ERROR_READ_NOT_FILE";
inline constexpr char kErrReadOffsetLargerThanSize[] = "ERROR_READ_OFFSET_LARGER_THAN_SIZE";
inline constexpr char kErrUnlinkInvalidDir[] = "ERROR_UNLINK_INVALID_DIR";
inline constexpr char kErrUnlinkDoesNotExist[] = "ERROR_UNLINK_DOESNOT_EXIST";
inline constexpr char kErrUnlinkNotFile[] = "ERROR_UNLINK_NOT_FILE";
inline constexpr char kErrLinkTargetDoesNotExist[] = "ERROR_LINK_TARGET_DOESNOT_EXIST";
inline constexpr char kErrLinkNotDirectory[] = "ERROR_LINK_NOT_DIRECTORY";
inline constexpr char kErrLinkDataBlockNotAvailable[] = "ERROR_LINK_DATA_BLOCK_NOT_AVAILABLE";
inline constexpr char kErrLinkAlreadyExists[] = "ERROR_LINK_ALREADY_EXISTS";
inline constexpr char kErrLinkTargetNotFile[] = "ERROR_LINK_TARGET_NOT_FILE";
inline constexpr char kErrSymlinkTargetDoesNotExist[] = "ERROR_SYMLINK_TARGET_DOESNOT_EXIST";
inline constexpr char kErrSymlinkNotDirectory[] = "ERROR_SYMLINK_NOT_DIRECTORY";
inline constexpr char kErrSymlinkDataBlockNotAvailable[] = "ERROR_SYMLINK_DATA_BLOCK_NOT_AVAILABLE";
inline constexpr char kErrSymlinkAlreadyExists[] = "ERROR_SYMLINK_ALREADY_EXISTS";
inline constexpr char kErrSymlinkInodeNotAvailable[] = "ERROR_SYMLINK_INODE_NOT_AVAILABLE";
inline constexpr char kErrSymlinkTargetExceedsBlockSize[] =
    "ERROR_SYMLINK_TARGET_EXCEEDS_BLOCK_SIZE";

// Codes for the places where the reference calls quit() (deliberate deviation 2): we report
// them as values, after undoing whatever the operation had already written.
inline constexpr char kErrFilenameTooLong[] = "ERROR_FILENAME_TOO_LONG";
inline constexpr char kErrNoFreeBlocks[] = "ERROR_NO_FREE_BLOCKS";
inline constexpr char kErrInodeNumberOutOfRange[] = "ERROR_INODE_NUMBER_OUT_OF_RANGE";
inline constexpr char kErrBlockNumberOutOfRange[] = "ERROR_BLOCK_NUMBER_OUT_OF_RANGE";
inline constexpr char kErrDirectoryFull[] = "ERROR_DIRECTORY_FULL";
inline constexpr char kErrCorruptInode[] = "ERROR_CORRUPT_INODE";

// A file-system error with the given Status code and reference-style error code.
Status FsError(Code code, const char* error_code);

// True when `status` is a file-system error (its message is an "ERROR_..." code).
bool IsFsError(const Status& status);

}  // namespace memoryfs::fs
