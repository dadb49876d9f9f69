// Dump files of the shell's `save` and `load`: what the reference's DumpToDisk writes with
// pickle.dump, two consecutive pickles in one file:
//   1. the str Geometry::ConstantsString(), e.g. "BS_128_NB_256_IS_16_MI_16_MF_12_IDS_4";
//   2. a list of nb blocks (bytes or bytearray objects).
#pragma once

#include <string>
#include <vector>

#include "core/bytes.h"
#include "core/status.h"
#include "fs/geometry.h"

namespace memoryfs::fs {

// The file `save` writes: pickle protocol 4, the blocks as bytearray objects, exactly what
// CPython 3.11's pickle.dump would write for the reference's in-memory block list.
Bytes SerializeDump(const Geometry& geometry, const std::vector<Bytes>& blocks);

// The nb blocks of a dump file, each at most bs bytes long (the caller pads them). The whole
// file is checked before anything is returned, so a bad file never writes half a disk.
// On error the Status message is the line the shell prints, in the reference's words:
//   "Error: File System constants of File :<theirs> do not match with current file system
//    constants :<ours>", "Error: File not in proper format, encountered type error ",
//   "Error: File not in proper format, encountered EOFError error ", and for what the
//   reference would crash on: "... encountered UnpicklingError error ", "... encountered
//   IndexError error " (fewer than nb blocks), "... encountered ValueError error " (a block
//   longer than bs).
Result<std::vector<Bytes>> ParseDump(const Bytes& file, const Geometry& geometry);

}  // namespace memoryfs::fs
