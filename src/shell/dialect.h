// Dialect: what the shell of each course edition prints, where, and which commands it has, as
// data. Dialect::For is the one place that maps an edition to it; the Shell consults these
// fields, never the edition. (What the file system does differently is fs::Rules; the device
// stack of the 2023 edition, its block cache, is set up by the Shell from client_cache.)
//
// The texts are the reference's, byte for byte (compat_tests/golden/g22, g23).
#pragma once

#include "core/edition.h"

namespace memoryfs::shell {

struct Dialect {
  // Blocks 0..n-1 read at start-up (the 2022 reference's debug dump; none in 2023).
  int startup_dump_blocks = 16;
  // showblock, showblockslice and showfsconfig print on stdout (2023) or on the logger's
  // stderr (2022). showinode is on stderr in both.
  bool inspection_on_stdout = false;
  // ls prints each entry as soon as it is read, between the block cache's lines (2023); in
  // 2022 the listing is printed once complete, so that a listing that fails half-way prints
  // its error alone.
  bool ls_streams = false;
  // showinode has an "Inode gencnt" line (the 2022 inode layout has the field).
  bool show_gencnt = true;
  // The titles of showblock's two parts, each followed by " [<n>] : " and a newline.
  const char* block_text_title = "Block (strings in block)";
  const char* block_hex_title = "Block (raw hex block)";
  // The log lines of load and save, each followed by the file name (on stderr).
  const char* load_log = "Reading blocks from pickled file ";
  const char* save_log = "Dumping pickled blocks to file ";
  // The commands slice FILE OFFSET COUNT and mirror FILE exist.
  bool slice_and_mirror = false;
  // The client reads and writes through its block cache (client/cache_device.h), whose lines
  // are printed with the shell's output.
  bool client_cache = false;
  // RAID-5 (the 2023 project): the shell says at start which server holds the lock ("RSM
  // server X"), and the array's messages name the block, not the server
  // (raid::ArrayEvent::ToString).
  bool announce_lock_server = false;
  bool events_name_blocks = false;

  static constexpr Dialect For(Edition edition) {
    if (edition == Edition::k2022) return {};
    return {
        .startup_dump_blocks = 0,
        .inspection_on_stdout = true,
        .ls_streams = true,
        .show_gencnt = false,
        .block_text_title = "Block (showing any string snippets in block the block)",
        .block_hex_title = "Block (showing raw hex data in block)",
        .load_log = "DiskBlocks::LoadFromDump: Reading blocks from pickled file ",
        .save_log = "DiskBlocks::DumpToDisk: Dumping pickled blocks to file ",
        .slice_and_mirror = true,
        .client_cache = true,
        .announce_lock_server = true,
        .events_name_blocks = true,
    };
  }
};

}  // namespace memoryfs::shell
