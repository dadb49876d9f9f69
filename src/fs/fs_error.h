// The file system's own errors, as typed codes. A file-system error is a Status whose
// subcode() is an FsErrorCode (code() is its broad category: kInvalidArgument, kNoSpace...);
// its message is the code's name in the reference's style ("ERROR_CREATE_ALREADY_EXISTS"),
// which the shell prints as "Error: <name>". Every other non-OK Status seen above the file
// system came from the block device. Callers branch on FsErrorOf(), never on the text.
#pragma once

#include "core/status.h"

namespace memoryfs::fs {

enum class FsErrorCode : int {
  kNone = 0,  // not a file-system error
  // Codes the reference returns as values (it prints them and goes on).
  kCreateInvalidType,              // ERROR_CREATE_INVALID_TYPE
  kCreateInodeNotAvailable,        // ERROR_CREATE_INODE_NOT_AVAILABLE
  kCreateInvalidDir,               // ERROR_CREATE_INVALID_DIR
  kCreateDataBlockNotAvailable,    // ERROR_CREATE_DATA_BLOCK_NOT_AVAILABLE
  kCreateAlreadyExists,            // ERROR_CREATE_ALREADY_EXISTS
  kWriteNotFile,                   // ERROR_WRITE_NOT_FILE
  kWriteOffsetLargerThanSize,      // ERROR_WRITE_OFFSET_LARGER_THAN_SIZE
  kWriteExceedsFileSize,           // ERROR_WRITE_EXCEEDS_FILE_SIZE
  kReadNotFile,                    // ERROR_READ_NOT_FILE
  kReadOffsetLargerThanSize,       // ERROR_READ_OFFSET_LARGER_THAN_SIZE
  kUnlinkInvalidDir,               // ERROR_UNLINK_INVALID_DIR
  kUnlinkDoesNotExist,             // ERROR_UNLINK_DOESNOT_EXIST
  kUnlinkNotFile,                  // ERROR_UNLINK_NOT_FILE
  kLinkTargetDoesNotExist,         // ERROR_LINK_TARGET_DOESNOT_EXIST
  kLinkNotDirectory,               // ERROR_LINK_NOT_DIRECTORY
  kLinkDataBlockNotAvailable,      // ERROR_LINK_DATA_BLOCK_NOT_AVAILABLE
  kLinkAlreadyExists,              // ERROR_LINK_ALREADY_EXISTS
  kLinkTargetNotFile,              // ERROR_LINK_TARGET_NOT_FILE
  kSymlinkTargetDoesNotExist,      // ERROR_SYMLINK_TARGET_DOESNOT_EXIST
  kSymlinkNotDirectory,            // ERROR_SYMLINK_NOT_DIRECTORY
  kSymlinkDataBlockNotAvailable,   // ERROR_SYMLINK_DATA_BLOCK_NOT_AVAILABLE
  kSymlinkAlreadyExists,           // ERROR_SYMLINK_ALREADY_EXISTS
  kSymlinkInodeNotAvailable,       // ERROR_SYMLINK_INODE_NOT_AVAILABLE
  kSymlinkTargetExceedsBlockSize,  // ERROR_SYMLINK_TARGET_EXCEEDS_BLOCK_SIZE
  kSliceNotFile,                   // ERROR_SLICE_NOT_FILE (2023)
  kSliceCountOutOfBounds,          // ERROR_SLICE_COUNT_OUT_BOUNDS (2023)
  kMirrorNotFile,                  // ERROR_MIRROR_NOT_FILE (2023)
  // Codes for the places where the reference calls quit() (deliberate deviation 2): we
  // report them as values, after undoing whatever the operation had already written.
  kFilenameTooLong,        // ERROR_FILENAME_TOO_LONG
  kNoFreeBlocks,           // ERROR_NO_FREE_BLOCKS
  kInodeNumberOutOfRange,  // ERROR_INODE_NUMBER_OUT_OF_RANGE
  kBlockNumberOutOfRange,  // ERROR_BLOCK_NUMBER_OUT_OF_RANGE
  kDirectoryFull,          // ERROR_DIRECTORY_FULL
  kCorruptInode,           // ERROR_CORRUPT_INODE
  // Where the reference's layout overlaps itself for a geometry it accepts (fs/geometry.h,
  // "Geometries the reference accepts"), it would corrupt its own structures; we refuse the
  // step that would, after undoing the operation.
  kBlockBeyondBitmap,    // ERROR_BLOCK_BEYOND_BITMAP: the block's bitmap byte is in the inode table
  kInodeBeyondTable,     // ERROR_INODE_BEYOND_TABLE: the inode is not inside one inode-table block
  kEntryStraddlesBlock,  // ERROR_ENTRY_STRADDLES_BLOCK: a directory entry would cross a block end
  kCount,                // the number of codes; not a code
};

// The reference-style name of a code: "ERROR_CREATE_INVALID_TYPE"; "" for kNone.
const char* FsErrorName(FsErrorCode error);

// A file-system error of the given category.
Status FsError(Code code, FsErrorCode error);

// The file-system error code of `status`; kNone for OK and for device errors.
FsErrorCode FsErrorOf(const Status& status);
inline bool IsFsError(const Status& status) { return FsErrorOf(status) != FsErrorCode::kNone; }

}  // namespace memoryfs::fs
