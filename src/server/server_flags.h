// The flags of memoryfs_server: the course's (-nb/--total_num_blocks, -bs/--block_size, -port,
// -cblk/--corrupt_block) plus ours (-host -config -checksum_reply -test_corruption
// -no_metadata -no_batches -idle_timeout_ms -max_connections, and blockserver.py's -delayat with
// our -delay_ms), parsed by core/flags.h (argparse conventions; extra positional words and unknown
// -config keys are refused).
#pragma once

#include <optional>
#include <string>

#include "core/status.h"
#include "server/rpc_service.h"

namespace memoryfs::server {

struct ServerConfig {
  int num_blocks = 0;
  int block_size = 0;
  int port = 0;
  std::optional<int> decayed_block;  // -cblk
  std::string host = "127.0.0.1";
  ChecksumReply checksum_reply = ChecksumReply::kFault;
  bool test_corruption = false;
  bool no_metadata = false;  // -no_metadata
  bool no_batches = false;   // -no_batches
  int delay_every = 0;       // -delayat K
  int delay_ms = 10000;      // -delay_ms
  int idle_timeout_ms = 60000;
  int max_connections = 4096;
};

enum class FlagsOutcome {
  kRun,      // config is complete
  kHelp,     // --help: print usage (in *message) on stdout, exit 0
  kMissing,  // a required flag is missing: *message is the course's text, stdout, exit 1
  kInvalid,  // a bad flag or value: *message says which, stderr, exit 2
};

// Parses the command line (and the -config INI file). Never exits nor prints. Order: syntax
// of the command line (kInvalid), --help (kHelp), the config file (kInvalid), missing -nb, -bs,
// -port in that order (kMissing), then the values (kInvalid: "invalid value 'X' for -FLAG:
// expected ..."). On kRun *config holds the values given; fields of flags not given keep their
// defaults.
FlagsOutcome ParseServerFlags(int argc, const char* const* argv, ServerConfig* config,
                              std::string* message);

// The name the program was started under (argv[0] without its directory): "memoryfs_server",
// or "blockserver" (the 2023 edition's name for the same program), for usage and messages.
std::string ProgramName(int argc, const char* const* argv);

}  // namespace memoryfs::server
