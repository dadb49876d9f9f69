// Edition: which year of the course code the programs are a drop-in for. It is ONE value,
// chosen at start-up (memoryfs_shell_rpc -edition, default 2022; fsmain defaults to 2023) and
// carried by the file system's Geometry. Each concern that differs between editions consults
// it in one place, and only there:
//
//   the lock (which block, client::LockConvention::For)      client/lock_convention.h
//   the inode layout (fs::InodeLayout::For)                  fs/inode.h
//   the file system's algorithms (fs::Rules::For)            fs/rules.h
//   the device stack (cache, last writer, retries)           shell/devices.cc
//   the shell's texts, streams, commands, start-up           shell/dialect.h
//   the shell's flags and their defaults                     shell/flags.cc
//
// docs/edition2023.md lists what the 2023 edition changes and where we deviate from it.
#pragma once

#include <optional>
#include <string_view>

namespace memoryfs {

enum class Edition {
  k2022,  // memoryfs_server.py / memoryfs_shell_rpc.py (the 2022 RAID-5 assignment)
  k2023,  // blockserver.py / fsmain.py (the HW4 base code with the block cache)
};

// "2022" or "2023".
const char* EditionName(Edition edition);
// The edition named "2022" or "2023"; nullopt for anything else.
std::optional<Edition> ParseEdition(std::string_view name);

}  // namespace memoryfs
